//! `/settings/ssh`: default username/port and the uploaded private keys
//! (stored encrypted in the database; only metadata is ever returned).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError};
use homelabcmd_protocol::ssh::{
    SSHConfig, SSHConfigResponse, SSHConfigUpdate, SSHKeyListResponse, SSHKeyMetadata,
    SSHKeyUploadRequest, SetDefaultKeyResponse,
};

use crate::db::credentials::{SSH_SETTINGS_KEY, SshKeyRow};
use crate::db::{self, now_ms, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::cipher;
use crate::http::validate::{ApiJson, Checker, Validate};
use crate::remote::crypto::ssh_key_context;
use crate::state::AppState;
use homelabcmd_core::audit::{AuditEntry, AuditOutcome};
use homelabcmd_core::credentials::inspect_private_key;

/// What `key_path` reports: keys are not files here.
const KEY_PATH: &str = "(hub database, encrypted)";

fn is_username(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

impl Validate for SSHConfigUpdate {
    fn validate(&self, c: &mut Checker) {
        if let Some(u) = &self.default_username {
            c.len("default_username", u, 1, 64);
            c.pattern("default_username", is_username(u), "^[A-Za-z0-9._@-]+$");
        }
        c.range_i64("default_port", self.default_port, 1, Some(65535));
    }
}

impl Validate for SSHKeyUploadRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("name", &self.name, 1, 64);
        c.len("private_key", &self.private_key, 1, 64 * 1024);
        if let Some(u) = &self.username {
            c.len("username", u, 1, 64);
            c.pattern("username", is_username(u), "^[A-Za-z0-9._@-]+$");
        }
    }
}

/// `[A-Za-z0-9_-]`, anything else becomes `_` (as HomelabCmd sanitises).
pub fn sanitise_key_name(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn metadata(r: SshKeyRow) -> SSHKeyMetadata {
    SSHKeyMetadata {
        id: r.id,
        name: r.name,
        key_type: r.key_type,
        fingerprint: r.fingerprint,
        created_at: to_dt(r.created_at),
        username: r.username,
        is_default: r.is_default,
    }
}

async fn current(state: &AppState) -> ApiResult<SSHConfig> {
    let d = db::credentials::ssh_defaults(&state.db).await?;
    let keys = db::credentials::list_keys(&state.db).await?;
    Ok(SSHConfig {
        key_path: KEY_PATH.into(),
        keys_found: keys.into_iter().map(|k| k.name).collect(),
        default_username: d.default_username,
        default_port: i64::from(d.default_port),
    })
}

/// SSH defaults and the uploaded keys' names.
#[utoipa::path(get, path = "/settings/ssh", tag = "Scanning",
    responses((status = 200, body = SSHConfig)))]
#[tracing::instrument(skip_all)]
pub async fn get_ssh_settings(State(state): State<AppState>) -> ApiResult<Json<SSHConfig>> {
    Ok(Json(current(&state).await?))
}

/// Change the default username and/or port.
#[utoipa::path(put, path = "/settings/ssh", tag = "Scanning", request_body = SSHConfigUpdate,
    responses((status = 200, body = SSHConfigResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all)]
pub async fn update_ssh_settings(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SSHConfigUpdate>,
) -> ApiResult<Json<SSHConfigResponse>> {
    let mut d = db::credentials::ssh_defaults(&state.db).await?;
    let mut updated = Vec::new();
    if let Some(u) = body.default_username {
        d.default_username = u;
        updated.push("default_username".to_owned());
    }
    if let Some(p) = body.default_port {
        // Range checked by Validate.
        d.default_port = u16::try_from(p).unwrap_or(22);
        updated.push("default_port".to_owned());
    }
    if !updated.is_empty() {
        db::settings::put(&state.db, SSH_SETTINGS_KEY, &d).await?;
    }
    Ok(Json(SSHConfigResponse {
        updated,
        config: current(&state).await?,
    }))
}

/// Uploaded keys (metadata only).
#[utoipa::path(get, path = "/settings/ssh/keys", tag = "Scanning",
    responses((status = 200, body = SSHKeyListResponse)))]
