//! Remote execution bodies: synchronous command execution, remediation
//! actions, SSH connection tests, connectivity settings and (extensions)
//! host-key pins. Names follow HomelabCmd's contract; nothing here ever
//! carries a secret.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::api_type;
use crate::names::{Requested, wire_enum};

wire_enum! {
/// What a remediation action or an executed command does. The catalog
/// decides which commands each type allows.
pub enum ActionType {
    /// Restart a systemd unit (or, for commands, a container).
    RestartService = "restart_service",
    /// (commands only) Any `systemctl` verb the catalog allows.
    Service = "service",
    /// (commands only) Any `docker` verb the catalog allows.
    Container = "container",
    /// Vacuum the journal or prune Docker images.
    ClearLogs = "clear_logs",
    /// `apt-get update`.
    AptUpdate = "apt_update",
    /// Upgrade every package.
    AptUpgradeAll = "apt_upgrade_all",
    /// Upgrade the packages with pending security updates.
    AptUpgradeSecurity = "apt_upgrade_security",
    /// (commands only) `apt_update` or either upgrade.
    ApplyUpdates = "apply_updates",
    /// (extension) Reboot the machine.
    Reboot = "reboot",
    /// (extension) A command configured under `commands:` in the hub config.
    Custom = "custom",
}

/// Where a remediation action is in its lifecycle.
pub enum ActionStatus {
    /// Waiting for approval (the machine is paused).
    Pending = "pending",
    /// Approved, about to run.
    Approved = "approved",
    /// Refused by an operator; never runs.
    Rejected = "rejected",
    /// Running now.
    Executing = "executing",
    /// Ran; `exit_code` says how (0: success).
    Completed = "completed",
    /// Could not run to the end, or exited non-zero.
    Failed = "failed",
    /// Withdrawn before it ran.
    Cancelled = "cancelled",
}

/// How the hub reaches machines over SSH.
pub enum ConnectivityMode {
    /// Through each machine's Tailscale MagicDNS name.
    Tailscale = "tailscale",
    /// Straight to each machine's IP address or hostname.
    DirectSsh = "direct_ssh",
}

/// Outcome of `POST /scan/test`.
pub enum ConnectionTestStatus {
    /// Connected, logged in and ran `uname -n`.
    Success = "success",
    /// Did not get that far: see `error`.
    Failed = "failed",
}
}

impl ActionType {
    /// The types `POST /actions` accepts: the contract's five, then `reboot`
    /// and `custom` (extensions). The others are for `/commands/execute`.
    pub const REMEDIATION: &'static [Self] = &[
        Self::RestartService,
        Self::ClearLogs,
        Self::AptUpdate,
        Self::AptUpgradeAll,
        Self::AptUpgradeSecurity,
        Self::Reboot,
        Self::Custom,
    ];
}

