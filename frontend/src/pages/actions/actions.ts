// What actions and audit rows look like on screen. Pure, so the page's
// choices (LED per status, words per action, what can be done next) are
// tested without a DOM.

import type { ActionResponse } from "../../types/generated/ActionResponse";
import type { LedState } from "../../lib/status";

/**
 * LED per action status (shape + word, never colour alone): completed =
 * circle, pending = triangle (waits for someone), failed = square, and the
 * rest hollow (queued, running, or stopped by someone).
 */
export function actionLed(status: string): LedState {
  switch (status) {
    case "completed":
      return "online";
    case "pending":
      return "warning";
    case "failed":
      return "offline";
    default:
      return "unknown";
  }
}

const STATUS_WORDS: Record<string, string> = {
  pending: "awaiting approval",
  approved: "queued",
  executing: "running",
  completed: "completed",
  failed: "failed",
  rejected: "rejected",
  cancelled: "cancelled",
};

export function actionStatusLabel(status: string): string {
  return STATUS_WORDS[status] ?? status;
}

const TYPE_WORDS: Record<string, string> = {
  restart_service: "Restart",
  clear_logs: "Clear logs",
  apt_update: "Refresh package lists",
  apt_upgrade_all: "Upgrade all packages",
  apt_upgrade_security: "Security upgrades",
  reboot: "Reboot",
  custom: "Command",
};

/**
 * "Restart nginx", "Security upgrades", ... A type this dashboard has no
 * words for (a newer hub's) is shown as sent.
 */
export function describeAction(
  a: Pick<ActionResponse, "service_name"> & { action_type: ActionResponse["action_type"] | string },
): string {
  const words = TYPE_WORDS[a.action_type] ?? a.action_type;
  return a.service_name ? `${words} ${a.service_name}` : words;
}

/** Pending or approved and not started: it can still be called off. */
export function canCancel(status: string): boolean {
  return status === "pending" || status === "approved";
}

/** Still moving: the page polls faster while any action is. */
export function isInFlight(status: string): boolean {
  return status === "approved" || status === "executing";
}

/** Whether there is anything to show in the terminal block. */
export function hasOutput(a: Pick<ActionResponse, "stdout" | "stderr" | "exit_code">): boolean {
  return !!a.stdout || !!a.stderr || a.exit_code != null;
}

/** Audit outcomes: completed = circle, rejected/failed = square, allowed (started) = hollow. */
export function auditLed(outcome: string): LedState {
  switch (outcome) {
    case "completed":
      return "online";
    case "failed":
    case "rejected":
      return "offline";
    default:
      return "unknown";
  }
}

/** Milliseconds as "850 ms" / "2.4 s" / "3 min 5 s". */
export function duration(ms: number | null | undefined): string {
  if (ms == null) return "–";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
