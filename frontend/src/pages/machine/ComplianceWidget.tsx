// The machine page's compliance at a glance: the newest check of each
// assigned pack and its mismatch count, with a way into the Compliance page.

import { Link } from "react-router";
import { api } from "../../api/client";
import { ErrorNote, Panel } from "../../components/Panel";
import { StatusLed } from "../../components/StatusLed";
import { relativeTime } from "../../lib/format";
import { usePolling } from "../../lib/usePolling";
import { checkVerdict, newestByPack } from "../compliance/compliance";

export function ComplianceWidget({ machineId }: { machineId: string }) {
  const assigned = usePolling((signal) => api.getAssignedPacks(machineId, signal), 60_000, [machineId]);
  const checks = usePolling((signal) => api.listChecks(machineId, 100, signal), 60_000, [machineId]);
  const latest = newestByPack(checks.data?.checks ?? []);
  const error = assigned.error ?? checks.error;
  return (
    <Panel
      title="Compliance"
      fill
      actions={
        <Link
          to={`/compliance/${encodeURIComponent(machineId)}`}
          className="text-xs text-accent hover:text-accent-hover"
        >
          Open in Compliance<span className="sr-only"> for {machineId}</span>
        </Link>
      }
    >
      {error ? (
        <ErrorNote error={error} />
      ) : !assigned.data || !checks.data ? (
        <p className="text-sm text-text-tertiary">Loading…</p>
      ) : (
        <ul className="divide-y divide-border-default/60" aria-label="Packs">
          {assigned.data.assigned_packs.map((p) => {
            const c = latest.get(p);
            const v = checkVerdict(c);
            return (
              <li key={p} className="flex flex-wrap items-center gap-x-3 gap-y-0.5 py-1.5" data-pack={p}>
                <span className="font-mono text-sm text-text-primary">{p}</span>
                <StatusLed state={v.led} label={v.label} />
                <span className="ml-auto font-mono text-xs text-text-tertiary">
                  {c ? `checked ${relativeTime(c.checked_at)}` : "—"}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </Panel>
  );
}
