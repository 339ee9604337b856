// The machine page's widgets. Each is a Panel that fills its grid cell and
// scrolls inside it, so the operator can size it freely.

import { useState } from "react";
import { Link } from "react-router";
import { api, type MetricsRange } from "../../api/client";
import type { ExpectedServiceResponse } from "../../types/generated/ExpectedServiceResponse";
import type { ServerResponse } from "../../types/generated/ServerResponse";
import { MetricChart } from "../../components/MetricChart";
import { ErrorNote, Panel } from "../../components/Panel";
import { SeverityBadge } from "../../components/SeverityBadge";
import { StatusLed } from "../../components/StatusLed";
import { UsageBar } from "../../components/UsageBar";
import { RestartIcon, ShieldIcon } from "../../components/icons";
import { sortAlerts } from "../../lib/alerts";
import { bytes, megabytes, relativeTime, uptime } from "../../lib/format";
import type { LedState } from "../../lib/status";
import { usePolling } from "../../lib/usePolling";
import { containerLed, containerSummary, sortContainers } from "./containers";

const POLL_MS = 15_000;
const RANGES: MetricsRange[] = ["24h", "7d", "30d"];

function RangePicker({ value, onChange }: { value: MetricsRange; onChange: (r: MetricsRange) => void }) {
  return (
    <div role="group" aria-label="Time range" className="flex gap-1">
      {RANGES.map((r) => (
        <button
          key={r}
          type="button"
          aria-pressed={value === r}
          onClick={() => onChange(r)}
          className={`rounded px-2 py-1 font-mono text-xs ${
            value === r
              ? "bg-bg-tertiary text-accent"
              : "text-text-tertiary hover:bg-bg-tertiary hover:text-text-primary"
          }`}
        >
          {r}
        </button>
      ))}
    </div>
  );
}

/** CPU and memory history share one range and one request. */
export function useHistory(machineId: string) {
  const [range, setRange] = useState<MetricsRange>("24h");
  const history = usePolling((signal) => api.getMetrics(machineId, range, signal), 60_000, [
    machineId,
    range,
  ]);
  return { range, setRange, history };
}

export type History = ReturnType<typeof useHistory>;

function HistoryChart({
  h,
  metric,
  colour,
  label,
}: {
  h: History;
  metric: "cpu_percent" | "memory_percent";
  colour: string;
  label: string;
}) {
  const { history, range } = h;
  if (history.error) return <ErrorNote error={history.error} />;
  if (history.loading && !history.data) {
    return <p className="font-mono text-sm text-text-tertiary">Loading…</p>;
  }
  return (
    <MetricChart
      points={history.data?.data_points ?? []}
      metric={metric}
      range={range}
      colour={colour}
      label={label}
      height="100%"
    />
  );
}

export function CpuWidget({ h }: { h: History }) {
  return (
    <Panel title="CPU" fill actions={<RangePicker value={h.range} onChange={h.setRange} />}>
      <HistoryChart h={h} metric="cpu_percent" colour="#A78BFA" label="CPU" />
    </Panel>
  );
}

export function MemoryHistoryWidget({ h }: { h: History }) {
  return (
    <Panel
      title="Memory history"
      fill
      actions={<span className="font-mono text-xs text-text-tertiary">{h.range}</span>}
    >
      <HistoryChart h={h} metric="memory_percent" colour="#60A5FA" label="Memory" />
    </Panel>
  );
}

export function ResourcesPanel({ machine }: { machine: ServerResponse }) {
  const m = machine.latest_metrics;
  return (
    <Panel title="Memory and disk" fill>
      <div className="flex flex-col gap-4">
        <UsageBar label="Memory" value={m?.memory_percent} />
        <p className="-mt-3 font-mono text-xs text-text-tertiary">
          {megabytes(m?.memory_used_mb)} used of {megabytes(m?.memory_total_mb)}
        </p>
        <UsageBar label="Root disk" value={m?.disk_percent} />
        <p className="-mt-3 font-mono text-xs text-text-tertiary">
          {m?.disk_used_gb != null ? `${m.disk_used_gb.toFixed(1)} GB` : "–"} used of{" "}
          {m?.disk_total_gb != null ? `${m.disk_total_gb.toFixed(1)} GB` : "–"}
        </p>
        <dl className="grid grid-cols-3 gap-2 font-mono text-xs">
          {(["load_1m", "load_5m", "load_15m"] as const).map((k) => (
            <div key={k} className="rounded bg-bg-tertiary p-2">
              <dt className="text-text-tertiary">load {k.slice(5)}</dt>
              <dd className="text-text-primary">{m?.[k] != null ? m[k]!.toFixed(2) : "–"}</dd>
            </div>
          ))}
        </dl>
      </div>
    </Panel>
  );
}

