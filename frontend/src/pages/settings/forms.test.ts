import { describe, expect, it } from "vitest";
import type { NotificationsConfig } from "../../types/generated/NotificationsConfig";
import { notificationsForm, notificationsUpdate, overrideForm, overridesBody } from "./forms";

const stored: NotificationsConfig = {
  slack_webhook_url: "https://hooks.slack.com/***",
  discord_webhook_url: "",
  ntfy_url: "https://ntfy.sh/***",
  webhook_url: "",
  cooldowns: { critical_minutes: 30, high_minutes: 240 },
  notify_on_critical: true,
  notify_on_high: true,
  notify_on_remediation: true,
  notify_on_action_failure: true,
  notify_on_action_success: false,
  notify_on_auto_resolve: true,
};

describe("notification settings form", () => {
  it("sends nothing when nothing changed, and never the masked URLs", () => {
    const body = notificationsUpdate(notificationsForm(stored), stored);
    expect(Object.values(body).every((v) => v === null)).toBe(true);
  });

  it("sends a typed URL, \"\" for a cleared one, and only changed flags", () => {
    const f = notificationsForm(stored);
    f.channels.discord_webhook_url.value = "  https://discord.com/api/webhooks/1/abc ";
    f.channels.ntfy_url.clear = true;
    f.toggles.notify_on_high = false;
    f.high_minutes = 60;
    const body = notificationsUpdate(f, stored);
    expect(body.discord_webhook_url).toBe("https://discord.com/api/webhooks/1/abc");
    expect(body.ntfy_url).toBe("");
    expect(body.slack_webhook_url).toBeNull();
    expect(body.notify_on_high).toBe(false);
    expect(body.notify_on_critical).toBeNull();
    expect(body.cooldowns).toEqual({ critical_minutes: 30, high_minutes: 60 });
  });
});

describe("per-machine threshold overrides form", () => {
  it("round-trips and treats blank fields as inherited", () => {
    const f = overrideForm({
      cpu: { high_percent: 70, critical_percent: null, sustained_seconds: 0, sustained_heartbeats: null },
      memory: null,
      disk: null,
    });
    expect(f.cpu).toEqual({ high: "70", critical: "", sustained: "0" });
    expect(f.memory).toEqual({ high: "", critical: "", sustained: "" });
    f.disk.critical = "97";
    expect(overridesBody(f)).toEqual({
      cpu: { high_percent: 70, critical_percent: null, sustained_seconds: 0, sustained_heartbeats: null },
      memory: null,
      disk: { high_percent: null, critical_percent: 97, sustained_seconds: null, sustained_heartbeats: null },
    });
  });
});
