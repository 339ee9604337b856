// Config drift as BRAND.md asks: a unified diff in monospace on a dark inset,
// additions green, removals red, file headers cyan. Each line keeps its +/-
// sign, so the diff reads the same without colour.

import type { DiffMismatchItem } from "../../types/generated/DiffMismatchItem";
import { diffLines, groupByKind, mismatchDetail, type DiffLineKind } from "./compliance";

const LINE: Record<DiffLineKind, string> = {
  file: "text-accent",
  hunk: "text-text-tertiary",
  add: "bg-status-online/10 text-status-online",
  remove: "bg-status-error/10 text-status-error",
  context: "text-text-secondary",
};

export function UnifiedDiff({ diff, label }: { diff: string; label: string }) {
  return (
    <figure
      aria-label={label}
      className="overflow-hidden rounded-md border border-border-default bg-bg-primary shadow-[inset_0_1px_3px_rgb(0_0_0/0.5)]"
    >
      <pre className="max-h-96 overflow-auto py-2 font-mono text-xs leading-relaxed">
        {diffLines(diff).map((l, i) => (
          <span key={i} className={`block whitespace-pre px-3 ${LINE[l.kind]}`} data-diff-line={l.kind}>
            {l.text || " "}
          </span>
        ))}
      </pre>
    </figure>
  );
}

/** A check's mismatches, grouped by kind, each with its diff when the content differs. */
export function MismatchList({ mismatches }: { mismatches: DiffMismatchItem[] }) {
  return (
    <div className="flex flex-col gap-4">
      {groupByKind(mismatches).map((g) => (
        <section key={g.kind} aria-label={g.title} data-kind={g.kind}>
          <h4 className="mb-2 text-sm font-medium text-text-secondary">
            {g.title} <span className="font-mono text-xs text-text-tertiary">({g.items.length})</span>
          </h4>
          <ul className="flex flex-col gap-2">
            {g.items.map((m) => (
              <li key={`${m.category}:${m.item}:${m.type}`} className="flex flex-col gap-1">
                <p className="break-all text-sm">
                  <span className="font-mono text-text-primary">{m.item}</span>{" "}
                  <span className="text-text-tertiary">{mismatchDetail(m)}</span>
                </p>
                {m.diff && <UnifiedDiff diff={m.diff} label={`Diff of ${m.item}`} />}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
