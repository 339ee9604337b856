// Machine card (BRAND.md): LED with shape + text, name, type icon,
// connectivity badge, CPU/RAM/disk bars, CPU sparkline, maintenance badge.
// No data fetching here: the dashboard passes everything in.

import { Link } from "react-router";
import type { ServerResponse } from "../types/generated/ServerResponse";
import { displayName, isWorkstation, machineStatus } from "../lib/status";
import { megabytes } from "../lib/format";
import { StatusLed } from "./StatusLed";
import { UsageBar } from "./UsageBar";
import { Sparkline } from "./Sparkline";
import { ServerIcon, WorkstationIcon, WrenchIcon } from "./icons";

export function MaintenanceBadge() {
  return (
    <span className="inline-flex items-center gap-1 rounded border border-status-warning/40 px-1.5 py-0.5 font-mono text-[11px] text-status-warning">
      <WrenchIcon className="h-3 w-3" />
      Maintenance
    </span>
  );
}

export function MachineCard({
  machine,
  sparkline,
  handle,
  now,
}: {
  machine: ServerResponse;
  /** CPU % over the last 30 minutes, oldest first. */
  sparkline?: (number | null)[];
  /** Drag handle, when the card sits in a sortable list. */
  handle?: React.ReactNode;
  now?: Date;
}) {
  const status = machineStatus(machine, now);
  const m = machine.latest_metrics;
  const name = displayName(machine);
  const TypeIcon = isWorkstation(machine) ? WorkstationIcon : ServerIcon;
  const quiet = status.led === "unknown" || status.led === "offline";
  return (
    <article
      className="group relative flex h-full flex-col gap-3 rounded-lg border border-border-default bg-bg-secondary p-4 transition-colors hover:border-border-strong focus-within:border-border-strong"
      aria-label={`${name}: ${status.label}`}
      data-machine-id={machine.id}
    >
      <header className="flex items-start gap-2">
        <TypeIcon
          className="mt-0.5 h-4 w-4 shrink-0 text-text-tertiary"
          title={isWorkstation(machine) ? "Workstation" : "Server"}
        />
        <div className="min-w-0 flex-1">
          <h3 className="truncate font-medium text-text-primary">
            <Link
              to={`/machines/${encodeURIComponent(machine.id)}`}
              className="after:absolute after:inset-0 after:content-[''] focus-visible:outline-none group-focus-within:text-accent hover:text-accent"
            >
              {name}
            </Link>
          </h3>
          <p className="truncate font-mono text-xs text-text-tertiary">
            {machine.tailscale_hostname || machine.ip_address || machine.hostname}
          </p>
        </div>
        {handle}
      </header>

      <div className="flex flex-wrap items-center gap-2">
        <StatusLed state={status.led} label={status.label} />
        {status.paused && <MaintenanceBadge />}
        <span className="ml-auto rounded bg-bg-tertiary px-1.5 py-0.5 font-mono text-[11px] text-text-tertiary">
          {machine.tailscale_hostname ? "Tailscale" : "Direct"}
        </span>
      </div>

      <div className={`grid grid-cols-3 gap-3 ${quiet ? "opacity-60" : ""}`}>
        <UsageBar label="CPU" value={m?.cpu_percent} />
        <UsageBar
          label="RAM"
          value={m?.memory_percent}
          detail={m ? `${megabytes(m.memory_used_mb)} of ${megabytes(m.memory_total_mb)}` : undefined}
        />
        <UsageBar label="Disk" value={m?.disk_percent} />
      </div>

      <Sparkline values={sparkline ?? []} label={`${name} CPU, last 30 minutes`} />
    </article>
  );
}
