// Status LED: colour AND shape AND text (BRAND.md: never colour alone).
// circle = online, triangle = warning, square = offline, hollow = unknown.

import type { LedState } from "../lib/status";

const COLOUR: Record<LedState, string> = {
  online: "text-status-online",
  warning: "text-status-warning",
  offline: "text-status-error",
  unknown: "text-text-tertiary",
};

function Shape({ state }: { state: LedState }) {
  switch (state) {
    case "online":
      return <circle cx="6" cy="6" r="5" fill="currentColor" />;
    case "warning":
      return <path d="M6 0.8 11.4 11H0.6Z" fill="currentColor" />;
    case "offline":
      return <rect x="1" y="1" width="10" height="10" rx="1" fill="currentColor" />;
    case "unknown":
      return <circle cx="6" cy="6" r="4.2" fill="none" stroke="currentColor" strokeWidth="1.6" />;
  }
}

export function StatusLed({
  state,
  label,
  className = "",
}: {
  state: LedState;
  label: string;
  className?: string;
}) {
  return (
    <span
      className={`inline-flex items-center gap-1.5 font-mono text-xs ${COLOUR[state]} ${className}`}
      data-status={state}
    >
      <svg
        viewBox="0 0 12 12"
        className={`h-3 w-3 shrink-0 ${state === "online" ? "animate-led-pulse" : ""}`}
        aria-hidden="true"
      >
        <Shape state={state} />
      </svg>
      <span>{label}</span>
    </span>
  );
}
