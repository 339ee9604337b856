// Alerts across the fleet: counts per status, filters (status, severity,
// machine) kept in the URL so links can point at a filtered list, and
// acknowledge / resolve / snooze on each alert. Resolved alerts are history.

import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, type AlertQuery, type AlertSeverity, type AlertStatus } from "../../api/client";
import type { AlertResponse } from "../../types/generated/AlertResponse";
import { ErrorNote } from "../../components/Panel";
import { SeverityBadge } from "../../components/SeverityBadge";
import { StatusLed } from "../../components/StatusLed";
import { alertValues, isSnoozed, SEVERITIES } from "../../lib/alerts";
import { relativeTime } from "../../lib/format";
import { displayName } from "../../lib/status";
import { usePolling } from "../../lib/usePolling";

const POLL_MS = 15_000;
const PAGE = 50;
const STATUSES: AlertStatus[] = ["open", "acknowledged", "resolved"];
const SNOOZES = [
  { minutes: 60, label: "1 hour" },
  { minutes: 240, label: "4 hours" },
  { minutes: 1440, label: "1 day" },
  { minutes: 10080, label: "1 week" },
];

const select =
  "rounded-md border border-border-default bg-bg-tertiary px-2 py-1.5 text-sm text-text-primary";
const small =
  "rounded border border-border-strong px-2 py-1 text-xs text-text-secondary hover:border-accent hover:text-accent disabled:opacity-50";

function oneOf<T extends string>(v: string | null, allowed: readonly T[]): T | undefined {
  return allowed.includes(v as T) ? (v as T) : undefined;
}

function statusLed(a: AlertResponse) {
  if (a.status === "resolved") return <StatusLed state="online" label="resolved" />;
  if (a.status === "acknowledged") return <StatusLed state="unknown" label="acknowledged" />;
  return <StatusLed state="warning" label="open" />;
}

