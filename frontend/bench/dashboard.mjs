// Dashboard first-load benchmark: a hub with N machines (default 50, fed
// with the same heartbeats agents send), Debian's Chromium driven by
// playwright-core. Measures, per run, the time from navigation start to the
// dashboard being usable (every machine card in the DOM, taken at the next
// animation frame, i.e. painted), and the JavaScript the first load ships
// (gzip -6 of each script the browser fetched before it was usable).
// Not a test: nothing is asserted; it prints the numbers next to the targets.
//
//   node bench/dashboard.mjs                      # debug hub (target/debug), frontend/dist from disk
//   BENCH_HUB_BIN=../target/release/homelabcmd node bench/dashboard.mjs   # what scripts/bench dashboard runs
//
// Knobs: BENCH_SERVERS=50, BENCH_DASHBOARD_RUNS=9 (cold runs: a fresh
// browser context, so nothing cached; then as many warm reloads).

import { gzipSync } from "node:zlib";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { chromium } from "playwright-core";
import { API_KEY, Fleet } from "../e2e/fleet.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SERVERS = Number(process.env.BENCH_SERVERS ?? 50);
const RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 9);
const HUB_BIN = process.env.BENCH_HUB_BIN ? resolve(process.env.BENCH_HUB_BIN) : undefined;
const TARGET_MS = 500;
const TARGET_JS_GZIP = 300 * 1024;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n) => `${Math.round(n)} ms`;

/** Before any page script: the key, and a frame-by-frame watch for the last card. */
function instrument(page, expected) {
  return page.addInitScript(
    ({ key, expected }) => {
      sessionStorage.setItem("homelabcmd.apiKey", key);
      const tick = () => {
        if (document.querySelectorAll("[data-machine-id]").length >= expected) {
          window.__usableAt = performance.now();
          performance.mark("dashboard-usable");
        } else {
          requestAnimationFrame(tick);
        }
      };
      requestAnimationFrame(tick);
    },
    { key: API_KEY, expected },
  );
}

async function measure(page, base) {
  await page.goto(`${base}/`, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__usableAt !== undefined, null, { timeout: 30_000 });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const servers = performance
      .getEntriesByType("resource")
      .find((r) => r.name.endsWith("/api/v1/servers"));
    return {
      usable: window.__usableAt,
      domContentLoaded: nav.domContentLoadedEventEnd,
      serversSent: servers ? servers.startTime : null,
      serversApi: servers ? servers.responseEnd : null,
    };
  });
}

async function seed(fleet) {
  const now = Date.now();
  const jobs = [];
  for (let i = 0; i < SERVERS; i++) {
    const id = `${i % 10 === 9 ? "desk" : "node"}-${String(i).padStart(2, "0")}`;
    jobs.push(
      (async () => {
        if (i % 10 === 9) {
          await fleet.api("POST", "/api/v1/servers", { id, hostname: `${id}.lan`, machine_type: "workstation" });
        }
        // Half an hour of samples, so every card has a sparkline.
        for (let k = 6; k >= 0; k--) {
          await fleet.heartbeat(id, {
            ts: new Date(now - k * 5 * 60_000),
            cpu: 10 + ((i * 7 + k * 13) % 70),
            memory: 30 + (i % 50),
            disk: 40 + (i % 45),
          });
        }
      })(),
    );
  }
  await Promise.all(jobs);
}

const fleet = new Fleet({ hubBinary: HUB_BIN, withAgent: false });
let browser;
try {
  await fleet.start();
  await seed(fleet);
  const { total } = await fleet.api("GET", "/api/v1/servers");
  if (total !== SERVERS) throw new Error(`expected ${SERVERS} machines, the hub has ${total}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
  });

  const loadBefore = loadavg()[0];
  const cold = [];
  const warm = [];
  let firstLoad;
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: "dark" });
    const page = await context.newPage();
    await instrument(page, SERVERS);
    const assets = [];
    page.on("response", (r) => {
      const type = r.request().resourceType();
      if (["script", "stylesheet", "font", "document"].includes(type)) assets.push({ type, res: r });
    });
    cold.push(await measure(page, fleet.base));
    if (run === 0) {
      firstLoad = [];
      for (const { type, res } of assets) {
        const body = await res.body();
        firstLoad.push({ type, url: res.url(), raw: body.length, gzip: gzipSync(body, { level: 6 }).length });
      }
    }
    // Same tab again: assets from the cache (immutable), data fresh.
    warm.push(await measure(page, fleet.base));
    await context.close();
  }

  const scripts = firstLoad.filter((a) => a.type === "script");
  const jsRaw = scripts.reduce((n, a) => n + a.raw, 0);
  const jsGzip = scripts.reduce((n, a) => n + a.gzip, 0);
  const other = (type) => firstLoad.filter((a) => a.type === type).reduce((n, a) => n + a.gzip, 0);
  const usableCold = median(cold.map((r) => r.usable));
  const usableWarm = median(warm.map((r) => r.usable));

  console.log(`hub: ${HUB_BIN ?? "target/debug/homelabcmd"}, ${SERVERS} machines, ${RUNS} runs, Chromium ${browser.version()}`);
  console.log(`load average (1 min) before ${loadBefore.toFixed(2)}, after ${loadavg()[0].toFixed(2)} (${cpus().length} cores; other work skews this)`);
  console.log(`cold runs, usable (ms): ${cold.map((r) => Math.round(r.usable)).join(" ")}`);
  console.log(`warm runs, usable (ms): ${warm.map((r) => Math.round(r.usable)).join(" ")}`);
  console.log("");
  console.log("measure                                   median     target      verdict");
  const line = (label, value, target, ok) =>
    console.log(`${label.padEnd(42)}${value.padStart(8)}   ${target.padEnd(11)} ${ok === undefined ? "" : ok ? "met" : "MISSED"}`);
  line("navigation → usable, cold (no cache)", ms(usableCold), `< ${TARGET_MS} ms`, usableCold < TARGET_MS);
  line("navigation → usable, warm (cached assets)", ms(usableWarm), `< ${TARGET_MS} ms`, usableWarm < TARGET_MS);
  line("  DOMContentLoaded, cold", ms(median(cold.map((r) => r.domContentLoaded))), "");
  line("  GET /servers sent, cold", ms(median(cold.map((r) => r.serversSent ?? NaN))), "");
  line("  GET /servers answered, cold", ms(median(cold.map((r) => r.serversApi ?? NaN))), "");
  line("first-load JS, gzip -6", kb(jsGzip), `≤ ${TARGET_JS_GZIP / 1024} KB`, jsGzip <= TARGET_JS_GZIP);
  line("  first-load JS, raw", kb(jsRaw), "");
  line("  CSS, gzip -6", kb(other("stylesheet")), "");
  line("  fonts (woff2, already compressed)", kb(firstLoad.filter((a) => a.type === "font").reduce((n, a) => n + a.raw, 0)), "");
  console.log("");
  for (const a of scripts) console.log(`  script ${new URL(a.url).pathname}: ${kb(a.raw)} raw, ${kb(a.gzip)} gzip`);
} finally {
  await browser?.close();
  await fleet.stop();
  const { rmSync } = await import("node:fs");
  rmSync(fleet.dir, { recursive: true, force: true });
}
