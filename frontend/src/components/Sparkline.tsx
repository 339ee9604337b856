// A tiny SVG sparkline. Hand-drawn rather than Recharts so the dashboard's
// first load stays small (Recharts loads with the detail page only).

export function sparklinePath(values: (number | null)[], width: number, height: number): string {
  const pts = values
    .map((v, i) => (v == null ? null : ([i, v] as const)))
    .filter((p): p is readonly [number, number] => p !== null);
  if (pts.length === 0) return "";
  const span = Math.max(1, values.length - 1);
  return pts
    .map(([i, v], k) => {
      const x = (i / span) * width;
      const y = height - (Math.min(100, Math.max(0, v)) / 100) * height;
      return `${k === 0 ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

export function Sparkline({
  values,
  label,
  colour = "var(--color-chart-cpu)",
}: {
  values: (number | null)[];
  label: string;
  colour?: string;
}) {
  const w = 120;
  const h = 28;
  const d = sparklinePath(values, w, h);
  return (
    <svg
      viewBox={`0 0 ${w} ${h}`}
      preserveAspectRatio="none"
      className="h-7 w-full"
      role="img"
      aria-label={label}
    >
      <line x1="0" y1={h - 0.5} x2={w} y2={h - 0.5} stroke="var(--color-border-default)" />
      {d && (
        <path d={d} fill="none" stroke={colour} strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
      )}
    </svg>
  );
}
