import { describe, expect, it } from "vitest";
import type { LayoutItem } from "../../types/generated/LayoutItem";
import { BREAKPOINT_NAMES, COLS, defaultLayouts, mergeLayouts, nudge, toSaved, WIDGETS } from "./layout";

const overlap = (a: LayoutItem, b: LayoutItem) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe("default widget layout", () => {
  const d = defaultLayouts();

  it("places every widget once per breakpoint, inside the grid, without overlaps", () => {
    for (const bp of BREAKPOINT_NAMES) {
      const items = d[bp];
      expect(items.map((i) => i.i).sort()).toEqual(WIDGETS.map((w) => w.id).sort());
      for (const it of items) {
        expect(it.x).toBeGreaterThanOrEqual(0);
        expect(it.x + it.w).toBeLessThanOrEqual(COLS[bp]);
      }
      for (let a = 0; a < items.length; a++) {
        for (let b = a + 1; b < items.length; b++) {
          expect(overlap(items[a], items[b]), `${bp}: ${items[a].i} / ${items[b].i}`).toBe(false);
        }
      }
    }
  });

  it("stacks one column on a phone, CPU first", () => {
    expect(d.xs.every((it) => it.x === 0 && it.w === 1)).toBe(true);
    expect(d.xs[0].i).toBe("cpu");
  });
});

describe("merging a saved layout", () => {
  it("returns the default when nothing is saved", () => {
    expect(mergeLayouts(null)).toEqual(defaultLayouts());
  });

  it("keeps saved positions, drops unknown and duplicate widgets, appends new ones", () => {
    const saved = {
      lg: [
        { i: "cpu", x: 4, y: 0, w: 8, h: 10 },
        { i: "gone", x: 0, y: 0, w: 4, h: 4 },
        { i: "cpu", x: 0, y: 20, w: 2, h: 2 },
        { i: "system", x: 0, y: 0, w: 4, h: 5 },
      ],
      md: [],
      sm: [],
      xs: [],
    };
    const m = mergeLayouts(saved);
    expect(m.lg.find((i) => i.i === "cpu")).toMatchObject({ x: 4, y: 0, w: 8, h: 10 });
    expect(m.lg.filter((i) => i.i === "cpu")).toHaveLength(1);
    expect(m.lg.some((i) => i.i === "gone")).toBe(false);
    // Widgets the saved layout lacks go below it, full width.
    const alerts = m.lg.find((i) => i.i === "alerts")!;
    expect(alerts.y).toBeGreaterThanOrEqual(10);
    expect(alerts.w).toBe(COLS.lg);
    expect(m.lg).toHaveLength(WIDGETS.length);
    // An empty breakpoint falls back to the default.
    expect(m.md).toEqual(defaultLayouts().md);
  });

  it("pulls widgets back inside a narrower grid", () => {
    const m = mergeLayouts({ lg: [], md: [], sm: [{ i: "cpu", x: 5, y: 0, w: 9, h: 8 }], xs: [] });
    expect(m.sm.find((i) => i.i === "cpu")).toMatchObject({ x: 0, w: COLS.sm });
  });

  it("saves only the API's fields", () => {
    const grid = { lg: [{ i: "cpu", x: 0, y: 0, w: 6, h: 8, minW: 3, moved: false, static: false }] };
    const s = toSaved(grid);
    expect(s.lg).toEqual([{ i: "cpu", x: 0, y: 0, w: 6, h: 8, minW: 3 }]);
    expect(s.md).toEqual(defaultLayouts().md);
  });
});

describe("keyboard nudges", () => {
  const items = [
    { i: "a", x: 0, y: 0, w: 6, h: 4, minW: 3, minH: 2 },
    { i: "b", x: 6, y: 0, w: 6, h: 4 },
    { i: "c", x: 0, y: 4, w: 12, h: 3 },
  ];
  const get = (l: typeof items, id: string) => l.find((i) => i.i === id)!;

  it("moves left and right inside the grid", () => {
    expect(get(nudge(items, "a", "ArrowRight", false, 12), "a").x).toBe(1);
    expect(get(nudge(items, "a", "ArrowLeft", false, 12), "a").x).toBe(0);
    expect(get(nudge(items, "b", "ArrowRight", false, 12), "b").x).toBe(6);
  });

  it("swaps with the widget above or below", () => {
    const up = nudge(items, "c", "ArrowUp", false, 12);
    expect(get(up, "c").y).toBe(0);
    expect(get(up, "a").y).toBe(3);
    expect(get(up, "b").y).toBe(3);
    const down = nudge(items, "a", "ArrowDown", false, 12);
    expect(get(down, "c").y).toBe(0);
    expect(get(down, "a").y).toBe(3);
  });

  it("resizes with Shift, never below the minimum or past the edge", () => {
    expect(get(nudge(items, "a", "ArrowLeft", true, 12), "a").w).toBe(5);
    const small = [{ ...items[0], w: 3 }];
    expect(get(nudge(small, "a", "ArrowLeft", true, 12), "a").w).toBe(3);
    expect(get(nudge(items, "b", "ArrowRight", true, 12), "b").w).toBe(6);
    expect(get(nudge(items, "a", "ArrowDown", true, 12), "a").h).toBe(5);
    expect(get(nudge(items, "a", "ArrowUp", true, 12), "a").h).toBe(3);
  });

  it("leaves the other widgets and an unknown id alone", () => {
    expect(nudge(items, "zzz", "ArrowUp", false, 12)).toEqual(items);
    expect(get(nudge(items, "a", "ArrowRight", false, 12), "c")).toBe(items[2]);
  });
});
