import { describe, expect, it } from "vitest";
import type { DiffMismatchItem } from "../../types/generated/DiffMismatchItem";
import {
  applyFinished,
  checkVerdict,
  clampProgress,
  diffLines,
  groupByKind,
  mismatchDetail,
  newestByPack,
  verdict,
} from "./compliance";

const none = {
  exists: null,
  mode: null,
  hash: null,
  installed: null,
  version: null,
  value: null,
  owner: null,
  file_type: null,
  enabled: null,
  running: null,
  error: null,
};
const want = { ...none, min_version: null };

function mismatch(over: Partial<DiffMismatchItem>): DiffMismatchItem {
  return { type: "missing_file", category: "files", item: "/etc/x", expected: want, actual: none, diff: null, ...over };
}

describe("compliance values", () => {
  it("gives every verdict a shape-bearing LED and words", () => {
    expect(verdict("compliant", 0)).toEqual({ led: "online", label: "Compliant" });
    expect(verdict("non_compliant", 1)).toEqual({ led: "warning", label: "1 mismatch" });
    expect(verdict("non_compliant", 3).label).toBe("3 mismatches");
    expect(verdict("never_checked", null)).toEqual({ led: "unknown", label: "Never checked" });
    expect(checkVerdict(undefined).label).toBe("Never checked");
    expect(checkVerdict({ is_compliant: false, mismatch_count: 2 }).label).toBe("2 mismatches");
  });

  it("keeps the newest check of each pack", () => {
    const c = (id: number, pack_name: string) => ({
      id,
      pack_name,
      is_compliant: true,
      mismatch_count: 0,
      checked_at: "2026-01-10T12:00:00Z",
      check_duration_ms: 5,
    });
    const m = newestByPack([c(9, "base"), c(8, "developer-lite"), c(7, "base")]);
    expect(m.get("base")?.id).toBe(9);
    expect(m.get("developer-lite")?.id).toBe(8);
  });

  it("groups mismatches by kind, files first and errors last", () => {
    const groups = groupByKind([
      mismatch({ type: "check_error", item: "curl" }),
      mismatch({ type: "missing_package", category: "packages", item: "jq" }),
      mismatch({ type: "wrong_content", item: "/etc/a" }),
      mismatch({ type: "missing_package", category: "packages", item: "curl" }),
    ]);
    expect(groups.map((g) => [g.title, g.items.length])).toEqual([
      ["Content differs", 1],
      ["Missing packages", 2],
      ["Could not check", 1],
    ]);
  });

  it("says what differs for items without a diff", () => {
    expect(mismatchDetail(mismatch({ type: "wrong_permissions", expected: { ...want, mode: "0644" }, actual: { ...none, mode: "0600" } }))).toBe(
      "mode 0600, expected 0644",
    );
    expect(mismatchDetail(mismatch({ type: "wrong_setting", expected: { ...want, value: "vim" }, actual: none }))).toBe(
      "is (unset), expected vim",
    );
    expect(
      mismatchDetail(
        mismatch({ type: "wrong_service", expected: { ...want, enabled: true, running: true }, actual: { ...none, enabled: false, running: false } }),
      ),
    ).toBe("disabled, stopped, expected enabled, running");
  });

  it("classes unified diff lines, keeping the signs", () => {
    const lines = diffLines("--- /etc/motd\n+++ pack\n@@ -1 +1 @@\n-old\n+new\n same\n");
    expect(lines.map((l) => l.kind)).toEqual(["file", "file", "hunk", "remove", "add", "context"]);
    expect(lines[3].text).toBe("-old");
    expect(lines[4].text).toBe("+new");
  });

  it("knows when a run is over and keeps progress in 0–100", () => {
    expect(applyFinished({ status: "running" })).toBe(false);
    expect(applyFinished({ status: "completed" })).toBe(true);
    expect(applyFinished({ status: "failed" })).toBe(true);
    expect(clampProgress(140)).toBe(100);
    expect(clampProgress(-3)).toBe(0);
    expect(clampProgress(Number.NaN)).toBe(0);
    expect(clampProgress(33.4)).toBe(33);
  });
});