const th = "px-2 py-1.5 text-left font-medium text-text-tertiary";
const td = "px-2 py-1.5 font-mono";

export function FilesystemsPanel({ machine }: { machine: ServerResponse }) {
  const fs = machine.filesystems ?? [];
  return (
    <Panel title="Filesystems" fill>
      {fs.length === 0 ? (
        <p className="text-sm text-text-tertiary">No filesystems reported.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead>
              <tr className="border-b border-border-default">
                <th className={th}>Mount</th>
                <th className={th}>Device</th>
                <th className={th}>Type</th>
                <th className={`${th} text-right`}>Used</th>
                <th className={`${th} w-32`}>Usage</th>
              </tr>
            </thead>
            <tbody>
              {fs.map((f) => (
                <tr key={f.mount_point} className="border-b border-border-default/50">
                  <td className={`${td} text-text-primary`}>{f.mount_point}</td>
                  <td className={td}>{f.device}</td>
                  <td className={td}>{f.fs_type}</td>
                  <td className={`${td} whitespace-nowrap text-right`}>
                    {bytes(f.used_bytes)} / {bytes(f.total_bytes)}
                  </td>
                  <td className={td}>
                    <UsageBar label={`${f.mount_point} usage`} value={f.percent} hideLabel />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

export function NetworkPanel({ machine }: { machine: ServerResponse }) {
  const ifs = machine.network_interfaces ?? [];
  return (
    <Panel title="Network interfaces" fill>
      {ifs.length === 0 ? (
        <p className="text-sm text-text-tertiary">No interfaces reported.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead>
              <tr className="border-b border-border-default">
                <th className={th}>Interface</th>
                <th className={th}>State</th>
                <th className={`${th} text-right`}>Received</th>
                <th className={`${th} text-right`}>Sent</th>
              </tr>
            </thead>
            <tbody>
              {ifs.map((n) => (
                <tr key={n.name} className="border-b border-border-default/50">
                  <td className={`${td} text-text-primary`}>{n.name}</td>
                  <td className={td}>
                    <StatusLed state={n.is_up ? "online" : "unknown"} label={n.is_up ? "up" : "down"} />
                  </td>
                  <td className={`${td} text-right`}>{bytes(n.rx_bytes)}</td>
                  <td className={`${td} text-right`}>{bytes(n.tx_bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

/** Docker containers from the newest heartbeat (refreshed with the machine). */
export function ContainersPanel({ machine }: { machine: ServerResponse }) {
  const list = machine.containers;
  return (
    <Panel
      title="Containers"
      fill
      actions={
        list && list.length > 0 && (
          <span className="font-mono text-xs text-text-tertiary">{containerSummary(list)}</span>
        )
      }
    >
      {list == null ? (
        <p className="text-sm text-text-tertiary">
          No container report: the agent has no Docker access on this machine.
        </p>
      ) : list.length === 0 ? (
        <p className="text-sm text-text-tertiary">No containers.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead>
              <tr className="border-b border-border-default">
                <th className={th}>Container</th>
                <th className={th}>Image</th>
                <th className={th}>State</th>
                <th className={th}>Status</th>
              </tr>
            </thead>
            <tbody>
              {sortContainers(list).map((c) => (
                <tr key={c.name} className="border-b border-border-default/50" data-container={c.name}>
                  <td className={`${td} text-text-primary`}>{c.name}</td>
                  <td className={`${td} max-w-48 truncate text-text-tertiary`} title={c.image}>
                    {c.image}
                  </td>
                  <td className={td}>
                    <StatusLed state={containerLed(c.state)} label={c.state} />
                  </td>
                  <td className={`${td} text-xs text-text-tertiary`}>{c.status ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

function serviceLed(s: ExpectedServiceResponse): LedState {
  switch (s.current_status?.status) {
    case "running":
      return "online";
    case "stopped":
    case "failed":
      return s.is_critical ? "offline" : "warning";
    default:
      return "unknown";
  }
}

/**
 * Restart through the hub (SSH, audited): a first press asks, a second
 * confirms. On a machine in maintenance it waits for approval on Actions.
 */
function RestartButton({ machineId, service }: { machineId: string; service: string }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const restart = async () => {
    setBusy(true);
    setResult(null);
    try {
      const r = await api.restartService(machineId, service);
      setResult({
        ok: true,
        text:
          r.status === "pending"
            ? `Action #${r.action_id} awaits approval (maintenance mode).`
            : `Restarting: action #${r.action_id}.`,
      });
    } catch (e) {
      setResult({ ok: false, text: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <>
      {confirming ? (
        <span className="flex shrink-0 gap-1">
          <button
            type="button"
            autoFocus
            disabled={busy}
            onClick={restart}
            className="rounded border border-status-warning/60 px-2 py-0.5 text-xs text-status-warning hover:bg-status-warning/10 disabled:opacity-50"
          >
            Confirm restart<span className="sr-only"> of {service}</span>
          </button>
          <button
            type="button"
            onClick={() => setConfirming(false)}
            className="rounded px-2 py-0.5 text-xs text-text-tertiary hover:text-text-primary"
          >
            Keep
          </button>
        </span>
      ) : (
        <button
          type="button"
          onClick={() => setConfirming(true)}
          className="inline-flex shrink-0 items-center gap-1 rounded border border-border-strong px-2 py-0.5 text-xs text-text-secondary hover:border-accent hover:text-accent"
        >
          <RestartIcon className="h-3 w-3" />
          Restart<span className="sr-only"> {service}</span>
        </button>
      )}
      {result && (
        <span
          role={result.ok ? "status" : "alert"}
          className={`w-full text-xs ${result.ok ? "text-text-secondary" : "text-status-error"}`}
        >
          {result.text}{" "}
          <Link to={`/actions?machine=${encodeURIComponent(machineId)}`} className="text-accent hover:text-accent-hover">
            Actions →
          </Link>
        </span>
      )}
    </>
  );
}

export function ServicesPanel({ machineId }: { machineId: string }) {
  const services = usePolling((signal) => api.listServices(machineId, signal), POLL_MS, [machineId]);
  const list = services.data?.services ?? [];
  return (
    <Panel title="Services" fill>
      {services.error ? (
        <ErrorNote error={services.error} />
      ) : list.length === 0 ? (
        <p className="text-sm text-text-tertiary">
          {services.loading ? "Loading…" : "No expected services configured."}
        </p>
      ) : (
        <ul className="divide-y divide-border-default/60">
          {list.map((s) => (
            <li key={s.service_name} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <span className="min-w-0">
                <span className="font-mono text-sm text-text-primary">{s.display_name || s.service_name}</span>
                {s.is_critical && (
                  <span className="ml-2 rounded border border-border-strong px-1 text-[11px] text-text-tertiary">
                    critical
                  </span>
                )}
                {!s.enabled && <span className="ml-2 text-xs text-text-tertiary">(not monitored)</span>}
              </span>
              <span className="ml-auto flex shrink-0 items-center gap-2">
                <StatusLed state={serviceLed(s)} label={s.current_status?.status ?? "no report"} />
              </span>
              <RestartButton machineId={machineId} service={s.service_name} />
              {s.current_status?.status_reason && (
                <span className="w-full font-mono text-xs text-text-tertiary">
                  {s.current_status.status_reason}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

export function SystemInfoPanel({ machine }: { machine: ServerResponse }) {
  const m = machine.latest_metrics;
  const rows: [string, string | null | undefined][] = [
    ["OS", [machine.os_distribution, machine.os_version].filter(Boolean).join(" ") || null],
    ["Kernel", machine.kernel_version],
    ["Architecture", machine.architecture],
    ["CPU", machine.cpu_model ? `${machine.cpu_model}${machine.cpu_cores ? ` (${machine.cpu_cores} cores)` : ""}` : null],
    ["Uptime", m?.uptime_seconds != null ? uptime(m.uptime_seconds) : null],
    ["Type", machine.machine_type],
    ["Category", machine.machine_category],
    ["Agent", machine.agent_version ? `${machine.agent_version} (${machine.agent_mode ?? "?"})` : null],
    [
      "Updates",
      machine.updates_available != null
        ? `${machine.updates_available} pending, ${machine.security_updates ?? 0} security`
        : null,
    ],
    ["Registered", new Date(machine.created_at).toLocaleDateString()],
  ];
  return (
    <Panel title="System" fill>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-text-tertiary">{k}</dt>
            <dd className="min-w-0 break-words font-mono text-text-secondary">{v || "–"}</dd>
          </div>
        ))}
      </dl>
    </Panel>
  );
}


/** Open and acknowledged alerts of this machine, worst first. */
export function AlertsWidget({ machineId }: { machineId: string }) {
  const alerts = usePolling(
    async (signal) => {
      const [open, acked] = await Promise.all([
        api.listAlerts({ server_id: machineId, status: "open", limit: 100 }, signal),
        api.listAlerts({ server_id: machineId, status: "acknowledged", limit: 100 }, signal),
      ]);
      return sortAlerts([...open.alerts, ...acked.alerts]);
    },
    POLL_MS,
    [machineId],
  );
  const [busy, setBusy] = useState<number | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const list = alerts.data ?? [];
  const acknowledge = async (id: number) => {
    setBusy(id);
    setActionError(null);
    try {
      await api.acknowledgeAlert(id);
      alerts.refresh();
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <Panel
      title="Open alerts"
      fill
      actions={
        <Link
          to={`/alerts?machine=${encodeURIComponent(machineId)}`}
          className="text-xs text-accent hover:text-accent-hover"
        >
          All alerts →
        </Link>
      }
    >
      {alerts.error ? (
        <ErrorNote error={alerts.error} />
      ) : list.length === 0 ? (
        <p className="text-sm text-text-tertiary">
          {alerts.loading ? "Loading…" : (
            <StatusLed state="online" label="No open alerts" />
          )}
        </p>
      ) : (
        <ul className="divide-y divide-border-default/60">
          {list.map((a) => (
            <li key={a.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2" data-alert-id={a.id}>
              <SeverityBadge severity={a.severity} className="w-20 shrink-0" />
              <span className="min-w-0 flex-1 text-sm text-text-primary">{a.title}</span>
              <span className="font-mono text-xs text-text-tertiary">
                {a.status === "acknowledged" ? "acknowledged · " : ""}
                {relativeTime(a.created_at)}
              </span>
              {a.can_acknowledge && (
                <button
                  type="button"
                  disabled={busy === a.id}
                  onClick={() => acknowledge(a.id)}
                  className="rounded border border-border-strong px-2 py-0.5 text-xs text-text-secondary hover:border-accent hover:text-accent disabled:opacity-50"
                >
                  Acknowledge<span className="sr-only"> {a.title}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {actionError && (
        <p role="alert" className="mt-2 text-xs text-status-error">
          {actionError}
        </p>
      )}
    </Panel>
  );
}

/** Pending package updates as the agent last reported them. */
export function UpdatesWidget({ machineId }: { machineId: string }) {
  const pkgs = usePolling((signal) => api.getPackages(machineId, signal), 60_000, [machineId]);
  const d = pkgs.data;
  return (
    <Panel
      title="Pending updates"
      fill
      actions={
        d && (
          <span className="font-mono text-xs text-text-tertiary">
            {d.total_count} pending · {d.security_count} security
          </span>
        )
      }
    >
      {pkgs.error ? (
        <ErrorNote error={pkgs.error} />
      ) : !d ? (
        <p className="text-sm text-text-tertiary">Loading…</p>
      ) : d.packages.length === 0 ? (
        <p className="text-sm text-text-tertiary">
          {d.last_checked ? (
            <StatusLed state="online" label={`Up to date (checked ${relativeTime(d.last_checked)})`} />
          ) : (
            "No package report from this machine yet."
          )}
        </p>
      ) : (
        <ul className="divide-y divide-border-default/60 font-mono text-xs">
          {d.packages.map((p) => (
            <li key={p.name} className="flex flex-wrap items-center gap-x-2 gap-y-0.5 py-1.5">
              <span className="text-text-primary">{p.name}</span>
              {p.is_security && (
                <span className="inline-flex items-center gap-1 rounded border border-status-warning/40 px-1 text-status-warning">
                  <ShieldIcon className="h-3 w-3" />
                  security
                </span>
              )}
              <span className="ml-auto text-text-tertiary">
                {p.current_version} → <span className="text-text-secondary">{p.new_version}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}