api_type! {
/// `POST /servers/{server_id}/commands/execute`.
pub struct CommandExecuteRequest {
    /// The command as text, e.g. `systemctl restart nginx`; parsed against
    /// the hub's command catalog, never given to a shell.
    pub command: String,
    /// Action type it must belong to (`restart_service`, `clear_logs`,
    /// `apply_updates`, ...).
    #[cfg_attr(feature = "openapi", schema(value_type = ActionType))]
    #[cfg_attr(feature = "ts", ts(as = "ActionType"))]
    pub action_type: Requested<ActionType>,
}

/// Result of a synchronous command.
pub struct CommandExecuteResponse {
    /// Exit status (0 = success; -1 when killed by a signal).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub exit_code: i64,
    /// Standard output, capped at `HOMELAB_CMD_SSH_OUTPUT_CAP_BYTES`.
    pub stdout: String,
    /// Standard error, capped likewise.
    pub stderr: String,
    /// Run time in milliseconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: i64,
    /// stdout was cut at the cap (extension).
    #[serde(default)]
    pub stdout_truncated: bool,
    /// stderr was cut at the cap (extension).
    #[serde(default)]
    pub stderr_truncated: bool,
}

/// `POST /actions`.
pub struct ActionCreate {
    /// Machine to act on.
    pub server_id: String,
    /// `restart_service`, `clear_logs`, `apt_update`, `apt_upgrade_all`,
    /// `apt_upgrade_security`; extensions: `custom`, `reboot`.
    #[cfg_attr(feature = "openapi", schema(value_type = ActionType))]
    #[cfg_attr(feature = "ts", ts(as = "ActionType"))]
    pub action_type: Requested<ActionType>,
    /// Unit to restart (required for `restart_service`).
    #[serde(default)]
    pub service_name: Option<String>,
    /// Alert that suggested the action.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub alert_id: Option<i64>,
    /// Configured command name for `custom` (extension; see `commands:` in
    /// the hub config).
    #[serde(default)]
    pub command_name: Option<String>,
}

/// `POST /actions/{action_id}/reject`.
pub struct RejectActionRequest {
    /// Why, 1–1000 chars.
    pub reason: String,
}

/// `POST /servers/{server_id}/services/{service_name}/restart`.
pub struct RestartActionResponse {
    /// The new action's id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub action_id: i64,
    /// `restart_service`.
    pub action_type: ActionType,
    /// Machine.
    pub server_id: String,
    /// Unit to restart.
    pub service_name: String,
    /// Command that will run.
    pub command: String,
    /// `pending` on a paused machine, else `approved` (runs at once).
    pub status: ActionStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// 409 body when a restart of the same service is already queued.
pub struct DuplicateActionError {
    /// What is wrong.
    pub detail: String,
    /// The queued action.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub existing_action_id: i64,
}

/// `POST /scan/test`.
pub struct TestConnectionRequest {
    /// Hostname or IP address, 1–255 chars.
    pub hostname: String,
    /// SSH port (default: `/settings/ssh` default port).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub port: Option<i64>,
    /// SSH user (default: `/settings/ssh` default username).
    #[serde(default)]
    pub username: Option<String>,
}

/// Result of `POST /scan/test`.
pub struct TestConnectionResponse {
    /// `success` or `failed`.
    pub status: ConnectionTestStatus,
    /// The host that was tried.
    pub hostname: String,
    /// `uname -n` on the host (on success).
    pub remote_hostname: Option<String>,
    /// Connect + command time (on success).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub response_time_ms: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Result of `POST /servers/{server_id}/test-ssh`.
pub struct ServerSshTestResponse {
    /// Connected and authenticated.
    pub success: bool,
    /// Connect + key exchange + authentication time.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub latency_ms: Option<i64>,
    /// Which stored credential logged in (`per_server key`, `global
    /// password`, `uploaded key <id>`...); never the secret itself.
    pub key_used: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Address that was tried (extension).
    #[serde(default)]
    pub hostname: Option<String>,
    /// Port that was tried (extension).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub port: Option<i64>,
    /// User that was tried (extension).
    #[serde(default)]
    pub username: Option<String>,
    /// Host key `SHA256:...` fingerprint seen (extension).
    #[serde(default)]
    pub host_key_fingerprint: Option<String>,
    /// sshd's identification string (extension).
    #[serde(default)]
    pub server_version: Option<String>,
}

/// Tailscale connection information.
pub struct TailscaleInfo {
    /// Whether a Tailscale API token is configured (never, in this hub).
    pub configured: bool,
    /// Whether the Tailscale API answered.
    pub connected: bool,
    /// Tailnet name.
    pub tailnet: Option<String>,
    /// Devices in the tailnet.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub device_count: i64,
}

/// SSH configuration summary.
#[allow(clippy::upper_case_acronyms)]
pub struct SSHInfo {
    /// Default SSH username.
    pub username: String,
    /// An uploaded default key or a global `ssh_private_key` exists.
    pub key_configured: bool,
    /// When the default key was uploaded.
    pub key_uploaded_at: Option<DateTime<Utc>>,
}

/// `GET /settings/connectivity`.
pub struct ConnectivityStatusResponse {
    /// `tailscale` or `direct_ssh`.
    pub mode: ConnectivityMode,
    /// True while no mode was set explicitly.
    pub mode_auto_detected: bool,
    /// Tailscale status.
    pub tailscale: TailscaleInfo,
    /// SSH status.
    pub ssh: SSHInfo,
}

/// `PUT /settings/connectivity`.
pub struct ConnectivityUpdateRequest {
    /// `tailscale` or `direct_ssh`.
    #[cfg_attr(feature = "openapi", schema(value_type = ConnectivityMode))]
    #[cfg_attr(feature = "ts", ts(as = "ConnectivityMode"))]
    pub mode: Requested<ConnectivityMode>,
    /// New default SSH username (1–32 chars); unchanged when absent.
    #[serde(default)]
    pub ssh_username: Option<String>,
}

/// Answer of `PUT /settings/connectivity`.
pub struct ConnectivityUpdateResponse {
    /// Saved.
    pub success: bool,
    /// Mode in force.
    pub mode: ConnectivityMode,
    /// What changed.
    pub message: String,
}

/// `GET /settings/connectivity/status`.
pub struct ConnectivityStatusBarResponse {
    /// `tailscale` or `direct_ssh`.
    pub mode: ConnectivityMode,
    /// Status-bar text.
    pub display: String,
    /// SSH credentials are configured for the mode.
    pub healthy: bool,
}

/// A host key as pinned or as presented (extension).
pub struct HostKeyInfo {
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, ...
    pub algorithm: String,
    /// `SHA256:...`.
    pub fingerprint_sha256: String,
    /// OpenSSH one-line public key.
    pub public_key: String,
    /// When it was pinned (pin) or presented (pending).
    pub seen_at: DateTime<Utc>,
}

/// `GET /servers/{server_id}/ssh/host-key` (extension).
pub struct HostKeyResponse {
    /// Machine.
    pub server_id: String,
    /// The pinned key; `null` before the first connection.
    pub pinned: Option<HostKeyInfo>,
    /// A different key the host presented and that was refused.
    pub pending: Option<HostKeyInfo>,
}

/// `POST /servers/{server_id}/ssh/host-key/accept` (extension).
pub struct HostKeyAcceptRequest {
    /// The pending key's `SHA256:...` fingerprint, as shown by GET, so the
    /// operator accepts exactly the key they checked.
    pub fingerprint_sha256: String,
}
}
