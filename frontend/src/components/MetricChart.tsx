// A percentage-over-time chart (Recharts). Reusable: the detail page uses it
// for CPU and memory, the widget grid will reuse it.

import {
  Area,
  AreaChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { MetricPoint } from "../types/generated/MetricPoint";

type PercentKey = "cpu_percent" | "memory_percent" | "disk_percent";

function tick(iso: string, range: string): string {
  const d = new Date(iso);
  if (range === "24h") return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return d.toLocaleDateString([], { month: "short", day: "numeric" });
}

export function MetricChart({
  points,
  metric,
  range,
  colour,
  label,
  height = 220,
}: {
  points: MetricPoint[];
  metric: PercentKey;
  range: string;
  colour: string;
  label: string;
  /** Pixels, or a CSS length such as "100%" inside a sized widget. */
  height?: number | string;
}) {
  const data = points.map((p) => ({ t: p.timestamp, v: p[metric] }));
  const gradient = `fill-${metric}`;
  if (data.length === 0) {
    return (
      <div
        className="flex items-center justify-center rounded border border-dashed border-border-default font-mono text-sm text-text-tertiary"
        style={{ height, minHeight: 120 }}
      >
        No samples in this range
      </div>
    );
  }
  return (
    <figure aria-label={label} data-chart={metric} style={{ height, minHeight: 120 }} className="w-full">
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <defs>
            <linearGradient id={gradient} x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor={colour} stopOpacity={0.35} />
              <stop offset="100%" stopColor={colour} stopOpacity={0} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke="#30363D" strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="t"
            tickFormatter={(t: string) => tick(t, range)}
            stroke="#8B949E"
            fontSize={11}
            fontFamily="JetBrains Mono, monospace"
            minTickGap={40}
          />
          <YAxis
            domain={[0, 100]}
            ticks={[0, 25, 50, 75, 100]}
            unit="%"
            stroke="#8B949E"
            fontSize={11}
            fontFamily="JetBrains Mono, monospace"
          />
          <Tooltip
            contentStyle={{
              background: "#21262D",
              border: "1px solid #484F58",
              borderRadius: 6,
              fontFamily: "JetBrains Mono, monospace",
              fontSize: 12,
            }}
            labelStyle={{ color: "#C9D1D9" }}
            labelFormatter={(t) => new Date(String(t)).toLocaleString()}
            formatter={(v) => [`${Number(v).toFixed(1)}%`, label]}
          />
          <Area
            type="monotone"
            dataKey="v"
            stroke={colour}
            strokeWidth={1.8}
            fill={`url(#${gradient})`}
            connectNulls={false}
            isAnimationActive={false}
          />
        </AreaChart>
      </ResponsiveContainer>
    </figure>
  );
}
