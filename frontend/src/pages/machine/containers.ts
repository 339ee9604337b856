// Docker containers as the machine page shows them: LED per state, a count
// for the widget header, problems first. Pure, so it is tested without a DOM.

import type { ContainerStatus } from "../../types/generated/ContainerStatus";
import type { LedState } from "../../lib/status";

/** running = circle, paused/restarting = triangle, exited/dead = square, else hollow. */
export function containerLed(state: string): LedState {
  switch (state) {
    case "running":
      return "online";
    case "paused":
    case "restarting":
      return "warning";
    case "exited":
    case "dead":
      return "offline";
    default:
      return "unknown";
  }
}

const RANK: Record<LedState, number> = { offline: 0, warning: 1, unknown: 2, online: 3 };

/** Stopped and troubled containers first, then by name. */
export function sortContainers(list: readonly ContainerStatus[]): ContainerStatus[] {
  return [...list].sort(
    (a, b) =>
      RANK[containerLed(a.state)] - RANK[containerLed(b.state)] || a.name.localeCompare(b.name),
  );
}

/** "3 running · 1 stopped" for the widget header ("" for none). */
export function containerSummary(list: readonly ContainerStatus[]): string {
  const running = list.filter((c) => c.state === "running").length;
  const other = list.length - running;
  const parts = [`${running} running`];
  if (other > 0) parts.push(`${other} not running`);
  return list.length ? parts.join(" · ") : "";
}
