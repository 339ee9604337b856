// Applying or removing a pack is never one click: the hub's dry run (or
// removal preview) is shown first, the operator confirms, then an apply run
// is polled every second for its progress, per-item results and the re-check.

import { useEffect, useState } from "react";
import { api, ApiError } from "../../api/client";
import { Dialog } from "../../components/Dialog";
import { dangerButton, errorText, primaryButton, Result, secondaryButton } from "../../components/forms";
import { StatusLed } from "../../components/StatusLed";
import type { ApplyPreviewResponse } from "../../types/generated/ApplyPreviewResponse";
import type { ApplyStatusResponse } from "../../types/generated/ApplyStatusResponse";
import type { RemovePreviewResponse } from "../../types/generated/RemovePreviewResponse";
import type { RemoveResponse } from "../../types/generated/RemoveResponse";
import { applyFinished, clampProgress } from "./compliance";
import { UnifiedDiff } from "./DiffView";

export const APPLY_POLL_MS = 1_000;

type ApplyPhase =
  | { step: "previewing" }
  | { step: "preview"; preview: ApplyPreviewResponse }
  | { step: "starting"; preview: ApplyPreviewResponse }
  | { step: "running"; applyId: number; status: ApplyStatusResponse | null }
  | { step: "error"; message: string; busy: boolean };

function PlanSection({ title, count, children }: { title: string; count: number; children: React.ReactNode }) {
  if (count === 0) return null;
  return (
    <section aria-label={title} className="flex flex-col gap-2">
      <h3 className="text-sm font-medium text-text-secondary">
        {title} <span className="font-mono text-xs text-text-tertiary">({count})</span>
      </h3>
      <ul className="flex flex-col gap-2">{children}</ul>
    </section>
  );
}

function PlanItem({ action, name, note }: { action: string; name: string; note: string }) {
  return (
    <li className="text-sm">
      <span className="mr-2 rounded border border-border-strong px-1 font-mono text-[11px] text-accent">{action}</span>
      <span className="break-all font-mono text-text-primary">{name}</span>
      {note && <span className="block text-xs text-text-tertiary">{note}</span>}
    </li>
  );
}

function Preview({ preview }: { preview: ApplyPreviewResponse }) {
  return (
    <div className="flex flex-col gap-4" data-apply-preview>
      <p className="text-base font-medium text-text-primary" data-preview-summary>
        {preview.summary}
      </p>
      {preview.needs_sudo && (
        <p className="text-xs text-status-warning">▲ Some steps run with sudo on the machine.</p>
      )}
      {preview.total_items === 0 && (
        <p className="text-sm text-text-tertiary">The machine already matches the pack: nothing to change.</p>
      )}
      <PlanSection title="Files" count={preview.files.length}>
        {preview.files.map((f) => (
          <li key={`${f.action}:${f.path}`} className="flex flex-col gap-1 text-sm" data-planned-file={f.path}>
            <span>
              <span className="mr-2 rounded border border-border-strong px-1 font-mono text-[11px] text-accent">
                {f.action}
              </span>
              <span className="break-all font-mono text-text-primary">{f.path}</span>
              <span className="ml-2 font-mono text-xs text-text-tertiary">{f.mode !== "-" && f.mode}</span>
            </span>
            <span className="text-xs text-text-tertiary">{f.description}</span>
            {f.diff && <UnifiedDiff diff={f.diff} label={`Planned change to ${f.path}`} />}
          </li>
        ))}
      </PlanSection>
      <PlanSection title="Directories, modes and owners" count={preview.paths.length}>
        {preview.paths.map((p) => (
          <PlanItem
            key={`${p.action}:${p.path}`}
            action={p.action}
            name={p.mode && p.mode !== "-" ? `${p.path} ${p.mode}` : p.path}
            note={p.description}
          />
        ))}
      </PlanSection>
      <PlanSection title="Packages" count={preview.packages.length}>
        {preview.packages.map((p) => (
          <PlanItem key={p.package} action={p.action} name={p.version ? `${p.package} ≥ ${p.version}` : p.package} note={p.description} />
        ))}
      </PlanSection>
      <PlanSection title="Settings" count={preview.settings.length}>
        {preview.settings.map((s) => (
          <PlanItem key={s.key} action={s.action} name={`${s.key} = ${s.value}`} note={s.description} />
        ))}
      </PlanSection>
      <PlanSection title="Services" count={preview.services.length}>
        {preview.services.map((s) => (
          <PlanItem key={s.service} action={s.action} name={s.service} note={s.description} />
        ))}
      </PlanSection>
      <PlanSection title="Left to you (the hub cannot fix these)" count={preview.manual.length}>
        {preview.manual.map((m) => (
          <PlanItem key={`${m.item_type}:${m.item}`} action={`▲ ${m.item_type}`} name={m.item} note={m.reason} />
        ))}
      </PlanSection>
    </div>
  );
}

