// "9 online · 1 offline · 2 warnings": each count is a filter toggle.

import type { FleetSummary, LedState, StatusFilter } from "../../lib/status";
import { StatusLed } from "../../components/StatusLed";

const ITEMS: { filter: StatusFilter; led: LedState; word: (n: number) => string }[] = [
  { filter: "online", led: "online", word: () => "online" },
  { filter: "offline", led: "offline", word: () => "offline" },
  { filter: "warning", led: "warning", word: (n) => (n === 1 ? "warning" : "warnings") },
];

export function SummaryBar({
  summary,
  active,
  onChange,
}: {
  summary: FleetSummary;
  active: StatusFilter | null;
  onChange: (f: StatusFilter | null) => void;
}) {
  return (
    <div role="group" aria-label="Filter by status" className="flex flex-wrap items-center gap-1">
      {ITEMS.map(({ filter, led, word }, i) => {
        const n = summary[filter];
        const pressed = active === filter;
        return (
          <span key={filter} className="flex items-center gap-1">
            {i > 0 && <span aria-hidden="true" className="text-text-muted">·</span>}
            <button
              type="button"
              aria-pressed={pressed}
              onClick={() => onChange(pressed ? null : filter)}
              className={`rounded-md border px-2.5 py-1 transition-colors ${
                pressed
                  ? "border-accent bg-bg-tertiary"
                  : "border-transparent hover:border-border-default hover:bg-bg-tertiary"
              }`}
            >
              <StatusLed
                state={n === 0 && filter !== "online" ? "unknown" : led}
                label={`${n} ${word(n)}`}
                className="text-sm"
              />
            </button>
          </span>
        );
      })}
      {active && (
        <button
          type="button"
          onClick={() => onChange(null)}
          className="ml-2 text-xs text-accent underline hover:text-accent-hover"
        >
          Show all
        </button>
      )}
    </div>
  );
}
