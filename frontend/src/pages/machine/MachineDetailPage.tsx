// Machine detail, first version: status header, CPU and memory history,
// disk, filesystems, network interfaces, services and system facts. Each
// block is its own component so the editable widget grid can reuse them.

import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError, type MetricsRange } from "../../api/client";
import type { ExpectedServiceResponse } from "../../types/generated/ExpectedServiceResponse";
import type { ServerResponse } from "../../types/generated/ServerResponse";
import { MaintenanceBadge } from "../../components/MachineCard";
import { MetricChart } from "../../components/MetricChart";
import { ErrorNote, Panel } from "../../components/Panel";
import { StatusLed } from "../../components/StatusLed";
import { UsageBar } from "../../components/UsageBar";
import { ServerIcon, WorkstationIcon } from "../../components/icons";
import { bytes, megabytes, relativeTime, uptime } from "../../lib/format";
import { displayName, isWorkstation, machineStatus, type LedState } from "../../lib/status";
import { usePolling } from "../../lib/usePolling";

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

function Header({ machine }: { machine: ServerResponse }) {
  const status = machineStatus(machine);
  const TypeIcon = isWorkstation(machine) ? WorkstationIcon : ServerIcon;
  return (
    <header className="flex flex-wrap items-start justify-between gap-3">
      <div className="min-w-0">
        <Link to="/" className="text-sm text-accent hover:text-accent-hover">
          ← Dashboard
        </Link>
        <h1 className="mt-1 flex items-center gap-2 text-2xl font-bold text-text-primary">
          <TypeIcon className="h-5 w-5 text-text-tertiary" title={isWorkstation(machine) ? "Workstation" : "Server"} />
          <span className="truncate">{displayName(machine)}</span>
        </h1>
        <p className="font-mono text-sm text-text-tertiary">
          {machine.hostname}
          {machine.ip_address && ` · ${machine.ip_address}`}
          {machine.tailscale_hostname && ` · ${machine.tailscale_hostname}`}
        </p>
      </div>
      <div className="flex flex-col items-end gap-1">
        <div className="flex items-center gap-2">
          {machine.is_paused && <MaintenanceBadge />}
          <StatusLed state={status.led} label={status.label} className="text-sm" />
        </div>
        {machine.last_seen && (
          <span className="font-mono text-xs text-text-tertiary">
            last heartbeat {relativeTime(machine.last_seen)}
          </span>
        )}
      </div>
    </header>
  );
}

export function HistoryPanels({ machineId }: { machineId: string }) {
  const [range, setRange] = useState<MetricsRange>("24h");
  const history = usePolling((signal) => api.getMetrics(machineId, range, signal), 60_000, [
    machineId,
    range,
  ]);
  const points = history.data?.data_points ?? [];
  const body = (metric: "cpu_percent" | "memory_percent", colour: string, label: string) =>
    history.error ? (
      <ErrorNote error={history.error} />
    ) : history.loading && !history.data ? (
      <p className="h-[220px] font-mono text-sm text-text-tertiary">Loading…</p>
    ) : (
      <MetricChart points={points} metric={metric} range={range} colour={colour} label={label} />
    );
  return (
    <>
      <Panel title="CPU" className="lg:col-span-2" actions={<RangePicker value={range} onChange={setRange} />}>
        {body("cpu_percent", "#A78BFA", "CPU")}
      </Panel>
      <Panel title="Memory history" actions={<span className="font-mono text-xs text-text-tertiary">{range}</span>}>
        {body("memory_percent", "#60A5FA", "Memory")}
      </Panel>
    </>
  );
}

export function ResourcesPanel({ machine }: { machine: ServerResponse }) {
  const m = machine.latest_metrics;
  return (
    <Panel title="Memory and disk">
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
    <Panel title="Filesystems">
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
    <Panel title="Network interfaces">
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

export function ServicesPanel({ machineId }: { machineId: string }) {
  const services = usePolling((signal) => api.listServices(machineId, signal), POLL_MS, [machineId]);
  const list = services.data?.services ?? [];
  return (
    <Panel title="Services">
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
              <StatusLed
                state={serviceLed(s)}
                label={s.current_status?.status ?? "no report"}
                className="shrink-0"
              />
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
    <Panel title="System">
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

export default function MachineDetailPage() {
  const { machineId = "" } = useParams();
  const server = usePolling((signal) => api.getServer(machineId, signal), POLL_MS, [machineId]);

  if (server.error && !server.data) {
    const notFound = server.error instanceof ApiError && server.error.status === 404;
    return (
      <div className="mx-auto max-w-screen-xl">
        <Link to="/" className="text-sm text-accent hover:text-accent-hover">
          ← Dashboard
        </Link>
        <div className="mt-4">
          {notFound ? (
            <p className="text-text-secondary">No machine called “{machineId}”.</p>
          ) : (
            <ErrorNote error={server.error} />
          )}
        </div>
      </div>
    );
  }
  if (!server.data) return <p className="font-mono text-sm text-text-tertiary">Loading…</p>;
  const machine = server.data;

  return (
    <div className="mx-auto max-w-screen-xl">
      <Header machine={machine} />
      {machine.active_alert_summaries.length > 0 && (
        <ul className="mt-4 flex flex-col gap-1 rounded-lg border border-status-warning/40 bg-bg-secondary p-3 text-sm">
          {machine.active_alert_summaries.map((a) => (
            <li key={a}>
              <StatusLed state="warning" label={a} />
            </li>
          ))}
        </ul>
      )}
      <div className="mt-6 grid grid-cols-1 gap-4 lg:grid-cols-2">
        <HistoryPanels machineId={machine.id} />
        <ResourcesPanel machine={machine} />
        <FilesystemsPanel machine={machine} />
        <NetworkPanel machine={machine} />
        <ServicesPanel machineId={machine.id} />
        <SystemInfoPanel machine={machine} />
      </div>
    </div>
  );
}
