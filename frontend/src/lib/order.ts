// Card order: the saved list of ids decides; machines not in it (new ones)
// follow, by name. Pure, so it is tested without a DOM.

import type { ServerResponse } from "../types/generated/ServerResponse";
import { displayName } from "./status";

export function applyOrder(machines: ServerResponse[], order: string[]): ServerResponse[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  return [...machines].sort((a, b) => {
    const ra = rank.get(a.id);
    const rb = rank.get(b.id);
    if (ra !== undefined && rb !== undefined) return ra - rb;
    if (ra !== undefined) return -1;
    if (rb !== undefined) return 1;
    return displayName(a).localeCompare(displayName(b));
  });
}

/** Move `activeId` to where `overId` is (dnd-kit's arrayMove on ids). */
export function moveId(ids: string[], activeId: string, overId: string): string[] {
  const from = ids.indexOf(activeId);
  const to = ids.indexOf(overId);
  if (from < 0 || to < 0 || from === to) return ids;
  const next = [...ids];
  next.splice(from, 1);
  next.splice(to, 0, activeId);
  return next;
}
