// Compliance: the fleet's verdicts (each count a filter), then per machine
// its assigned packs, the newest check of each, the drift as a diff, and
// Check now / Apply / Remove. /compliance/:machineId opens one machine.

import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, ApiError } from "../../api/client";
import { ErrorNote, Panel } from "../../components/Panel";
import { StatusLed } from "../../components/StatusLed";
import { errorText, primaryButton, Result, secondaryButton, dangerButton, type Outcome } from "../../components/forms";
import { relativeTime } from "../../lib/format";
import { usePolling } from "../../lib/usePolling";
import type { ComplianceSummaryResponse } from "../../types/generated/ComplianceSummaryResponse";
import type { ConfigCheckHistoryItem } from "../../types/generated/ConfigCheckHistoryItem";
import type { ConfigPackMetadata } from "../../types/generated/ConfigPackMetadata";
import { ApplyDialog, RemoveDialog } from "./ApplyDialog";
import { checkVerdict, FILTERS, isFilter, machineVerdict, newestByPack, type ComplianceFilter } from "./compliance";
import { MismatchList } from "./DiffView";

function FilterBar({
  summary,
  active,
  onChange,
}: {
  summary: ComplianceSummaryResponse["summary"];
  active: ComplianceFilter | null;
  onChange: (f: ComplianceFilter | null) => void;
}) {
  return (
    <div role="group" aria-label="Filter by compliance" className="flex flex-wrap items-center gap-1">
      {FILTERS.map(({ filter, led, word }, i) => {
        const n = summary[filter];
        const pressed = active === filter;
        return (
          <span key={filter} className="flex items-center gap-1">
            {i > 0 && (
              <span aria-hidden="true" className="text-text-muted">
                ·
              </span>
            )}
            <button
              type="button"
              aria-pressed={pressed}
              onClick={() => onChange(pressed ? null : filter)}
              className={`rounded-md border px-2.5 py-1 transition-colors ${
                pressed ? "border-accent bg-bg-tertiary" : "border-transparent hover:border-border-default hover:bg-bg-tertiary"
              }`}
            >
              <StatusLed state={n === 0 && filter !== "compliant" ? "unknown" : led} label={`${n} ${word}`} className="text-sm" />
            </button>
          </span>
        );
      })}
      {active && (
        <button type="button" onClick={() => onChange(null)} className="ml-2 text-xs text-accent underline hover:text-accent-hover">
          Show all
        </button>
      )}
    </div>
  );
}

function Fleet() {
  const data = usePolling((signal) => api.getComplianceSummary(signal), 60_000, []);
  const [params, setParams] = useSearchParams();
  const raw = params.get("status");
  const active = isFilter(raw) ? raw : null;
  const setFilter = (f: ComplianceFilter | null) => setParams(f ? { status: f } : {}, { replace: true });
  const machines = (data.data?.machines ?? []).filter((m) => !active || m.status === active);
  return (
    <div className="flex flex-col gap-4">
      {data.error && <ErrorNote error={data.error} />}
      {data.data && <FilterBar summary={data.data.summary} active={active} onChange={setFilter} />}
      {data.data && (
        <Panel title={`Machines (${machines.length})`}>
          {machines.length === 0 ? (
            <p className="text-sm text-text-tertiary">No machine matches this filter.</p>
          ) : (
            <ul className="divide-y divide-border-default" aria-label="Machines by compliance">
              {machines.map((m) => {
                const v = machineVerdict(m);
                return (
                  <li key={m.id} data-machine={m.id} data-compliance={m.status}>
                    <Link
                      to={`/compliance/${encodeURIComponent(m.id)}`}
                      className="flex flex-wrap items-center gap-x-4 gap-y-1 rounded px-2 py-2 hover:bg-bg-tertiary"
                    >
                      <span className="w-full truncate font-medium text-text-primary sm:w-auto sm:min-w-0 sm:flex-1">
                        {m.display_name}
                      </span>
                      <StatusLed state={v.led} label={v.label} />
                      <span className="font-mono text-xs text-text-tertiary sm:w-28">{m.pack ?? "—"}</span>
                      <span className="ml-auto font-mono text-xs text-text-tertiary sm:ml-0 sm:w-32 sm:text-right">
                        {m.checked_at ? relativeTime(m.checked_at) : "never"}
                      </span>
                    </Link>
                  </li>
                );
              })}
            </ul>
          )}
        </Panel>
      )}
      {!data.data && !data.error && <p className="font-mono text-sm text-text-tertiary">Loading…</p>}
    </div>
  );
}

