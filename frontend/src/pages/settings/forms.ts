// Settings forms as values: what to send from what the operator typed.
// Webhook URLs are secrets the hub only shows masked, so the form never holds
// them: an empty field means "keep", a typed one "replace", and "clear" sends "".

import type { MetricThresholdUpdate } from "../../types/generated/MetricThresholdUpdate";
import type { NotificationsConfig } from "../../types/generated/NotificationsConfig";
import type { NotificationsUpdate } from "../../types/generated/NotificationsUpdate";
import type { ServerThresholdOverrides } from "../../types/generated/ServerThresholdOverrides";

export const CHANNELS = [
  { key: "slack_webhook_url", label: "Slack webhook URL" },
  { key: "discord_webhook_url", label: "Discord webhook URL" },
  { key: "ntfy_url", label: "ntfy topic URL" },
  { key: "webhook_url", label: "JSON webhook URL" },
] as const;
export type ChannelKey = (typeof CHANNELS)[number]["key"];

export const TOGGLES = [
  { key: "notify_on_critical", label: "Critical alerts" },
  { key: "notify_on_high", label: "High alerts" },
  { key: "notify_on_auto_resolve", label: "Alerts that clear by themselves" },
  { key: "notify_on_remediation", label: "Remediation actions" },
  { key: "notify_on_action_failure", label: "Failed actions" },
  { key: "notify_on_action_success", label: "Successful actions" },
] as const;
export type ToggleKey = (typeof TOGGLES)[number]["key"];

export interface ChannelEdit {
  /** What was typed; "" keeps the stored URL. */
  value: string;
  clear: boolean;
}

export interface NotificationsForm {
  channels: Record<ChannelKey, ChannelEdit>;
  toggles: Record<ToggleKey, boolean>;
  critical_minutes: number;
  high_minutes: number;
}

export function notificationsForm(n: NotificationsConfig): NotificationsForm {
  const channels = {} as Record<ChannelKey, ChannelEdit>;
  for (const c of CHANNELS) channels[c.key] = { value: "", clear: false };
  const toggles = {} as Record<ToggleKey, boolean>;
  for (const t of TOGGLES) toggles[t.key] = n[t.key];
  return {
    channels,
    toggles,
    critical_minutes: n.cooldowns.critical_minutes,
    high_minutes: n.cooldowns.high_minutes,
  };
}

/** The PUT body: null for everything unchanged, so a stored URL is never resent. */
export function notificationsUpdate(form: NotificationsForm, current: NotificationsConfig): NotificationsUpdate {
  const url = (k: ChannelKey): string | null => {
    const e = form.channels[k];
    if (e.clear) return "";
    const typed = e.value.trim();
    return typed ? typed : null;
  };
  const flag = (k: ToggleKey): boolean | null => (form.toggles[k] === current[k] ? null : form.toggles[k]);
  const cooldownsChanged =
    form.critical_minutes !== current.cooldowns.critical_minutes ||
    form.high_minutes !== current.cooldowns.high_minutes;
  return {
    slack_webhook_url: url("slack_webhook_url"),
    discord_webhook_url: url("discord_webhook_url"),
    ntfy_url: url("ntfy_url"),
    webhook_url: url("webhook_url"),
    cooldowns: cooldownsChanged
      ? { critical_minutes: form.critical_minutes, high_minutes: form.high_minutes }
      : null,
    notify_on_critical: flag("notify_on_critical"),
    notify_on_high: flag("notify_on_high"),
    notify_on_remediation: flag("notify_on_remediation"),
    notify_on_action_failure: flag("notify_on_action_failure"),
    notify_on_action_success: flag("notify_on_action_success"),
    notify_on_auto_resolve: flag("notify_on_auto_resolve"),
  };
}

/** One override field as typed: "" means "follow the global threshold". */
export type OverrideForm = Record<"cpu" | "memory" | "disk", Record<"high" | "critical" | "sustained", string>>;

export function overrideForm(o: ServerThresholdOverrides): OverrideForm {
  const row = (m: MetricThresholdUpdate | null) => ({
    high: m?.high_percent != null ? String(m.high_percent) : "",
    critical: m?.critical_percent != null ? String(m.critical_percent) : "",
    sustained: m?.sustained_seconds != null ? String(m.sustained_seconds) : "",
  });
  return { cpu: row(o.cpu), memory: row(o.memory), disk: row(o.disk) };
}

export function overridesBody(f: OverrideForm): ServerThresholdOverrides {
  const num = (s: string) => (s.trim() === "" ? null : Number(s));
  const metric = (r: OverrideForm["cpu"]): MetricThresholdUpdate | null => {
    const m = {
      high_percent: num(r.high),
      critical_percent: num(r.critical),
      sustained_seconds: num(r.sustained),
      sustained_heartbeats: null,
    };
    return m.high_percent == null && m.critical_percent == null && m.sustained_seconds == null ? null : m;
  };
  return { cpu: metric(f.cpu), memory: metric(f.memory), disk: metric(f.disk) };
}
