//! SSH credentials, SSH settings and uploaded keys (HomelabCmd's contract
//! names), plus the audit trail listing (an extension). Responses only ever
//! say whether a secret is set; the two request types that carry secrets
//! redact them in `Debug`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::api_type;
use crate::names::{Requested, wire_enum};

wire_enum! {
/// Kinds of stored secret. The contract names the first three; the key
/// passphrase is an extension for passphrase-protected per-machine keys.
pub enum CredentialType {
    /// Password for SSH login.
    SshPassword = "ssh_password",
    /// OpenSSH private key for SSH login.
    SshPrivateKey = "ssh_private_key",
    /// Password for `sudo -S` (sudo mode `password`).
    SudoPassword = "sudo_password",
    /// (extension) Passphrase of the stored private key.
    SshKeyPassphrase = "ssh_key_passphrase",
}

/// Where a machine's credential comes from.
pub enum CredentialScope {
    /// Stored for this machine.
    PerServer = "per_server",
    /// The global default.
    Global = "global",
    /// Not stored at all.
    None = "none",
}

/// Algorithm of an uploaded SSH key.
pub enum SshKeyType {
    /// Ed25519.
    Ed25519 = "ED25519",
    /// RSA, any size.
    Rsa = "RSA",
    /// ECDSA on a NIST curve.
    Ecdsa = "ECDSA",
}

/// How an audited operation ended.
pub enum AuditOutcome {
    /// Passed the catalog and is about to run.
    Allowed = "allowed",
    /// Refused (not in the catalog, bad argument, missing credential...).
    Rejected = "rejected",
    /// Ran; `exit_code` says how it went.
    Completed = "completed",
    /// Could not run to the end (connection, timeout, host key refused...).
    Failed = "failed",
}
}

/// `POST /api/v1/servers/{server_id}/credentials`. The value is a secret:
/// `Debug` redacts it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StoreServerCredentialRequest {
    /// `ssh_password`, `ssh_private_key`, `sudo_password` or (extension)
    /// `ssh_key_passphrase`.
    #[cfg_attr(feature = "openapi", schema(value_type = CredentialType))]
    #[cfg_attr(feature = "ts", ts(as = "CredentialType"))]
    pub credential_type: Requested<CredentialType>,
    /// The secret; encrypted before it is stored, never returned.
    pub value: String,
}

impl fmt::Debug for StoreServerCredentialRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreServerCredentialRequest")
            .field("credential_type", &self.credential_type)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// `POST /api/v1/settings/ssh/keys`. The private key is a secret: `Debug`
/// redacts it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[allow(clippy::upper_case_acronyms)]
pub struct SSHKeyUploadRequest {
    /// Key name; sanitised to `[A-Za-z0-9_-]` and used as the key id.
    pub name: String,
    /// OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`), no
    /// passphrase.
    pub private_key: String,
    /// SSH username to use with this key (default username when unset).
    #[serde(default)]
    pub username: Option<String>,
}

impl fmt::Debug for SSHKeyUploadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SSHKeyUploadRequest")
            .field("name", &self.name)
            .field("private_key", &"<redacted>")
            .field("username", &self.username)
            .finish()
    }
}

