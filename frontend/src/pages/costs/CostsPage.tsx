// Electricity cost: fleet totals now, each machine's estimate, cost per day
// over the last 30 days (fleet or one machine) and per month of the year.

import { useState } from "react";
import { Link } from "react-router";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api } from "../../api/client";
import { ErrorNote, Panel } from "../../components/Panel";
import { StatusLed } from "../../components/StatusLed";
import { money, dayRange } from "./money";
import { usePolling } from "../../lib/usePolling";

const POLL_MS = 5 * 60_000;
const th = "px-2 py-1.5 text-left font-medium text-text-tertiary";
const td = "px-2 py-1.5 font-mono";

function Stat({ label, value, note }: { label: string; value: string; note?: string }) {
  return (
    <div className="rounded-lg border border-border-default bg-bg-secondary p-4">
      <p className="text-xs text-text-tertiary">{label}</p>
      <p className="mt-1 font-mono text-2xl text-text-primary">{value}</p>
      {note && <p className="mt-1 font-mono text-xs text-text-tertiary">{note}</p>}
    </div>
  );
}

function DailyChart({ machines }: { machines: { id: string; name: string }[] }) {
  const [machine, setMachine] = useState("");
  const range = dayRange(new Date(), 30);
  const history = usePolling(
    (signal) => api.getCostHistory({ ...range, aggregation: "daily", server_id: machine || undefined }, signal),
    POLL_MS,
    [machine, range.end_date],
  );
  const symbol = history.data?.currency_symbol ?? "";
  const data = (history.data?.items ?? []).map((i) => ({ day: i.date.slice(5), cost: i.estimated_cost, kwh: i.estimated_kwh }));
  return (
    <Panel
      title="Cost per day, last 30 days"
      actions={
        <label className="flex items-center gap-2 text-xs text-text-tertiary">
          Machine
          <select
            className="rounded-md border border-border-default bg-bg-tertiary px-2 py-1 text-xs text-text-primary"
            value={machine}
            onChange={(e) => setMachine(e.target.value)}
          >
            <option value="">Whole fleet</option>
            {machines.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
      }
    >
      {history.error ? (
        <ErrorNote error={history.error} />
      ) : data.length === 0 ? (
        <p className="flex h-48 items-center justify-center rounded border border-dashed border-border-default font-mono text-sm text-text-tertiary">
          {history.loading ? "Loading…" : "No daily snapshots yet: the hub records one per machine each day."}
        </p>
      ) : (
        <figure aria-label="Cost per day" data-chart="daily-cost" className="h-56 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -8 }}>
              <CartesianGrid stroke="#30363D" strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" stroke="#8B949E" fontSize={11} fontFamily="JetBrains Mono, monospace" />
              <YAxis stroke="#8B949E" fontSize={11} fontFamily="JetBrains Mono, monospace" />
              <Tooltip
                contentStyle={{ background: "#21262D", border: "1px solid #484F58", borderRadius: 6, fontSize: 12 }}
                labelStyle={{ color: "#C9D1D9" }}
                formatter={(v, _n, p) => [`${money(Number(v), symbol)} (${Number(p.payload.kwh).toFixed(2)} kWh)`, "Cost"]}
              />
              <Bar dataKey="cost" fill="#FB923C" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      )}
    </Panel>
  );
}

function MonthlyTable() {
  const year = new Date().getUTCFullYear();
  const monthly = usePolling((signal) => api.getMonthlyCosts(year, signal), POLL_MS, [year]);
  const d = monthly.data;
  return (
    <Panel
      title={`Cost per month, ${year}`}
      actions={d && <span className="font-mono text-xs text-text-tertiary">year to date {money(d.year_to_date_cost, d.currency_symbol)}</span>}
    >
      {monthly.error ? (
        <ErrorNote error={monthly.error} />
      ) : !d ? (
        <p className="font-mono text-sm text-text-tertiary">Loading…</p>
      ) : d.months.length === 0 ? (
        <p className="text-sm text-text-tertiary">No months with data yet.</p>
      ) : (
        <table className="w-full text-sm">
          <thead>
            <tr className="border-b border-border-default">
              <th className={th}>Month</th>
              <th className={`${th} text-right`}>Energy</th>
              <th className={`${th} text-right`}>Cost</th>
              <th className={`${th} text-right`}>Change</th>
            </tr>
          </thead>
          <tbody>
            {d.months.map((m) => (
              <tr key={m.year_month} className="border-b border-border-default/50">
                <td className={`${td} text-text-primary`}>{m.year_month}</td>
                <td className={`${td} text-right`}>{m.total_kwh.toFixed(1)} kWh</td>
                <td className={`${td} text-right`}>{money(m.total_cost, d.currency_symbol)}</td>
                <td className={`${td} text-right`}>
                  {m.change_percent == null ? "–" : `${m.change_percent > 0 ? "▲ +" : m.change_percent < 0 ? "▼ " : ""}${m.change_percent.toFixed(1)}%`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export default function CostsPage() {
  const summary = usePolling((signal) => api.getCostSummary(signal), POLL_MS, []);
  const breakdown = usePolling((signal) => api.getCostBreakdown(signal), POLL_MS, []);
  const s = summary.data;
  const b = breakdown.data;
  const symbol = s?.currency_symbol ?? b?.settings.currency_symbol ?? "";
  const machines = (b?.servers ?? []).map((m) => ({ id: m.server_id, name: m.hostname || m.server_id }));

  return (
    <div className="mx-auto max-w-screen-xl">
      <h1 className="mb-4 text-2xl font-bold text-text-primary">Costs</h1>
      {summary.error && <ErrorNote error={summary.error} />}
      {s && (
        <section aria-label="Fleet cost" className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-4">
          <Stat label="Per day" value={money(s.daily_cost, symbol)} note={`${s.total_estimated_watts.toFixed(0)} W estimated`} />
          <Stat
            label="Per month (30 days)"
            value={money(s.monthly_cost, symbol)}
            note={`servers ${money(s.server_cost_total, symbol)} · workstations ${money(s.workstation_cost_total, symbol)}`}
          />
          <Stat label="Tariff" value={`${money(s.electricity_rate, symbol, 3)}`} note="per kWh · change in Settings" />
          <Stat
            label="Machines costed"
            value={`${s.servers_included}`}
            note={s.servers_missing_config ? `${s.servers_missing_config} without power settings` : "all configured"}
          />
        </section>
      )}

      <div className="flex flex-col gap-4">
        <Panel title="Per machine">
          {breakdown.error ? (
            <ErrorNote error={breakdown.error} />
          ) : !b ? (
            <p className="font-mono text-sm text-text-tertiary">Loading…</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-sm">
                <thead>
                  <tr className="border-b border-border-default">
                    <th className={th}>Machine</th>
                    <th className={th}>Type</th>
                    <th className={`${th} text-right`}>Power</th>
                    <th className={`${th} text-right`}>Avg CPU</th>
                    <th className={`${th} text-right`}>Per day</th>
                    <th className={`${th} text-right`}>Per month</th>
                  </tr>
                </thead>
                <tbody>
                  {b.servers.map((m) => (
                    <tr key={m.server_id} className="border-b border-border-default/50" data-cost-machine={m.server_id}>
                      <td className={td}>
                        <Link to={`/machines/${encodeURIComponent(m.server_id)}`} className="text-accent hover:text-accent-hover">
                          {m.hostname || m.server_id}
                        </Link>
                      </td>
                      <td className={`${td} text-text-tertiary`}>
                        {m.machine_category_label ?? m.machine_type}
                        {m.calculation_type === "actual_usage" && m.hours_used != null && ` · ${m.hours_used} h up`}
                      </td>
                      <td className={`${td} text-right`}>{m.estimated_watts != null ? `${m.estimated_watts.toFixed(0)} W` : "–"}</td>
                      <td className={`${td} text-right`}>{m.avg_cpu_percent != null ? `${m.avg_cpu_percent.toFixed(0)}%` : "–"}</td>
                      <td className={`${td} text-right`}>{m.daily_cost != null ? money(m.daily_cost, symbol) : "–"}</td>
                      <td className={`${td} text-right`}>
                        {m.monthly_cost != null ? (
                          money(m.monthly_cost, symbol)
                        ) : (
                          <StatusLed state="unknown" label="no power settings" className="justify-end" />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Panel>
        <DailyChart machines={machines} />
        <MonthlyTable />
      </div>
    </div>
  );
}
