// Machine card (BRAND.md): LED with shape + text, name, type icon,
// connectivity badge, CPU/RAM/disk bars, CPU sparkline, maintenance badge.
// No data fetching here: the dashboard passes everything in, including what
// the hover quick actions do.

import { useState } from "react";
import { Link } from "react-router";
import type { ServerResponse } from "../types/generated/ServerResponse";
import { displayName, isWorkstation, machineStatus } from "../lib/status";
import { megabytes } from "../lib/format";
import { StatusLed } from "./StatusLed";
import { UsageBar } from "./UsageBar";
import { Sparkline } from "./Sparkline";
import { OpenIcon, PlayIcon, ServerIcon, WorkstationIcon, WrenchIcon } from "./icons";

export function MaintenanceBadge() {
  return (
    <span className="inline-flex items-center gap-1 rounded border border-status-warning/40 px-1.5 py-0.5 font-mono text-[11px] text-status-warning">
      <WrenchIcon className="h-3 w-3" />
      Maintenance
    </span>
  );
}

const quickButton =
  "inline-flex items-center gap-1 rounded px-1.5 py-1 text-xs text-text-secondary hover:bg-bg-tertiary hover:text-accent disabled:opacity-50";

/**
 * Open and pause/unpause, shown while the pointer is over the card or focus
 * is inside it (always on touch screens). They sit above the card's
 * whole-card link, and are ordinary buttons in the tab order.
 */
function QuickActions({
  machine,
  name,
  onTogglePause,
}: {
  machine: ServerResponse;
  name: string;
  onTogglePause: (m: ServerResponse) => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const paused = machine.is_paused;
  const toggle = async () => {
    setBusy(true);
    try {
      await onTogglePause(machine);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div
      role="group"
      aria-label={`Quick actions for ${name}`}
      data-quick-actions={machine.id}
      className="relative z-10 -my-1 flex items-center gap-0.5 rounded-md border border-border-default bg-bg-secondary opacity-0 transition-opacity group-hover:opacity-100 group-focus-within:opacity-100 pointer-coarse:opacity-100"
    >
      <Link to={`/machines/${encodeURIComponent(machine.id)}`} className={quickButton} aria-label={`Open ${name}`}>
        <OpenIcon className="h-3.5 w-3.5" />
        Open
      </Link>
      <button
        type="button"
        className={quickButton}
        disabled={busy}
        onClick={toggle}
        aria-label={paused ? `Unpause ${name}: end maintenance` : `Pause ${name}: maintenance mode`}
        title={paused ? "End maintenance" : "Maintenance mode: notifications silenced, actions wait for approval"}
      >
        {paused ? <PlayIcon className="h-3.5 w-3.5" /> : <WrenchIcon className="h-3.5 w-3.5" />}
        {paused ? "Unpause" : "Pause"}
      </button>
    </div>
  );
}

export function MachineCard({
  machine,
  sparkline,
  handle,
  now,
  onTogglePause,
}: {
  machine: ServerResponse;
  /** CPU % over the last 30 minutes, oldest first. */
  sparkline?: (number | null)[];
  /** Drag handle, when the card sits in a sortable list. */
  handle?: React.ReactNode;
  now?: Date;
  /** Pause or unpause (maintenance); no quick actions without it. */
  onTogglePause?: (m: ServerResponse) => Promise<void>;
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
        {onTogglePause && (
          <span className="ml-auto">
            <QuickActions machine={machine} name={name} onTogglePause={onTogglePause} />
          </span>
        )}
        <span className={`${onTogglePause ? "" : "ml-auto "}rounded bg-bg-tertiary px-1.5 py-0.5 font-mono text-[11px] text-text-tertiary`}>
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
