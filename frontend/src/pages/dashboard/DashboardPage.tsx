// The fleet at a glance: summary filters, search, servers and workstations
// in their own sections, cards in the operator's saved order.

import { useEffect, useMemo, useState } from "react";
import { api } from "../../api/client";
import type { SectionCardOrder } from "../../types/generated/SectionCardOrder";
import type { ServerResponse } from "../../types/generated/ServerResponse";
import { ErrorNote } from "../../components/Panel";
import { SearchIcon } from "../../components/icons";
import { applyOrder, moveId } from "../../lib/order";
import {
  displayName,
  isWorkstation,
  matchesFilter,
  matchesSearch,
  summarize,
  type StatusFilter,
} from "../../lib/status";
import { usePolling } from "../../lib/usePolling";
import { SummaryBar } from "./SummaryBar";
import { MachineSection } from "./MachineSection";

/** Fleet refresh; the brief asks for at most 15 s. */
export const FLEET_POLL_MS = 15_000;
const SPARKLINE_POLL_MS = 60_000;

function useSparklines(ids: string[]): Record<string, (number | null)[]> {
  const key = ids.join(",");
  const { data } = usePolling(
    async (signal) => {
      const results = await Promise.allSettled(
        ids.map((id) => api.getSparkline(id, "cpu_percent", "30m", signal)),
      );
      const out: Record<string, (number | null)[]> = {};
      results.forEach((r, i) => {
        if (r.status === "fulfilled") out[ids[i]] = r.value.data.map((p) => p.value);
      });
      return out;
    },
    SPARKLINE_POLL_MS,
    [key],
  );
  return data ?? {};
}

export default function DashboardPage() {
  const fleet = usePolling((signal) => api.listServers(signal), FLEET_POLL_MS, []);
  const [order, setOrder] = useState<SectionCardOrder | null>(null);
  const [orderError, setOrderError] = useState<string | null>(null);
  const [filter, setFilter] = useState<StatusFilter | null>(null);
  const [query, setQuery] = useState("");

  useEffect(() => {
    const ctrl = new AbortController();
    api
      .getSectionOrder(ctrl.signal)
      .then(setOrder)
      .catch(() => {
        if (!ctrl.signal.aborted) setOrder({ servers: [], workstations: [] });
      });
    return () => ctrl.abort();
  }, []);

  const machines = useMemo(() => fleet.data?.servers ?? [], [fleet.data]);
  const active = machines.filter((m) => !m.is_inactive);
  const saved = order ?? { servers: [], workstations: [] };
  const servers = applyOrder(active.filter((m) => !isWorkstation(m)), saved.servers);
  const workstations = applyOrder(active.filter(isWorkstation), saved.workstations);
  const sparklines = useSparklines(active.map((m) => m.id).sort());

  const visible = (list: ServerResponse[]) =>
    list.filter((m) => matchesFilter(m, filter) && matchesSearch(m, query));

  function move(section: keyof SectionCardOrder, list: ServerResponse[]) {
    return (activeId: string, overId: string) => {
      const next: SectionCardOrder = {
        servers: servers.map((m) => m.id),
        workstations: workstations.map((m) => m.id),
      };
      next[section] = moveId(
        list.map((m) => m.id),
        activeId,
        overId,
      );
      const previous = order;
      setOrder(next);
      setOrderError(null);
      api.saveSectionOrder(next).catch((e: unknown) => {
        setOrder(previous);
        setOrderError(`The new order was not saved: ${e instanceof Error ? e.message : String(e)}`);
      });
    };
  }

  const [pauseError, setPauseError] = useState<string | null>(null);
  const togglePause = async (m: ServerResponse) => {
    setPauseError(null);
    try {
      await (m.is_paused ? api.unpauseServer(m.id) : api.pauseServer(m.id));
    } catch (e) {
      const what = m.is_paused ? "unpause" : "pause";
      setPauseError(`Could not ${what} ${displayName(m)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    fleet.refresh();
  };

  return (
    <div className="mx-auto max-w-screen-2xl">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold text-text-primary">Dashboard</h1>
        <label className="relative w-full sm:w-72">
          <span className="sr-only">Search machines</span>
          <SearchIcon className="pointer-events-none absolute left-2.5 top-2.5 h-4 w-4 text-text-tertiary" />
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Search by name, host or IP"
            className="w-full rounded-md border border-border-default bg-bg-tertiary py-2 pl-8 pr-3 font-mono text-sm text-text-primary placeholder:text-text-tertiary focus:border-accent focus:outline-none"
          />
        </label>
      </div>

      <div className="mt-4 rounded-lg border border-border-default bg-bg-secondary px-2 py-1.5">
        <SummaryBar summary={summarize(active)} active={filter} onChange={setFilter} />
      </div>

      {fleet.error && (
        <div className="mt-4">
          <ErrorNote error={fleet.error} />
        </div>
      )}
      {(orderError || pauseError) && (
        <p role="alert" className="mt-4 text-sm text-status-error">
          {orderError ?? pauseError}
        </p>
      )}

      {fleet.loading && !fleet.data ? (
        <p className="mt-6 font-mono text-sm text-text-tertiary">Loading the fleet…</p>
      ) : active.length === 0 && !fleet.error ? (
        <p className="mt-6 rounded-lg border border-dashed border-border-default p-6 text-text-secondary">
          No machines yet. Start an agent with <code className="font-mono">HOMELAB_AGENT_HUB_URL</code>{" "}
          and <code className="font-mono">HOMELAB_AGENT_API_KEY</code> pointing at this hub.
        </p>
      ) : (
        <>
          <MachineSection
            title="Servers"
            machines={visible(servers)}
            sparklines={sparklines}
            onMove={move("servers", servers)}
            onTogglePause={togglePause}
            emptyText={servers.length ? "No server matches." : "No servers."}
          />
          <MachineSection
            title="Workstations"
            machines={visible(workstations)}
            sparklines={sparklines}
            onMove={move("workstations", workstations)}
            onTogglePause={togglePause}
            emptyText={workstations.length ? "No workstation matches." : "No workstations."}
          />
        </>
      )}
    </div>
  );
}
