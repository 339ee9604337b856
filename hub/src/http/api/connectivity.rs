//! `/settings/connectivity`: how the hub reaches machines (`direct_ssh`:
//! their IP address or hostname; `tailscale`: their `tailscale_hostname`)
//! and the default SSH username. This hub has no Tailscale API client, so
//! `tailscale.configured` is always false and auto-detection picks
//! `direct_ssh`.

use axum::Json;
use axum::extract::State;
use homelabcmd_protocol::actions::{
    ConnectivityStatusBarResponse, ConnectivityStatusResponse, ConnectivityUpdateRequest,
    ConnectivityUpdateResponse, SSHInfo, TailscaleInfo,
};
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError};
use homelabcmd_protocol::ssh::CredentialType;

use crate::db::credentials::SSH_SETTINGS_KEY;
use crate::db::{self, to_dt};
use crate::error::ApiResult;
use crate::http::validate::{ApiJson, Checker, Validate, accepted};
use crate::remote::executor::{CONNECTIVITY_KEY, Connectivity, ConnectivityMode, connectivity};
use crate::state::AppState;

async fn ssh_info(state: &AppState) -> ApiResult<SSHInfo> {
    let defaults = db::credentials::ssh_defaults(&state.db).await?;
    let default_key = db::credentials::list_keys(&state.db)
        .await?
        .into_iter()
        .find(|k| k.is_default);
    let global = db::credentials::types_set(&state.db, None).await?;
    Ok(SSHInfo {
        username: defaults.default_username,
        key_configured: default_key.is_some() || global.contains(&CredentialType::SshPrivateKey),
        key_uploaded_at: default_key.map(|k| to_dt(k.created_at)),
    })
}

/// Mode and configuration status.
#[utoipa::path(get, path = "/settings/connectivity", tag = "Settings",
    responses((status = 200, body = ConnectivityStatusResponse)))]
#[tracing::instrument(skip_all)]
pub async fn get_connectivity(
    State(state): State<AppState>,
) -> ApiResult<Json<ConnectivityStatusResponse>> {
    let c = connectivity(&state.db).await?;
    Ok(Json(ConnectivityStatusResponse {
        mode: c.effective(),
        mode_auto_detected: c.mode.is_none(),
        tailscale: TailscaleInfo {
            configured: false,
            connected: false,
            tailnet: None,
            device_count: 0,
        },
        ssh: ssh_info(&state).await?,
    }))
}

fn is_username(s: &str) -> bool {
    !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

impl Validate for ConnectivityUpdateRequest {
    fn validate(&self, c: &mut Checker) {
        c.known("mode", Some(&self.mode), ConnectivityMode::ALL);
        if let Some(u) = &self.ssh_username {
            c.len("ssh_username", u, 1, 32);
            c.pattern("ssh_username", is_username(u), "^[A-Za-z0-9._@-]+$");
        }
    }
}

/// Set the mode (and optionally the default SSH username).
#[utoipa::path(put, path = "/settings/connectivity", tag = "Settings",
    request_body = ConnectivityUpdateRequest,
    responses((status = 200, body = ConnectivityUpdateResponse), (status = 400, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all)]
pub async fn put_connectivity(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ConnectivityUpdateRequest>,
) -> ApiResult<Json<ConnectivityUpdateResponse>> {
    let mode = accepted("mode", &body.mode)?;
    db::settings::put(
        &state.db,
        CONNECTIVITY_KEY,
        &Connectivity { mode: Some(mode) },
    )
    .await?;
    let mut message = match mode {
        ConnectivityMode::DirectSsh => "Direct SSH: machines are reached at their IP address (else hostname)".to_owned(),
        ConnectivityMode::Tailscale => "Tailscale: machines are reached at their tailscale_hostname; machines without one are refused".to_owned(),
    };
    if let Some(u) = body.ssh_username {
        let mut d = db::credentials::ssh_defaults(&state.db).await?;
        d.default_username = u;
        db::settings::put(&state.db, SSH_SETTINGS_KEY, &d).await?;
        message.push_str(&format!(
            "; default SSH username is now '{}'",
            d.default_username
        ));
    }
    Ok(Json(ConnectivityUpdateResponse {
        success: true,
        mode,
        message,
    }))
}

/// Minimal status for the dashboard's status bar.
#[utoipa::path(get, path = "/settings/connectivity/status", tag = "Settings",
    responses((status = 200, body = ConnectivityStatusBarResponse)))]
#[tracing::instrument(skip_all)]
pub async fn get_connectivity_status(
    State(state): State<AppState>,
) -> ApiResult<Json<ConnectivityStatusBarResponse>> {
    let mode = connectivity(&state.db).await?.effective();
    let ssh = ssh_info(&state).await?;
    let has_password = db::credentials::types_set(&state.db, None)
        .await?
        .contains(&CredentialType::SshPassword);
    let healthy = ssh.key_configured || has_password;
    let display = match (mode, healthy) {
        (ConnectivityMode::DirectSsh, true) => format!("Direct SSH ({})", ssh.username),
        (ConnectivityMode::Tailscale, true) => format!("Tailscale SSH ({})", ssh.username),
        (ConnectivityMode::DirectSsh | ConnectivityMode::Tailscale, false) => {
            "SSH not configured".to_owned()
        }
    };
    Ok(Json(ConnectivityStatusBarResponse {
        mode,
        display,
        healthy,
    }))
}
