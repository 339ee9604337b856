// A labelled usage bar (CPU / RAM / disk). The fill turns amber and red at
// the same levels the default alert thresholds use.

import { percent } from "../lib/format";

export function usageColour(v: number): string {
  if (v >= 90) return "bg-status-error";
  if (v >= 80) return "bg-status-warning";
  return "bg-accent";
}

export function UsageBar({
  label,
  value,
  detail,
  hideLabel = false,
}: {
  label: string;
  value: number | null | undefined;
  detail?: string;
  /** Keep the label for screen readers only (tables already name the row). */
  hideLabel?: boolean;
}) {
  const v = value == null ? null : Math.min(100, Math.max(0, value));
  return (
    <div className="min-w-0">
      <div className="flex items-baseline justify-between gap-2 text-xs">
        <span className={hideLabel ? "sr-only" : "text-text-tertiary"}>{label}</span>
        <span className="truncate font-mono text-text-secondary" title={detail}>
          {percent(value)}
        </span>
      </div>
      <div
        className="mt-1 h-1.5 overflow-hidden rounded-full bg-bg-tertiary"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={v ?? undefined}
        aria-valuetext={v == null ? "no data" : `${Math.round(v)}%`}
      >
        {v != null && <div className={`h-full rounded-full ${usageColour(v)}`} style={{ width: `${v}%` }} />}
      </div>
    </div>
  );
}
