// Settings › SSH: how the hub reaches machines (connectivity mode, default
// user and port, uploaded keys) and each machine's own secrets. Secrets are
// write-only: a form field holds one only while it is being typed, it is
// cleared once saved, and the page shows only whether each one is set.

import { useEffect, useId, useState } from "react";
import { api, type ConnectivityMode, type CredentialType } from "../../api/client";
import { Panel, ErrorNote } from "../../components/Panel";
import {
  dangerButton,
  errorText,
  inputClass,
  primaryButton,
  Result,
  secondaryButton,
  type Outcome,
} from "../../components/forms";
import { StatusLed } from "../../components/StatusLed";
import { displayName } from "../../lib/status";
import { usePolling } from "../../lib/usePolling";
import type { HostKeyResponse } from "../../types/generated/HostKeyResponse";
import type { ServerCredentialsResponse } from "../../types/generated/ServerCredentialsResponse";
import type { ServerResponse } from "../../types/generated/ServerResponse";
import type { ServerSshTestResponse } from "../../types/generated/ServerSshTestResponse";
import type { SSHKeyMetadata } from "../../types/generated/SSHKeyMetadata";
import { CREDENTIALS, credentialLabel, credentialState, hostKeyRefused, MODES, sshTestSummary } from "./ssh";

/** "set" / "not set", with a shape as well as a colour. */
function SetBadge({ set, text }: { set: boolean; text: string }) {
  return <StatusLed state={set ? "online" : "unknown"} label={text} />;
}

