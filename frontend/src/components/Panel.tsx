import { useId } from "react";

export function Panel({
  title,
  children,
  className = "",
  actions,
}: {
  title?: string;
  children: React.ReactNode;
  className?: string;
  actions?: React.ReactNode;
}) {
  const headingId = useId();
  return (
    <section
      className={`rounded-lg border border-border-default bg-bg-secondary p-4 ${className}`}
      aria-labelledby={title ? headingId : undefined}
    >
      {(title || actions) && (
        <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
          {title && (
            <h2 id={headingId} className="text-sm font-medium tracking-wide text-text-primary">
              {title}
            </h2>
          )}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error: Error }) {
  return (
    <p role="alert" className="rounded border border-status-error/40 bg-bg-secondary p-3 text-sm text-status-error">
      Could not load: {error.message}
    </p>
  );
}