function AssignedPacks({
  serverId,
  assigned,
  packs,
  onSaved,
}: {
  serverId: string;
  assigned: string[];
  packs: ConfigPackMetadata[];
  onSaved: () => void;
}) {
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(assigned));
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const dirty = chosen.size !== assigned.length || assigned.some((p) => !chosen.has(p));
  // An assigned pack the hub did not load (file removed or invalid) still shows.
  const known = new Set(packs.map((p) => p.name));
  const listed = [
    ...packs.map((p) => ({ name: p.name, note: `${p.display_name} · ${p.item_count} items${p.extends ? ` · extends ${p.extends}` : ""}` })),
    ...assigned.filter((n) => !known.has(n)).map((name) => ({ name, note: "not loaded on the hub" })),
  ];
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      const names = listed.map((p) => p.name).filter((n) => chosen.has(n) || n === "base");
      const r = await api.saveAssignedPacks(serverId, names);
      setChosen(new Set(r.assigned_packs));
      setOutcome({ error: false, text: `Assigned: ${r.assigned_packs.join(", ")}` });
      onSaved();
    } catch (err) {
      setOutcome({ error: true, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Assigned packs">
      <form onSubmit={save} aria-label="Assigned packs" className="flex flex-col gap-3">
        {packs.length === 0 && (
          <p className="text-xs text-text-tertiary">The hub loaded no packs (see HOMELAB_CMD_PACKS_DIR).</p>
        )}
        <ul className="grid grid-cols-1 gap-2 sm:grid-cols-2">
          {listed.map((p) => {
            const base = p.name === "base";
            return (
              <li key={p.name}>
                <label className="flex items-start gap-2 text-sm text-text-secondary">
                  <input
                    type="checkbox"
                    className="mt-1"
                    checked={base || chosen.has(p.name)}
                    disabled={base}
                    onChange={(e) =>
                      setChosen((s) => {
                        const next = new Set(s);
                        if (e.target.checked) next.add(p.name);
                        else next.delete(p.name);
                        return next;
                      })
                    }
                  />
                  <span>
                    <span className="font-mono text-text-primary">{p.name}</span>
                    {base && <span className="ml-2 text-xs text-text-tertiary">(required)</span>}
                    <span className="block text-xs text-text-tertiary">{p.note}</span>
                  </span>
                </label>
              </li>
            );
          })}
        </ul>
        <div className="flex flex-wrap items-center gap-3">
          <button type="submit" className={primaryButton} disabled={busy || !dirty}>
            Save packs
          </button>
          <Result outcome={outcome} />
        </div>
      </form>
    </Panel>
  );
}

function PackPanel({
  serverId,
  pack,
  latest,
  onChanged,
}: {
  serverId: string;
  pack: string;
  latest: ConfigCheckHistoryItem | undefined;
  onChanged: () => void;
}) {
  const diff = usePolling(
    (signal) =>
      api.getConfigDiff(serverId, pack, signal).catch((e: unknown) => {
        // 404: never checked against this pack; not an error to show.
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    5 * 60_000,
    [serverId, pack],
  );
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [dialog, setDialog] = useState<"apply" | "remove" | null>(null);
  const v = checkVerdict(latest);
  const refresh = () => {
    diff.refresh();
    onChanged();
  };

  const checkNow = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const r = await api.checkCompliance(serverId, pack);
      const n = r.mismatches.length;
      setOutcome({
        error: false,
        text: r.is_compliant ? "Compliant" : `${n} mismatch${n === 1 ? "" : "es"} found`,
      });
      refresh();
    } catch (err) {
      setOutcome({ error: true, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel
      title={`Pack ${pack}`}
      actions={
        <div className="flex flex-wrap gap-2">
          <button type="button" className={secondaryButton} disabled={busy} onClick={checkNow}>
            {busy ? "Checking…" : "Check now"}
            <span className="sr-only"> against {pack}</span>
          </button>
          <button type="button" className={primaryButton} disabled={busy} onClick={() => setDialog("apply")}>
            Apply<span className="sr-only"> {pack}</span>
          </button>
          <button type="button" className={dangerButton} disabled={busy} onClick={() => setDialog("remove")}>
            Remove pack<span className="sr-only"> {pack}</span>
          </button>
        </div>
      }
    >
      <div className="flex flex-col gap-3" data-pack={pack}>
        <p className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <StatusLed state={v.led} label={v.label} className="text-sm" />
          {latest && (
            <span className="font-mono text-xs text-text-tertiary">
              checked {relativeTime(latest.checked_at)} · {latest.check_duration_ms} ms
            </span>
          )}
        </p>
        <Result outcome={outcome} />
        {diff.error && <ErrorNote error={diff.error} />}
        {diff.data === null && <p className="text-sm text-text-tertiary">Not checked against {pack} yet: run Check now.</p>}
        {diff.data && diff.data.is_compliant && (
          <p className="text-sm text-text-tertiary">
            All {diff.data.summary.total_items} items match the pack.
          </p>
        )}
        {diff.data && !diff.data.is_compliant && (
          <>
            <p className="font-mono text-xs text-text-tertiary">
              {diff.data.summary.mismatched} of {diff.data.summary.total_items} items differ
            </p>
            <MismatchList mismatches={diff.data.mismatches} />
          </>
        )}
      </div>
      {dialog === "apply" && (
        <ApplyDialog serverId={serverId} pack={pack} onClose={() => setDialog(null)} onFinished={refresh} />
      )}
      {dialog === "remove" && (
        <RemoveDialog serverId={serverId} pack={pack} onClose={() => setDialog(null)} onFinished={refresh} />
      )}
    </Panel>
  );
}

function MachineCompliance({ serverId }: { serverId: string }) {
  const server = usePolling((signal) => api.getServer(serverId, signal), 60_000, [serverId]);
  const assigned = usePolling((signal) => api.getAssignedPacks(serverId, signal), 5 * 60_000, [serverId]);
  const packs = usePolling((signal) => api.listPacks(signal), 5 * 60_000, []);
  const checks = usePolling((signal) => api.listChecks(serverId, 100, signal), 60_000, [serverId]);
  const latest = newestByPack(checks.data?.checks ?? []);
  const name = server.data ? (server.data.display_name ?? server.data.hostname) : serverId;
  return (
    <div className="flex flex-col gap-4">
      <header>
        <Link to="/compliance" className="text-sm text-accent hover:text-accent-hover">
          ← All machines
        </Link>
        <h2 className="mt-1 text-xl font-bold text-text-primary">{name}</h2>
        <p className="font-mono text-sm text-text-tertiary">
          <Link to={`/machines/${encodeURIComponent(serverId)}`} className="text-accent hover:text-accent-hover">
            Machine page
          </Link>
        </p>
      </header>
      {server.error && <ErrorNote error={server.error} />}
      {assigned.error && <ErrorNote error={assigned.error} />}
      {packs.error && <ErrorNote error={packs.error} />}
      {assigned.data && packs.data && (
        <AssignedPacks
          key={assigned.data.assigned_packs.join(",")}
          serverId={serverId}
          assigned={assigned.data.assigned_packs}
          packs={packs.data.packs}
          onSaved={assigned.refresh}
        />
      )}
      {assigned.data?.assigned_packs.map((p) => (
        <PackPanel key={p} serverId={serverId} pack={p} latest={latest.get(p)} onChanged={checks.refresh} />
      ))}
    </div>
  );
}

export default function CompliancePage() {
  const { machineId } = useParams();
  return (
    <div className="mx-auto max-w-screen-lg">
      <h1 className="mb-4 text-2xl font-bold text-text-primary">Compliance</h1>
      {machineId ? <MachineCompliance serverId={machineId} /> : <Fleet />}
    </div>
  );
}
