// The one place the dashboard talks to the hub. Every call goes through
// `request`, which adds the operator's API key and turns a 401 into "sign in
// again". Types come from the protocol crate (ts-rs), never hand-copied.

import type { ActionListResponse } from "../types/generated/ActionListResponse";
import type { ActionStatus } from "../types/generated/ActionStatus";
import type { AggregationType } from "../types/generated/AggregationType";
import type { AlertStatus } from "../types/generated/AlertStatus";
import type { AuditOutcome } from "../types/generated/AuditOutcome";
import type { ConnectivityMode } from "../types/generated/ConnectivityMode";
import type { CredentialType } from "../types/generated/CredentialType";
import type { Severity } from "../types/generated/Severity";
import type { SparklineMetric } from "../types/generated/SparklineMetric";
import type { ActionResponse } from "../types/generated/ActionResponse";
import type { AuditListResponse } from "../types/generated/AuditListResponse";
import type { RestartActionResponse } from "../types/generated/RestartActionResponse";
import type { AlertAcknowledgeResponse } from "../types/generated/AlertAcknowledgeResponse";
import type { AlertListResponse } from "../types/generated/AlertListResponse";
import type { AlertResolveResponse } from "../types/generated/AlertResolveResponse";
import type { AlertSnoozeResponse } from "../types/generated/AlertSnoozeResponse";
import type { CostBreakdownResponse } from "../types/generated/CostBreakdownResponse";
import type { CostConfigResponse } from "../types/generated/CostConfigResponse";
import type { CostConfigUpdate } from "../types/generated/CostConfigUpdate";
import type { CostHistoryResponse } from "../types/generated/CostHistoryResponse";
import type { CostSummaryResponse } from "../types/generated/CostSummaryResponse";
import type { MonthlySummaryResponse } from "../types/generated/MonthlySummaryResponse";
import type { NotificationsResponse } from "../types/generated/NotificationsResponse";
import type { NotificationsUpdate } from "../types/generated/NotificationsUpdate";
import type { PackageListResponse } from "../types/generated/PackageListResponse";
import type { PendingBreachListResponse } from "../types/generated/PendingBreachListResponse";
import type { SavedAtResponse } from "../types/generated/SavedAtResponse";
import type { ServerCostHistoryResponse } from "../types/generated/ServerCostHistoryResponse";
import type { ServerThresholdOverrides } from "../types/generated/ServerThresholdOverrides";
import type { ServerThresholdsResponse } from "../types/generated/ServerThresholdsResponse";
import type { StatusResponse } from "../types/generated/StatusResponse";
import type { TestWebhookResponse } from "../types/generated/TestWebhookResponse";
import type { ThresholdsResponse } from "../types/generated/ThresholdsResponse";
import type { ThresholdsUpdate } from "../types/generated/ThresholdsUpdate";
import type { WidgetLayoutResponse } from "../types/generated/WidgetLayoutResponse";
import type { WidgetLayouts } from "../types/generated/WidgetLayouts";
import type { CardOrderSaveResponse } from "../types/generated/CardOrderSaveResponse";
import type { ConfigResponse } from "../types/generated/ConfigResponse";
import type { ExpectedServiceListResponse } from "../types/generated/ExpectedServiceListResponse";
import type { MetricsHistoryResponse } from "../types/generated/MetricsHistoryResponse";
import type { SectionCardOrder } from "../types/generated/SectionCardOrder";
import type { ServerListResponse } from "../types/generated/ServerListResponse";
import type { ServerResponse } from "../types/generated/ServerResponse";
import type { SparklineResponse } from "../types/generated/SparklineResponse";
import type { ConnectivityStatusResponse } from "../types/generated/ConnectivityStatusResponse";
import type { ConnectivityUpdateResponse } from "../types/generated/ConnectivityUpdateResponse";
import type { DeleteServerCredentialResponse } from "../types/generated/DeleteServerCredentialResponse";
import type { HostKeyResponse } from "../types/generated/HostKeyResponse";
import type { ServerCredentialsResponse } from "../types/generated/ServerCredentialsResponse";
import type { ServerSshTestResponse } from "../types/generated/ServerSshTestResponse";
import type { SetDefaultKeyResponse } from "../types/generated/SetDefaultKeyResponse";
import type { SSHConfig } from "../types/generated/SSHConfig";
import type { SSHConfigResponse } from "../types/generated/SSHConfigResponse";
import type { SSHConfigUpdate } from "../types/generated/SSHConfigUpdate";
import type { SSHKeyListResponse } from "../types/generated/SSHKeyListResponse";
import type { SSHKeyMetadata } from "../types/generated/SSHKeyMetadata";
import type { SSHKeyUploadRequest } from "../types/generated/SSHKeyUploadRequest";
import type { StoreServerCredentialResponse } from "../types/generated/StoreServerCredentialResponse";
import type { ApplyInitiatedResponse } from "../types/generated/ApplyInitiatedResponse";
import type { ApplyPreviewResponse } from "../types/generated/ApplyPreviewResponse";
import type { ApplyStatusResponse } from "../types/generated/ApplyStatusResponse";
import type { ComplianceSummaryResponse } from "../types/generated/ComplianceSummaryResponse";
import type { ConfigCheckHistoryResponse } from "../types/generated/ConfigCheckHistoryResponse";
import type { ConfigCheckResponse } from "../types/generated/ConfigCheckResponse";
import type { ConfigDiffResponse } from "../types/generated/ConfigDiffResponse";
import type { ConfigPackListResponse } from "../types/generated/ConfigPackListResponse";
import type { PackAssignmentResponse } from "../types/generated/PackAssignmentResponse";
import type { RemovePreviewResponse } from "../types/generated/RemovePreviewResponse";
import type { RemoveResponse } from "../types/generated/RemoveResponse";

