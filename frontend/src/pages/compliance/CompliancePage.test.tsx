import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { setApiKey } from "../../api/client";
import { machine } from "../../test/fixtures";
import type { ApplyStatusResponse } from "../../types/generated/ApplyStatusResponse";
import CompliancePage from "./CompliancePage";
import { ApplyDialog } from "./ApplyDialog";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const none = { exists: null, mode: null, hash: null, installed: null, version: null, value: null, owner: null, file_type: null, enabled: null, running: null, error: null };
const want = { ...none, min_version: null };

const preview = {
  server_id: "nas-01",
  pack_name: "base",
  dry_run: true,
  files: [
    { action: "create", path: "~/.bashrc.d/homelab.sh", mode: "0644", description: "Create file", diff: null },
    { action: "update", path: "/etc/motd", mode: "0644", description: "Update content", diff: "--- /etc/motd\n+++ pack\n@@ -1 +1 @@\n-old\n+welcome\n" },
  ],
  packages: [{ action: "install", package: "jq", version: null, description: "Install jq" }],
  settings: [],
  total_items: 4,
  paths: [{ action: "create_directory", path: "~/.bashrc.d", mode: "0755", description: "Create directory" }],
  services: [],
  manual: [{ item_type: "setting", item: "kernel", reason: "Set by a command's output; change it by hand" }],
  summary: "Will install 1 package, write 2 files",
  needs_sudo: true,
};

function status(over: Partial<ApplyStatusResponse>): ApplyStatusResponse {
  return {
    apply_id: 4,
    server_id: "nas-01",
    pack_name: "base",
    status: "running",
    progress: 33,
    current_item: "/etc/motd",
    items_total: 3,
    items_completed: 1,
    items_failed: 0,
    items: [{ item: "~/.bashrc.d/homelab.sh", action: "created", success: true, error: null, item_type: "file", backup_path: null }],
    started_at: "2026-01-10T12:00:00Z",
    completed_at: null,
    error: null,
    recheck: null,
    ...over,
  };
}

const done = status({
  status: "completed",
  progress: 100,
  current_item: null,
  items_completed: 3,
  items: [
    { item: "~/.bashrc.d/homelab.sh", action: "created", success: true, error: null, item_type: "file", backup_path: null },
    { item: "/etc/motd", action: "updated", success: true, error: null, item_type: "file", backup_path: "/etc/motd.homelabcmd.bak" },
    { item: "jq", action: "installed", success: true, error: null, item_type: "package", backup_path: null },
  ],
  completed_at: "2026-01-10T12:00:05Z",
  recheck: { check_id: 12, is_compliant: true, mismatch_count: 0 },
});