function Progress({ status }: { status: ApplyStatusResponse | null }) {
  const pct = clampProgress(status?.progress ?? 0);
  const done = status != null && applyFinished(status);
  return (
    <div className="flex flex-col gap-3">
      <div>
        <div className="mb-1 flex justify-between font-mono text-xs text-text-tertiary">
          <span>{status ? status.status : "pending"}</span>
          <span>
            {status ? `${status.items_completed + status.items_failed}/${status.items_total}` : ""} · {pct}%
          </span>
        </div>
        <div
          role="progressbar"
          aria-label="Apply progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          className="h-2 overflow-hidden rounded-full bg-bg-tertiary"
        >
          <div
            className={`h-full transition-[width] ${status?.status === "failed" ? "bg-status-error" : done ? "bg-status-online" : "bg-accent"}`}
            style={{ width: `${pct}%` }}
          />
        </div>
      </div>
      {!done && (
        <p className="font-mono text-xs text-text-secondary" aria-live="polite" data-current-item>
          {status?.current_item ? `Applying ${status.current_item}…` : "Starting…"}
        </p>
      )}
      {status && status.items.length > 0 && (
        <ul className="flex flex-col gap-1" aria-label="Applied items">
          {status.items.map((it, i) => (
            <li
              key={`${i}:${it.item}`}
              className={`font-mono text-xs ${it.success ? "text-status-online" : "text-status-error"}`}
              data-item-success={it.success}
            >
              {it.success ? "✓" : "✕"} {it.action} <span className="break-all text-text-primary">{it.item}</span>
              {it.error && <span className="block pl-4 text-status-error">{it.error}</span>}
              {it.backup_path && <span className="block pl-4 text-text-tertiary">backup: {it.backup_path}</span>}
            </li>
          ))}
        </ul>
      )}
      {done && status && <Verdict status={status} />}
    </div>
  );
}

function Verdict({ status }: { status: ApplyStatusResponse }) {
  const failed = status.status === "failed";
  return (
    <div className="flex flex-col gap-1 border-t border-border-default pt-3" data-apply-result={status.status}>
      <p role={failed ? "alert" : "status"} className={`text-sm ${failed ? "text-status-error" : "text-status-online"}`}>
        {failed ? "✕ Apply failed" : "✓ Apply finished"}: {status.items_completed} of {status.items_total} applied
        {status.items_failed > 0 && `, ${status.items_failed} failed`}
        {status.error && ` (${status.error})`}
      </p>
      {status.recheck ? (
        <p data-recheck={status.recheck.is_compliant ? "compliant" : "non_compliant"}>
          <span className="mr-2 text-sm text-text-secondary">Re-check:</span>{" "}
          <StatusLed
            state={status.recheck.is_compliant ? "online" : "warning"}
            label={
              status.recheck.is_compliant
                ? "compliant"
                : `${status.recheck.mismatch_count} mismatch${status.recheck.mismatch_count === 1 ? "" : "es"} left`
            }
            className="text-sm"
          />
        </p>
      ) : (
        <p className="text-xs text-text-tertiary">No re-check ran.</p>
      )}
    </div>
  );
}