#[tracing::instrument(skip_all)]
pub async fn list_ssh_keys(State(state): State<AppState>) -> ApiResult<Json<SSHKeyListResponse>> {
    let keys = db::credentials::list_keys(&state.db).await?;
    Ok(Json(SSHKeyListResponse {
        keys: keys.into_iter().map(metadata).collect(),
    }))
}

/// Upload a private key; it is checked, fingerprinted and stored encrypted.
/// The first key becomes the default.
#[utoipa::path(post, path = "/settings/ssh/keys", tag = "Scanning", request_body = SSHKeyUploadRequest,
    responses((status = 201, body = SSHKeyMetadata), (status = 400, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = HttpValidationError),
        (status = 503, body = ErrorResponse)))]
#[tracing::instrument(skip_all)]
pub async fn create_ssh_key(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SSHKeyUploadRequest>,
) -> ApiResult<(StatusCode, Json<SSHKeyMetadata>)> {
    let id = sanitise_key_name(&body.name);
    if id.is_empty() {
        return Err(ApiError::invalid(
            &["body", "name"],
            "name is empty after sanitising",
            "value_error",
        ));
    }
    let cipher = cipher(&state)?;
    let info = inspect_private_key(&body.private_key)
        .map_err(|e| ApiError::BadRequest(format!("private_key: {e}")))?;
    if info.encrypted {
        return Err(ApiError::BadRequest(
            "private_key: password-protected keys are not supported; remove the passphrase \
             (ssh-keygen -p) or store it per server as ssh_private_key + ssh_key_passphrase"
                .into(),
        ));
    }
    let row = SshKeyRow {
        id: id.clone(),
        name: id.clone(),
        username: body.username.clone(),
        key_type: info.key_type,
        fingerprint: info.fingerprint.clone(),
        public_key: info.public_key,
        is_default: false,
        created_at: now_ms(),
    };
    let blob = cipher.encrypt_str(&ssh_key_context(&id), body.private_key.trim());
    let mut audit = AuditEntry::new("api", None, "ssh_key_upload", AuditOutcome::Completed);
    audit.reason = Some(format!("key '{id}' {}", info.fingerprint));
    let stored = db::credentials::insert_key(&state.db, &row, &blob, &audit)
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("SSH key '{id}' already exists")))?;
    tracing::info!(key_id = %id, fingerprint = %info.fingerprint, "SSH key uploaded");
    Ok((StatusCode::CREATED, Json(metadata(stored))))
}

/// Delete a key; a deleted default is replaced by the oldest remaining key.
#[utoipa::path(delete, path = "/settings/ssh/keys/{key_id}", tag = "Scanning",
    params(("key_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(key_id = %key_id))]
pub async fn delete_ssh_key(
    State(state): State<AppState>,
    Path(key_id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut audit = AuditEntry::new("api", None, "ssh_key_delete", AuditOutcome::Completed);
    audit.reason = Some(format!("key '{key_id}' deleted"));
    if !db::credentials::delete_key(&state.db, &key_id, &audit).await? {
        return Err(ApiError::not_found("SSH key", &key_id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Make a key the default.
#[utoipa::path(put, path = "/settings/ssh/keys/{key_id}/default", tag = "Scanning",
    params(("key_id" = String, Path)),
    responses((status = 200, body = SetDefaultKeyResponse), (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(key_id = %key_id))]
pub async fn set_default_ssh_key(
    State(state): State<AppState>,
    Path(key_id): Path<String>,
) -> ApiResult<Json<SetDefaultKeyResponse>> {
    let mut audit = AuditEntry::new("api", None, "ssh_key_default", AuditOutcome::Completed);
    audit.reason = Some(format!("key '{key_id}' made default"));
    if !db::credentials::set_default_key(&state.db, &key_id, &audit).await? {
        return Err(ApiError::not_found("SSH key", &key_id));
    }
    Ok(Json(SetDefaultKeyResponse {
        success: true,
        message: format!("Key '{key_id}' is now the default"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_sanitised() {
        assert_eq!(sanitise_key_name(" my key/../x "), "my_key____x");
        assert_eq!(sanitise_key_name("id_ed25519-work"), "id_ed25519-work");
        assert!(!is_username("-oProxyCommand") && is_username("ops.admin"));
    }
}
