// SSH settings as values: what each credential status means on screen, and
// a test result in one line. The hub never returns a secret, so none of this
// ever sees one: only "set here", "set globally" or "not set".

import type { CredentialType } from "../../api/client";
import type { ServerCredentialStatus } from "../../types/generated/ServerCredentialStatus";
import type { ServerSshTestResponse } from "../../types/generated/ServerSshTestResponse";

export const CREDENTIALS: { type: CredentialType; label: string; multiline: boolean; hint: string }[] = [
  {
    type: "ssh_private_key",
    label: "SSH private key",
    multiline: true,
    hint: "OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)",
  },
  {
    type: "ssh_key_passphrase",
    label: "Key passphrase",
    multiline: false,
    hint: "Only for a passphrase-protected private key",
  },
  { type: "ssh_password", label: "SSH password", multiline: false, hint: "Used when no key logs in" },
  { type: "sudo_password", label: "sudo password", multiline: false, hint: "For machines whose sudo asks for one" },
];

export interface CredentialState {
  set: boolean;
  /** "set on this machine", "set (global default)" or "not set". */
  text: string;
  /** Only a machine's own secret can be removed here (a global one stays). */
  removable: boolean;
}

export function credentialState(s: ServerCredentialStatus | undefined): CredentialState {
  if (!s || !s.configured || s.scope === "none") return { set: false, text: "not set", removable: false };
  if (s.scope === "per_server") return { set: true, text: "set on this machine", removable: true };
  return { set: true, text: "set (global default)", removable: false };
}

export function credentialLabel(t: string): string {
  return CREDENTIALS.find((c) => c.type === t)?.label ?? t;
}

/** One line for the result of `POST /servers/{id}/test-ssh`. */
export function sshTestSummary(r: ServerSshTestResponse): string {
  const where = r.hostname ? `${r.username ? `${r.username}@` : ""}${r.hostname}${r.port ? `:${r.port}` : ""}` : "the machine";
  if (r.success) {
    const parts = [`Connected to ${where}`];
    if (r.latency_ms != null) parts.push(`in ${r.latency_ms} ms`);
    if (r.key_used) parts.push(`with ${r.key_used}`);
    return parts.join(" ");
  }
  return `Could not connect to ${where}: ${r.error ?? "unknown error"}`;
}

/** The test was refused because the host presented a different key than the pinned one. */
export function hostKeyRefused(r: ServerSshTestResponse): boolean {
  return !r.success && r.host_key_fingerprint != null && /host key/i.test(r.error ?? "");
}

export const MODES = [
  { mode: "direct_ssh", label: "Direct SSH", hint: "Machines are reached at their IP address (else hostname)" },
  { mode: "tailscale", label: "Tailscale", hint: "Machines are reached at their Tailscale hostname" },
] as const;
