import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { setApiKey } from "../../api/client";
import { machine } from "../../test/fixtures";
import { ConnectivitySection, MachineAccessSection } from "./SshSettings";
import { credentialState, hostKeyRefused, sshTestSummary } from "./ssh";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const SECRET = "hunter2-very-secret";

describe("ssh helpers", () => {
  it("says where a credential is set, and only a machine's own one is removable", () => {
    expect(credentialState({ credential_type: "ssh_password", configured: true, scope: "per_server" })).toEqual({
      set: true,
      text: "set on this machine",
      removable: true,
    });
    expect(credentialState({ credential_type: "ssh_password", configured: true, scope: "global" }).removable).toBe(false);
    expect(credentialState({ credential_type: "ssh_password", configured: false, scope: "none" }).text).toBe("not set");
    expect(credentialState(undefined).set).toBe(false);
  });

  it("summarises a test in one line and spots a refused host key", () => {
    const ok = {
      success: true,
      latency_ms: 42,
      key_used: "per_server key",
      error: null,
      hostname: "192.0.2.10",
      port: 22,
      username: "ops",
      host_key_fingerprint: "SHA256:abc",
      server_version: "SSH-2.0-OpenSSH_9.2",
    };
    expect(sshTestSummary(ok)).toBe("Connected to ops@192.0.2.10:22 in 42 ms with per_server key");
    const refused = { ...ok, success: false, latency_ms: null, error: "host key mismatch for 192.0.2.10" };
    expect(sshTestSummary(refused)).toBe("Could not connect to ops@192.0.2.10:22: host key mismatch for 192.0.2.10");
    expect(hostKeyRefused(refused)).toBe(true);
    expect(hostKeyRefused({ ...refused, error: "authentication failed" })).toBe(false);
  });
});

