// Browser end-to-end: Debian's Chromium (driven by playwright-core) against
// the real hub binary serving the built dashboard, fed by the real agent and
// API heartbeats. Run by scripts/test after the cargo build:
//   cd frontend && npm run e2e
// E2E_SCREENSHOT_DIR=../docs/screenshots (npm run screenshots) refreshes the
// README's pictures; by default they go to the run's temporary directory.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { API_KEY, Fleet, waitFor } from "./fleet.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DESKTOP = { width: 1440, height: 900 };

let fleet;
let context;
let page;
let shots;
const failures = [];
let failed = false;

/** A test that, when it fails, keeps the run's directory and photographs the page. */
function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      await page
        ?.screenshot({ path: join(fleet.dir, `failed-${name.replace(/\W+/g, "-")}.png`), fullPage: true })
        .catch(() => {});
      throw e;
    }
  });
}

async function shot(name) {
  await page.mouse.move(0, 0); // no hover state or tooltip in the picture
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Ids of the cards in one dashboard section, in screen order. */
async function sectionIds(title) {
  return page
    .getByRole("region", { name: new RegExp(`^${title}`) })
    .locator("[data-machine-id]")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-machine-id")));
}

before(async () => {
  fleet = new Fleet();
  failed = true; // until the set-up is through
  await fleet.start();
  await fleet.seed();
  failed = false;
  shots = process.env.E2E_SCREENSHOT_DIR
    ? resolve(process.env.E2E_SCREENSHOT_DIR)
    : join(fleet.dir, "screenshots");
  mkdirSync(shots, { recursive: true });
  context = await chromium.launchPersistentContext(join(fleet.dir, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: DESKTOP,
    colorScheme: "dark",
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  // The page must load nothing from outside the hub (no CDN fonts or scripts).
  page.on("request", (r) => {
    if (!r.url().startsWith(fleet.base) && !r.url().startsWith("data:")) {
      failures.push(`request outside the hub: ${r.url()}`);
    }
  });
});

after(async () => {
  await context?.close();
  await fleet?.stop();
  if (!fleet) return;
  if (failed) {
    try {
      console.error(`hub log (${fleet.hubLog}):\n${readFileSync(fleet.hubLog, "utf8").slice(-4000)}`);
    } catch {
      // no log
    }
    console.error(`kept for a look: ${fleet.dir} (logs, profile, screenshots)`);
  } else {
    rmSync(fleet.dir, { recursive: true, force: true });
    if (process.env.E2E_SCREENSHOT_DIR) console.log(`screenshots: ${shots}`);
  }
});

describe("dashboard in a real browser", { timeout: 120_000 }, () => {
  step("sign-in refuses a wrong key and accepts the right one", async () => {
    await page.goto(fleet.base);
    const keyInput = page.getByLabel("API key");
    await keyInput.waitFor();
    await shot("sign-in");

    await keyInput.fill("not-the-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "not accepted" }).waitFor();

    await keyInput.fill(API_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem("homelabcmd.apiKey"));
    assert.equal(stored, API_KEY);
  });

  step("the dashboard shows the fleet with status in words", async () => {
    const card = (id) => page.locator(`[data-machine-id="${id}"]`);
    for (const id of ["this-machine", "web-01", "db-01", "media-01", "backup-nas", "laptop"]) {
      await card(id).waitFor();
    }
    assert.deepEqual((await sectionIds("Workstations")).sort(), ["laptop"]);
    assert.deepEqual(
      (await sectionIds("Servers")).sort(),
      ["backup-nas", "db-01", "media-01", "this-machine", "web-01"],
    );
    assert.match(await card("backup-nas").innerText(), /Offline/);
    assert.match(await card("laptop").innerText(), /Last seen/);
    assert.doesNotMatch(await card("laptop").innerText(), /Offline/);
    assert.match(await card("db-01").innerText(), /1 alert/);
    assert.match(await card("media-01").innerText(), /Maintenance/);
    assert.match(await card("web-01").innerText(), /Online/);

    // The counts match the hub's view (this machine may have alerts of its own,
    // e.g. pending security updates, so warnings are counted, not assumed).
    const { servers } = await fleet.api("GET", "/api/v1/servers");
    const warnings = servers.filter((s) => s.active_alert_count > 0).length;
    assert.ok(warnings >= 1, "db-01 has an open alert");
    const filters = page.getByRole("group", { name: "Filter by status" });
    const counts = (await filters.innerText()).replace(/\s+/g, " ");
    assert.match(counts, /4 online · 1 offline · (\d+) warnings?/);
    assert.equal(Number(/(\d+) warning/.exec(counts)[1]), warnings);
    // The sparkline of the agent's own machine has data (a drawn path).
    await card("web-01").locator("svg[role=img] path").first().waitFor();
    await shot("dashboard");

    await filters.getByRole("button", { name: /1 offline/ }).click();
    await page.waitForFunction(() => document.querySelectorAll("[data-machine-id]").length === 1);
    assert.deepEqual(await sectionIds("Servers"), ["backup-nas"]);
    await filters.getByRole("button", { name: /1 offline/ }).click();

    await page.getByRole("searchbox", { name: "Search machines" }).fill("web-01");
    await page.waitForFunction(() => document.querySelectorAll("[data-machine-id]").length === 1);
    await page.getByRole("searchbox", { name: "Search machines" }).fill("");
    await card("laptop").waitFor();
  });

  step("dragging a card reorders the section and the order survives a reload", async () => {
    const before = await sectionIds("Servers");
    assert.equal(before.length, 5);
    const moving = before[before.length - 1];
    const target = before[0];

    const handle = page.locator(`[data-drag-handle="${moving}"]`);
    const hb = await handle.boundingBox();
    const tb = await page.locator(`[data-machine-id="${target}"]`).boundingBox();
    const saved = page.waitForResponse(
      (r) => r.url().endsWith("/api/v1/preferences/section-order") && r.request().method() === "PUT",
    );
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    // Several steps: dnd-kit starts a drag after 5 px of movement.
    await page.mouse.move(hb.x + hb.width / 2 - 10, hb.y + hb.height / 2 + 10, { steps: 5 });
    await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 2, { steps: 20 });
    await page.mouse.up();
    assert.equal((await saved).status(), 200);

    const expected = [moving, ...before.slice(0, -1)];
    assert.deepEqual(await sectionIds("Servers"), expected);
    const stored = await fleet.api("GET", "/api/v1/preferences/section-order");
    assert.deepEqual(stored.servers, expected);

    await page.reload();
    await page.locator(`[data-machine-id="${moving}"]`).waitFor();
    await page.waitForFunction(
      (first) => document.querySelector("[data-machine-id]")?.getAttribute("data-machine-id") === first,
      moving,
    );
    assert.deepEqual(await sectionIds("Servers"), expected);
  });

  step("hover quick actions pause and unpause a machine, from the keyboard too", async () => {
    const card = page.locator('[data-machine-id="web-01"]');
    const actions = page.locator('[data-quick-actions="web-01"]');
    const opacity = () => actions.evaluate((el) => getComputedStyle(el).opacity);
    await page.mouse.move(0, 0);
    await page.waitForFunction(() => getComputedStyle(document.querySelector('[data-quick-actions="web-01"]')).opacity === "0");

    // Keyboard: Tab from the card's link (past its reorder grip) reaches
    // Open, then Pause, and shows them.
    await card.getByRole("link", { name: "web-01.lan", exact: true }).focus();
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Reorder web-01.lan");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Open web-01.lan");
    await page.waitForFunction(() => getComputedStyle(document.querySelector('[data-quick-actions="web-01"]')).opacity === "1");
    await card.screenshot({ path: join(shots, "card-quick-actions.png") });
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Pause web-01.lan: maintenance mode");
    const paused = page.waitForResponse((r) => r.url().endsWith("/servers/web-01/pause"));
    await page.keyboard.press("Enter");
    assert.equal((await paused).status(), 200);
    await card.getByText("Maintenance").waitFor();
    assert.equal((await fleet.api("GET", "/api/v1/servers/web-01")).is_paused, true);

    // Pointer: hovering shows them; Unpause ends maintenance.
    await page.mouse.move(0, 0);
    await card.hover();
    await page.waitForFunction(() => getComputedStyle(document.querySelector('[data-quick-actions="web-01"]')).opacity === "1");
    assert.equal(await opacity(), "1");
    await card.getByRole("button", { name: "Unpause web-01.lan: end maintenance" }).click();
    await card.getByRole("button", { name: "Pause web-01.lan: maintenance mode" }).waitFor();
    await card.getByText("Maintenance").waitFor({ state: "detached" });
    assert.equal((await fleet.api("GET", "/api/v1/servers/web-01")).is_paused, false);
  });

  step("the detail page shows the CPU chart and machine facts", async () => {
    await page.locator('[data-machine-id="web-01"]').getByRole("link", { name: /^web-01/ }).click();
    await page.waitForURL(/\/machines\/web-01$/);
    await page.getByRole("heading", { name: /web-01/, level: 1 }).waitFor();

    const cpu = page.locator('figure[data-chart="cpu_percent"]');
    const curve = cpu.locator("path.recharts-area-curve");
    await curve.waitFor();
    assert.ok(((await curve.getAttribute("d")) ?? "").length > 20, "the CPU curve has points");

    assert.match(await page.getByRole("region", { name: "Filesystems", exact: true }).innerText(), /\/dev\/vda/);
    assert.match(await page.getByRole("region", { name: "Network interfaces", exact: true }).innerText(), /eth0/);
    assert.match(await page.getByRole("region", { name: "Services", exact: true }).innerText(), /ssh/);
    assert.match(await page.getByRole("region", { name: "System", exact: true }).innerText(), /Debian GNU\/Linux 12/);
    const containers = page.getByRole("region", { name: "Containers", exact: true });
    assert.match(await containers.innerText(), /2 running · 1 not running/);
    // The exited one comes first, with the offline (square) LED.
    const rows = await containers.locator("[data-container]").evaluateAll((els) => els.map((e) => e.getAttribute("data-container")));
    assert.deepEqual(rows, ["backup-job", "nginx", "postgres"]);
    assert.equal(await containers.locator('[data-container="backup-job"] [data-status]').getAttribute("data-status"), "offline");
    await shot("machine-detail");

    const weekly = page.waitForResponse((r) => r.url().includes("/metrics?range=7d"));
    await page.getByRole("button", { name: "7d" }).click();
    assert.equal((await weekly).status(), 200);
    assert.equal(await page.getByRole("button", { name: "7d" }).getAttribute("aria-pressed"), "true");
  });

  step("the dashboard and the machine page update without a reload (15 s polling)", async () => {
    // Two tabs at once, so both wait out one polling interval together.
    const dash = await context.newPage();
    try {
      // The key lives in sessionStorage, which a new tab does not share.
      await dash.addInitScript((key) => sessionStorage.setItem("homelabcmd.apiKey", key), API_KEY);
      await dash.goto(`${fleet.base}/`);
      await dash.locator('[data-machine-id="web-01"]').waitFor();
      await page.goto(`${fleet.base}/machines/web-01`);
      const containers = page.getByRole("region", { name: "Containers", exact: true });
      await containers.locator('[data-container="nginx"]').waitFor();
      const loads = [];
      page.on("framenavigated", (f) => f === page.mainFrame() && loads.push(f.url()));
      dash.on("framenavigated", (f) => f === dash.mainFrame() && loads.push(f.url()));

      const since = Date.now();
      await fleet.heartbeat("live-01", { cpu: 11 });
      await fleet.heartbeat("web-01", {
        cpu: 35,
        extra: {
          containers: [{ name: "redis", image: "redis:7", state: "running", status: "Up 2 seconds" }],
        },
      });
      await Promise.all([
        dash.locator('[data-machine-id="live-01"]').waitFor({ timeout: 20_000 }),
        containers.locator('[data-container="redis"]').waitFor({ timeout: 20_000 }),
      ]);
      assert.ok(Date.now() - since <= 17_000, `updated within one interval (${Date.now() - since} ms)`);
      await containers.locator('[data-container="nginx"]').waitFor({ state: "detached" });
      assert.deepEqual(loads, [], "no reload or navigation");
    } finally {
      await dash.close();
      // live-01 would change the counts later steps expect.
      await fleet.api("DELETE", "/api/v1/servers/live-01").catch((e) => console.error(e.message));
    }
  });

  step("a widget layout change persists for one machine; another keeps the default", async () => {
    const widget = (id) => page.locator(`[data-widget="${id}"]`);
    const size = async (id) => Number(await widget(id).getAttribute("data-w"));
    await page.goto(`${fleet.base}/machines/web-01`);
    await page.locator('[data-layout-source="default"]').waitFor();
    await widget("cpu").locator("figure[data-chart=cpu_percent]").waitFor();
    const cpuBefore = await size("cpu");
    const systemBefore = await size("system");
    await page.getByRole("region", { name: "Open alerts", exact: true }).waitFor();
    await page.getByRole("region", { name: "Pending updates", exact: true }).waitFor();
    // The compliance widget: base assigned by default, never checked, a way to the Compliance page.
    const compliance = page.getByRole("region", { name: "Compliance", exact: true });
    await compliance.locator('[data-pack="base"]').getByText("Never checked").waitFor();
    assert.equal(
      await compliance.getByRole("link", { name: /Open in Compliance/ }).getAttribute("href"),
      "/compliance/web-01",
    );

    await page.getByRole("button", { name: "Edit layout" }).click();
    // Keyboard: the CPU widget's handle, Shift + ← twice makes it narrower.
    const handle = page.getByRole("button", { name: "Move or resize CPU" });
    await handle.focus();
    await page.keyboard.press("Shift+ArrowLeft");
    await page.keyboard.press("Shift+ArrowLeft");
    await page.waitForFunction((w) => document.querySelector('[data-widget="cpu"]')?.getAttribute("data-w") === String(w), cpuBefore - 2);
    // Mouse: drag the System widget's resize corner to the left.
    const corner = widget("system").locator(".react-resizable-handle");
    await corner.scrollIntoViewIfNeeded();
    const box = await corner.boundingBox();
    const cell = (await widget("system").boundingBox()).width / systemBefore;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x - cell * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x - cell * 1.2, box.y + box.height / 2, { steps: 10 });
    await page.mouse.up();
    await page.waitForFunction((w) => Number(document.querySelector('[data-widget="system"]')?.getAttribute("data-w")) < w, systemBefore);
    const systemAfter = await size("system");

    const saved = page.waitForResponse(
      (r) => r.url().endsWith("/api/v1/machines/web-01/layout") && r.request().method() === "PUT",
    );
    await page.getByRole("button", { name: "Save layout" }).click();
    assert.equal((await saved).status(), 200);
    const stored = await fleet.api("GET", "/api/v1/machines/web-01/layout");
    assert.ok(stored.layouts, "the hub has a layout for web-01");

    await page.reload();
    await page.locator('[data-layout-source="saved"]').waitFor();
    await widget("cpu").waitFor();
    assert.equal(await size("cpu"), cpuBefore - 2);
    assert.equal(await size("system"), systemAfter);

    // db-01 has no saved layout and shows the default sizes.
    assert.equal((await fleet.api("GET", "/api/v1/machines/db-01/layout")).layouts, null);
    await page.goto(`${fleet.base}/machines/db-01`);
    await page.locator('[data-layout-source="default"]').waitFor();
    await widget("cpu").waitFor();
    assert.equal(await size("cpu"), cpuBefore);
    assert.equal(await size("system"), systemBefore);
    // Its open CPU alert shows in the alerts widget.
    await page.getByRole("region", { name: "Open alerts", exact: true }).getByText(/cpu/i).first().waitFor();
    await shot("machine-detail-db");

    // Reset brings web-01 back to the default.
    await page.goto(`${fleet.base}/machines/web-01`);
    await page.locator('[data-layout-source="saved"]').waitFor();
    await page.getByRole("button", { name: "Edit layout" }).click();
    await shot("machine-layout-editing");
    await page.getByRole("button", { name: "Reset layout" }).click();
    await page.locator('[data-layout-source="default"]').waitFor();
    await page.waitForFunction((w) => document.querySelector('[data-widget="cpu"]')?.getAttribute("data-w") === String(w), cpuBefore);
    assert.equal(await size("cpu"), cpuBefore);
    assert.equal((await fleet.api("GET", "/api/v1/machines/web-01/layout")).layouts, null);
  });

  step("acknowledging and resolving an alert updates the list and the counts", async () => {
    // Disk over 95 % alerts at once (critical, no sustained window).
    await fleet.heartbeat("disk-01", { disk: 99 });
    const alertId = await waitFor("disk-01's disk alert", 15_000, async () => {
      const { alerts } = await fleet.api("GET", "/api/v1/alerts?server_id=disk-01&status=open");
      return alerts.find((a) => a.alert_type === "disk_high")?.id;
    });
    await page.goto(`${fleet.base}/alerts`);
    const statuses = page.getByRole("group", { name: "Alerts by status" });
    await statuses.getByRole("button", { name: /open$/ }).click();
    const row = page.locator(`[data-alert-id="${alertId}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /critical/i);
    assert.match(await row.innerText(), /disk-01/);
    const openBefore = Number(/(\d+) open/.exec(await statuses.innerText())[1]);
    await shot("alerts");

    const acked = page.waitForResponse((r) => r.url().endsWith(`/alerts/${alertId}/acknowledge`));
    await row.getByRole("button", { name: /^Acknowledge/ }).click();
    assert.equal((await acked).status(), 200);
    // It leaves the open list, and the counts follow.
    await row.waitFor({ state: "detached" });
    await page.waitForFunction(
      (n) => new RegExp(`${n} open`).test(document.querySelector('[aria-label="Alerts by status"]')?.textContent ?? ""),
      openBefore - 1,
    );
    assert.equal((await fleet.api("GET", `/api/v1/alerts/${alertId}`)).status, "acknowledged");

    await statuses.getByRole("button", { name: /acknowledged$/ }).click();
    await row.waitFor();
    await row.getByRole("combobox", { name: /^Snooze/ }).selectOption("60");
    await row.getByRole("button", { name: "Unsnooze" }).waitFor();
    assert.ok((await fleet.api("GET", `/api/v1/alerts/${alertId}`)).snoozed_until, "snoozed on the hub");
    await row.getByRole("button", { name: /^Resolve/ }).click();
    await row.waitFor({ state: "detached" });
    await statuses.getByRole("button", { name: /resolved/ }).click();
    await row.waitFor();
    assert.match(await row.innerText(), /resolved/);

    // The machine filter comes from the URL (the alerts widget links here).
    await page.goto(`${fleet.base}/alerts?machine=db-01`);
    await page.locator("[data-alert-id]").first().waitFor();
    const machines = await page.locator("[data-alert-id]").evaluateAll((els) => els.map((e) => e.textContent));
    assert.ok(machines.every((t) => t.includes("db-01")), "only db-01's alerts");
  });

  step("settings save and come back after a reload", async () => {
    // A fake Slack that accepts the test message.
    const hits = [];
    const slack = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        hits.push(body);
        res.end("ok");
      });
    });
    await new Promise((ok) => slack.listen(0, "127.0.0.1", ok));
    const slackUrl = `http://127.0.0.1:${slack.address().port}/services/T000/B000/secret`;
    try {
      await page.goto(`${fleet.base}/settings`);
      const thresholds = page.getByRole("form", { name: "Alert thresholds" });
      await thresholds.getByLabel(/^cpu high/).fill("82");
      await thresholds.getByLabel(/^Offline after/).fill("240");
      await thresholds.getByRole("button", { name: "Save thresholds" }).click();
      await thresholds.getByRole("status").filter({ hasText: "Saved" }).waitFor();
      const config = await fleet.api("GET", "/api/v1/config");
      assert.equal(config.thresholds.cpu.high_percent, 82);
      assert.equal(config.thresholds.server_offline_seconds, 240);

      const notifications = page.getByRole("form", { name: "Notifications" });
      await notifications.getByLabel("Slack webhook URL").fill(slackUrl);
      await notifications.getByRole("button", { name: "Send test" }).click();
      await notifications.getByRole("status").filter({ hasText: "Test message sent" }).waitFor();
      assert.equal(hits.length, 1);
      await notifications.getByLabel("High alerts").uncheck();
      await notifications.getByRole("button", { name: "Save notifications" }).click();
      await notifications.getByRole("status").filter({ hasText: "Saved" }).waitFor();
      const stored = (await fleet.api("GET", "/api/v1/config")).notifications;
      assert.equal(stored.notify_on_high, false);
      assert.match(stored.slack_webhook_url, /\*\*\*$/);
      assert.doesNotMatch(stored.slack_webhook_url, /secret/);

      const tariff = page.getByRole("form", { name: "Electricity tariff" });
      await tariff.getByLabel(/^Price/).fill("0.3");
      await tariff.getByLabel("Currency symbol").fill("€");
      await tariff.getByRole("button", { name: "Save tariff" }).click();
      await tariff.getByRole("status").filter({ hasText: "Saved" }).waitFor();
      assert.equal((await fleet.api("GET", "/api/v1/config/cost")).electricity_rate, 0.3);

      await page.reload();
      assert.equal(await page.getByRole("form", { name: "Alert thresholds" }).getByLabel(/^cpu high/).inputValue(), "82");
      const slackField = page.getByRole("form", { name: "Notifications" }).getByLabel("Slack webhook URL");
      assert.equal(await slackField.inputValue(), "", "the stored URL is never put back in the page");
      assert.match((await slackField.getAttribute("placeholder")) ?? "", /Stored: http:\/\/127\.0\.0\.1:\d+\/\*\*\*/);
      assert.equal(await page.getByRole("form", { name: "Notifications" }).getByLabel("High alerts").isChecked(), false);
      assert.equal(await page.getByRole("form", { name: "Electricity tariff" }).getByLabel("Currency symbol").inputValue(), "€");
      // The stored URL still works for the test: the masked value tests it.
      await page.getByRole("form", { name: "Notifications" }).getByRole("button", { name: "Send test" }).click();
      await page.getByRole("form", { name: "Notifications" }).getByRole("status").filter({ hasText: "Test message sent" }).waitFor();
      assert.equal(hits.length, 2);

      // A per-machine override for db-01.
      await page.getByRole("combobox", { name: /^Machine/ }).selectOption("db-01");
      const overrides = page.getByRole("form", { name: "Threshold overrides" });
      await overrides.getByLabel(/^memory high/).fill("70");
      await overrides.getByRole("button", { name: "Save overrides" }).click();
      await page.getByRole("status").filter({ hasText: "Saved overrides" }).waitFor();
      const o = await fleet.api("GET", "/api/v1/servers/db-01/thresholds");
      assert.equal(o.overrides.memory.high_percent, 70);
      await shot("settings");
    } finally {
      slack.close();
    }
  });

  step("the costs page shows the fleet and each machine", async () => {
    // Power settings make a machine costed.
    await fleet.api("PUT", "/api/v1/servers/web-01", { tdp_watts: 65, idle_watts: 15 });
    await page.goto(`${fleet.base}/costs`);
    const fleetCost = page.getByRole("region", { name: "Fleet cost" });
    await fleetCost.waitFor();
    assert.match(await fleetCost.innerText(), /€\d+\.\d\d/);
    const row = page.locator('[data-cost-machine="web-01"]');
    await row.waitFor();
    assert.match(await row.innerText(), /€\d+\.\d\d/);
    assert.match(await page.locator('[data-cost-machine="backup-nas"]').innerText(), /no power settings/);
    await page.getByRole("region", { name: /Cost per month/ }).waitFor();
    await shot("costs");
  });

  step("a service restart, approvals, output and the audit trail on the Actions page", async () => {
    // web-01 is not in maintenance: the restart runs at once. The e2e hub has
    // no SSH credentials, so it fails, with the reason as its output.
    await page.goto(`${fleet.base}/machines/web-01`);
    const services = page.getByRole("region", { name: "Services", exact: true });
    await services.getByRole("button", { name: "Restart ssh" }).click();
    const restarted = page.waitForResponse((r) => r.url().endsWith("/servers/web-01/services/ssh/restart"));
    await services.getByRole("button", { name: "Confirm restart of ssh" }).click();
    assert.equal((await restarted).status(), 201);
    const note = services.getByRole("status");
    await note.waitFor();
    const sshAction = Number(/action #(\d+)/.exec(await note.innerText())[1]);

    // media-01 is in maintenance: its actions wait for approval.
    const create = (service) =>
      fleet.api("POST", "/api/v1/actions", { server_id: "media-01", action_type: "restart_service", service_name: service });
    const plex = await create("plex");
    const jellyfin = await create("jellyfin");
    assert.equal(plex.status, "pending");

    await note.getByRole("link", { name: "Actions →" }).click();
    await page.waitForURL(/\/actions\?machine=web-01$/);
    await page.getByRole("heading", { name: "Actions", level: 1 }).waitFor();
    const history = page.getByRole("list", { name: "Action history" });
    const sshRow = history.locator(`[data-action-id="${sshAction}"]`);
    await history.locator(`[data-action-id="${sshAction}"][data-action-status="failed"]`).waitFor({ timeout: 30_000 });
    await sshRow.getByRole("button", { name: `Output of action ${sshAction}` }).click();
    const term = sshRow.getByRole("figure", { name: `Output of action ${sshAction}` });
    assert.match(await term.innerText(), /\$ systemctl restart ssh/);
    assert.ok((await term.locator('[data-stream="stderr"]').innerText()).trim().length > 0, "the failure says why");

    // All machines: approve plex, reject jellyfin with a reason.
    await page.getByRole("combobox", { name: "Machine" }).selectOption("");
    const waiting = page.getByRole("region", { name: "Awaiting approval" });
    await waiting.locator(`[data-action-id="${jellyfin.id}"]`).waitFor();
    // Every page's navigation shows how many wait.
    const badge = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Actions/ });
    await page.waitForFunction(() => document.querySelector("[data-pending-approvals]")?.getAttribute("data-pending-approvals") === "2", null, { timeout: 20_000 });
    assert.match(await badge.innerText(), /2/);
    await shot("actions");
    const approved = page.waitForResponse((r) => r.url().endsWith(`/actions/${plex.id}/approve`));
    await waiting.getByRole("button", { name: "Approve Restart plex on media-01" }).click();
    assert.equal((await approved).status(), 200);
    await waiting.locator(`[data-action-id="${plex.id}"]`).waitFor({ state: "detached" });
    await waiting.getByRole("button", { name: "Reject Restart jellyfin on media-01" }).click();
    const form = waiting.getByRole("form", { name: "Reject Restart jellyfin on media-01" });
    await form.getByLabel("Reason for rejecting").fill("not during movie night");
    await form.getByRole("button", { name: "Reject" }).click();
    await waiting.getByText("Nothing waits for approval.").waitFor();
    const rejected = await fleet.api("GET", `/api/v1/actions/${jellyfin.id}`);
    assert.equal(rejected.status, "rejected");
    assert.equal(rejected.rejection_reason, "not during movie night");
    await history.locator(`[data-action-id="${jellyfin.id}"]`).getByText(/not during movie night/).waitFor();
    // The approved one ran (and failed the same way) without a reload.
    await history.locator(`[data-action-id="${plex.id}"][data-action-status="failed"]`).waitFor({ timeout: 30_000 });

    // The audit trail has the approval and the rejection.
    const audit = page.getByRole("table", { name: "Audit trail" });
    await audit.getByText("action_reject").first().waitFor();
    await audit.getByText("action_approve").first().waitFor();
    await sshRow.getByRole("button", { name: `Output of action ${sshAction}` }).click();
    await shot("actions-history");
  });

  step("navigation works from the keyboard: Compliance lists the fleet, never checked", async () => {
    await page.goto(`${fleet.base}/`);
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    const compliance = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Compliance" });
    await compliance.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/compliance$/);
    const filters = page.getByRole("group", { name: "Filter by compliance" });
    await filters.waitFor();
    // Nothing was checked in this fleet: every machine says so, with the hollow LED.
    const list = page.getByRole("list", { name: "Machines by compliance" });
    await list.locator('[data-machine="web-01"][data-compliance="never_checked"]').waitFor();
    assert.equal(await list.locator('[data-compliance="compliant"]').count(), 0);
  });

  step("on a phone the dashboard is one column with a menu", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${fleet.base}/`);
    await page.locator('[data-machine-id="web-01"]').waitFor();
    const menu = page.getByRole("button", { name: "Open menu" });
    assert.ok(await menu.isVisible());
    const a = await page.locator('[data-machine-id="web-01"]').boundingBox();
    assert.ok(a.width > 300, "cards take the full width on a phone");
    await shot("dashboard-phone");
    await menu.click();
    await page.locator("#mobile-nav").getByRole("link", { name: "Alerts" }).click();
    await page.waitForURL(/\/alerts$/);
    // The machine page stacks its widgets in one column.
    await page.goto(`${fleet.base}/machines/web-01`);
    await page.locator('[data-widget="system"]').waitFor();
    const cpu = await page.locator('[data-widget="cpu"]').boundingBox();
    const system = await page.locator('[data-widget="system"]').boundingBox();
    assert.ok(Math.abs(cpu.width - system.width) < 2 && cpu.width > 300, "one full-width column");
    await page.locator('figure[data-chart="cpu_percent"]').waitFor();
    await shot("machine-detail-phone");
    await page.setViewportSize(DESKTOP);
  });

  step("a refused key sends the operator back to sign-in", async () => {
    // Set the key on a page without the app: a dashboard still polling would
    // meet the revoked key first and clear it before the reload.
    await page.goto(`${fleet.base}/api/v1/system/health`);
    await page.evaluate(() => sessionStorage.setItem("homelabcmd.apiKey", "revoked-key"));
    await page.goto(`${fleet.base}/`);
    await page.getByLabel("API key").waitFor();
    await page.getByRole("alert").filter({ hasText: "no longer accepts" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("homelabcmd.apiKey")), null);
  });

  step("nothing went wrong in the page", () => {
    assert.deepEqual(failures, []);
  });
});
