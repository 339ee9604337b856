// Remediation actions: what waits for approval (machines in maintenance),
// the history of everything run with its output in a terminal block, and
// the hub's tamper-evident audit trail. The machine filter is in the URL,
// so the services widget can link to one machine's actions.

import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, type ActionStatus, type AuditOutcome } from "../../api/client";
import type { ActionResponse } from "../../types/generated/ActionResponse";
import type { AuditEntryResponse } from "../../types/generated/AuditEntryResponse";
import { ErrorNote, Panel } from "../../components/Panel";
import { StatusLed } from "../../components/StatusLed";
import { TerminalBlock } from "../../components/TerminalBlock";
import { relativeTime } from "../../lib/format";
import { displayName } from "../../lib/status";
import { usePolling } from "../../lib/usePolling";
import {
  actionLed,
  actionStatusLabel,
  auditLed,
  canCancel,
  describeAction,
  duration,
  hasOutput,
  isInFlight,
} from "./actions";

const POLL_MS = 15_000;
/** While something runs, its result shows up within a couple of seconds. */
const IN_FLIGHT_POLL_MS = 2_000;
const PAGE = 25;
const AUDIT_PAGE = 50;
const STATUSES: ActionStatus[] = ["pending", "approved", "executing", "completed", "failed", "rejected", "cancelled"];
const OUTCOMES: AuditOutcome[] = ["allowed", "completed", "failed", "rejected"];

const select =
  "rounded-md border border-border-default bg-bg-tertiary px-2 py-1.5 text-sm text-text-primary";
const small =
  "rounded border border-border-strong px-2 py-1 text-xs text-text-secondary hover:border-accent hover:text-accent disabled:opacity-50";
const primary =
  "rounded border border-status-online/50 px-2 py-1 text-xs text-status-online hover:bg-status-online/10 disabled:opacity-50";
const danger =
  "rounded border border-status-error/50 px-2 py-1 text-xs text-status-error hover:bg-status-error/10 disabled:opacity-50";