function AlertRow({ a, onChanged }: { a: AlertResponse; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const snoozed = isSnoozed(a);
  const values = alertValues(a);
  return (
    <li className="flex flex-col gap-2 py-3 sm:flex-row sm:items-start" data-alert-id={a.id}>
      <div className="flex w-32 shrink-0 flex-col gap-1">
        <SeverityBadge severity={a.severity} />
        {statusLed(a)}
      </div>
      <div className="min-w-0 flex-1">
        <p className="text-sm font-medium text-text-primary">{a.title}</p>
        <p className="mt-0.5 text-sm text-text-secondary">
          <Link
            to={`/machines/${encodeURIComponent(a.server_id)}`}
            className="font-mono text-accent hover:text-accent-hover"
          >
            {a.server_name || a.server_id}
          </Link>
          {a.message && <span className="text-text-tertiary"> · {a.message}</span>}
        </p>
        <p className="mt-1 font-mono text-xs text-text-tertiary">
          {a.alert_type}
          {values && ` · ${values}`} · opened {relativeTime(a.created_at)}
          {a.acknowledged_at && ` · acknowledged ${relativeTime(a.acknowledged_at)}`}
          {a.resolved_at &&
            ` · resolved ${relativeTime(a.resolved_at)}${a.auto_resolved ? " (cleared by itself)" : ""}`}
          {snoozed && ` · notifications snoozed until ${new Date(a.snoozed_until!).toLocaleString()}`}
        </p>
        {error && (
          <p role="alert" className="mt-1 text-xs text-status-error">
            {error}
          </p>
        )}
      </div>
      {a.status !== "resolved" && (
        <div className="flex flex-wrap items-center gap-2 sm:justify-end">
          {a.can_acknowledge && (
            <button type="button" className={small} disabled={busy} onClick={() => run(() => api.acknowledgeAlert(a.id))}>
              Acknowledge<span className="sr-only"> {a.title} on {a.server_id}</span>
            </button>
          )}
          {a.can_resolve && (
            <button type="button" className={small} disabled={busy} onClick={() => run(() => api.resolveAlert(a.id))}>
              Resolve<span className="sr-only"> {a.title} on {a.server_id}</span>
            </button>
          )}
          {!a.can_acknowledge && !a.can_resolve && (
            <span className="text-xs text-text-tertiary">service still down</span>
          )}
          {snoozed ? (
            <button type="button" className={small} disabled={busy} onClick={() => run(() => api.snoozeAlert(a.id, 0))}>
              Unsnooze
            </button>
          ) : (
            <select
              aria-label={`Snooze notifications of ${a.title} on ${a.server_id}`}
              className={`${select} py-1 text-xs`}
              disabled={busy}
              value=""
              onChange={(e) => {
                const minutes = Number(e.target.value);
                if (minutes > 0) void run(() => api.snoozeAlert(a.id, minutes));
              }}
            >
              <option value="">Snooze…</option>
              {SNOOZES.map((s) => (
                <option key={s.minutes} value={s.minutes}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </div>
      )}
    </li>
  );
}

export default function AlertsPage() {
  const [params, setParams] = useSearchParams();
  const status = oneOf(params.get("status"), STATUSES);
  const severity = oneOf(params.get("severity"), SEVERITIES as readonly AlertSeverity[]);
  const machine = params.get("machine") || undefined;
  const offset = Math.max(0, Number(params.get("offset")) || 0);

  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== "offset") next.delete("offset");
    setParams(next, { replace: true });
  };

  const query: AlertQuery = { status, severity, server_id: machine, limit: PAGE, offset };
  const key = JSON.stringify(query);
  const list = usePolling((signal) => api.listAlerts(query, signal), POLL_MS, [key]);
  // Counts per status under the same severity and machine filters.
  const counts = usePolling(
    async (signal) => {
      const totals = await Promise.all(
        STATUSES.map((s) => api.listAlerts({ status: s, severity, server_id: machine, limit: 1 }, signal)),
      );
      return Object.fromEntries(STATUSES.map((s, i) => [s, totals[i].total])) as Record<AlertStatus, number>;
    },
    POLL_MS,
    [severity, machine],
  );
  const fleet = usePolling((signal) => api.listServers(signal), 60_000, []);
  const refresh = () => {
    list.refresh();
    counts.refresh();
  };

  const alerts = list.data?.alerts ?? [];
  const total = list.data?.total ?? 0;

  return (
    <div className="mx-auto max-w-screen-xl">
      <h1 className="mb-4 text-2xl font-bold text-text-primary">Alerts</h1>

      <div role="group" aria-label="Alerts by status" className="mb-4 flex flex-wrap gap-2 font-mono text-sm">
        <button
          type="button"
          aria-pressed={!status}
          onClick={() => set("status", undefined)}
          className={`rounded-md border px-3 py-1.5 ${!status ? "border-accent text-accent" : "border-border-default text-text-secondary hover:border-border-strong"}`}
        >
          All
        </button>
        {STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            aria-pressed={status === s}
            onClick={() => set("status", status === s ? undefined : s)}
            className={`rounded-md border px-3 py-1.5 ${status === s ? "border-accent text-accent" : "border-border-default text-text-secondary hover:border-border-strong"}`}
          >
            {counts.data ? `${counts.data[s]} ` : ""}
            {s === "resolved" ? "resolved (history)" : s}
          </button>
        ))}
      </div>

      <div className="mb-4 flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1 text-xs text-text-tertiary">
          Severity
          <select className={select} value={severity ?? ""} onChange={(e) => set("severity", e.target.value)}>
            <option value="">Any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1 text-xs text-text-tertiary">
          Machine
          <select className={select} value={machine ?? ""} onChange={(e) => set("machine", e.target.value)}>
            <option value="">All machines</option>
            {machine && !fleet.data?.servers.some((m) => m.id === machine) && (
              <option value={machine}>{machine}</option>
            )}
            {(fleet.data?.servers ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {displayName(m)}
              </option>
            ))}
          </select>
        </label>
        <span className="ml-auto font-mono text-xs text-text-tertiary" aria-live="polite">
          {list.data ? `${total} matching` : ""}
        </span>
      </div>

      <section aria-label="Alert list" className="rounded-lg border border-border-default bg-bg-secondary px-4">
        {list.error ? (
          <div className="py-4">
            <ErrorNote error={list.error} />
          </div>
        ) : !list.data ? (
          <p className="py-4 font-mono text-sm text-text-tertiary">Loading…</p>
        ) : alerts.length === 0 ? (
          <p className="py-6 text-sm text-text-tertiary">
            <StatusLed state="online" label="No alerts match these filters." />
          </p>
        ) : (
          <ul className="divide-y divide-border-default/60">
            {alerts.map((a) => (
              <AlertRow key={a.id} a={a} onChanged={refresh} />
            ))}
          </ul>
        )}
      </section>

      {total > PAGE && (
        <nav aria-label="Pages" className="mt-3 flex items-center justify-end gap-2 font-mono text-xs">
          <button
            type="button"
            className={small}
            disabled={offset === 0}
            onClick={() => set("offset", String(Math.max(0, offset - PAGE)) || undefined)}
          >
            ← Newer
          </button>
          <span className="text-text-tertiary">
            {offset + 1}–{Math.min(offset + PAGE, total)} of {total}
          </span>
          <button
            type="button"
            className={small}
            disabled={offset + PAGE >= total}
            onClick={() => set("offset", String(offset + PAGE))}
          >
            Older →
          </button>
        </nav>
      )}
    </div>
  );
}
