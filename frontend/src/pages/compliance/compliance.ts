// Compliance as values: what a machine's status looks like, how a diff's
// mismatches are grouped, how a unified diff's lines are classed, and when an
// apply run is over. Pure, so the page and its tests read the same answers.

import type { LedState } from "../../lib/status";
import type { ApplyStatusResponse } from "../../types/generated/ApplyStatusResponse";
import type { ComplianceMachineSummary } from "../../types/generated/ComplianceMachineSummary";
import type { ComplianceStatus } from "../../types/generated/ComplianceStatus";
import type { ConfigCheckHistoryItem } from "../../types/generated/ConfigCheckHistoryItem";
import type { DiffMismatchItem } from "../../types/generated/DiffMismatchItem";
import type { MismatchType } from "../../types/generated/MismatchType";

/** A machine's compliance status, as the page filters by it. */
export type ComplianceFilter = ComplianceStatus;

export const FILTERS: { filter: ComplianceFilter; led: LedState; word: string }[] = [
  { filter: "compliant", led: "online", word: "compliant" },
  { filter: "non_compliant", led: "warning", word: "non-compliant" },
  { filter: "never_checked", led: "unknown", word: "never checked" },
];

export function isFilter(s: string | null): s is ComplianceFilter {
  return s === "compliant" || s === "non_compliant" || s === "never_checked";
}

/** LED (shape + colour) and words for a compliance verdict. */
export function verdict(
  status: string,
  mismatches: number | null | undefined,
): { led: LedState; label: string } {
  if (status === "compliant") return { led: "online", label: "Compliant" };
  if (status === "non_compliant") {
    const n = mismatches ?? 0;
    return { led: "warning", label: n ? `${n} mismatch${n === 1 ? "" : "es"}` : "Non-compliant" };
  }
  return { led: "unknown", label: "Never checked" };
}

export function machineVerdict(m: ComplianceMachineSummary) {
  return verdict(m.status, m.mismatch_count);
}

export function checkVerdict(c: Pick<ConfigCheckHistoryItem, "is_compliant" | "mismatch_count"> | undefined) {
  if (!c) return verdict("never_checked", null);
  return verdict(c.is_compliant ? "compliant" : "non_compliant", c.mismatch_count);
}

/** The newest check of each pack (the history is newest first). */
export function newestByPack(checks: ConfigCheckHistoryItem[]): Map<string, ConfigCheckHistoryItem> {
  const out = new Map<string, ConfigCheckHistoryItem>();
  for (const c of checks) if (!out.has(c.pack_name)) out.set(c.pack_name, c);
  return out;
}

const KIND_TITLES: Record<MismatchType, string> = {
  missing_file: "Missing files",
  wrong_content: "Content differs",
  wrong_permissions: "Wrong permissions",
  wrong_owner: "Wrong owner",
  wrong_type: "Wrong file type",
  unexpected_file: "Unexpected files",
  missing_package: "Missing packages",
  wrong_version: "Package too old",
  wrong_setting: "Settings differ",
  wrong_service: "Services differ",
  check_error: "Could not check",
};

export function kindTitle(t: MismatchType): string {
  return KIND_TITLES[t] ?? t;
}

/** Mismatches grouped by kind, in a stable order (files first, errors last). */
export function groupByKind(items: DiffMismatchItem[]): { kind: MismatchType; title: string; items: DiffMismatchItem[] }[] {
  const order = Object.keys(KIND_TITLES) as MismatchType[];
  const groups = new Map<MismatchType, DiffMismatchItem[]>();
  for (const m of items) {
    const g = groups.get(m.type);
    if (g) g.push(m);
    else groups.set(m.type, [m]);
  }
  const rank = (k: MismatchType) => {
    const i = order.indexOf(k);
    return i < 0 ? order.length : i;
  };
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([kind, list]) => ({ kind, title: kindTitle(kind), items: list }));
}

/** What differs, in words, for a mismatch without a content diff. */
export function mismatchDetail(m: DiffMismatchItem): string {
  const e = m.expected;
  const a = m.actual;
  switch (m.type) {
    case "missing_file":
      return "does not exist on the machine";
    case "wrong_permissions":
      return `mode ${a.mode ?? "?"}, expected ${e.mode ?? "?"}`;
    case "wrong_owner":
      return `owner ${a.owner ?? "?"}, expected ${e.owner ?? "?"}`;
    case "wrong_type":
      return `is a ${a.file_type ?? "?"}, expected a ${e.file_type ?? "?"}`;
    case "unexpected_file":
      return "exists but the pack says it should not";
    case "missing_package":
      return e.min_version ? `not installed (needs ${e.min_version} or newer)` : "not installed";
    case "wrong_version":
      return `version ${a.version ?? "?"}, needs ${e.min_version ?? "?"} or newer`;
    case "wrong_setting":
      return `is ${a.value ?? "(unset)"}, expected ${e.value ?? "?"}`;
    case "wrong_service": {
      const state = (enabled: boolean | null, running: boolean | null) =>
        [enabled == null ? null : enabled ? "enabled" : "disabled", running == null ? null : running ? "running" : "stopped"]
          .filter(Boolean)
          .join(", ");
      return `${state(a.enabled, a.running) || "?"}, expected ${state(e.enabled, e.running) || "?"}`;
    }
    case "check_error":
      return a.error ?? "the check failed";
    case "wrong_content":
      return "content differs";
  }
  return "";
}

export type DiffLineKind = "file" | "hunk" | "add" | "remove" | "context";

/** Classes each unified-diff line; the sign stays in the text as well as the colour. */
export function diffLines(diff: string): { kind: DiffLineKind; text: string }[] {
  const lines = diff.replace(/\n$/, "").split("\n");
  return lines.map((text) => {
    if (text.startsWith("+++") || text.startsWith("---")) return { kind: "file", text };
    if (text.startsWith("@@")) return { kind: "hunk", text };
    if (text.startsWith("+")) return { kind: "add", text };
    if (text.startsWith("-")) return { kind: "remove", text };
    return { kind: "context", text };
  });
}

/** The run is over: stop polling. */
export function applyFinished(s: Pick<ApplyStatusResponse, "status">): boolean {
  return s.status === "completed" || s.status === "failed";
}

/** 0–100, whatever the hub sent. */
export function clampProgress(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.max(0, Math.min(100, Math.round(p)));
}