function oneOf<T extends string>(v: string | null, allowed: readonly T[]): T | undefined {
  return allowed.includes(v as T) ? (v as T) : undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function MachineLink({ id }: { id: string }) {
  return (
    <Link to={`/machines/${encodeURIComponent(id)}`} className="font-mono text-accent hover:text-accent-hover">
      {id}
    </Link>
  );
}

/** Run one of the row's requests; errors stay on the row. */
function useRowAction(onChanged: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onChanged();
      return true;
    } catch (e) {
      setError(message(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function PendingRow({ a, onChanged }: { a: ActionResponse; onChanged: () => void }) {
  const { busy, error, run } = useRowAction(onChanged);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const what = `${describeAction(a)} on ${a.server_id}`;
  return (
    <li className="flex flex-col gap-2 py-3" data-action-id={a.id}>
      <div className="flex flex-wrap items-start gap-x-4 gap-y-2">
        <div className="min-w-0 flex-1">
          <p className="text-sm font-medium text-text-primary">
            {describeAction(a)} <span className="font-normal text-text-tertiary">on</span> <MachineLink id={a.server_id} />
          </p>
          <p className="mt-1 font-mono text-xs text-text-secondary">
            <span className="text-accent">$ </span>
            {a.command}
          </p>
          <p className="mt-1 font-mono text-xs text-text-tertiary">
            #{a.id} · asked {relativeTime(a.created_at)} by {a.created_by}
            {a.alert_id != null && (
              <>
                {" · "}
                <Link to={`/alerts?machine=${encodeURIComponent(a.server_id)}`} className="text-accent hover:text-accent-hover">
                  from alert {a.alert_id}
                </Link>
              </>
            )}
          </p>
        </div>
        {!rejecting && (
          <div className="flex gap-2">
            <button type="button" className={primary} disabled={busy} onClick={() => run(() => api.approveAction(a.id))}>
              Approve<span className="sr-only"> {what}</span>
            </button>
            <button type="button" className={danger} disabled={busy} onClick={() => setRejecting(true)}>
              Reject<span className="sr-only"> {what}</span>
            </button>
          </div>
        )}
      </div>
      {rejecting && (
        <form
          className="flex flex-wrap items-end gap-2"
          aria-label={`Reject ${what}`}
          onSubmit={async (e) => {
            e.preventDefault();
            if (await run(() => api.rejectAction(a.id, reason.trim()))) setRejecting(false);
          }}
        >
          <label className="flex min-w-60 flex-1 flex-col gap-1 text-xs text-text-tertiary">
            Reason for rejecting
            <input
              autoFocus
              required
              maxLength={1000}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              className="rounded-md border border-border-default bg-bg-tertiary px-2 py-1.5 text-sm text-text-primary focus:border-accent focus:outline-none"
            />
          </label>
          <button type="submit" className={danger} disabled={busy || !reason.trim()}>
            Reject
          </button>
          <button type="button" className={small} onClick={() => setRejecting(false)}>
            Keep
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="text-xs text-status-error">
          {error}
        </p>
      )}
    </li>
  );
}

function HistoryRow({ a, onChanged }: { a: ActionResponse; onChanged: () => void }) {
  const { busy, error, run } = useRowAction(onChanged);
  const [open, setOpen] = useState(false);
  const outputId = `action-output-${a.id}`;
  const who =
    a.status === "rejected"
      ? `rejected by ${a.rejected_by ?? "?"}${a.rejection_reason ? `: ${a.rejection_reason}` : ""}`
      : a.approved_by
        ? `approved by ${a.approved_by}`
        : null;
  const when = a.completed_at ?? a.executed_at ?? a.rejected_at ?? a.created_at;
  return (
    <li className="py-3" data-action-id={a.id} data-action-status={a.status}>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start">
        <div className="w-40 shrink-0">
          <StatusLed state={actionLed(a.status)} label={actionStatusLabel(a.status)} />
        </div>
        <div className="min-w-0 flex-1">
          <p className="text-sm text-text-primary">
            {describeAction(a)} <span className="text-text-tertiary">on</span> <MachineLink id={a.server_id} />
          </p>
          <p className="mt-0.5 font-mono text-xs text-text-tertiary">
            #{a.id} · {relativeTime(when)}
            {who && ` · ${who}`}
            {a.exit_code != null && ` · exit ${a.exit_code}`}
          </p>
          {error && (
            <p role="alert" className="mt-1 text-xs text-status-error">
              {error}
            </p>
          )}
        </div>
        <div className="flex gap-2">
          {hasOutput(a) && (
            <button
              type="button"
              className={small}
              aria-expanded={open}
              aria-controls={outputId}
              onClick={() => setOpen((o) => !o)}
            >
              {open ? "Hide output" : "Output"}
              <span className="sr-only"> of action {a.id}</span>
            </button>
          )}
          {canCancel(a.status) && (
            <button type="button" className={small} disabled={busy} onClick={() => run(() => api.cancelAction(a.id))}>
              Cancel<span className="sr-only"> action {a.id}</span>
            </button>
          )}
        </div>
      </div>
      {open && (
        <div id={outputId} className="mt-2">
          <TerminalBlock
            label={`Output of action ${a.id}`}
            command={a.command}
            stdout={a.stdout}
            stderr={a.stderr}
            exitCode={a.exit_code}
          />
        </div>
      )}
    </li>
  );
}

function AuditRow({ e }: { e: AuditEntryResponse }) {
  return (
    <tr className="border-b border-border-default/50 align-top" data-audit-id={e.id}>
      <td className="whitespace-nowrap px-2 py-1.5 font-mono text-xs text-text-tertiary" title={e.timestamp}>
        {new Date(e.timestamp).toLocaleString()}
      </td>
      <td className="whitespace-nowrap px-2 py-1.5 font-mono text-xs">{e.server_id ? <MachineLink id={e.server_id} /> : "–"}</td>
      <td className="px-2 py-1.5 font-mono text-xs text-text-secondary">{e.action}</td>
      <td className="max-w-72 break-words px-2 py-1.5 font-mono text-xs text-text-primary">
        {e.argv?.join(" ") ?? "–"}
      </td>
      <td className="whitespace-nowrap px-2 py-1.5">
        <StatusLed state={auditLed(e.outcome)} label={e.outcome} />
      </td>
      <td className="max-w-72 break-words px-2 py-1.5 text-xs text-text-tertiary">{e.reason ?? ""}</td>
      <td className="whitespace-nowrap px-2 py-1.5 text-right font-mono text-xs text-text-tertiary">
        {e.exit_code != null ? `exit ${e.exit_code} · ` : ""}
        {duration(e.duration_ms)}
      </td>
      <td className="px-2 py-1.5 font-mono text-xs text-text-tertiary">{e.actor}</td>
      <td className="px-2 py-1.5 font-mono text-[11px] text-text-muted" title={`hash ${e.hash}, previous ${e.prev_hash}`}>
        {e.hash.slice(0, 8)}
      </td>
    </tr>
  );
}

function Pager({
  offset,
  page,
  total,
  onChange,
  label,
}: {
  offset: number;
  page: number;
  total: number;
  onChange: (offset: number) => void;
  label: string;
}) {
  if (total <= page) return null;
  return (
    <nav aria-label={label} className="mt-3 flex items-center justify-end gap-2 font-mono text-xs">
      <button type="button" className={small} disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - page))}>
        ← Newer
      </button>
      <span className="text-text-tertiary">
        {offset + 1}–{Math.min(offset + page, total)} of {total}
      </span>
      <button type="button" className={small} disabled={offset + page >= total} onClick={() => onChange(offset + page)}>
        Older →
      </button>
    </nav>
  );
}

export default function ActionsPage() {
  const [params, setParams] = useSearchParams();
  const status = oneOf(params.get("status"), STATUSES);
  const machine = params.get("machine") || undefined;
  const [offset, setOffset] = useState(0);
  const [outcome, setOutcome] = useState<AuditOutcome | undefined>();
  const [auditOffset, setAuditOffset] = useState(0);

  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
    setOffset(0);
    setAuditOffset(0);
  };

  const pending = usePolling(
    (signal) => api.listActions({ status: "pending", server_id: machine, limit: 100 }, signal),
    POLL_MS,
    [machine],
  );
  const [inFlight, setInFlight] = useState(false);
  const history = usePolling(
    async (signal) => {
      const r = await api.listActions({ status, server_id: machine, limit: PAGE, offset }, signal);
      setInFlight(r.actions.some((a) => isInFlight(a.status)));
      return r;
    },
    inFlight ? IN_FLIGHT_POLL_MS : POLL_MS,
    [status, machine, offset],
  );
  const audit = usePolling(
    (signal) => api.listAudit({ server_id: machine, outcome, limit: AUDIT_PAGE, offset: auditOffset }, signal),
    inFlight ? IN_FLIGHT_POLL_MS : POLL_MS,
    [machine, outcome, auditOffset],
  );
  const fleet = usePolling((signal) => api.listServers(signal), 60_000, []);
  const refresh = () => {
    pending.refresh();
    history.refresh();
    audit.refresh();
  };

  const waiting = pending.data?.actions ?? [];
  const actions = history.data?.actions ?? [];
  const entries = audit.data?.entries ?? [];

  return (
    <div className="mx-auto max-w-screen-xl">
      <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-bold text-text-primary">Actions</h1>
          <p className="mt-1 max-w-2xl text-sm text-text-tertiary">
            Actions run over SSH as soon as they are asked for; on a machine in maintenance they wait here for
            approval. Every attempt, allowed or refused, is in the audit trail.
          </p>
        </div>
        <label className="flex flex-col gap-1 text-xs text-text-tertiary">
          Machine
          <select className={select} value={machine ?? ""} onChange={(e) => set("machine", e.target.value)}>
            <option value="">All machines</option>
            {machine && !fleet.data?.servers.some((m) => m.id === machine) && <option value={machine}>{machine}</option>}
            {(fleet.data?.servers ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {displayName(m)}
              </option>
            ))}
          </select>
        </label>
      </div>

      <Panel
        title="Awaiting approval"
        actions={<span className="font-mono text-xs text-text-tertiary">{pending.data ? pending.data.total : ""}</span>}
      >
        {pending.error ? (
          <ErrorNote error={pending.error} />
        ) : !pending.data ? (
          <p className="font-mono text-sm text-text-tertiary">Loading…</p>
        ) : waiting.length === 0 ? (
          <p className="text-sm text-text-tertiary">
            <StatusLed state="online" label="Nothing waits for approval." />
          </p>
        ) : (
          <ul className="divide-y divide-border-default/60">
            {waiting.map((a) => (
              <PendingRow key={a.id} a={a} onChanged={refresh} />
            ))}
          </ul>
        )}
      </Panel>

      <div className="mt-6">
        <Panel
          title="History"
          actions={
            <div role="group" aria-label="Actions by status" className="flex flex-wrap gap-1 font-mono text-xs">
              {[undefined, ...STATUSES].map((s) => (
                <button
                  key={s ?? "all"}
                  type="button"
                  aria-pressed={status === s}
                  onClick={() => set("status", s)}
                  className={`rounded border px-2 py-1 ${status === s ? "border-accent text-accent" : "border-border-default text-text-secondary hover:border-border-strong"}`}
                >
                  {s ? actionStatusLabel(s) : "all"}
                </button>
              ))}
            </div>
          }
        >
          {history.error ? (
            <ErrorNote error={history.error} />
          ) : !history.data ? (
            <p className="font-mono text-sm text-text-tertiary">Loading…</p>
          ) : actions.length === 0 ? (
            <p className="text-sm text-text-tertiary">No actions yet.</p>
          ) : (
            <ul className="divide-y divide-border-default/60" aria-label="Action history">
              {actions.map((a) => (
                <HistoryRow key={a.id} a={a} onChanged={refresh} />
              ))}
            </ul>
          )}
          <Pager label="Action pages" offset={offset} page={PAGE} total={history.data?.total ?? 0} onChange={setOffset} />
        </Panel>
      </div>

      <div className="mt-6">
        <Panel
          title="Audit trail"
          actions={
            <label className="flex items-center gap-2 text-xs text-text-tertiary">
              Outcome
              <select
                className={`${select} py-1 text-xs`}
                value={outcome ?? ""}
                onChange={(e) => {
                  setOutcome(oneOf(e.target.value, OUTCOMES));
                  setAuditOffset(0);
                }}
              >
                <option value="">Any</option>
                {OUTCOMES.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            </label>
          }
        >
          {audit.error ? (
            <ErrorNote error={audit.error} />
          ) : !audit.data ? (
            <p className="font-mono text-sm text-text-tertiary">Loading…</p>
          ) : entries.length === 0 ? (
            <p className="text-sm text-text-tertiary">Nothing audited yet.</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full min-w-[56rem] text-sm" aria-label="Audit trail">
                <thead>
                  <tr className="border-b border-border-default text-left text-xs text-text-tertiary">
                    <th className="px-2 py-1.5 font-medium">Time</th>
                    <th className="px-2 py-1.5 font-medium">Machine</th>
                    <th className="px-2 py-1.5 font-medium">Event</th>
                    <th className="px-2 py-1.5 font-medium">Command</th>
                    <th className="px-2 py-1.5 font-medium">Outcome</th>
                    <th className="px-2 py-1.5 font-medium">Detail</th>
                    <th className="px-2 py-1.5 text-right font-medium">Result</th>
                    <th className="px-2 py-1.5 font-medium">Actor</th>
                    <th className="px-2 py-1.5 font-medium">Hash</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e) => (
                    <AuditRow key={e.id} e={e} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager
            label="Audit pages"
            offset={auditOffset}
            page={AUDIT_PAGE}
            total={audit.data?.total ?? 0}
            onChange={setAuditOffset}
          />
        </Panel>
      </div>
    </div>
  );
}
