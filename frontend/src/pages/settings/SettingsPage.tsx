// Settings: alert thresholds, notification channels (URLs write-only, as the
// hub only ever shows them masked), electricity tariff, per-machine
// threshold overrides, and SSH (SshSettings.tsx). Each section saves on its own and says what changed.

import { useEffect, useId, useState } from "react";
import { api } from "../../api/client";
import type { ConfigResponse } from "../../types/generated/ConfigResponse";
import type { CostConfigResponse } from "../../types/generated/CostConfigResponse";
import type { ServerThresholdsResponse } from "../../types/generated/ServerThresholdsResponse";
import type { ThresholdsConfig } from "../../types/generated/ThresholdsConfig";
import { ErrorNote, Panel } from "../../components/Panel";
import { displayName } from "../../lib/status";
import { usePolling } from "../../lib/usePolling";
import {
  CHANNELS,
  notificationsForm,
  notificationsUpdate,
  overrideForm,
  overridesBody,
  TOGGLES,
  type NotificationsForm,
  type OverrideForm,
} from "./forms";
import { ConnectivitySection, MachineAccessSection } from "./SshSettings";

const input =
  "w-full rounded-md border border-border-default bg-bg-tertiary px-2 py-1.5 font-mono text-sm text-text-primary placeholder:text-text-muted";
const primary =
  "rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-bg-primary hover:bg-accent-hover disabled:opacity-50";
const secondary =
  "rounded-md border border-border-strong px-3 py-1.5 text-sm text-text-secondary hover:border-accent hover:text-accent disabled:opacity-50";
const METRICS = ["cpu", "memory", "disk"] as const;
const METRIC_NAMES = { cpu: "CPU", memory: "Memory", disk: "Root disk" } as const;

type Outcome = { error: boolean; text: string } | null;