api_type! {
/// Answer to storing a credential.
pub struct StoreServerCredentialResponse {
    /// Type stored.
    pub credential_type: CredentialType,
    /// Machine it belongs to.
    pub server_id: String,
    /// `Credential stored successfully`.
    pub message: String,
}

/// Whether one credential type is configured for a machine.
pub struct ServerCredentialStatus {
    /// Credential type.
    pub credential_type: CredentialType,
    /// Set here or globally.
    pub configured: bool,
    /// `per_server`, `global` or `none`.
    pub scope: CredentialScope,
}

/// `GET /api/v1/servers/{server_id}/credentials`: statuses only, never values.
pub struct ServerCredentialsResponse {
    /// Machine.
    pub server_id: String,
    /// The machine's SSH username override.
    pub ssh_username: Option<String>,
    /// `passwordless` or `password`.
    pub sudo_mode: crate::api::SudoMode,
    /// One entry per credential type.
    pub credentials: Vec<ServerCredentialStatus>,
}

/// `DELETE /api/v1/servers/{server_id}/credentials/{credential_type}`.
pub struct DeleteServerCredentialResponse {
    /// Machine.
    pub server_id: String,
    /// Type removed.
    pub credential_type: CredentialType,
    /// `Credential deleted`.
    pub message: String,
}

/// `GET /api/v1/settings/ssh`.
#[allow(clippy::upper_case_acronyms)]
pub struct SSHConfig {
    /// Where keys live: uploaded keys are stored encrypted in the hub database.
    pub key_path: String,
    /// Names of the uploaded keys.
    pub keys_found: Vec<String>,
    /// Username used when a machine and its key name none.
    pub default_username: String,
    /// Port used when a machine names none.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub default_port: i64,
}

/// `PUT /api/v1/settings/ssh`: only the fields given change.
#[allow(clippy::upper_case_acronyms)]
pub struct SSHConfigUpdate {
    /// New default username (1–64 characters).
    #[serde(default)]
    pub default_username: Option<String>,
    /// New default port (1–65535).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub default_port: Option<i64>,
}

/// Answer to `PUT /api/v1/settings/ssh`.
#[allow(clippy::upper_case_acronyms)]
pub struct SSHConfigResponse {
    /// Fields that changed.
    pub updated: Vec<String>,
    /// Settings now in force.
    pub config: SSHConfig,
}

/// An uploaded key, without its private part.
#[allow(clippy::upper_case_acronyms)]
pub struct SSHKeyMetadata {
    /// Key id (the sanitised name).
    pub id: String,
    /// Key name.
    pub name: String,
    /// `ED25519`, `RSA` or `ECDSA`.
    #[serde(rename = "type")]
    pub key_type: SshKeyType,
    /// `SHA256:...` fingerprint.
    pub fingerprint: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// Username stored with the key.
    pub username: Option<String>,
    /// The key machines without their own key use.
    pub is_default: bool,
}

/// `GET /api/v1/settings/ssh/keys`.
#[allow(clippy::upper_case_acronyms)]
pub struct SSHKeyListResponse {
    /// Uploaded keys, oldest first.
    pub keys: Vec<SSHKeyMetadata>,
}

/// `PUT /api/v1/settings/ssh/keys/{key_id}/default`.
pub struct SetDefaultKeyResponse {
    /// Always true on 200.
    pub success: bool,
    /// What happened.
    pub message: String,
}

/// One audit trail row (extension: `GET /api/v1/audit`).
pub struct AuditEntryResponse {
    /// Position in the chain (1, 2, ...).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// When it was written.
    pub timestamp: DateTime<Utc>,
    /// Who asked (`api`, `auto`, `cli`, ...).
    pub actor: String,
    /// Machine concerned, if any.
    pub server_id: Option<String>,
    /// Catalog action or credential operation.
    pub action: String,
    /// The command as run, word by word (never secrets).
    pub argv: Option<Vec<String>>,
    /// `allowed`, `rejected`, `completed` or `failed`.
    pub outcome: AuditOutcome,
    /// Why it was rejected or failed, or what changed.
    pub reason: Option<String>,
    /// Command exit status.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub exit_code: Option<i64>,
    /// Run time.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub duration_ms: Option<i64>,
    /// Hash of the previous row (hex).
    pub prev_hash: String,
    /// sha256(prev_hash || canonical row), hex.
    pub hash: String,
}

/// `GET /api/v1/audit` (extension).
pub struct AuditListResponse {
    /// Rows, newest first.
    pub entries: Vec<AuditEntryResponse>,
    /// Rows matching the filter.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
    /// Page size used.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub limit: i64,
    /// Rows skipped.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: i64,
}
}