export const API_BASE = "/api/v1";
/** sessionStorage key: the API key lives for this browser session only. */
export const API_KEY_STORAGE = "homelabcmd.apiKey";

// Statuses, kinds and modes come from the protocol crate (generated); the
// names the pages already use are kept as aliases.
export type { SparklineMetric, AlertStatus, ConnectivityMode, CredentialType, ActionStatus, AuditOutcome };
export type AlertSeverity = Severity;
export type CostAggregation = AggregationType;

// Query parameters the protocol does not describe as types.
export type MetricsRange = "24h" | "7d" | "30d";
export type SparklinePeriod = "30m" | "1h" | "6h";
export type ServerCostPeriod = "7d" | "30d" | "90d" | "12m";

/** Filters of `GET /alerts`; unset ones are left out of the query. */
export interface AlertQuery {
  status?: AlertStatus;
  severity?: AlertSeverity;
  server_id?: string;
  /** 1–100 (the hub's default is 50). */
  limit?: number;
  offset?: number;
}

/** Filters of `GET /actions` (newest first). */
export interface ActionQuery {
  status?: ActionStatus;
  server_id?: string;
  action_type?: string;
  /** 1–100 (the hub's default is 50). */
  limit?: number;
  offset?: number;
}

/** Filters of `GET /audit` (newest first). */
export interface AuditQuery {
  server_id?: string;
  outcome?: AuditOutcome;
  /** 1–500 (the hub's default is 100). */
  limit?: number;
  offset?: number;
}

