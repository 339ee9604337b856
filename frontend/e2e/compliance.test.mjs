// Browser end-to-end for SSH settings and pack apply, against a hub that
// reaches a real SSH host. The Rust test tests/tests/e2e/browser_compliance.rs
// builds that world (network-namespace sshd, hub with a packs dir, the
// machine registered with its key, one check already run) and runs:
//   HUB_URL=... API_KEY=... SERVER_ID=... PACK_NAME=... node --test e2e/compliance.test.mjs
// Under plain `npm run e2e` (no HUB_URL) it skips and says why.
// E2E_SCREENSHOT_DIR=../docs/screenshots refreshes the README's pictures.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const HUB_URL = process.env.HUB_URL;
const API_KEY = process.env.API_KEY;
const SERVER_ID = process.env.SERVER_ID;
const PACK = process.env.PACK_NAME;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"];
const DESKTOP = { width: 1440, height: 900 };

const configured = Boolean(HUB_URL && API_KEY && SERVER_ID && PACK);
if (!configured) {
  console.log(
    "compliance.test.mjs: SKIPPED outside its Rust harness (needs a real SSH host): " +
      "cargo nextest run --workspace -E 'test(/browser_compliance/)'",
  );
}

let context;
let page;
let shots;
const failures = [];

async function api(method, path, body) {
  const res = await fetch(`${HUB_URL}${path}`, {
    method,
    headers: { "X-API-Key": API_KEY, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function shot(name, target = page) {
  await page.mouse.move(0, 0);
  await target.screenshot({ path: join(shots, `${name}.png`), ...(target === page ? { fullPage: true } : {}) });
}

describe("compliance and SSH settings in a real browser", { skip: !configured, timeout: 240_000 }, () => {
  before(async () => {
    const { chromium } = await import("playwright-core");
    const dir = mkdtempSync(join(tmpdir(), "homelabcmd-compliance-browser-"));
    shots = process.env.E2E_SCREENSHOT_DIR ? resolve(process.env.E2E_SCREENSHOT_DIR) : join(dir, "screenshots");
    mkdirSync(shots, { recursive: true });
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: DESKTOP,
      colorScheme: "dark",
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith(HUB_URL) && !r.url().startsWith("data:")) failures.push(`request outside the hub: ${r.url()}`);
    });
  });

  after(async () => {
    await context?.close();
    console.log(`screenshots: ${shots}`);
  });

  test("sign in", async () => {
    await page.goto(HUB_URL);
    await page.getByLabel("API key").fill(API_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
  });

  test("Settings: the machine's key shows as set, never as text, and Test SSH reaches the host", async () => {
    const machine = await api("GET", `/api/v1/servers/${SERVER_ID}`);
    const name = machine.display_name ?? machine.hostname;
    await page.goto(`${HUB_URL}/settings`);
    const row = page.locator(`li[data-machine="${SERVER_ID}"]`);
    await row.waitFor();
    await row.getByRole("button", { name: `Test SSH for ${name}` }).click();
    const result = row.locator("[data-ssh-test]");
    await result.waitFor({ timeout: 30_000 });
    assert.equal(await result.getAttribute("data-ssh-test"), "ok", await result.innerText());
    assert.match(await result.innerText(), /Connected to .* in \d+ ms/);

    await row.getByRole("button", { name: `Credentials of ${name}` }).click();
    const key = row.locator('[data-credential="ssh_private_key"]');
    await key.getByText("set on this machine").waitFor();
    assert.equal(await key.getAttribute("data-set"), "true");
    assert.equal(await row.locator('[data-credential="sudo_password"]').getAttribute("data-set"), "false");
    // Write-only: nothing of a private key is anywhere in the page.
    const html = await page.content();
    assert.doesNotMatch(html, /PRIVATE KEY-----/);
    await row.getByText(/^Pinned /).waitFor();
    // The picture: the two SSH panels, from the page's top.
    await page.mouse.move(0, 0);
    const box = async (name) => {
      const b = await page.getByRole("region", { name, exact: true }).boundingBox();
      const y = await page.evaluate(() => window.scrollY);
      return { ...b, y: b.y + y };
    };
    const top = await box("SSH connectivity");
    const bottom = await box("SSH access per machine");
    await page.screenshot({
      path: join(shots, "settings-ssh.png"),
      fullPage: true,
      clip: { x: top.x - 16, y: top.y - 16, width: top.width + 32, height: bottom.y + bottom.height - top.y + 32 },
    });
  });

  test("Compliance: the drift shows as a diff, Apply previews, confirms, and the re-check is compliant", async () => {
    await page.goto(`${HUB_URL}/compliance`);
    await page.getByRole("group", { name: "Filter by compliance" }).waitFor();
    const entry = page.locator(`[data-machine="${SERVER_ID}"][data-compliance="non_compliant"]`);
    await entry.waitFor();
    await entry.getByRole("link").click();
    await page.waitForURL(new RegExp(`/compliance/${SERVER_ID}$`));

    const panel = page.locator(`[data-pack="${PACK}"]`);
    await panel.waitFor();
    // The stored check's drift: a changed file as a signed, coloured diff.
    const diff = panel.getByRole("figure").first();
    await diff.waitFor();
    assert.ok((await diff.locator('[data-diff-line="add"]').count()) > 0, "an added line");
    for (const l of await diff.locator('[data-diff-line="add"]').allInnerTexts()) assert.match(l, /^\+/);
    for (const l of await diff.locator('[data-diff-line="remove"]').allInnerTexts()) assert.match(l, /^-/);
    await shot("compliance");

    // What the hub plans, as the dialog must show it (a dry run changes nothing).
    const plan = await api("POST", `/api/v1/servers/${SERVER_ID}/config/apply`, { pack_name: PACK, dry_run: true });
    assert.ok(plan.files.length > 0, JSON.stringify(plan));

    await page.getByRole("button", { name: `Apply ${PACK}`, exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Apply ${PACK}: preview` });
    await dialog.waitFor();
    const summary = dialog.locator("[data-preview-summary]");
    await summary.waitFor({ timeout: 30_000 });
    assert.equal(await summary.innerText(), plan.summary);
    for (const f of plan.files) {
      await dialog.locator(`[data-planned-file="${f.path}"]`).waitFor();
    }
    await shot("compliance-apply-preview", dialog);

    await dialog.getByRole("button", { name: "Confirm apply" }).click();
    const running = page.getByRole("dialog", { name: `Applying ${PACK}` });
    await running.getByRole("progressbar", { name: "Apply progress" }).waitFor();
    const result = running.locator("[data-apply-result]");
    await result.waitFor({ timeout: 120_000 });
    assert.equal(await result.getAttribute("data-apply-result"), "completed", await result.innerText());
    await running.locator('[data-recheck="compliant"]').waitFor();
    assert.equal(await running.locator('[data-item-success="false"]').count(), 0);
    const applied = await running.locator('[data-item-success="true"]').count();
    assert.ok(applied >= plan.files.length, `${applied} items applied for ${plan.files.length} planned files`);
    await shot("compliance-apply-result", running);

    await running.getByRole("button", { name: "Close", exact: true }).click();
    await panel.getByText("Compliant", { exact: true }).waitFor();
  });

  test("Remove pack: the preview warns and lists the files, confirm restores the host", async () => {
    const planned = await api("DELETE", `/api/v1/servers/${SERVER_ID}/config/apply`, { pack_name: PACK, confirm: false });
    assert.ok(planned.files.length > 0, JSON.stringify(planned));
    await page.getByRole("button", { name: `Remove pack ${PACK}`, exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Remove ${PACK}` });
    await dialog.locator("[data-remove-preview]").waitFor({ timeout: 30_000 });
    const warning = await dialog.getByRole("alert").innerText();
    assert.ok(warning.includes(planned.warning), `${warning} / ${planned.warning}`);
    for (const f of planned.files) await dialog.getByText(f.path, { exact: true }).waitFor();
    await dialog.getByRole("button", { name: "Confirm removal" }).click();
    const result = dialog.locator("[data-remove-result]");
    await result.waitFor({ timeout: 60_000 });
    assert.equal(await result.getAttribute("data-remove-result"), "ok", await result.innerText());
    await dialog.getByRole("button", { name: "Close", exact: true }).click();
    assert.deepEqual(failures, []);
  });
});