export function ConnectivitySection() {
  const conn = usePolling((signal) => api.getConnectivity(signal), 5 * 60_000, []);
  const ssh = usePolling((signal) => api.getSshSettings(signal), 5 * 60_000, []);
  const [mode, setMode] = useState<ConnectivityMode | null>(null);
  const [user, setUser] = useState("");
  const [port, setPort] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const ids = useId();

  useEffect(() => {
    if (conn.data) setMode(conn.data.mode === "tailscale" ? "tailscale" : "direct_ssh");
  }, [conn.data]);
  useEffect(() => {
    if (ssh.data) {
      setUser(ssh.data.default_username);
      setPort(String(ssh.data.default_port));
    }
  }, [ssh.data]);

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!mode || !conn.data || !ssh.data) return;
    setBusy(true);
    setOutcome(null);
    try {
      const said: string[] = [];
      if (mode !== conn.data.mode || conn.data.mode_auto_detected) {
        const r = await api.saveConnectivity(mode);
        said.push(r.message);
      }
      const userChanged = user.trim() !== ssh.data.default_username;
      const portChanged = Number(port) !== ssh.data.default_port;
      if (userChanged || portChanged) {
        const r = await api.saveSshSettings({
          default_username: userChanged ? user.trim() : null,
          default_port: portChanged ? Number(port) : null,
        });
        said.push(`Saved: ${r.updated.join(", ")}`);
      }
      setOutcome({ error: false, text: said.length ? said.join("; ") : "Nothing changed" });
      conn.refresh();
      ssh.refresh();
    } catch (err) {
      setOutcome({ error: true, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title="SSH connectivity">
      {conn.error && <ErrorNote error={conn.error} />}
      {ssh.error && <ErrorNote error={ssh.error} />}
      {conn.data && ssh.data && mode && (
        <form onSubmit={save} className="flex flex-col gap-4" aria-label="SSH connectivity">
          <fieldset className="flex flex-col gap-2">
            <legend className="mb-1 text-sm font-medium text-text-secondary">
              How the hub reaches machines
              {conn.data.mode_auto_detected && (
                <span className="ml-2 text-xs text-text-tertiary">(auto-detected; save to fix it)</span>
              )}
            </legend>
            {MODES.map((m) => (
              <label key={m.mode} className="flex items-start gap-2 text-sm text-text-secondary">
                <input
                  type="radio"
                  name={`${ids}-mode`}
                  value={m.mode}
                  checked={mode === m.mode}
                  onChange={() => setMode(m.mode)}
                  className="mt-1"
                />
                <span>
                  <span className="font-medium text-text-primary">{m.label}</span>
                  <span className="block text-xs text-text-tertiary">{m.hint}</span>
                </span>
              </label>
            ))}
            {mode === "tailscale" && !conn.data.tailscale.configured && (
              <p className="text-xs text-status-warning">
                ▲ No Tailscale API token is configured: only machines with a Tailscale hostname can be reached.
              </p>
            )}
          </fieldset>
          <div className="grid grid-cols-1 gap-2 sm:grid-cols-3">
            <label className="flex flex-col gap-1 text-xs text-text-tertiary">
              Default SSH user
              <input
                className={inputClass}
                value={user}
                autoComplete="off"
                spellCheck={false}
                onChange={(e) => setUser(e.target.value)}
              />
            </label>
            <label className="flex flex-col gap-1 text-xs text-text-tertiary">
              Default SSH port
              <input
                className={inputClass}
                type="number"
                min={1}
                max={65535}
                value={port}
                onChange={(e) => setPort(e.target.value)}
              />
            </label>
            <div className="flex flex-col gap-1 text-xs text-text-tertiary">
              Default key
              <span className="py-1.5">
                <SetBadge
                  set={conn.data.ssh.key_configured}
                  text={conn.data.ssh.key_configured ? "set" : "not set"}
                />
              </span>
            </div>
          </div>
          <div className="flex flex-wrap items-center gap-3">
            <button type="submit" className={primaryButton} disabled={busy}>
              Save connectivity
            </button>
            <Result outcome={outcome} />
          </div>
        </form>
      )}
      <SshKeys onChanged={conn.refresh} />
    </Panel>
  );
}

/** Keys every machine without its own key uses; uploaded once, shown by fingerprint only. */
function SshKeys({ onChanged }: { onChanged: () => void }) {
  const keys = usePolling((signal) => api.listSshKeys(signal), 5 * 60_000, []);
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState("");
  const [username, setUsername] = useState("");
  const [secret, setSecret] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  const changed = (text: string) => {
    setOutcome({ error: false, text });
    keys.refresh();
    onChanged();
  };
  const run = async (f: () => Promise<string>) => {
    setBusy(true);
    setOutcome(null);
    try {
      changed(await f());
    } catch (err) {
      setOutcome({ error: true, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const upload = (e: React.FormEvent) => {
    e.preventDefault();
    void run(async () => {
      try {
        const k = await api.uploadSshKey({
          name: name.trim(),
          private_key: secret,
          username: username.trim() || null,
        });
        setAdding(false);
        setName("");
        setUsername("");
        return `Key ${k.name} stored (${k.fingerprint})`;
      } finally {
        // Never keep the key in the page, saved or not.
        setSecret("");
      }
    });
  };
  const remove = (k: SSHKeyMetadata) =>
    run(async () => {
      await api.deleteSshKey(k.id);
      return `Key ${k.name} deleted`;
    });
  const makeDefault = (k: SSHKeyMetadata) => run(async () => (await api.setDefaultSshKey(k.id)).message);

  return (
    <div className="mt-5 flex flex-col gap-3 border-t border-border-default pt-4">
      <h3 className="text-sm font-medium text-text-secondary">Uploaded SSH keys</h3>
      {keys.error && <ErrorNote error={keys.error} />}
      {keys.data && keys.data.keys.length === 0 && (
        <p className="text-xs text-text-tertiary">No key uploaded: machines need their own key or password.</p>
      )}
      {keys.data && keys.data.keys.length > 0 && (
        <ul className="flex flex-col gap-2" aria-label="Uploaded SSH keys">
          {keys.data.keys.map((k) => (
            <li
              key={k.id}
              className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border border-border-default bg-bg-primary/40 px-3 py-2"
            >
              <span className="font-mono text-sm text-text-primary">{k.name}</span>
              <span className="font-mono text-xs text-text-tertiary">{k.type}</span>
              <span className="min-w-0 break-all font-mono text-xs text-text-tertiary">{k.fingerprint}</span>
              {k.username && <span className="font-mono text-xs text-text-tertiary">user {k.username}</span>}
              {k.is_default && <StatusLed state="online" label="default" />}
              <span className="ml-auto flex gap-2">
                {!k.is_default && (
                  <button type="button" className={secondaryButton} disabled={busy} onClick={() => makeDefault(k)}>
                    Make default<span className="sr-only"> {k.name}</span>
                  </button>
                )}
                <button type="button" className={dangerButton} disabled={busy} onClick={() => remove(k)}>
                  Delete<span className="sr-only"> key {k.name}</span>
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {adding ? (
        <form onSubmit={upload} className="flex flex-col gap-2" aria-label="Upload SSH key">
          <div className="grid grid-cols-1 gap-2 sm:grid-cols-2">
            <label className="flex flex-col gap-1 text-xs text-text-tertiary">
              Key name
              <input className={inputClass} value={name} required maxLength={64} onChange={(e) => setName(e.target.value)} />
            </label>
            <label className="flex flex-col gap-1 text-xs text-text-tertiary">
              SSH user for this key (optional)
              <input
                className={inputClass}
                value={username}
                autoComplete="off"
                onChange={(e) => setUsername(e.target.value)}
              />
            </label>
          </div>
          <label className="flex flex-col gap-1 text-xs text-text-tertiary">
            Private key (no passphrase; never shown again)
            <textarea
              className={`${inputClass} h-28`}
              value={secret}
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
              onChange={(e) => setSecret(e.target.value)}
            />
          </label>
          <div className="flex flex-wrap gap-2">
            <button type="submit" className={primaryButton} disabled={busy}>
              Upload key
            </button>
            <button
              type="button"
              className={secondaryButton}
              onClick={() => {
                setAdding(false);
                setSecret("");
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div>
          <button type="button" className={secondaryButton} onClick={() => setAdding(true)}>
            Upload a key
          </button>
        </div>
      )}
      <Result outcome={outcome} />
    </div>
  );
}

/** Every machine with its Test SSH button; credentials and host key open per machine. */
export function MachineAccessSection() {
  const fleet = usePolling((signal) => api.listServers(signal), 60_000, []);
  const machines = fleet.data?.servers ?? [];
  return (
    <Panel title="SSH access per machine">
      <p className="mb-3 text-xs text-text-tertiary">
        A machine&apos;s own secrets take precedence over the global ones. Secrets are write-only: the hub never shows
        them again.
      </p>
      {fleet.error && <ErrorNote error={fleet.error} />}
      {fleet.data && machines.length === 0 && <p className="text-sm text-text-tertiary">No machines registered yet.</p>}
      <ul className="flex flex-col gap-2" aria-label="Machines">
        {machines.map((m) => (
          <MachineAccess key={m.id} machine={m} />
        ))}
      </ul>
    </Panel>
  );
}

function MachineAccess({ machine }: { machine: ServerResponse }) {
  const [open, setOpen] = useState(false);
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<ServerSshTestResponse | null>(null);
  const [testError, setTestError] = useState<string | null>(null);
  const [hostKeyTick, setHostKeyTick] = useState(0);
  const detailsId = useId();
  const name = displayName(machine);

  const runTest = async () => {
    setTesting(true);
    setTest(null);
    setTestError(null);
    try {
      const r = await api.testSsh(machine.id);
      setTest(r);
      if (hostKeyRefused(r)) {
        setOpen(true);
        setHostKeyTick((t) => t + 1);
      }
    } catch (err) {
      setTestError(errorText(err));
    } finally {
      setTesting(false);
    }
  };

  return (
    <li className="rounded-md border border-border-default bg-bg-primary/40 px-3 py-2" data-machine={machine.id}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="font-medium text-text-primary">{name}</span>
        <span className="font-mono text-xs text-text-tertiary">
          {machine.ssh_username ? `${machine.ssh_username}@` : ""}
          {machine.ip_address ?? machine.hostname}
        </span>
        <span className="ml-auto flex gap-2">
          <button type="button" className={secondaryButton} disabled={testing} onClick={runTest}>
            {testing ? "Testing…" : "Test SSH"}
            <span className="sr-only"> for {name}</span>
          </button>
          <button
            type="button"
            className={secondaryButton}
            aria-expanded={open}
            aria-controls={detailsId}
            onClick={() => setOpen((o) => !o)}
          >
            Credentials<span className="sr-only"> of {name}</span>
          </button>
        </span>
      </div>
      {test && (
        <p
          role={test.success ? "status" : "alert"}
          className={`mt-2 break-words font-mono text-xs ${test.success ? "text-status-online" : "text-status-error"}`}
          data-ssh-test={test.success ? "ok" : "failed"}
        >
          {test.success ? "✓ " : "✕ "}
          {sshTestSummary(test)}
          {test.success && test.host_key_fingerprint && (
            <span className="block text-text-tertiary">host key {test.host_key_fingerprint}</span>
          )}
        </p>
      )}
      {testError && <Result outcome={{ error: true, text: testError }} />}
      {open && (
        <div id={detailsId} className="mt-3 flex flex-col gap-4 border-t border-border-default pt-3">
          <Credentials serverId={machine.id} />
          <HostKey serverId={machine.id} tick={hostKeyTick} />
        </div>
      )}
    </li>
  );
}

function Credentials({ serverId }: { serverId: string }) {
  const creds = usePolling((signal) => api.listCredentials(serverId, signal), 5 * 60_000, [serverId]);
  const [editing, setEditing] = useState<CredentialType | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  const remove = async (t: CredentialType) => {
    setBusy(true);
    setOutcome(null);
    try {
      await api.deleteCredential(serverId, t);
      setOutcome({ error: false, text: `${credentialLabel(t)} removed` });
      creds.refresh();
    } catch (err) {
      setOutcome({ error: true, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex flex-col gap-2">
      <h3 className="text-sm font-medium text-text-secondary">Credentials</h3>
      {creds.error && <ErrorNote error={creds.error} />}
      {creds.data && <SudoLine data={creds.data} />}
      {creds.data && (
        <ul className="flex flex-col gap-2">
          {CREDENTIALS.map((c) => {
            const state = credentialState(creds.data?.credentials.find((s) => s.credential_type === c.type));
            return (
              <li key={c.type} className="flex flex-col gap-2" data-credential={c.type} data-set={state.set}>
                <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                  <span className="w-36 text-sm text-text-secondary">{c.label}</span>
                  <SetBadge set={state.set} text={state.text} />
                  <span className="ml-auto flex gap-2">
                    <button
                      type="button"
                      className={secondaryButton}
                      disabled={busy}
                      aria-expanded={editing === c.type}
                      onClick={() => setEditing(editing === c.type ? null : c.type)}
                    >
                      {state.removable ? "Replace" : "Set"}
                      <span className="sr-only"> {c.label}</span>
                    </button>
                    {state.removable && (
                      <button type="button" className={dangerButton} disabled={busy} onClick={() => remove(c.type)}>
                        Remove<span className="sr-only"> {c.label}</span>
                      </button>
                    )}
                  </span>
                </div>
                {editing === c.type && (
                  <SecretForm
                    serverId={serverId}
                    type={c.type}
                    label={c.label}
                    multiline={c.multiline}
                    hint={c.hint}
                    onDone={(o) => {
                      setEditing(null);
                      setOutcome(o);
                      if (!o.error) creds.refresh();
                    }}
                    onCancel={() => setEditing(null)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
      <Result outcome={outcome} />
    </div>
  );
}

function SudoLine({ data }: { data: ServerCredentialsResponse }) {
  return (
    <p className="font-mono text-xs text-text-tertiary">
      user {data.ssh_username ?? "(default)"} · sudo {data.sudo_mode}
    </p>
  );
}

/** The one place a secret is typed; it is emptied whatever the answer. */
function SecretForm({
  serverId,
  type,
  label,
  multiline,
  hint,
  onDone,
  onCancel,
}: {
  serverId: string;
  type: CredentialType;
  label: string;
  multiline: boolean;
  hint: string;
  onDone: (o: NonNullable<Outcome>) => void;
  onCancel: () => void;
}) {
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.storeCredential(serverId, type, value);
      setValue("");
      onDone({ error: false, text: `${label} saved` });
    } catch (err) {
      setValue("");
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={save} className="flex flex-col gap-2 pl-0 sm:pl-36" aria-label={`Store ${label}`}>
      <label htmlFor={id} className="text-xs text-text-tertiary">
        New {label} <span className="text-text-muted">({hint})</span>
      </label>
      {multiline ? (
        <textarea
          id={id}
          className={`${inputClass} h-28`}
          value={value}
          required
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setValue(e.target.value)}
        />
      ) : (
        <input
          id={id}
          type="password"
          className={inputClass}
          value={value}
          required
          autoComplete="new-password"
          onChange={(e) => setValue(e.target.value)}
        />
      )}
      <div className="flex flex-wrap items-center gap-2">
        <button type="submit" className={primaryButton} disabled={busy}>
          Save {label}
        </button>
        <button
          type="button"
          className={secondaryButton}
          onClick={() => {
            setValue("");
            onCancel();
          }}
        >
          Cancel
        </button>
        {error && <Result outcome={{ error: true, text: error }} />}
      </div>
    </form>
  );
}

/** The pinned host key, and a refused replacement the operator can accept after checking it. */
function HostKey({ serverId, tick }: { serverId: string; tick: number }) {
  const key = usePolling((signal) => api.getHostKey(serverId, signal), 5 * 60_000, [serverId, tick]);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<HostKeyResponse | null>(null);
  const data = shown ?? key.data;
  useEffect(() => setShown(null), [key.data]);

  const accept = async (fingerprint: string) => {
    setBusy(true);
    setOutcome(null);
    try {
      setShown(await api.acceptHostKey(serverId, fingerprint));
      setOutcome({ error: false, text: "New host key accepted" });
    } catch (err) {
      setOutcome({ error: true, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex flex-col gap-2">
      <h3 className="text-sm font-medium text-text-secondary">Host key</h3>
      {key.error && <ErrorNote error={key.error} />}
      {data && (
        <>
          <p className="break-all font-mono text-xs text-text-tertiary">
            {data.pinned
              ? `Pinned ${data.pinned.algorithm} ${data.pinned.fingerprint_sha256}`
              : "Not pinned yet: the first connection pins the key the machine presents."}
          </p>
          {data.pending && (
            <div
              role="alert"
              className="flex flex-col gap-2 rounded-md border border-status-warning/50 p-2 text-xs text-status-warning"
            >
              <p>
                ▲ The machine presented a different host key, and connections were refused. Accept it only if you know
                why it changed (reinstall, new sshd keys).
              </p>
              <p className="break-all font-mono text-text-secondary">
                {data.pending.algorithm} {data.pending.fingerprint_sha256}
              </p>
              <div>
                <button
                  type="button"
                  className={secondaryButton}
                  disabled={busy}
                  onClick={() => data.pending && accept(data.pending.fingerprint_sha256)}
                >
                  Accept new host key
                </button>
              </div>
            </div>
          )}
        </>
      )}
      <Result outcome={outcome} />
    </div>
  );
}
