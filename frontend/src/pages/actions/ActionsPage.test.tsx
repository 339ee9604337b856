import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { setApiKey } from "../../api/client";
import type { ActionResponse } from "../../types/generated/ActionResponse";
import ActionsPage from "./ActionsPage";
import { ServicesPanel } from "../machine/widgets";

function action(overrides: Partial<ActionResponse>): ActionResponse {
  return {
    id: 1,
    server_id: "media-01",
    action_type: "restart_service",
    status: "pending",
    service_name: "plex",
    command: "systemctl restart plex",
    alert_id: null,
    created_at: "2026-01-10T12:00:00Z",
    created_by: "dashboard",
    approved_at: null,
    approved_by: null,
    rejected_at: null,
    rejected_by: null,
    rejection_reason: null,
    executed_at: null,
    completed_at: null,
    exit_code: null,
    stdout: null,
    stderr: null,
    ...overrides,
  };
}

const pending = action({ id: 7 });
const failed = action({
  id: 5,
  server_id: "web-01",
  service_name: "nginx",
  command: "systemctl restart nginx",
  status: "failed",
  approved_by: "auto",
  exit_code: 1,
  stdout: "restarting\n",
  stderr: "Job for nginx.service failed\n",
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("Actions page", () => {
  const fetchMock = vi.fn<typeof fetch>();
  const calls = () => fetchMock.mock.calls.map(([u, i]) => `${i?.method ?? "GET"} ${String(u)}`);

  beforeEach(() => {
    setApiKey("k");
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (url, init) => {
      const u = String(url);
      const method = init?.method ?? "GET";
      if (method === "POST" && u.endsWith("/approve")) return json({ ...pending, status: "approved" });
      if (method === "POST" && u.endsWith("/reject")) return json({ ...pending, status: "rejected" });
      if (method === "POST" && u.includes("/services/")) {
        return json({ action_id: 9, action_type: "restart_service", server_id: "web-01", service_name: "ssh", command: "systemctl restart ssh", status: "pending", created_at: "2026-01-10T12:00:00Z" }, 201);
      }
      if (u.startsWith("/api/v1/actions?status=pending")) return json({ actions: [pending], total: 1, limit: 100, offset: 0 });
      if (u.startsWith("/api/v1/actions")) return json({ actions: [pending, failed], total: 2, limit: 25, offset: 0 });
      if (u.startsWith("/api/v1/audit")) {
        return json({
          entries: [
            { id: 3, timestamp: "2026-01-10T12:01:00Z", actor: "auto", server_id: "web-01", action: "restart_service", argv: ["systemctl", "restart", "nginx"], outcome: "failed", reason: null, exit_code: 1, duration_ms: 2400, prev_hash: "aa", hash: "0123456789abcdef" },
          ],
          total: 1,
          limit: 50,
          offset: 0,
        });
      }
      if (u.startsWith("/api/v1/servers/web-01/services")) {
        return json({ services: [{ service_name: "ssh", display_name: null, is_critical: true, enabled: true, current_status: { status: "running", status_reason: null, last_seen: null } }], total: 1 });
      }
      if (u.startsWith("/api/v1/servers")) return json({ servers: [], total: 0 });
      return json({ detail: "unexpected" }, 404);
    });
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  const renderPage = () =>
    render(
      <MemoryRouter initialEntries={["/actions"]}>
        <ActionsPage />
      </MemoryRouter>,
    );

  it("approves a pending action", async () => {
    renderPage();
    const panel = await screen.findByRole("region", { name: "Awaiting approval" });
    const row = await within(panel).findByText(/systemctl restart plex/);
    expect(row).toBeInTheDocument();
    fireEvent.click(within(panel).getByRole("button", { name: "Approve Restart plex on media-01" }));
    await waitFor(() => expect(calls()).toContain("POST /api/v1/actions/7/approve"));
  });

  it("rejects with a reason", async () => {
    renderPage();
    const panel = await screen.findByRole("region", { name: "Awaiting approval" });
    fireEvent.click(await within(panel).findByRole("button", { name: "Reject Restart plex on media-01" }));
    const form = within(panel).getByRole("form", { name: "Reject Restart plex on media-01" });
    const submit = within(form).getByRole("button", { name: "Reject" });
    expect(submit).toBeDisabled();
    fireEvent.change(within(form).getByLabelText("Reason for rejecting"), { target: { value: "not during the film" } });
    fireEvent.click(submit);
    await waitFor(() => expect(calls()).toContain("POST /api/v1/actions/7/reject"));
    const [, init] = fetchMock.mock.calls.find(([u]) => String(u).endsWith("/reject"))!;
    expect(JSON.parse(String(init?.body))).toEqual({ reason: "not during the film" });
  });

  it("shows history with status in words and output in a terminal block", async () => {
    renderPage();
    const history = await screen.findByRole("list", { name: "Action history" });
    const row = (await within(history).findByText(/Restart nginx/)).closest("li")!;
    expect(row).toHaveAttribute("data-action-status", "failed");
    expect(within(row).getByText("failed").parentElement).toHaveAttribute("data-status", "offline");
    const toggle = within(row).getByRole("button", { name: "Output of action 5" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    fireEvent.click(toggle);
    const term = within(row).getByRole("figure", { name: "Output of action 5" });
    expect(term).toHaveTextContent("$ systemctl restart nginx");
    expect(term.querySelector('[data-stream="stderr"]')).toHaveTextContent("Job for nginx.service failed");
    expect(term).toHaveTextContent("exit code 1");
    // The pending one can still be cancelled from the history.
    const pendingRow = history.querySelector('[data-action-id="7"]') as HTMLElement;
    expect(within(pendingRow).getByRole("button", { name: "Cancel action 7" })).toBeInTheDocument();
  });

  it("lists the audit trail", async () => {
    renderPage();
    const table = await screen.findByRole("table", { name: "Audit trail" });
    const row = await within(table).findByText("systemctl restart nginx");
    const tr = row.closest("tr")!;
    expect(tr).toHaveTextContent("failed");
    expect(tr).toHaveTextContent("exit 1 · 2.4 s");
    expect(tr).toHaveTextContent("01234567");
  });

  it("restarts a service from the machine page after a confirmation", async () => {
    render(
      <MemoryRouter>
        <ServicesPanel machineId="web-01" />
      </MemoryRouter>,
    );
    fireEvent.click(await screen.findByRole("button", { name: "Restart ssh" }));
    expect(calls().some((c) => c.startsWith("POST"))).toBe(false);
    fireEvent.click(screen.getByRole("button", { name: "Confirm restart of ssh" }));
    await screen.findByText(/Action #9 awaits approval/);
    expect(calls()).toContain("POST /api/v1/servers/web-01/services/ssh/restart");
    expect(screen.getByRole("link", { name: "Actions →" })).toHaveAttribute("href", "/actions?machine=web-01");
  });
});