/** `?a=1&b=2` from the set values, or "" when none is set. */
export function queryString(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** A non-2xx answer; `message` is the hub's `detail` when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** No key, or the hub refused it: the operator has to sign in again. */
export class UnauthorizedError extends ApiError {
  constructor() {
    super(401, "The API key was not accepted");
    this.name = "UnauthorizedError";
  }
}

export function getApiKey(): string | null {
  return sessionStorage.getItem(API_KEY_STORAGE);
}

export function setApiKey(key: string): void {
  sessionStorage.setItem(API_KEY_STORAGE, key);
}

export function clearApiKey(): void {
  sessionStorage.removeItem(API_KEY_STORAGE);
}

let unauthorizedHandler: (() => void) | null = null;

/** Called once per refused request (the app sends the operator to sign-in). */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

function refuse(): never {
  clearApiKey();
  unauthorizedHandler?.();
  throw new UnauthorizedError();
}

/** The hub's error bodies: `{"detail": {"code", "message"}}` or, for 422, `{"detail": [{msg, ...}]}`. */
async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { detail?: unknown };
    const detail = body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d: { msg?: string }) => d.msg ?? "invalid").join("; ");
    }
    if (detail && typeof detail === "object" && "message" in detail) {
      return String((detail as { message: unknown }).message);
    }
  } catch {
    // Not JSON: fall through to the status text.
  }
  return `${res.status} ${res.statusText}`.trim();
}

/** GETs started before React rendered, by path, with when they started. */
const early = new Map<string, { res: Promise<Response>; at: number }>();
/** A prefetched answer older than this is not used (a fresh request goes out). */
const EARLY_MAX_AGE_MS = 5_000;

function send(path: string, key: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", "X-API-Key": key };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(`${API_BASE}${path}`, { ...init, headers });
}

/**
 * Start the first screen's GETs at once, before React has rendered (that
 * render is most of the gap between the script running and the page's own
 * requests). The first `request` for the same path takes the answer; status
 * handling happens there, so a 401 still goes through the app's handler.
 */
export function prefetch(paths: string[]): void {
  const key = getApiKey();
  if (!key) return;
  for (const path of paths) {
    const res = send(path, key);
    res.catch(() => {}); // a failure surfaces when (if) the answer is taken
    early.set(path, { res, at: Date.now() });
  }
}

