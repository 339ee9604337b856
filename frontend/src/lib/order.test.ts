import { describe, expect, it } from "vitest";
import { applyOrder, moveId } from "./order";
import { matchesFilter, matchesSearch, summarize } from "./status";
import { sparklinePath } from "../components/Sparkline";
import { machine } from "../test/fixtures";

describe("card order", () => {
  const a = machine({ id: "a", display_name: "Alpha" });
  const b = machine({ id: "b", display_name: "Bravo" });
  const c = machine({ id: "c", display_name: "Charlie" });

  it("follows the saved order, new machines after it by name", () => {
    expect(applyOrder([a, b, c], ["c", "a"]).map((m) => m.id)).toEqual(["c", "a", "b"]);
    expect(applyOrder([c, b, a], []).map((m) => m.id)).toEqual(["a", "b", "c"]);
  });

  it("ignores saved ids of machines that are gone", () => {
    expect(applyOrder([a, b], ["zzz", "b"]).map((m) => m.id)).toEqual(["b", "a"]);
  });

  it("moves one id to another's place", () => {
    expect(moveId(["a", "b", "c"], "a", "c")).toEqual(["b", "c", "a"]);
    expect(moveId(["a", "b", "c"], "c", "a")).toEqual(["c", "a", "b"]);
    expect(moveId(["a", "b"], "a", "x")).toEqual(["a", "b"]);
  });
});

describe("fleet summary and filters", () => {
  const fleet = [
    machine({ id: "1", status: "online" }),
    machine({ id: "2", status: "online", active_alert_count: 1 }),
    machine({ id: "3", status: "offline" }),
    machine({ id: "4", status: "unknown", machine_type: "workstation" }),
  ];

  it("counts online, offline and warnings", () => {
    expect(summarize(fleet)).toEqual({ online: 2, offline: 1, warning: 1 });
  });

  it("filters by status", () => {
    expect(fleet.filter((m) => matchesFilter(m, "warning")).map((m) => m.id)).toEqual(["2"]);
    expect(fleet.filter((m) => matchesFilter(m, "offline")).map((m) => m.id)).toEqual(["3"]);
    expect(fleet.filter((m) => matchesFilter(m, null))).toHaveLength(4);
  });

  it("searches name, hostname and IP, case-insensitively", () => {
    const m = machine({ id: "pve", hostname: "pve.lan", display_name: "Proxmox", ip_address: "192.0.2.7" });
    expect(matchesSearch(m, "PROX")).toBe(true);
    expect(matchesSearch(m, "pve")).toBe(true);
    expect(matchesSearch(m, "192.0.2.7")).toBe(true);
    expect(matchesSearch(m, "nas")).toBe(false);
    expect(matchesSearch(m, "  ")).toBe(true);
  });
});

describe("sparkline", () => {
  it("scales 0–100 % to the box and skips gaps", () => {
    expect(sparklinePath([0, null, 100], 100, 10)).toBe("M0.0,10.0 L100.0,0.0");
    expect(sparklinePath([], 100, 10)).toBe("");
  });
});
