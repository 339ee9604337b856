import { createContext, useContext, useId } from "react";

/**
 * Extra controls a container puts in the header of the panels inside it:
 * the widget grid's drag handle while the layout is being edited.
 */
export const PanelChrome = createContext<React.ReactNode>(null);

export function Panel({
  title,
  children,
  className = "",
  actions,
  fill = false,
}: {
  title?: string;
  children: React.ReactNode;
  className?: string;
  actions?: React.ReactNode;
  /** Take the parent's height and scroll the body (widgets in the grid). */
  fill?: boolean;
}) {
  const headingId = useId();
  const chrome = useContext(PanelChrome);
  return (
    <section
      className={`rounded-lg border border-border-default bg-bg-secondary p-4 ${fill ? "flex h-full flex-col" : ""} ${className}`}
      aria-labelledby={title ? headingId : undefined}
    >
      {(title || actions || chrome) && (
        <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
          <div className="flex min-w-0 items-center gap-2">
            {chrome}
            {title && (
              <h2 id={headingId} className="truncate text-sm font-medium tracking-wide text-text-primary">
                {title}
              </h2>
            )}
          </div>
          {actions}
        </div>
      )}
      {fill ? <div className="min-h-0 flex-1 overflow-auto">{children}</div> : children}
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