export function ApplyDialog({
  serverId,
  pack,
  onClose,
  onFinished,
  pollMs = APPLY_POLL_MS,
}: {
  serverId: string;
  pack: string;
  onClose: () => void;
  /** After a run ends (refresh the check and the diff). */
  onFinished: () => void;
  pollMs?: number;
}) {
  const [phase, setPhase] = useState<ApplyPhase>({ step: "previewing" });

  useEffect(() => {
    let live = true;
    api
      .previewApply(serverId, pack)
      .then((preview) => live && setPhase({ step: "preview", preview }))
      .catch((e) => live && setPhase({ step: "error", message: errorText(e), busy: false }));
    return () => {
      live = false;
    };
  }, [serverId, pack]);

  const applyId = phase.step === "running" ? phase.applyId : null;
  useEffect(() => {
    if (applyId == null) return;
    let live = true;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const s = await api.getApplyStatus(serverId, applyId);
        if (!live) return;
        setPhase({ step: "running", applyId, status: s });
        if (applyFinished(s)) {
          onFinished();
          return;
        }
      } catch (e) {
        if (!live) return;
        // A missed poll is not the end of the run: try again next second.
        if (!(e instanceof ApiError) || e.status >= 500) {
          timer = window.setTimeout(poll, pollMs);
          return;
        }
        setPhase({ step: "error", message: errorText(e), busy: false });
        return;
      }
      timer = window.setTimeout(poll, pollMs);
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
    // onFinished is the caller's refresh; a new one must not restart polling.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [serverId, applyId, pollMs]);

  const confirm = async (preview: ApplyPreviewResponse) => {
    setPhase({ step: "starting", preview });
    try {
      const started = await api.startApply(serverId, pack);
      setPhase({ step: "running", applyId: started.apply_id, status: null });
    } catch (e) {
      const message =
        e instanceof ApiError && e.status === 409
          ? `An apply is already running on this machine: wait for it to finish. (${e.message})`
          : errorText(e);
      setPhase({ step: "error", message, busy: false });
    }
  };

  const running = phase.step === "running" && !(phase.status && applyFinished(phase.status));
  const title =
    phase.step === "running" ? `Applying ${pack}` : `Apply ${pack}: preview`;

  let body: React.ReactNode;
  let footer: React.ReactNode;
  switch (phase.step) {
    case "previewing":
      body = <p className="font-mono text-sm text-text-tertiary">Checking the machine and planning the changes…</p>;
      footer = (
        <button type="button" className={secondaryButton} onClick={onClose}>
          Cancel
        </button>
      );
      break;
    case "preview":
    case "starting":
      body = <Preview preview={phase.preview} />;
      footer = (
        <>
          <button type="button" className={secondaryButton} onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={primaryButton}
            disabled={phase.step === "starting" || phase.preview.total_items === 0}
            onClick={() => confirm(phase.preview)}
          >
            {phase.step === "starting" ? "Starting…" : "Confirm apply"}
          </button>
        </>
      );
      break;
    case "running":
      body = <Progress status={phase.status} />;
      footer = (
        <button type="button" className={secondaryButton} onClick={onClose} disabled={running}>
          {running ? "Applying…" : "Close"}
        </button>
      );
      break;
    case "error":
      body = <Result outcome={{ error: true, text: phase.message }} />;
      footer = (
        <button type="button" className={secondaryButton} onClick={onClose}>
          Close
        </button>
      );
      break;
  }

  return (
    <Dialog title={title} onClose={running ? undefined : onClose} footer={footer} wide>
      {body}
    </Dialog>
  );
}

type RemovePhase =
  | { step: "previewing" }
  | { step: "preview"; preview: RemovePreviewResponse; busy: boolean }
  | { step: "done"; result: RemoveResponse }
  | { step: "error"; message: string };

export function RemoveDialog({
  serverId,
  pack,
  onClose,
  onFinished,
}: {
  serverId: string;
  pack: string;
  onClose: () => void;
  onFinished: () => void;
}) {
  const [phase, setPhase] = useState<RemovePhase>({ step: "previewing" });

  useEffect(() => {
    let live = true;
    api
      .previewRemove(serverId, pack)
      .then((preview) => live && setPhase({ step: "preview", preview, busy: false }))
      .catch((e) => live && setPhase({ step: "error", message: errorText(e) }));
    return () => {
      live = false;
    };
  }, [serverId, pack]);

  const confirm = async (preview: RemovePreviewResponse) => {
    setPhase({ step: "preview", preview, busy: true });
    try {
      const result = await api.removePack(serverId, pack);
      setPhase({ step: "done", result });
      onFinished();
    } catch (e) {
      setPhase({ step: "error", message: errorText(e) });
    }
  };

  const busy = phase.step === "preview" && phase.busy;
  let body: React.ReactNode;
  let footer: React.ReactNode = (
    <button type="button" className={secondaryButton} onClick={onClose} disabled={busy}>
      {phase.step === "preview" ? "Cancel" : "Close"}
    </button>
  );
  switch (phase.step) {
    case "previewing":
      body = <p className="font-mono text-sm text-text-tertiary">Listing what the pack put on the machine…</p>;
      break;
    case "preview": {
      const p = phase.preview;
      body = (
        <div className="flex flex-col gap-4" data-remove-preview>
          <p role="alert" className="text-sm text-status-warning">
            ▲ {p.warning}
          </p>
          <PlanSection title="Files" count={p.files.length}>
            {p.files.map((f) => (
              <PlanItem key={f.path} action={f.action} name={f.path} note={f.note} />
            ))}
          </PlanSection>
          <PlanSection title="Packages" count={p.packages.length}>
            {p.packages.map((x) => (
              <PlanItem key={x.package} action={x.action} name={x.package} note={x.note} />
            ))}
          </PlanSection>
          <PlanSection title="Settings" count={p.settings.length}>
            {p.settings.map((s) => (
              <PlanItem key={s.key} action={s.action} name={s.key} note={s.note} />
            ))}
          </PlanSection>
        </div>
      );
      footer = (
        <>
          {footer}
          <button type="button" className={dangerButton} disabled={busy} onClick={() => confirm(p)}>
            {busy ? "Removing…" : "Confirm removal"}
          </button>
        </>
      );
      break;
    }
    case "done": {
      const r = phase.result;
      body = (
        <div className="flex flex-col gap-3" data-remove-result={r.success ? "ok" : "failed"}>
          <Result
            outcome={{
              error: !r.success,
              text: `${r.items_deleted} files deleted or restored, ${r.items_removed} settings removed, ${r.items_skipped} packages left installed${r.items_failed ? `, ${r.items_failed} failed` : ""}`,
            }}
          />
          <ul className="flex flex-col gap-1">
            {r.items.map((it, i) => (
              <li
                key={`${i}:${it.item}`}
                className={`font-mono text-xs ${it.success ? "text-text-secondary" : "text-status-error"}`}
              >
                {it.success ? "✓" : "✕"} {it.action} <span className="break-all text-text-primary">{it.item}</span>
                {(it.error ?? it.note) && <span className="block pl-4 text-text-tertiary">{it.error ?? it.note}</span>}
              </li>
            ))}
          </ul>
        </div>
      );
      break;
    }
    case "error":
      body = <Result outcome={{ error: true, text: phase.message }} />;
      break;
  }
  return (
    <Dialog title={`Remove ${pack}`} onClose={busy ? undefined : onClose} footer={footer} wide>
      {body}
    </Dialog>
  );
}
