// The machine page's editable widget grid (react-grid-layout). Widgets are
// fixed in place until "Edit layout"; then each has a handle to drag (or to
// focus and move with the arrow keys, Shift + arrows resize) and a corner to
// resize. "Save layout" stores it for this machine on the hub; "Reset layout"
// goes back to the default.

import { useCallback, useEffect, useId, useRef, useState } from "react";
import {
  getBreakpointFromWidth,
  Responsive,
  useContainerWidth,
  verticalCompactor,
  type LayoutItem as GridItem,
} from "react-grid-layout";
import "react-grid-layout/css/styles.css";
import "./WidgetGrid.css";
import { api } from "../../api/client";
import { PanelChrome } from "../../components/Panel";
import { GripIcon } from "../../components/icons";
import type { WidgetLayouts } from "../../types/generated/WidgetLayouts";
import {
  BREAKPOINT_NAMES,
  BREAKPOINTS,
  COLS,
  MARGIN,
  mergeLayouts,
  nudge,
  ROW_HEIGHT,
  toSaved,
  WIDGETS,
  type Breakpoint,
  type NudgeKey,
  type WidgetId,
} from "./layout";

type GridLayouts = Record<Breakpoint, GridItem[]>;

/** The API's items (nullable minimums) as react-grid-layout's. */
function toGrid(l: WidgetLayouts): GridLayouts {
  const out = {} as GridLayouts;
  for (const bp of BREAKPOINT_NAMES) {
    out[bp] = l[bp].map(({ i, x, y, w, h, minW, minH }) => ({
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

const ARROWS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"]);

const button =
  "rounded-md border border-border-strong px-3 py-1.5 text-sm font-medium text-text-secondary hover:border-accent hover:text-accent disabled:opacity-50";

export function WidgetGrid({
  machineId,
  widgets,
}: {
  machineId: string;
  widgets: Record<WidgetId, React.ReactNode>;
}) {
  const hintId = useId();
  const [layouts, setLayouts] = useState<GridLayouts | null>(null);
  const [saved, setSaved] = useState(false);
  const [editing, setEditing] = useState(false);
  const [before, setBefore] = useState<GridLayouts | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  // react-grid-layout does not reliably follow layouts changed from outside
  // while it holds its own copy; changes made here (keyboard, cancel, reset)
  // remount it with the new layout instead.
  const [revision, setRevision] = useState(0);
  const refocus = useRef<WidgetId | null>(null);
  const { width, containerRef, mounted } = useContainerWidth();
  // The grid picks its breakpoint from the container width; so do we.
  const breakpoint = getBreakpointFromWidth(BREAKPOINTS, width) as Breakpoint;

  useEffect(() => {
    const ctrl = new AbortController();
    api
      .getLayout(machineId, ctrl.signal)
      .then((res) => {
        setLayouts(toGrid(mergeLayouts(res.layouts)));
        setSaved(res.layouts !== null);
      })
      .catch(() => {
        // No saved layout can be read: show the default, saving still works.
        if (!ctrl.signal.aborted) setLayouts(toGrid(mergeLayouts(null)));
      });
    return () => ctrl.abort();
  }, [machineId]);

  // Only the operator's drags and resizes count, and only at the breakpoint
  // on screen: the grid also reports layouts it derives while mounting or
  // measuring, which must not overwrite the saved ones.
  const editingRef = useRef(false);
  editingRef.current = editing;
  const breakpointRef = useRef(breakpoint);
  breakpointRef.current = breakpoint;
  const onLayoutChange = useCallback(
    (_: readonly GridItem[], all: Partial<Record<string, readonly GridItem[]>>) => {
      if (!editingRef.current) return;
      const bp = breakpointRef.current;
      const items = all[bp];
      if (!items) return;
      setLayouts((prev) => (prev ? { ...prev, [bp]: items.map((it) => ({ ...it })) } : prev));
    },
    [],
  );

  const onHandleKey = (id: WidgetId) => (e: React.KeyboardEvent) => {
    if (!ARROWS.has(e.key)) return;
    e.preventDefault();
    setLayouts((prev) => {
      if (!prev) return prev;
      const cols = COLS[breakpoint];
      const moved = nudge(prev[breakpoint], id, e.key as NudgeKey, e.shiftKey, cols);
      return { ...prev, [breakpoint]: [...verticalCompactor.compact(moved, cols)] };
    });
    refocus.current = id;
    setRevision((r) => r + 1);
  };

  // After a keyboard move the grid was remounted: give the handle its focus back.
  useEffect(() => {
    const id = refocus.current;
    if (!id) return;
    refocus.current = null;
    containerRef.current?.querySelector<HTMLElement>(`[data-widget="${id}"] .widget-handle`)?.focus();
  }, [revision, containerRef]);

  const startEditing = () => {
    setBefore(layouts);
    setEditing(true);
    setMessage(null);
  };

  // Unmount the grid, then show `next` in a fresh one: the old grid can no
  // longer report its own copy over it.
  const replaceLayouts = (next: GridLayouts) => {
    setLayouts(null);
    setRevision((r) => r + 1);
    requestAnimationFrame(() => setLayouts(next));
  };

  const cancel = () => {
    if (before) replaceLayouts(before);
    setEditing(false);
    setMessage(null);
  };

  const save = async () => {
    if (!layouts) return;
    setBusy(true);
    try {
      await api.saveLayout(machineId, toSaved(layouts));
      setSaved(true);
      setEditing(false);
      setMessage({ error: false, text: "Layout saved for this machine." });
    } catch (e) {
      setMessage({ error: true, text: `Could not save the layout: ${e instanceof Error ? e.message : e}` });
    } finally {
      setBusy(false);
    }
  };

  const reset = async () => {
    setBusy(true);
    try {
      await api.resetLayout(machineId);
      replaceLayouts(toGrid(mergeLayouts(null)));
      setSaved(false);
      setEditing(false);
      setMessage({ error: false, text: "Back to the default layout." });
    } catch (e) {
      setMessage({ error: true, text: `Could not reset the layout: ${e instanceof Error ? e.message : e}` });
    } finally {
      setBusy(false);
    }
  };

  const current = layouts?.[breakpoint] ?? [];
  const position = new Map(current.map((it) => [it.i, it]));

  return (
    <div className="mt-6" data-layout-source={saved ? "saved" : "default"}>
      <div className="mb-3 flex flex-wrap items-center justify-end gap-2">
        <span className="mr-auto font-mono text-xs text-text-tertiary" aria-live="polite">
          {message ? (
            <span role={message.error ? "alert" : undefined} className={message.error ? "text-status-error" : ""}>
              {message.text}
            </span>
          ) : saved ? (
            "Custom layout"
          ) : (
            "Default layout"
          )}
        </span>
        {editing ? (
          <>
            <button type="button" className={button} onClick={save} disabled={busy}>
              Save layout
            </button>
            <button type="button" className={button} onClick={cancel} disabled={busy}>
              Cancel
            </button>
            <button type="button" className={button} onClick={reset} disabled={busy}>
              Reset layout
            </button>
          </>
        ) : (
          <>
            <button type="button" className={button} onClick={startEditing} disabled={!layouts}>
              Edit layout
            </button>
            {saved && (
              <button type="button" className={button} onClick={reset} disabled={busy}>
                Reset layout
              </button>
            )}
          </>
        )}
      </div>
      {editing && (
        <p id={hintId} className="mb-3 rounded border border-accent/40 bg-bg-secondary p-2 text-xs text-text-secondary">
          Drag a widget by its handle and resize it from its lower right corner. From the keyboard: Tab to a
          handle, arrow keys move the widget, Shift + arrow keys resize it.
        </p>
      )}
      <div ref={containerRef} className={editing ? "widget-grid-editing" : ""}>
        {mounted && layouts && (
          <Responsive
            key={revision}
            width={width}
            layouts={layouts}
            breakpoints={BREAKPOINTS}
            cols={COLS}
            rowHeight={ROW_HEIGHT}
            margin={MARGIN}
            containerPadding={[0, 0]}
            dragConfig={{ enabled: editing, handle: ".widget-handle" }}
            resizeConfig={{ enabled: editing }}
            onLayoutChange={onLayoutChange}
          >
            {WIDGETS.map((w) => {
              const it = position.get(w.id);
              return (
                <div
                  key={w.id}
                  data-widget={w.id}
                  data-x={it?.x}
                  data-y={it?.y}
                  data-w={it?.w}
                  data-h={it?.h}
                  className={editing ? "rounded-lg ring-1 ring-accent/40" : ""}
                >
                  <PanelChrome.Provider
                    value={
                      editing ? (
                        <button
                          type="button"
                          className="widget-handle cursor-move rounded p-0.5 text-text-tertiary hover:bg-bg-tertiary hover:text-accent"
                          aria-label={`Move or resize ${w.title}`}
                          aria-describedby={hintId}
                          onKeyDown={onHandleKey(w.id)}
                        >
                          <GripIcon className="h-4 w-4" />
                        </button>
                      ) : null
                    }
                  >
                    {widgets[w.id]}
                  </PanelChrome.Provider>
                </div>
              );
            })}
          </Responsive>
        )}
      </div>
    </div>
  );
}