function takeEarly(path: string): Promise<Response> | undefined {
  const e = early.get(path);
  if (!e) return undefined;
  early.delete(path);
  return Date.now() - e.at <= EARLY_MAX_AGE_MS ? e.res : undefined;
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const key = getApiKey();
  if (!key) refuse();
  const prefetched = method === "GET" ? takeEarly(path) : undefined;
  // A prefetch that failed (network) is simply retried.
  let res = prefetched && (await prefetched.catch(() => undefined));
  res ??= await send(path, key, {
    method,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  if (res.status === 401) refuse();
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const id = (s: string) => encodeURIComponent(s);

/** Fired on `window` after this dashboard created, approved, rejected or cancelled an action. */
export const ACTIONS_CHANGED = "homelabcmd:actions-changed";

function changesActions<T>(p: Promise<T>): Promise<T> {
  return p.then((r) => {
    window.dispatchEvent(new Event(ACTIONS_CHANGED));
    return r;
  });
}

/**
 * Whether the hub accepts `key`. Used by the sign-in form before the key is
 * stored, so a wrong key never triggers the app-wide 401 handling.
 */
export async function checkApiKey(key: string): Promise<boolean> {
  const res = await fetch(`${API_BASE}/servers`, {
    headers: { Accept: "application/json", "X-API-Key": key },
  });
  if (res.status === 401) return false;
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  return true;
}

export const api = {
  listServers: (signal?: AbortSignal) =>
    request<ServerListResponse>("GET", "/servers", { signal }),
  getServer: (serverId: string, signal?: AbortSignal) =>
    request<ServerResponse>("GET", `/servers/${id(serverId)}`, { signal }),
  getMetrics: (serverId: string, range: MetricsRange, signal?: AbortSignal) =>
    request<MetricsHistoryResponse>(
      "GET",
      `/servers/${id(serverId)}/metrics?range=${range}`,
      { signal },
    ),
  getSparkline: (
    serverId: string,
    metric: SparklineMetric = "cpu_percent",
    period: SparklinePeriod = "30m",
    signal?: AbortSignal,
  ) =>
    request<SparklineResponse>(
      "GET",
      `/servers/${id(serverId)}/metrics/sparkline?metric=${metric}&period=${period}`,
      { signal },
    ),
  /** Maintenance mode: notifications silenced, actions wait for approval. */
  pauseServer: (serverId: string) =>
    request<ServerResponse>("PUT", `/servers/${id(serverId)}/pause`),
  unpauseServer: (serverId: string) =>
    request<ServerResponse>("PUT", `/servers/${id(serverId)}/unpause`),
  listServices: (serverId: string, signal?: AbortSignal) =>
    request<ExpectedServiceListResponse>("GET", `/servers/${id(serverId)}/services`, { signal }),
  getSectionOrder: (signal?: AbortSignal) =>
    request<SectionCardOrder>("GET", "/preferences/section-order", { signal }),
  saveSectionOrder: (order: SectionCardOrder) =>
    request<CardOrderSaveResponse>("PUT", "/preferences/section-order", { body: order }),
  getPackages: (serverId: string, signal?: AbortSignal) =>
    request<PackageListResponse>("GET", `/servers/${id(serverId)}/packages`, { signal }),

  // Widget layout of the machine detail page (null layouts: the default).
  getLayout: (machineId: string, signal?: AbortSignal) =>
    request<WidgetLayoutResponse>("GET", `/machines/${id(machineId)}/layout`, { signal }),
  saveLayout: (machineId: string, layouts: WidgetLayouts) =>
    request<SavedAtResponse>("PUT", `/machines/${id(machineId)}/layout`, { body: { layouts } }),
  resetLayout: (machineId: string) =>
    request<StatusResponse>("DELETE", `/machines/${id(machineId)}/layout`),

  listAlerts: (query: AlertQuery = {}, signal?: AbortSignal) =>
    request<AlertListResponse>("GET", `/alerts${queryString(query)}`, { signal }),
  listPendingBreaches: (signal?: AbortSignal) =>
    request<PendingBreachListResponse>("GET", "/alerts/pending", { signal }),
  acknowledgeAlert: (alertId: number) =>
    request<AlertAcknowledgeResponse>("POST", `/alerts/${alertId}/acknowledge`),
  resolveAlert: (alertId: number) =>
    request<AlertResolveResponse>("POST", `/alerts/${alertId}/resolve`),
  /** Silence notifications for `minutes` (0 ends the snooze). */
  snoozeAlert: (alertId: number, minutes: number) =>
    request<AlertSnoozeResponse>("POST", `/alerts/${alertId}/snooze`, { body: { minutes } }),

  listActions: (query: ActionQuery = {}, signal?: AbortSignal) =>
    request<ActionListResponse>("GET", `/actions${queryString(query)}`, { signal }),
  getAction: (actionId: number, signal?: AbortSignal) =>
    request<ActionResponse>("GET", `/actions/${actionId}`, { signal }),
  approveAction: (actionId: number) =>
    changesActions(request<ActionResponse>("POST", `/actions/${actionId}/approve`)),
  rejectAction: (actionId: number, reason: string) =>
    changesActions(
      request<ActionResponse>("POST", `/actions/${actionId}/reject`, { body: { reason } }),
    ),
  /** Pending or approved-but-not-started actions only (else 409). */
  cancelAction: (actionId: number) =>
    changesActions(request<ActionResponse>("POST", `/actions/${actionId}/cancel`)),
  /** Runs at once, or waits for approval when the machine is paused; 409 if one is queued. */
  restartService: (serverId: string, serviceName: string) =>
    changesActions(
      request<RestartActionResponse>(
        "POST",
        `/servers/${id(serverId)}/services/${id(serviceName)}/restart`,
      ),
    ),
  listAudit: (query: AuditQuery = {}, signal?: AbortSignal) =>
    request<AuditListResponse>("GET", `/audit${queryString(query)}`, { signal }),

  getConfig: (signal?: AbortSignal) => request<ConfigResponse>("GET", "/config", { signal }),
  saveThresholds: (update: ThresholdsUpdate) =>
    request<ThresholdsResponse>("PUT", "/config/thresholds", { body: update }),
  saveNotifications: (update: NotificationsUpdate) =>
    request<NotificationsResponse>("PUT", "/config/notifications", { body: update }),
  /** Slack only; the masked URL the API shows tests the stored one. */
  testWebhook: (webhookUrl: string) =>
    request<TestWebhookResponse>("POST", "/config/test-webhook", {
      body: { webhook_url: webhookUrl },
    }),
  getCostConfig: (signal?: AbortSignal) =>
    request<CostConfigResponse>("GET", "/config/cost", { signal }),
  saveCostConfig: (update: CostConfigUpdate) =>
    request<CostConfigResponse>("PUT", "/config/cost", { body: update }),
  getServerThresholds: (serverId: string, signal?: AbortSignal) =>
    request<ServerThresholdsResponse>("GET", `/servers/${id(serverId)}/thresholds`, { signal }),
  saveServerThresholds: (serverId: string, overrides: ServerThresholdOverrides) =>
    request<ServerThresholdsResponse>("PUT", `/servers/${id(serverId)}/thresholds`, {
      body: overrides,
    }),

  getCostSummary: (signal?: AbortSignal) =>
    request<CostSummaryResponse>("GET", "/costs/summary", { signal }),
  getCostBreakdown: (signal?: AbortSignal) =>
    request<CostBreakdownResponse>("GET", "/costs/breakdown", { signal }),
  getCostHistory: (
    range: { start_date: string; end_date: string; aggregation?: CostAggregation; server_id?: string },
    signal?: AbortSignal,
  ) => request<CostHistoryResponse>("GET", `/costs/history${queryString(range)}`, { signal }),
  getMonthlyCosts: (year: number, signal?: AbortSignal) =>
    request<MonthlySummaryResponse>("GET", `/costs/summary/monthly?year=${year}`, { signal }),
  getServerCostHistory: (serverId: string, period: ServerCostPeriod, signal?: AbortSignal) =>
    request<ServerCostHistoryResponse>(
      "GET",
      `/servers/${id(serverId)}/costs/history?period=${period}`,
      { signal },
    ),

  // SSH: defaults, uploaded keys (metadata only), connectivity mode.
  getSshSettings: (signal?: AbortSignal) => request<SSHConfig>("GET", "/settings/ssh", { signal }),
  saveSshSettings: (update: SSHConfigUpdate) =>
    request<SSHConfigResponse>("PUT", "/settings/ssh", { body: update }),
  listSshKeys: (signal?: AbortSignal) =>
    request<SSHKeyListResponse>("GET", "/settings/ssh/keys", { signal }),
  /** The private key goes up once; the hub never sends it back. */
  uploadSshKey: (upload: SSHKeyUploadRequest) =>
    request<SSHKeyMetadata>("POST", "/settings/ssh/keys", { body: upload }),
  deleteSshKey: (keyId: string) => request<void>("DELETE", `/settings/ssh/keys/${id(keyId)}`),
  setDefaultSshKey: (keyId: string) =>
    request<SetDefaultKeyResponse>("PUT", `/settings/ssh/keys/${id(keyId)}/default`),
  getConnectivity: (signal?: AbortSignal) =>
    request<ConnectivityStatusResponse>("GET", "/settings/connectivity", { signal }),
  saveConnectivity: (mode: ConnectivityMode, sshUsername: string | null = null) =>
    request<ConnectivityUpdateResponse>("PUT", "/settings/connectivity", {
      body: { mode, ssh_username: sshUsername },
    }),

  // A machine's SSH secrets: write-only; the hub answers with "set or not" only.
  listCredentials: (serverId: string, signal?: AbortSignal) =>
    request<ServerCredentialsResponse>("GET", `/servers/${id(serverId)}/credentials`, { signal }),
  storeCredential: (serverId: string, credentialType: CredentialType, value: string) =>
    request<StoreServerCredentialResponse>("POST", `/servers/${id(serverId)}/credentials`, {
      body: { credential_type: credentialType, value },
    }),
  deleteCredential: (serverId: string, credentialType: CredentialType) =>
    request<DeleteServerCredentialResponse>(
      "DELETE",
      `/servers/${id(serverId)}/credentials/${id(credentialType)}`,
    ),
  testSsh: (serverId: string) =>
    request<ServerSshTestResponse>("POST", `/servers/${id(serverId)}/test-ssh`),
  getHostKey: (serverId: string, signal?: AbortSignal) =>
    request<HostKeyResponse>("GET", `/servers/${id(serverId)}/ssh/host-key`, { signal }),
  /** 409 when that fingerprint is not the refused key the hub holds. */
  acceptHostKey: (serverId: string, fingerprint: string) =>
    request<HostKeyResponse>("POST", `/servers/${id(serverId)}/ssh/host-key/accept`, {
      body: { fingerprint_sha256: fingerprint },
    }),

  // Configuration packs and compliance.
  getComplianceSummary: (signal?: AbortSignal) =>
    request<ComplianceSummaryResponse>("GET", "/config/compliance", { signal }),
  listPacks: (signal?: AbortSignal) =>
    request<ConfigPackListResponse>("GET", "/config/packs", { signal }),
  getAssignedPacks: (serverId: string, signal?: AbortSignal) =>
    request<PackAssignmentResponse>("GET", `/servers/${id(serverId)}/config/packs`, { signal }),
  /** Must include `base` (else 400 BASE_PACK_REQUIRED). */
  saveAssignedPacks: (serverId: string, packs: string[]) =>
    request<PackAssignmentResponse>("PUT", `/servers/${id(serverId)}/config/packs`, {
      body: { packs, drift_detection_enabled: null },
    }),
  checkCompliance: (serverId: string, packName: string) =>
    request<ConfigCheckResponse>("POST", `/servers/${id(serverId)}/config/check`, {
      body: { pack_name: packName },
    }),
  listChecks: (serverId: string, limit = 50, signal?: AbortSignal) =>
    request<ConfigCheckHistoryResponse>(
      "GET",
      `/servers/${id(serverId)}/config/checks?limit=${limit}`,
      { signal },
    ),
  /** The newest stored check's mismatches with diffs (404 before the first check). */
  getConfigDiff: (serverId: string, packName: string, signal?: AbortSignal) =>
    request<ConfigDiffResponse>(
      "GET",
      `/servers/${id(serverId)}/config/diff?pack=${id(packName)}`,
      { signal },
    ),
  /** Dry run: what applying would change, computed from a fresh check. */
  previewApply: (serverId: string, packName: string) =>
    request<ApplyPreviewResponse>("POST", `/servers/${id(serverId)}/config/apply`, {
      body: { pack_name: packName, dry_run: true },
    }),
  /** Starts a run (409 while one is running); poll `getApplyStatus`. */
  startApply: (serverId: string, packName: string) =>
    request<ApplyInitiatedResponse>("POST", `/servers/${id(serverId)}/config/apply`, {
      body: { pack_name: packName, dry_run: false },
    }),
  getApplyStatus: (serverId: string, applyId: number, signal?: AbortSignal) =>
    request<ApplyStatusResponse>("GET", `/servers/${id(serverId)}/config/apply/${applyId}`, {
      signal,
    }),
  previewRemove: (serverId: string, packName: string) =>
    request<RemovePreviewResponse>("DELETE", `/servers/${id(serverId)}/config/apply`, {
      body: { pack_name: packName, confirm: false },
    }),
  removePack: (serverId: string, packName: string) =>
    request<RemoveResponse>("DELETE", `/servers/${id(serverId)}/config/apply`, {
      body: { pack_name: packName, confirm: true },
    }),
};