function Result({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  return (
    <p
      role={outcome.error ? "alert" : "status"}
      className={`text-sm ${outcome.error ? "text-status-error" : "text-status-online"}`}
    >
      {outcome.error ? "✕ " : "✓ "}
      {outcome.text}
    </p>
  );
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function changed(updated: string[]): string {
  return updated.length ? `Saved: ${updated.join(", ")}` : "Nothing changed";
}

function NumberField({
  label,
  value,
  onChange,
  min,
  max,
  unit,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  min?: number;
  max?: number;
  unit?: string;
  placeholder?: string;
}) {
  return (
    <label className="flex flex-col gap-1 text-xs text-text-tertiary">
      <span>
        {label}
        {unit && <span className="text-text-muted"> ({unit})</span>}
      </span>
      <input
        type="number"
        inputMode="decimal"
        className={input}
        value={value}
        min={min}
        max={max}
        step="any"
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

type ThresholdForm = Record<(typeof METRICS)[number], Record<"high" | "critical" | "sustained", string>> & {
  offline: string;
};

function thresholdForm(t: ThresholdsConfig): ThresholdForm {
  const row = (m: ThresholdsConfig["cpu"]) => ({
    high: String(m.high_percent),
    critical: String(m.critical_percent),
    sustained: String(m.sustained_seconds),
  });
  return { cpu: row(t.cpu), memory: row(t.memory), disk: row(t.disk), offline: String(t.server_offline_seconds) };
}

function ThresholdsSection({ config, onSaved }: { config: ConfigResponse; onSaved: () => void }) {
  const [form, setForm] = useState(() => thresholdForm(config.thresholds));
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(null);
    const metric = (r: ThresholdForm["cpu"]) => ({
      high_percent: Number(r.high),
      critical_percent: Number(r.critical),
      sustained_seconds: Number(r.sustained),
      sustained_heartbeats: null,
    });
    try {
      const res = await api.saveThresholds({
        cpu: metric(form.cpu),
        memory: metric(form.memory),
        disk: metric(form.disk),
        server_offline_seconds: Number(form.offline),
      });
      setForm(thresholdForm(res.thresholds));
      setOutcome({ error: false, text: changed(res.updated) });
      onSaved();
    } catch (err) {
      setOutcome({ error: true, text: message(err) });
    } finally {
      setBusy(false);
    }
  };
  const set = (m: (typeof METRICS)[number], k: "high" | "critical" | "sustained", v: string) =>
    setForm((f) => ({ ...f, [m]: { ...f[m], [k]: v } }));
  return (
    <Panel title="Alert thresholds">
      <form onSubmit={save} className="flex flex-col gap-4" aria-label="Alert thresholds">
        {METRICS.map((m) => (
          <fieldset key={m} className="grid grid-cols-1 gap-2 sm:grid-cols-3">
            <legend className="mb-1 text-sm font-medium text-text-secondary">{METRIC_NAMES[m]}</legend>
            <NumberField label={`${m} high`} unit="%" min={0} max={100} value={form[m].high} onChange={(v) => set(m, "high", v)} />
            <NumberField label={`${m} critical`} unit="%" min={0} max={100} value={form[m].critical} onChange={(v) => set(m, "critical", v)} />
            <NumberField label={`${m} sustained`} unit="s" min={0} max={600} value={form[m].sustained} onChange={(v) => set(m, "sustained", v)} />
          </fieldset>
        ))}
        <div className="sm:w-1/3">
          <NumberField
            label="Offline after"
            unit="s without heartbeat"
            min={30}
            value={form.offline}
            onChange={(v) => setForm((f) => ({ ...f, offline: v }))}
          />
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <button type="submit" className={primary} disabled={busy}>
            Save thresholds
          </button>
          <Result outcome={outcome} />
        </div>
      </form>
    </Panel>
  );
}

function NotificationsSection({ config, onSaved }: { config: ConfigResponse; onSaved: () => void }) {
  const current = config.notifications;
  const [form, setForm] = useState<NotificationsForm>(() => notificationsForm(current));
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [test, setTest] = useState<Outcome>(null);
  const ids = useId();

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      const res = await api.saveNotifications(notificationsUpdate(form, current));
      setForm(notificationsForm(res.notifications));
      setOutcome({ error: false, text: changed(res.updated) });
      onSaved();
    } catch (err) {
      setOutcome({ error: true, text: message(err) });
    } finally {
      setBusy(false);
    }
  };

  const sendTest = async () => {
    // A typed URL is tested as typed; otherwise the masked value tests the stored one.
    const url = form.channels.slack_webhook_url.value.trim() || current.slack_webhook_url;
    setTest(null);
    if (!url) {
      setTest({ error: true, text: "Enter a Slack webhook URL first" });
      return;
    }
    try {
      const res = await api.testWebhook(url);
      setTest(
        res.success
          ? { error: false, text: res.message ?? "Test message sent" }
          : { error: true, text: res.error ?? "The test failed" },
      );
    } catch (err) {
      setTest({ error: true, text: message(err) });
    }
  };

  return (
    <Panel title="Notifications">
      <form onSubmit={save} className="flex flex-col gap-4" aria-label="Notifications">
        <p className="text-xs text-text-tertiary">
          Webhook URLs are secrets: the hub never shows them again. Leave a field empty to keep what is stored.
        </p>
        {CHANNELS.map((c) => {
          const stored = current[c.key];
          const edit = form.channels[c.key];
          const id = `${ids}-${c.key}`;
          return (
            <div key={c.key} className="flex flex-col gap-1">
              <label htmlFor={id} className="text-xs text-text-tertiary">
                {c.label}
              </label>
              <div className="flex flex-wrap items-center gap-2">
                <input
                  id={id}
                  type="password"
                  autoComplete="off"
                  spellCheck={false}
                  className={`${input} min-w-0 flex-1`}
                  placeholder={stored ? `Stored: ${stored} (type to replace)` : "Not configured"}
                  value={edit.value}
                  disabled={edit.clear}
                  onChange={(e) =>
                    setForm((f) => ({ ...f, channels: { ...f.channels, [c.key]: { ...edit, value: e.target.value } } }))
                  }
                />
                {stored && (
                  <label className="flex items-center gap-1 text-xs text-text-secondary">
                    <input
                      type="checkbox"
                      checked={edit.clear}
                      onChange={(e) =>
                        setForm((f) => ({
                          ...f,
                          channels: { ...f.channels, [c.key]: { value: "", clear: e.target.checked } },
                        }))
                      }
                    />
                    Remove
                  </label>
                )}
                {c.key === "slack_webhook_url" && (
                  <button type="button" className={secondary} onClick={sendTest}>
                    Send test
                  </button>
                )}
              </div>
              {c.key === "slack_webhook_url" && <Result outcome={test} />}
            </div>
          );
        })}
        <fieldset className="grid grid-cols-1 gap-2 sm:grid-cols-2">
          <legend className="mb-1 text-sm font-medium text-text-secondary">Send a message for</legend>
          {TOGGLES.map((t) => (
            <label key={t.key} className="flex items-center gap-2 text-sm text-text-secondary">
              <input
                type="checkbox"
                checked={form.toggles[t.key]}
                onChange={(e) => setForm((f) => ({ ...f, toggles: { ...f.toggles, [t.key]: e.target.checked } }))}
              />
              {t.label}
            </label>
          ))}
        </fieldset>
        <fieldset className="grid grid-cols-1 gap-2 sm:grid-cols-2">
          <legend className="mb-1 text-sm font-medium text-text-secondary">Reminders while an alert stays open</legend>
          <NumberField
            label="Critical every"
            unit="min, 5–1440"
            min={5}
            max={1440}
            value={String(form.critical_minutes)}
            onChange={(v) => setForm((f) => ({ ...f, critical_minutes: Number(v) }))}
          />
          <NumberField
            label="High every"
            unit="min, 15–1440"
            min={15}
            max={1440}
            value={String(form.high_minutes)}
            onChange={(v) => setForm((f) => ({ ...f, high_minutes: Number(v) }))}
          />
        </fieldset>
        <div className="flex flex-wrap items-center gap-3">
          <button type="submit" className={primary} disabled={busy}>
            Save notifications
          </button>
          <Result outcome={outcome} />
        </div>
      </form>
    </Panel>
  );
}

function TariffSection({ cost, onSaved }: { cost: CostConfigResponse; onSaved: () => void }) {
  const [rate, setRate] = useState(String(cost.electricity_rate));
  const [currency, setCurrency] = useState(cost.currency_symbol);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      const res = await api.saveCostConfig({ electricity_rate: Number(rate), currency_symbol: currency });
      setRate(String(res.electricity_rate));
      setCurrency(res.currency_symbol);
      setOutcome({ error: false, text: `Saved: ${res.currency_symbol}${res.electricity_rate} per kWh` });
      onSaved();
    } catch (err) {
      setOutcome({ error: true, text: message(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Electricity tariff">
      <form onSubmit={save} className="flex flex-col gap-4" aria-label="Electricity tariff">
        <div className="grid grid-cols-2 gap-2 sm:w-2/3">
          <NumberField label="Price" unit="per kWh" min={0} value={rate} onChange={setRate} />
          <label className="flex flex-col gap-1 text-xs text-text-tertiary">
            Currency symbol
            <input className={input} value={currency} maxLength={10} onChange={(e) => setCurrency(e.target.value)} />
          </label>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <button type="submit" className={primary} disabled={busy}>
            Save tariff
          </button>
          <Result outcome={outcome} />
        </div>
      </form>
    </Panel>
  );
}

function OverridesSection() {
  const fleet = usePolling((signal) => api.listServers(signal), 60_000, []);
  const [machine, setMachine] = useState("");
  const [data, setData] = useState<ServerThresholdsResponse | null>(null);
  const [form, setForm] = useState<OverrideForm | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  useEffect(() => {
    setData(null);
    setForm(null);
    setOutcome(null);
    if (!machine) return;
    const ctrl = new AbortController();
    api
      .getServerThresholds(machine, ctrl.signal)
      .then((res) => {
        setData(res);
        setForm(overrideForm(res.overrides));
      })
      .catch((e) => !ctrl.signal.aborted && setOutcome({ error: true, text: message(e) }));
    return () => ctrl.abort();
  }, [machine]);

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!form) return;
    setBusy(true);
    setOutcome(null);
    try {
      const res = await api.saveServerThresholds(machine, overridesBody(form));
      setData(res);
      setForm(overrideForm(res.overrides));
      setOutcome({ error: false, text: "Saved overrides" });
    } catch (err) {
      setOutcome({ error: true, text: message(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title="Per-machine overrides">
      <div className="flex flex-col gap-4">
        <label className="flex flex-col gap-1 text-xs text-text-tertiary sm:w-1/2">
          Machine
          <select className={input} value={machine} onChange={(e) => setMachine(e.target.value)}>
            <option value="">Choose a machine…</option>
            {(fleet.data?.servers ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {displayName(m)}
              </option>
            ))}
          </select>
        </label>
        {machine && form && data && (
          <form onSubmit={save} className="flex flex-col gap-4" aria-label="Threshold overrides">
            <p className="text-xs text-text-tertiary">Leave a field empty to follow the global threshold (shown greyed).</p>
            {METRICS.map((m) => (
              <fieldset key={m} className="grid grid-cols-1 gap-2 sm:grid-cols-3">
                <legend className="mb-1 text-sm font-medium text-text-secondary">{METRIC_NAMES[m]}</legend>
                {(["high", "critical", "sustained"] as const).map((k) => {
                  const eff = data.effective[m];
                  const inherited = k === "high" ? eff.high_percent : k === "critical" ? eff.critical_percent : eff.sustained_seconds;
                  return (
                    <NumberField
                      key={k}
                      label={`${m} ${k}`}
                      unit={k === "sustained" ? "s" : "%"}
                      value={form[m][k]}
                      placeholder={String(inherited)}
                      onChange={(v) => setForm((f) => f && { ...f, [m]: { ...f[m], [k]: v } })}
                    />
                  );
                })}
              </fieldset>
            ))}
            <div className="flex flex-wrap items-center gap-3">
              <button type="submit" className={primary} disabled={busy}>
                Save overrides
              </button>
            </div>
          </form>
        )}
        <Result outcome={outcome} />
      </div>
    </Panel>
  );
}

export default function SettingsPage() {
  const config = usePolling((signal) => api.getConfig(signal), 5 * 60_000, []);
  const cost = usePolling((signal) => api.getCostConfig(signal), 5 * 60_000, []);
  return (
    <div className="mx-auto max-w-screen-lg">
      <h1 className="mb-4 text-2xl font-bold text-text-primary">Settings</h1>
      {config.error && <ErrorNote error={config.error} />}
      <div className="flex flex-col gap-4">
        {config.data && (
          <>
            <ThresholdsSection config={config.data} onSaved={config.refresh} />
            <NotificationsSection config={config.data} onSaved={config.refresh} />
          </>
        )}
        {cost.error && <ErrorNote error={cost.error} />}
        {cost.data && <TariffSection cost={cost.data} onSaved={cost.refresh} />}
        <OverridesSection />
        <ConnectivitySection />
        <MachineAccessSection />
        {!config.data && !config.error && <p className="font-mono text-sm text-text-tertiary">Loading…</p>}
      </div>
    </div>
  );
}
