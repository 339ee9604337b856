// Pages not built yet say so plainly: no fake data.

import { Link } from "react-router";

export default function ComingSoonPage({ title, summary }: { title: string; summary: string }) {
  return (
    <div className="mx-auto max-w-2xl">
      <h1 className="mb-4 text-2xl font-bold text-text-primary">{title}</h1>
      <section
        className="rounded-lg border border-dashed border-border-strong bg-bg-secondary p-6"
        aria-label={`${title}: coming soon`}
      >
        <p className="font-mono text-xs uppercase tracking-widest text-accent">Coming soon</p>
        <p className="mt-2 text-text-secondary">{summary}</p>
        <p className="mt-4 text-sm text-text-tertiary">
          This page is not built yet. The hub's API already answers under{" "}
          <a className="text-accent hover:text-accent-hover" href="/api/docs">
            /api/docs
          </a>
          . Back to the{" "}
          <Link className="text-accent hover:text-accent-hover" to="/">
            dashboard
          </Link>
          .
        </p>
      </section>
    </div>
  );
}

export function NotFoundPage() {
  return (
    <div className="mx-auto max-w-2xl">
      <h1 className="mb-4 text-2xl font-bold text-text-primary">Not found</h1>
      <p className="text-text-secondary">
        There is no page at this address.{" "}
        <Link className="text-accent hover:text-accent-hover" to="/">
          Back to the dashboard
        </Link>
        .
      </p>
    </div>
  );
}
