// The machine page's widget grid as values: which widgets exist, the default
// layout per breakpoint, merging a saved layout with widgets added since, and
// keyboard moves. Pure, so it is tested without a DOM or react-grid-layout.

import type { LayoutItem } from "../../types/generated/LayoutItem";
import type { WidgetLayouts } from "../../types/generated/WidgetLayouts";

export type Breakpoint = keyof WidgetLayouts;
export const BREAKPOINT_NAMES: Breakpoint[] = ["lg", "md", "sm", "xs"];

/** Container widths (px) where each breakpoint starts, as the API documents them. */
export const BREAKPOINTS: Record<Breakpoint, number> = { lg: 1200, md: 996, sm: 768, xs: 0 };
export const COLS: Record<Breakpoint, number> = { lg: 12, md: 10, sm: 6, xs: 1 };
export const ROW_HEIGHT = 30;
export const MARGIN: [number, number] = [16, 16];

export type WidgetId =
  | "cpu"
  | "memory"
  | "resources"
  | "alerts"
  | "updates"
  | "filesystems"
  | "network"
  | "services"
  | "containers"
  | "system"
  | "compliance";

export interface WidgetSpec {
  id: WidgetId;
  title: string;
  /** Default height in rows. */
  h: number;
  minW: number;
  minH: number;
}

/** Every widget, in the order of the default layout and of a phone's column. */
export const WIDGETS: WidgetSpec[] = [
  { id: "cpu", title: "CPU", h: 8, minW: 3, minH: 6 },
  { id: "alerts", title: "Open alerts", h: 8, minW: 2, minH: 4 },
  { id: "memory", title: "Memory history", h: 8, minW: 3, minH: 6 },
  { id: "resources", title: "Memory and disk", h: 8, minW: 2, minH: 6 },
  { id: "filesystems", title: "Filesystems", h: 7, minW: 3, minH: 4 },
  { id: "network", title: "Network interfaces", h: 7, minW: 2, minH: 4 },
  { id: "containers", title: "Containers", h: 8, minW: 2, minH: 4 },
  { id: "services", title: "Services", h: 8, minW: 2, minH: 4 },
  { id: "updates", title: "Pending updates", h: 8, minW: 2, minH: 4 },
  { id: "system", title: "System", h: 8, minW: 2, minH: 6 },
  { id: "compliance", title: "Compliance", h: 8, minW: 2, minH: 4 },
];

const SPEC = new Map(WIDGETS.map((w) => [w.id, w]));

export function isWidgetId(id: string): id is WidgetId {
  return SPEC.has(id as WidgetId);
}

function item(id: WidgetId, x: number, y: number, w: number, cols: number): LayoutItem {
  const s = SPEC.get(id)!;
  return { i: id, x, y, w, h: s.h, minW: Math.min(s.minW, cols), minH: s.minH };
}

/**
 * Rows of widgets: each row shares the width by the given fractions
 * (of 12) and starts below the tallest widget of the row before.
 */
function rows(cols: number, spec: [WidgetId, number][][]): LayoutItem[] {
  const out: LayoutItem[] = [];
  let y = 0;
  for (const row of spec) {
    let x = 0;
    let tallest = 0;
    row.forEach(([id, twelfths], k) => {
      // The last widget takes what is left, so a row always fills the width.
      const w = k === row.length - 1 ? cols - x : Math.max(1, Math.round((twelfths * cols) / 12));
      const it = item(id, x, y, w, cols);
      out.push(it);
      x += w;
      tallest = Math.max(tallest, it.h);
    });
    y += tallest;
  }
  return out;
}

/** The layout of a machine without a saved one. */
export function defaultLayouts(): WidgetLayouts {
  const wide: [WidgetId, number][][] = [
    [["cpu", 8], ["alerts", 4]],
    [["memory", 6], ["resources", 6]],
    [["filesystems", 7], ["network", 5]],
    [["containers", 7], ["services", 5]],
    [["updates", 4], ["system", 4], ["compliance", 4]],
  ];
  const pairs: [WidgetId, number][][] = [
    [["cpu", 12]],
    [["alerts", 6], ["resources", 6]],
    [["memory", 12]],
    [["filesystems", 12]],
    [["containers", 12]],
    [["network", 6], ["services", 6]],
    [["updates", 6], ["system", 6]],
    [["compliance", 12]],
  ];
  return {
    lg: rows(COLS.lg, wide),
    md: rows(COLS.md, wide),
    sm: rows(COLS.sm, pairs),
    xs: rows(
      COLS.xs,
      WIDGETS.map((w) => [[w.id, 12]]),
    ),
  };
}

