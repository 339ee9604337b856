// What a machine's status looks like on screen. Pure: the LED, the summary
// bar and the filters all read the same answer.

import type { ServerResponse } from "../types/generated/ServerResponse";
import { relativeTime } from "./format";

/** LED states. Each has its own shape, so status is never colour alone. */
export type LedState = "online" | "warning" | "offline" | "unknown";

export interface MachineStatus {
  led: LedState;
  /** Text shown next to the LED. */
  label: string;
  paused: boolean;
}

export function isWorkstation(m: Pick<ServerResponse, "machine_type">): boolean {
  return m.machine_type === "workstation";
}

export function machineStatus(m: ServerResponse, now: Date = new Date()): MachineStatus {
  const paused = m.is_paused;
  if (m.status === "online") {
    if (m.active_alert_count > 0) {
      const n = m.active_alert_count;
      return { led: "warning", label: `${n} alert${n === 1 ? "" : "s"}`, paused };
    }
    return { led: "online", label: "Online", paused };
  }
  if (m.status === "offline") return { led: "offline", label: "Offline", paused };
  // A workstation that is not up is not a problem: say when it was last seen.
  if (isWorkstation(m) && m.last_seen) {
    return { led: "unknown", label: `Last seen ${relativeTime(m.last_seen, now)}`, paused };
  }
  return { led: "unknown", label: m.last_seen ? "Unknown" : "Never seen", paused };
}

export type StatusFilter = "online" | "offline" | "warning";

export interface FleetSummary {
  online: number;
  offline: number;
  warning: number;
}

/** Counts for the summary bar; a machine can be both online and warning. */
export function summarize(machines: ServerResponse[]): FleetSummary {
  let online = 0;
  let offline = 0;
  let warning = 0;
  for (const m of machines) {
    if (m.status === "online") online++;
    if (m.status === "offline") offline++;
    if (m.active_alert_count > 0) warning++;
  }
  return { online, offline, warning };
}

export function matchesFilter(m: ServerResponse, filter: StatusFilter | null): boolean {
  switch (filter) {
    case null:
      return true;
    case "online":
      return m.status === "online";
    case "offline":
      return m.status === "offline";
    case "warning":
      return m.active_alert_count > 0;
  }
}

export function displayName(m: Pick<ServerResponse, "display_name" | "hostname" | "id">): string {
  return m.display_name || m.hostname || m.id;
}

export function matchesSearch(m: ServerResponse, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [m.id, m.hostname, m.display_name, m.ip_address, m.tailscale_hostname, m.os_distribution]
    .filter((v): v is string => !!v)
    .some((v) => v.toLowerCase().includes(q));
}
