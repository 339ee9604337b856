// Form look shared by the Settings and Compliance pages: inputs, buttons and
// the one-line outcome after a save (✓ / ✕ as well as colour, per BRAND.md).

export const inputClass =
  "w-full rounded-md border border-border-default bg-bg-tertiary px-2 py-1.5 font-mono text-sm text-text-primary placeholder:text-text-muted";
export const primaryButton =
  "rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-bg-primary hover:bg-accent-hover disabled:opacity-50";
export const secondaryButton =
  "rounded-md border border-border-strong px-3 py-1.5 text-sm text-text-secondary hover:border-accent hover:text-accent disabled:opacity-50";
export const dangerButton =
  "rounded-md border border-status-error/60 px-3 py-1.5 text-sm text-status-error hover:bg-status-error/10 disabled:opacity-50";

export type Outcome = { error: boolean; text: string } | null;

export function Result({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  return (
    <p
      role={outcome.error ? "alert" : "status"}
      className={`text-sm ${outcome.error ? "text-status-error" : "text-status-online"}`}
    >
      {outcome.error ? "✕ " : "✓ "}
      {outcome.text}
    </p>
  );
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