describe("Compliance page", () => {
  const fetchMock = vi.fn<typeof fetch>();
  const calls = () => fetchMock.mock.calls.map(([u, i]) => `${i?.method ?? "GET"} ${String(u)}`);
  const bodies = (method: string, path: string) =>
    fetchMock.mock.calls
      .filter(([u, i]) => (i?.method ?? "GET") === method && String(u).endsWith(path))
      .map(([, i]) => JSON.parse(String(i?.body)));
  let polls = 0;
  let applyConflict = false;

  beforeEach(() => {
    setApiKey("k");
    polls = 0;
    applyConflict = false;
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (url, init) => {
      const u = String(url);
      const method = init?.method ?? "GET";
      if (u === "/api/v1/config/compliance") {
        return json({
          summary: { compliant: 1, non_compliant: 1, never_checked: 1, total: 3 },
          machines: [
            { id: "nas-01", display_name: "NAS", status: "non_compliant", pack: "base", mismatch_count: 2, checked_at: "2026-01-10T12:00:00Z" },
            { id: "web-01", display_name: "Web", status: "compliant", pack: "base", mismatch_count: 0, checked_at: "2026-01-10T12:00:00Z" },
            { id: "pi-01", display_name: "Pi", status: "never_checked", pack: null, mismatch_count: null, checked_at: null },
          ],
        });
      }
      if (u === "/api/v1/servers/nas-01") return json(machine());
      if (u === "/api/v1/config/packs") {
        return json({
          packs: [
            { name: "base", display_name: "Base", description: "", item_count: 4, extends: null, last_updated: "2026-01-01T00:00:00Z", version: 1 },
            { name: "developer-lite", display_name: "Dev lite", description: "", item_count: 6, extends: "base", last_updated: "2026-01-01T00:00:00Z", version: 1 },
          ],
          total: 2,
        });
      }
      if (u === "/api/v1/servers/nas-01/config/packs" && method === "GET") {
        return json({ server_id: "nas-01", assigned_packs: ["base"], drift_detection_enabled: false });
      }
      if (u === "/api/v1/servers/nas-01/config/packs" && method === "PUT") {
        return json({ server_id: "nas-01", assigned_packs: ["base", "developer-lite"], drift_detection_enabled: false });
      }
      if (u.startsWith("/api/v1/servers/nas-01/config/checks")) {
        return json({
          server_id: "nas-01",
          checks: [{ id: 11, pack_name: "base", is_compliant: false, mismatch_count: 2, checked_at: "2026-01-10T12:00:00Z", check_duration_ms: 840 }],
          total: 1,
        });
      }
      if (u === "/api/v1/servers/nas-01/config/diff?pack=base") {
        return json({
          server_id: "nas-01",
          pack_name: "base",
          is_compliant: false,
          summary: { total_items: 4, compliant: 2, mismatched: 2 },
          mismatches: [
            { type: "missing_package", category: "packages", item: "jq", expected: { ...want, installed: true }, actual: { ...none, installed: false }, diff: null },
            { type: "wrong_content", category: "files", item: "/etc/motd", expected: want, actual: { ...none, exists: true }, diff: "--- /etc/motd\n+++ pack\n@@ -1 +1 @@\n-old\n+welcome\n" },
          ],
          checked_at: "2026-01-10T12:00:00Z",
        });
      }
      if (u.startsWith("/api/v1/servers/nas-01/config/diff")) return json({ detail: "No check yet" }, 404);
      if (u === "/api/v1/servers/nas-01/config/check") {
        return json({ server_id: "nas-01", pack_name: "base", is_compliant: false, mismatches: [{}, {}], checked_at: "2026-01-10T12:01:00Z", check_duration_ms: 800 });
      }
      if (u === "/api/v1/servers/nas-01/config/apply" && method === "POST") {
        const body = JSON.parse(String(init?.body));
        if (body.dry_run) return json(preview, 202);
        if (applyConflict) return json({ detail: { code: "APPLY_RUNNING", message: "An apply is already running (id 3)" } }, 409);
        return json({ apply_id: 4, server_id: "nas-01", pack_name: "base", status: "pending", started_at: null }, 202);
      }
      if (u === "/api/v1/servers/nas-01/config/apply/4") {
        polls++;
        return json(polls === 1 ? status({}) : done);
      }
      if (u === "/api/v1/servers/nas-01/config/apply" && method === "DELETE") {
        const body = JSON.parse(String(init?.body));
        if (!body.confirm) {
          return json({
            server_id: "nas-01",
            pack_name: "base",
            preview: true,
            files: [{ action: "delete", path: "/etc/motd", backup_path: "/etc/motd.homelabcmd.bak", note: "Restored from backup" }],
            packages: [{ action: "skip", package: "jq", note: "Packages stay installed" }],
            settings: [],
            total_items: 2,
            warning: "This removes 1 file the pack manages from nas-01.",
          });
        }
        return json({
          server_id: "nas-01",
          pack_name: "base",
          success: true,
          items: [{ item: "/etc/motd", item_type: "file", action: "restored", success: true, backup_path: "/etc/motd.homelabcmd.bak", note: null, error: null }],
          items_deleted: 1,
          items_skipped: 1,
          items_removed: 0,
          items_failed: 0,
          removed_at: "2026-01-10T12:02:00Z",
        });
      }
      return json({ detail: `unexpected ${method} ${u}` }, 500);
    });
    vi.stubGlobal("fetch", fetchMock);
  });

  const at = (path: string) =>
    render(
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/compliance" element={<CompliancePage />} />
          <Route path="/compliance/:machineId" element={<CompliancePage />} />
        </Routes>
      </MemoryRouter>,
    );

  it("shows the fleet's verdicts with shapes, each count a filter", async () => {
    at("/compliance");
    const bar = await screen.findByRole("group", { name: "Filter by compliance" });
    const list = screen.getByRole("list", { name: "Machines by compliance" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(3);
    const nas = list.querySelector('[data-machine="nas-01"]') as HTMLElement;
    expect(within(nas).getByText("2 mismatches").closest("[data-status]")).toHaveAttribute("data-status", "warning");
    expect(within(list).getByText("Never checked").closest("[data-status]")).toHaveAttribute("data-status", "unknown");

    fireEvent.click(within(bar).getByRole("button", { name: "1 never checked" }));
    await waitFor(() => expect(within(screen.getByRole("list", { name: "Machines by compliance" })).getAllByRole("listitem")).toHaveLength(1));
    expect(screen.getByText("Pi")).toBeInTheDocument();
    expect(within(bar).getByRole("button", { name: "1 never checked" })).toHaveAttribute("aria-pressed", "true");
  });

  it("shows a machine's packs, the diff grouped by kind with signed lines, and checks now", async () => {
    at("/compliance/nas-01");
    const form = await screen.findByRole("form", { name: "Assigned packs" });
    const base = within(form).getByRole("checkbox", { name: /^base/ });
    expect(base).toBeChecked();
    expect(base).toBeDisabled();
    fireEvent.click(within(form).getByRole("checkbox", { name: /developer-lite/ }));
    fireEvent.click(within(form).getByRole("button", { name: "Save packs" }));
    await screen.findByText(/Assigned: base, developer-lite/);
    expect(bodies("PUT", "/servers/nas-01/config/packs")[0]).toEqual({ packs: ["base", "developer-lite"], drift_detection_enabled: null });

    const files = await screen.findByRole("region", { name: "Content differs" });
    expect(screen.getByRole("region", { name: "Missing packages" })).toHaveTextContent("jq");
    const diff = within(files).getByRole("figure", { name: "Diff of /etc/motd" });
    const add = diff.querySelector('[data-diff-line="add"]') as HTMLElement;
    const remove = diff.querySelector('[data-diff-line="remove"]') as HTMLElement;
    expect(add.textContent).toBe("+welcome");
    expect(add.className).toContain("text-status-online");
    expect(remove.textContent).toBe("-old");
    expect(remove.className).toContain("text-status-error");
    expect(diff.querySelector('[data-diff-line="file"]')?.className).toContain("text-accent");

    fireEvent.click(screen.getByRole("button", { name: "Check now against base" }));
    await screen.findByText(/2 mismatches found/);
    expect(bodies("POST", "/servers/nas-01/config/check")[0]).toEqual({ pack_name: "base" });
  });

  it("Apply shows the dry run first and changes nothing until confirmed", async () => {
    at("/compliance/nas-01");
    fireEvent.click(await screen.findByRole("button", { name: "Apply base" }));
    const dialog = await screen.findByRole("dialog", { name: "Apply base: preview" });
    await within(dialog).findByText("Will install 1 package, write 2 files");
    expect(within(dialog).getByText("~/.bashrc.d/homelab.sh")).toBeInTheDocument();
    expect(within(dialog).getByRole("figure", { name: "Planned change to /etc/motd" })).toHaveTextContent("+welcome");
    expect(within(dialog).getByText(/run with sudo/)).toBeInTheDocument();
    expect(within(dialog).getByRole("region", { name: "Directories, modes and owners" })).toHaveTextContent("~/.bashrc.d 0755");
    expect(within(dialog).getByRole("region", { name: /Left to you/ })).toHaveTextContent("change it by hand");
    expect(bodies("POST", "/servers/nas-01/config/apply")).toEqual([{ pack_name: "base", dry_run: true }]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(bodies("POST", "/servers/nas-01/config/apply")).toHaveLength(1);
  });

  it("after Confirm it polls the run: progress, current item, per-item results, the re-check", async () => {
    const finished = vi.fn();
    render(<ApplyDialog serverId="nas-01" pack="base" onClose={() => {}} onFinished={finished} pollMs={20} />);
    const dialog = await screen.findByRole("dialog");
    fireEvent.click(await within(dialog).findByRole("button", { name: "Confirm apply" }));
    const bar = await within(dialog).findByRole("progressbar", { name: "Apply progress" });
    await waitFor(() => expect(bar).toHaveAttribute("aria-valuenow", "33"));
    expect(within(dialog).getByText("Applying /etc/motd…")).toBeInTheDocument();
    await within(dialog).findByText(/Apply finished/);
    expect(within(dialog).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    expect(within(dialog).getAllByRole("listitem").filter((li) => li.dataset.itemSuccess === "true")).toHaveLength(3);
    expect(within(dialog).getByText(/backup: \/etc\/motd.homelabcmd.bak/)).toBeInTheDocument();
    expect(dialog.querySelector('[data-recheck="compliant"]')).toHaveTextContent("Re-check: compliant");
    expect(bodies("POST", "/servers/nas-01/config/apply")).toEqual([
      { pack_name: "base", dry_run: true },
      { pack_name: "base", dry_run: false },
    ]);
    expect(calls().filter((c) => c === "GET /api/v1/servers/nas-01/config/apply/4")).toHaveLength(2);
    expect(finished).toHaveBeenCalledTimes(1);
  });

  it("says so when an apply is already running (409)", async () => {
    applyConflict = true;
    render(<ApplyDialog serverId="nas-01" pack="base" onClose={() => {}} onFinished={() => {}} pollMs={20} />);
    fireEvent.click(await screen.findByRole("button", { name: "Confirm apply" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(/already running on this machine/);
    expect(alert).toHaveTextContent(/id 3/);
  });

  it("Remove pack previews with the warning, then removes on confirm", async () => {
    at("/compliance/nas-01");
    fireEvent.click(await screen.findByRole("button", { name: "Remove pack base" }));
    const dialog = await screen.findByRole("dialog", { name: "Remove base" });
    await within(dialog).findByText(/This removes 1 file/);
    expect(within(dialog).getByText("Packages stay installed")).toBeInTheDocument();
    expect(bodies("DELETE", "/servers/nas-01/config/apply")).toEqual([{ pack_name: "base", confirm: false }]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Confirm removal" }));
    await within(dialog).findByText(/1 files deleted or restored/);
    expect(bodies("DELETE", "/servers/nas-01/config/apply")[1]).toEqual({ pack_name: "base", confirm: true });
  });
});