/** One breakpoint's saved items kept in bounds, unknown widgets dropped, new ones appended. */
function mergeOne(saved: LayoutItem[] | undefined, fallback: LayoutItem[], cols: number): LayoutItem[] {
  if (!saved || saved.length === 0) return fallback;
  const seen = new Set<string>();
  const kept: LayoutItem[] = [];
  for (const it of saved) {
    if (!isWidgetId(it.i) || seen.has(it.i)) continue;
    seen.add(it.i);
    const spec = SPEC.get(it.i)!;
    const w = Math.min(Math.max(1, it.w), cols);
    kept.push({
      i: it.i,
      x: Math.min(Math.max(0, it.x), cols - w),
      y: Math.max(0, it.y),
      w,
      h: Math.max(1, it.h),
      minW: Math.min(spec.minW, cols),
      minH: spec.minH,
    });
  }
  let bottom = kept.reduce((m, it) => Math.max(m, it.y + it.h), 0);
  for (const f of fallback) {
    if (seen.has(f.i)) continue;
    kept.push({ ...f, x: 0, y: bottom, w: cols });
    bottom += f.h;
  }
  return kept;
}

/** A saved layout made safe to show: every known widget once, inside the grid. */
export function mergeLayouts(saved: WidgetLayouts | null | undefined): WidgetLayouts {
  const defaults = defaultLayouts();
  if (!saved) return defaults;
  const out = {} as WidgetLayouts;
  for (const bp of BREAKPOINT_NAMES) out[bp] = mergeOne(saved[bp], defaults[bp], COLS[bp]);
  return out;
}

/** What the hub stores: only the API's fields (react-grid-layout adds its own). */
export function toSaved(layouts: Partial<Record<string, readonly LayoutItem[]>>): WidgetLayouts {
  const defaults = defaultLayouts();
  const out = {} as WidgetLayouts;
  for (const bp of BREAKPOINT_NAMES) {
    const items = layouts[bp] ?? defaults[bp];
    out[bp] = items.map(({ i, x, y, w, h, minW, minH }) => ({
      i,
      x,
      y,
      w,
      h,
      ...(minW != null ? { minW } : {}),
      ...(minH != null ? { minH } : {}),
    }));
  }
  return out;
}

export type NudgeKey = "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown";

/** The fields nudge reads: the API's items and react-grid-layout's both have them. */
export interface Cell {
  i: string;
  x: number;
  y: number;
  w: number;
  h: number;
  minW?: number | null;
  minH?: number | null;
}

const overlapsX = (a: Cell, b: Cell) => a.x < b.x + b.w && b.x < a.x + a.w;

/**
 * Keyboard layout editing: left/right move the widget one column, up/down
 * swap it with the nearest widget above or below it; with `resize` the
 * arrows grow (right, down) or shrink (left, up) it instead. It stays
 * inside the grid and at or above its minimum size; the grid compacts after.
 */
export function nudge<T extends Cell>(
  items: readonly T[],
  id: string,
  key: NudgeKey,
  resize: boolean,
  cols: number,
): T[] {
  const it = items.find((x) => x.i === id);
  if (!it) return [...items];
  const changed = new Map<string, T>();
  const next = { ...it };
  if (resize) {
    if (key === "ArrowRight") next.w = Math.min(it.w + 1, cols - it.x);
    if (key === "ArrowLeft") next.w = Math.max(it.w - 1, it.minW ?? 1, 1);
    if (key === "ArrowDown") next.h = it.h + 1;
    if (key === "ArrowUp") next.h = Math.max(it.h - 1, it.minH ?? 1, 1);
  } else if (key === "ArrowRight" || key === "ArrowLeft") {
    next.x = key === "ArrowRight" ? Math.min(it.x + 1, cols - it.w) : Math.max(it.x - 1, 0);
  } else {
    // The widgets right above (or below) that share columns with this one
    // trade places with it; the grid compacts the rest.
    const others = items.filter((o) => o.i !== id && overlapsX(o, it));
    if (key === "ArrowUp") {
      const above = others.filter((o) => o.y + o.h <= it.y);
      const edge = Math.max(...above.map((o) => o.y + o.h));
      const row = above.filter((o) => o.y + o.h === edge);
      if (row.length > 0) {
        next.y = Math.min(...row.map((o) => o.y));
        for (const o of row) changed.set(o.i, { ...o, y: o.y + it.h });
      }
    } else {
      const below = others.filter((o) => o.y >= it.y + it.h);
      const edge = Math.min(...below.map((o) => o.y));
      const row = below.filter((o) => o.y === edge);
      if (row.length > 0) {
        for (const o of row) changed.set(o.i, { ...o, y: it.y });
        next.y = it.y + Math.max(...row.map((o) => o.h));
      }
    }
  }
  changed.set(id, next);
  return items.map((x) => changed.get(x.i) ?? x);
}