describe("SSH settings", () => {
  const fetchMock = vi.fn<typeof fetch>();
  const calls = () => fetchMock.mock.calls.map(([u, i]) => `${i?.method ?? "GET"} ${String(u)}`);
  const bodyOf = (method: string, path: string) => {
    const c = fetchMock.mock.calls.find(([u, i]) => (i?.method ?? "GET") === method && String(u).endsWith(path));
    return c ? JSON.parse(String(c[1]?.body)) : undefined;
  };
  let passwordScope = "none";

  beforeEach(() => {
    setApiKey("k");
    passwordScope = "none";
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (url, init) => {
      const u = String(url);
      const method = init?.method ?? "GET";
      if (u === "/api/v1/settings/connectivity" && method === "GET") {
        return json({
          mode: "direct_ssh",
          mode_auto_detected: true,
          tailscale: { configured: false, connected: false, tailnet: null, device_count: 0 },
          ssh: { username: "homelabcmd", key_configured: false, key_uploaded_at: null },
        });
      }
      if (u === "/api/v1/settings/connectivity" && method === "PUT") {
        return json({ success: true, mode: "tailscale", message: "Tailscale: machines are reached at their tailscale_hostname" });
      }
      if (u === "/api/v1/settings/ssh" && method === "GET") {
        return json({ key_path: "(hub database, encrypted)", keys_found: [], default_username: "homelabcmd", default_port: 22 });
      }
      if (u === "/api/v1/settings/ssh" && method === "PUT") {
        return json({ updated: ["default_port"], config: { key_path: "", keys_found: [], default_username: "homelabcmd", default_port: 2222 } });
      }
      if (u === "/api/v1/settings/ssh/keys" && method === "GET") return json({ keys: [] });
      if (u === "/api/v1/settings/ssh/keys" && method === "POST") {
        return json({ id: "lab", name: "lab", type: "ED25519", fingerprint: "SHA256:xyz", created_at: "2026-01-10T12:00:00Z", username: null, is_default: true }, 201);
      }
      if (u === "/api/v1/servers") return json({ servers: [machine({ ssh_username: "ops" })], total: 1 });
      if (u === "/api/v1/servers/nas-01/credentials" && method === "GET") {
        return json({
          server_id: "nas-01",
          ssh_username: "ops",
          sudo_mode: "passwordless",
          credentials: [
            { credential_type: "ssh_private_key", configured: true, scope: "global" },
            { credential_type: "ssh_password", configured: passwordScope !== "none", scope: passwordScope },
            { credential_type: "sudo_password", configured: false, scope: "none" },
            { credential_type: "ssh_key_passphrase", configured: false, scope: "none" },
          ],
        });
      }
      if (u === "/api/v1/servers/nas-01/credentials" && method === "POST") {
        passwordScope = "per_server";
        return json({ credential_type: "ssh_password", server_id: "nas-01", message: "Credential stored successfully" });
      }
      if (u === "/api/v1/servers/nas-01/credentials/ssh_password" && method === "DELETE") {
        passwordScope = "none";
        return json({ server_id: "nas-01", credential_type: "ssh_password", message: "Credential deleted" });
      }
      if (u === "/api/v1/servers/nas-01/test-ssh") {
        return json({
          success: false,
          latency_ms: null,
          key_used: "global key",
          error: "host key mismatch: the host presented SHA256:new",
          hostname: "192.0.2.10",
          port: 22,
          username: "ops",
          host_key_fingerprint: "SHA256:new",
          server_version: null,
        });
      }
      if (u === "/api/v1/servers/nas-01/ssh/host-key" && method === "GET") {
        return json({
          server_id: "nas-01",
          pinned: { algorithm: "ssh-ed25519", fingerprint_sha256: "SHA256:old", public_key: "ssh-ed25519 AAAA", seen_at: "2026-01-01T00:00:00Z" },
          pending: { algorithm: "ssh-ed25519", fingerprint_sha256: "SHA256:new", public_key: "ssh-ed25519 BBBB", seen_at: "2026-01-10T00:00:00Z" },
        });
      }
      if (u === "/api/v1/servers/nas-01/ssh/host-key/accept") {
        return json({
          server_id: "nas-01",
          pinned: { algorithm: "ssh-ed25519", fingerprint_sha256: "SHA256:new", public_key: "ssh-ed25519 BBBB", seen_at: "2026-01-10T00:00:00Z" },
          pending: null,
        });
      }
      return json({ detail: `unexpected ${method} ${u}` }, 500);
    });
    vi.stubGlobal("fetch", fetchMock);
  });

  it("saves the connectivity mode and only the changed default", async () => {
    render(<ConnectivitySection />);
    const form = await screen.findByRole("form", { name: "SSH connectivity" });
    expect(within(form).getByText("not set")).toBeInTheDocument();
    fireEvent.click(within(form).getByLabelText(/Tailscale/));
    fireEvent.change(within(form).getByLabelText("Default SSH port"), { target: { value: "2222" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save connectivity" }));
    await screen.findByText(/Saved: default_port/);
    expect(bodyOf("PUT", "/settings/connectivity")).toEqual({ mode: "tailscale", ssh_username: null });
    expect(bodyOf("PUT", "/settings/ssh")).toEqual({ default_username: null, default_port: 2222 });
  });

  it("uploads a key and empties the key field", async () => {
    render(<ConnectivitySection />);
    fireEvent.click(await screen.findByRole("button", { name: "Upload a key" }));
    const form = screen.getByRole("form", { name: "Upload SSH key" });
    fireEvent.change(within(form).getByLabelText("Key name"), { target: { value: "lab" } });
    fireEvent.change(within(form).getByLabelText(/Private key/), { target: { value: SECRET } });
    fireEvent.click(within(form).getByRole("button", { name: "Upload key" }));
    await screen.findByText(/Key lab stored \(SHA256:xyz\)/);
    expect(bodyOf("POST", "/settings/ssh/keys")).toEqual({ name: "lab", private_key: SECRET, username: null });
    expect(screen.queryByRole("form", { name: "Upload SSH key" })).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("shows set / not set, stores a password write-only, then removes it", async () => {
    render(<MachineAccessSection />);
    fireEvent.click(await screen.findByRole("button", { name: "Credentials of NAS" }));
    await screen.findByText("set (global default)");
    const keyRow = document.querySelector('[data-credential="ssh_private_key"]') as HTMLElement;
    expect(within(keyRow).getByText("set (global default)")).toBeInTheDocument();
    // A global secret is replaced per machine, not removed from here.
    expect(within(keyRow).queryByRole("button", { name: /Remove/ })).toBeNull();
    const pwRow = document.querySelector('[data-credential="ssh_password"]') as HTMLElement;
    expect(within(pwRow).getByText("not set")).toBeInTheDocument();

    fireEvent.click(within(pwRow).getByRole("button", { name: "Set SSH password" }));
    const input = within(pwRow).getByLabelText(/New SSH password/) as HTMLInputElement;
    expect(input.type).toBe("password");
    fireEvent.change(input, { target: { value: SECRET } });
    fireEvent.click(within(pwRow).getByRole("button", { name: "Save SSH password" }));
    await screen.findByText(/SSH password saved/);
    expect(bodyOf("POST", "/servers/nas-01/credentials")).toEqual({ credential_type: "ssh_password", value: SECRET });
    await waitFor(() => expect(within(pwRow).getByText("set on this machine")).toBeInTheDocument());
    expect(within(pwRow).queryByLabelText(/New SSH password/)).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);

    fireEvent.click(within(pwRow).getByRole("button", { name: "Remove SSH password" }));
    await screen.findByText(/SSH password removed/);
    expect(calls()).toContain("DELETE /api/v1/servers/nas-01/credentials/ssh_password");
    await waitFor(() => expect(within(pwRow).getByText("not set")).toBeInTheDocument());
  });

  it("tests SSH, shows a refused host key, and accepts the new one", async () => {
    render(<MachineAccessSection />);
    fireEvent.click(await screen.findByRole("button", { name: "Test SSH for NAS" }));
    const result = await screen.findByText(/Could not connect to ops@192.0.2.10:22/);
    expect(result.textContent).toMatch(/^✕ /);
    // The refused key opens the details with the pending fingerprint.
    expect(await screen.findByText("ssh-ed25519 SHA256:new")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Accept new host key" }));
    await screen.findByText(/New host key accepted/);
    expect(bodyOf("POST", "/servers/nas-01/ssh/host-key/accept")).toEqual({ fingerprint_sha256: "SHA256:new" });
    expect(screen.getByText("Pinned ssh-ed25519 SHA256:new")).toBeInTheDocument();
  });
});
