// Starts the real hub and agent binaries in a temporary directory and seeds
// a small fleet through the public API (the same heartbeats agents send).
// Used by the browser end-to-end tests.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const API_KEY = "e2e-browser-key-0123456789";
// Fixed test key (base64 of 32 bytes), as the Rust e2e tests use.
const ENCRYPTION_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

function binary(name) {
  const dir = process.env.CARGO_TARGET_DIR
    ? resolve(ROOT, process.env.CARGO_TARGET_DIR)
    : join(ROOT, "target");
  const path = join(dir, "debug", name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run cargo build --workspace first`);
  }
  return path;
}

/** Our variables out of the child's environment, so a developer's shell cannot leak in. */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("HOMELAB_") || k.startsWith("HOMELABCMD_") || /^(http|https|all)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

export class Fleet {
  /**
   * `hubBinary`: another hub build (the dashboard benchmark uses the release
   * one); `withAgent: false` starts the hub alone.
   */
  constructor({ hubBinary, withAgent = true } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "homelabcmd-browser-"));
    this.children = [];
    this.hubBinary = hubBinary;
    this.withAgent = withAgent;
  }

  get hubLog() {
    return join(this.dir, "hub.log");
  }

  async start() {
    if (!existsSync(join(ROOT, "frontend/dist/index.html"))) {
      throw new Error("frontend/dist is missing: run npm run build in frontend/ first");
    }
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.#spawn("hub", this.hubBinary ?? binary("homelabcmd"), ["serve"], {
      HOMELAB_CMD_API_KEY: API_KEY,
      HOMELAB_CMD_HOST: "127.0.0.1",
      HOMELAB_CMD_PORT: String(this.port),
      HOMELAB_CMD_DATABASE_URL: join(this.dir, "hub.db"),
      HOMELAB_CMD_EXTERNAL_URL: this.base,
      HOMELABCMD_ENCRYPTION_KEY: ENCRYPTION_KEY,
      // No scheduled drift checks: pages show only the checks a test asked for.
      HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS: "0",
      RUST_LOG: "info",
    });
    await waitFor("the hub to answer /api/v1/system/health", 60_000, async () => {
      const r = await fetch(`${this.base}/api/v1/system/health`);
      return r.ok;
    });
    if (!this.withAgent) return;
    // The real agent reports this machine.
    mkdirSync(join(this.dir, "agent"));
    this.#spawn("agent", binary("homelabcmd-agent"), [], {
      HOMELAB_AGENT_HUB_URL: this.base,
      HOMELAB_AGENT_API_KEY: API_KEY,
      HOMELAB_AGENT_STATE_DIR: join(this.dir, "agent"),
      HOMELAB_AGENT_SERVER_ID: "this-machine",
      HOMELAB_AGENT_HEARTBEAT_INTERVAL: "5",
      RUST_LOG: "info",
    });
  }

  #spawn(name, bin, args, env) {
    const log = openSync(join(this.dir, `${name}.log`), "a");
    const child = spawn(bin, args, {
      cwd: this.dir,
      env: cleanEnv(env),
      stdio: ["ignore", log, log],
    });
    child.name = name;
    this.children.push(child);
    return child;
  }

  async api(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { "X-API-Key": API_KEY, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  heartbeat(serverId, { ts = new Date(), cpu = 20, memory = 45, disk = 60, extra = {} } = {}) {
    return this.api("POST", "/api/v1/agents/heartbeat", {
      server_id: serverId,
      hostname: `${serverId}.lan`,
      timestamp: ts.toISOString(),
      agent_version: "e2e",
      os_info: { distribution: "Debian GNU/Linux", version: "12", kernel: "6.1.0-e2e", architecture: "x86_64" },
      cpu_info: { cpu_model: "Test CPU", cpu_cores: 4 },
      metrics: {
        cpu_percent: cpu,
        memory_percent: memory,
        memory_total_mb: 16384,
        memory_used_mb: Math.round((16384 * memory) / 100),
        disk_percent: disk,
        disk_total_gb: 500,
        disk_used_gb: (500 * disk) / 100,
        network_rx_bytes: 123456789,
        network_tx_bytes: 98765432,
        load_1m: 0.4,
        load_5m: 0.3,
        load_15m: 0.2,
        uptime_seconds: 86400 * 3,
      },
      ...extra,
    });
  }

  /**
   * web-01: two hours of CPU history plus filesystems, interfaces, services,
 *   containers (one exited).
   * db-01: an open CPU alert (warning). backup-nas: offline (short threshold).
   * media-01: paused. laptop: a workstation that stopped reporting.
   */
  async seed() {
    const sample = JSON.parse(readFileSync(join(ROOT, "tests/fixtures/heartbeat-sample.json"), "utf8"));
    const now = Date.now();
    for (let i = 24; i >= 1; i--) {
      const ts = new Date(now - i * 5 * 60_000);
      await this.heartbeat("web-01", { ts, cpu: 20 + 30 * Math.abs(Math.sin(i / 3)), memory: 50 + (i % 5) });
    }
    await this.heartbeat("web-01", {
      cpu: 35,
      memory: 52,
      extra: {
        filesystems: sample.filesystems,
        network_interfaces: sample.network_interfaces,
        services: sample.services,
        containers: [
          { name: "nginx", image: "nginx:1.27-alpine", state: "running", status: "Up 3 hours" },
          { name: "postgres", image: "postgres:16", state: "running", status: "Up 3 hours (healthy)" },
          { name: "backup-job", image: "restic/restic:0.17", state: "exited", status: "Exited (1) 20 minutes ago" },
        ],
      },
    });
    await this.api("POST", "/api/v1/servers/web-01/services", { service_name: "ssh", is_critical: true });

    await this.heartbeat("db-01", { cpu: 30 });
    await this.api("PUT", "/api/v1/servers/db-01/thresholds", {
      cpu: { high_percent: 50, critical_percent: 95, sustained_seconds: 0 },
    });
    await new Promise((r) => setTimeout(r, 5));
    await this.heartbeat("db-01", { cpu: 80 });

    await this.heartbeat("media-01", { cpu: 5 });
    await this.api("PUT", "/api/v1/servers/media-01/pause");

    await this.api("POST", "/api/v1/servers", {
      id: "backup-nas",
      hostname: "backup-nas.lan",
      display_name: "Backup NAS",
      offline_threshold_seconds: 5,
    });
    await this.heartbeat("backup-nas", { cpu: 3, disk: 72 });

    await this.api("POST", "/api/v1/servers", {
      id: "laptop",
      hostname: "laptop.lan",
      display_name: "Laptop",
      machine_type: "workstation",
      offline_threshold_seconds: 5,
    });
    await this.heartbeat("laptop", { cpu: 15 });

    await waitFor("the agent's first heartbeat", 30_000, async () => {
      const s = await this.api("GET", "/api/v1/servers/this-machine").catch(() => null);
      return s?.status === "online";
    });
    await waitFor("backup-nas to go offline and db-01 to have an alert", 30_000, async () => {
      const { servers } = await this.api("GET", "/api/v1/servers");
      const by = Object.fromEntries(servers.map((s) => [s.id, s]));
      return by["backup-nas"]?.status === "offline" && by["laptop"]?.status === "unknown" &&
        by["db-01"]?.active_alert_count > 0;
    });
  }

  async stop() {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise((done) => {
            if (c.exitCode !== null || c.signalCode !== null) return done();
            const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
            c.once("exit", () => {
              clearTimeout(timer);
              done();
            });
            c.kill("SIGTERM");
          }),
      ),
    );
  }
}
