// Command output as a terminal (BRAND.md): monospace on a dark inset, the
// command as a prompt line, stderr in the error colour, the exit code last.

export function TerminalBlock({
  command,
  stdout,
  stderr,
  exitCode,
  label,
}: {
  command: string;
  stdout?: string | null;
  stderr?: string | null;
  exitCode?: number | null;
  /** Accessible name of the block, e.g. "Output of action 12". */
  label: string;
}) {
  const nothing = !stdout && !stderr;
  return (
    <figure
      aria-label={label}
      className="overflow-hidden rounded-md border border-border-default bg-bg-primary shadow-[inset_0_1px_3px_rgb(0_0_0/0.5)]"
    >
      <pre className="max-h-80 overflow-auto whitespace-pre-wrap break-words p-3 font-mono text-xs leading-relaxed">
        <span className="text-accent">$ </span>
        <span className="text-text-primary">{command}</span>
        {"\n"}
        {stdout && <span className="text-text-secondary" data-stream="stdout">{stdout.replace(/\n$/, "")}{"\n"}</span>}
        {stderr && <span className="text-status-error" data-stream="stderr">{stderr.replace(/\n$/, "")}{"\n"}</span>}
        {nothing && <span className="text-text-tertiary">(no output)</span>}
      </pre>
      {exitCode != null && (
        <figcaption
          className={`border-t border-border-default px-3 py-1 font-mono text-[11px] ${exitCode === 0 ? "text-status-online" : "text-status-error"}`}
        >
          exit code {exitCode}
        </figcaption>
      )}
    </figure>
  );
}
