// How alerts look and sort, shared by the alerts page and the machine's
// alerts widget. Pure, tested without a DOM.

import type { AlertResponse } from "../types/generated/AlertResponse";
import type { LedState } from "./status";

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Critical is a square (red), high and medium a triangle (amber), low a hollow circle. */
export function severityLed(severity: string): LedState {
  switch (severity) {
    case "critical":
      return "offline";
    case "high":
    case "medium":
      return "warning";
    default:
      return "unknown";
  }
}

export function severityRank(severity: string): number {
  const i = SEVERITIES.indexOf(severity as Severity);
  return i < 0 ? SEVERITIES.length : i;
}

/** Worst first, then newest first. */
export function sortAlerts(alerts: AlertResponse[]): AlertResponse[] {
  return [...alerts].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      new Date(b.created_at).getTime() - new Date(a.created_at).getTime(),
  );
}

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(alerts: AlertResponse[]): SeverityCounts {
  const out: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const a of alerts) {
    if (a.severity in out) out[a.severity as Severity]++;
  }
  return out;
}

/** Whether notifications of the alert are silenced right now. */
export function isSnoozed(a: Pick<AlertResponse, "snoozed_until">, now: Date = new Date()): boolean {
  return a.snoozed_until != null && new Date(a.snoozed_until).getTime() > now.getTime();
}

/** "CPU 97% (threshold 90%)" when the alert carries values. */
export function alertValues(a: Pick<AlertResponse, "actual_value" | "threshold_value">): string | null {
  if (a.actual_value == null) return null;
  const v = `${Math.round(a.actual_value * 10) / 10}`;
  return a.threshold_value == null ? v : `${v} (threshold ${a.threshold_value})`;
}
