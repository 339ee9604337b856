// Navigation and page frame. A sidebar on wide screens, a menu button on a
// phone; every link is a real <a> so the keyboard and the back button work.

import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { ACTIONS_CHANGED, api } from "../api/client";
import { usePolling } from "../lib/usePolling";
import {
  BellIcon,
  BoltIcon,
  CloseIcon,
  CoinIcon,
  DashboardIcon,
  GearIcon,
  MenuIcon,
  ShieldIcon,
} from "./icons";

export const NAV = [
  { to: "/", label: "Dashboard", Icon: DashboardIcon },
  { to: "/alerts", label: "Alerts", Icon: BellIcon },
  { to: "/actions", label: "Actions", Icon: BoltIcon },
  { to: "/compliance", label: "Compliance", Icon: ShieldIcon },
  { to: "/costs", label: "Costs", Icon: CoinIcon },
  { to: "/settings", label: "Settings", Icon: GearIcon },
] as const;

/** Actions waiting for approval, shown on the Actions link from every page. */
function usePendingApprovals(pathname: string): number {
  const { data, refresh } = usePolling(
    (signal) => api.listActions({ status: "pending", limit: 1 }, signal),
    15_000,
    [],
  );
  // The dashboard's own approvals, rejections and restarts show at once.
  useEffect(() => {
    window.addEventListener(ACTIONS_CHANGED, refresh);
    return () => window.removeEventListener(ACTIONS_CHANGED, refresh);
  }, [refresh]);
  // Fresh on every page change, without blanking the badge meanwhile.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else refresh();
  }, [pathname, refresh]);
  return data?.total ?? 0;
}

function NavLinks({ onNavigate, pending }: { onNavigate?: () => void; pending: number }) {
  return (
    <ul className="flex flex-col gap-1">
      {NAV.map(({ to, label, Icon }) => (
        <li key={to}>
          <NavLink
            to={to}
            end={to === "/"}
            onClick={onNavigate}
            className={({ isActive }) =>
              `flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium transition-colors ${
                isActive
                  ? "bg-bg-tertiary text-accent"
                  : "text-text-secondary hover:bg-bg-tertiary hover:text-text-primary"
              }`
            }
          >
            <Icon className="h-4 w-4" />
            {label}
            {to === "/actions" && pending > 0 && (
              <span
                className="ml-auto inline-flex items-center gap-1 rounded border border-status-warning/40 px-1.5 font-mono text-[11px] text-status-warning"
                data-pending-approvals={pending}
              >
                <svg viewBox="0 0 12 12" className="h-2.5 w-2.5" aria-hidden="true">
                  <path d="M6 0.8 11.4 11H0.6Z" fill="currentColor" />
                </svg>
                {pending}
                <span className="sr-only"> awaiting approval</span>
              </span>
            )}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

function Brand() {
  return (
    <span className="flex items-center gap-2 font-bold tracking-tight text-text-primary">
      <svg viewBox="0 0 32 32" className="h-6 w-6" aria-hidden="true">
        <circle cx="16" cy="16" r="6" fill="#4ADE80" />
        <circle cx="16" cy="16" r="11" fill="none" stroke="#22D3EE" strokeWidth="2" />
      </svg>
      HomelabCmd
    </span>
  );
}

export function AppShell({ onSignOut }: { onSignOut: () => void }) {
  const [open, setOpen] = useState(false);
  const location = useLocation();
  const pending = usePendingApprovals(location.pathname);
  return (
    <div className="min-h-screen lg:grid lg:grid-cols-[14rem_1fr]">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-bg-tertiary focus:px-3 focus:py-2 focus:text-accent"
      >
        Skip to content
      </a>
      {/* Phone / tablet top bar */}
      <header className="sticky top-0 z-30 flex items-center justify-between border-b border-border-default bg-bg-primary/95 px-4 py-3 backdrop-blur lg:hidden">
        <Brand />
        <button
          type="button"
          className="rounded-md p-2 text-text-secondary hover:bg-bg-tertiary"
          aria-expanded={open}
          aria-controls="mobile-nav"
          aria-label={open ? "Close menu" : "Open menu"}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? <CloseIcon className="h-5 w-5" /> : <MenuIcon className="h-5 w-5" />}
        </button>
      </header>
      {open && (
        <nav
          id="mobile-nav"
          aria-label="Main"
          className="sticky top-[57px] z-20 border-b border-border-default bg-bg-secondary p-3 lg:hidden"
        >
          <NavLinks onNavigate={() => setOpen(false)} pending={pending} />
        </nav>
      )}

      {/* Desktop sidebar */}
      <div className="hidden border-r border-border-default bg-bg-secondary lg:block">
        <aside className="sticky top-0 flex h-screen flex-col justify-between p-4">
          <div className="flex flex-col gap-6">
            <Brand />
            <nav aria-label="Main">
              <NavLinks pending={pending} />
            </nav>
          </div>
          <button
            type="button"
            onClick={onSignOut}
            className="rounded-md px-3 py-2 text-left text-sm text-text-tertiary hover:bg-bg-tertiary hover:text-text-primary"
          >
            Sign out
          </button>
        </aside>
      </div>

      <main id="main" className="min-w-0 p-4 sm:p-6" key={location.pathname}>
        <Outlet />
        <button
          type="button"
          onClick={onSignOut}
          className="mt-8 text-sm text-text-tertiary underline hover:text-text-primary lg:hidden"
        >
          Sign out
        </button>
      </main>
    </div>
  );
}
