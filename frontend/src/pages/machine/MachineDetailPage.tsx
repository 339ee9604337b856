// Machine detail: status header, then the machine's widgets in a grid the
// operator can rearrange and resize (saved per machine on the hub).

import { Link, useParams } from "react-router";
import { api, ApiError } from "../../api/client";
import type { ServerResponse } from "../../types/generated/ServerResponse";
import { MaintenanceBadge } from "../../components/MachineCard";
import { ErrorNote } from "../../components/Panel";
import { StatusLed } from "../../components/StatusLed";
import { ServerIcon, WorkstationIcon } from "../../components/icons";
import { relativeTime } from "../../lib/format";
import { displayName, isWorkstation, machineStatus } from "../../lib/status";
import { usePolling } from "../../lib/usePolling";
import { WidgetGrid } from "./WidgetGrid";
import { ComplianceWidget } from "./ComplianceWidget";
import {
  AlertsWidget,
  ContainersPanel,
  CpuWidget,
  FilesystemsPanel,
  MemoryHistoryWidget,
  NetworkPanel,
  ResourcesPanel,
  ServicesPanel,
  SystemInfoPanel,
  UpdatesWidget,
  useHistory,
} from "./widgets";

const POLL_MS = 15_000;

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

function Widgets({ machine }: { machine: ServerResponse }) {
  const h = useHistory(machine.id);
  return (
    <WidgetGrid
      machineId={machine.id}
      widgets={{
        cpu: <CpuWidget h={h} />,
        memory: <MemoryHistoryWidget h={h} />,
        resources: <ResourcesPanel machine={machine} />,
        alerts: <AlertsWidget machineId={machine.id} />,
        updates: <UpdatesWidget machineId={machine.id} />,
        filesystems: <FilesystemsPanel machine={machine} />,
        network: <NetworkPanel machine={machine} />,
        containers: <ContainersPanel machine={machine} />,
        services: <ServicesPanel machineId={machine.id} />,
        system: <SystemInfoPanel machine={machine} />,
        compliance: <ComplianceWidget machineId={machine.id} />,
      }}
    />
  );
}

export default function MachineDetailPage() {
  const { machineId = "" } = useParams();
  const server = usePolling((signal) => api.getServer(machineId, signal), POLL_MS, [machineId]);

  if (server.error && !server.data) {
    const notFound = server.error instanceof ApiError && server.error.status === 404;
    return (
      <div className="mx-auto max-w-screen-2xl">
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
    <div className="mx-auto max-w-screen-2xl">
      <Header machine={machine} />
      <Widgets machine={machine} />
    </div>
  );
}
