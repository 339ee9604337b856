//! Remote execution endpoints: synchronous catalog commands
//! (`/servers/{id}/commands/execute`), SSH connection tests
//! (`/servers/{id}/test-ssh`, `/scan/test`) and (extensions) the machine's
//! pinned host key.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homelabcmd_protocol::actions::{
    CommandExecuteRequest, CommandExecuteResponse, ConnectionTestStatus, HostKeyAcceptRequest,
    HostKeyInfo, HostKeyResponse, ServerSshTestResponse, TestConnectionRequest,
    TestConnectionResponse,
};
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError};

use crate::db::{self, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::exec_error;
use crate::http::validate::{ApiJson, Checker, Validate};
use crate::remote::executor::{ExecError, Wait};
use crate::state::AppState;
use homelabcmd_core::catalog;
use homelabcmd_ssh::{ExecRequest, SshError};

/// Who the audit trail names for API calls (there is one API key).
const API_ACTOR: &str = "api";

impl Validate for CommandExecuteRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("command", &self.command, 1, 4096);
        c.len("action_type", self.action_type.as_str(), 1, 64);
    }
}

async fn require_server(state: &AppState, id: &str) -> ApiResult<db::servers::ServerRow> {
    db::servers::get(&state.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", id))
}

/// Run one catalog command over SSH and wait for it. Refused commands
/// (400) are audited and never reach SSH.
#[utoipa::path(post, path = "/servers/{server_id}/commands/execute", tag = "Servers",
    params(("server_id" = String, Path)), request_body = CommandExecuteRequest,
    responses((status = 200, body = CommandExecuteResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 408, body = ErrorResponse),
        (status = 429, body = ErrorResponse), (status = 500, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn execute_command(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<CommandExecuteRequest>,
) -> ApiResult<Json<CommandExecuteResponse>> {
    require_server(&state, &server_id).await?;
    let parsed = catalog::command_action_type(&body.action_type)
        .and_then(|t| catalog::parse(&body.command, t, &state.config.commands));
    let action = match parsed {
        Ok(a) => a,
        Err(rej) => {
            tracing::warn!(reason = %rej, "command refused by the catalog");
            state
                .executor
                .audit_rejected(API_ACTOR, &server_id, "command_execute", &rej.reason)
                .await?;
            return Err(ApiError::Coded(
                StatusCode::BAD_REQUEST,
                "COMMAND_NOT_WHITELISTED",
                rej.reason,
            ));
        }
    };
    let out = state
        .executor
        .run(&server_id, &action, API_ACTOR, Wait::No)
        .await
        .map_err(exec_error)?;
    Ok(Json(CommandExecuteResponse {
        exit_code: out.exit_code.map_or(-1, i64::from),
        stdout: out.stdout_text(),
        stderr: out.stderr_text(),
        duration_ms: out.duration.as_millis() as i64,
        stdout_truncated: out.stdout_truncated,
        stderr_truncated: out.stderr_truncated,
    }))
}

/// Open a fresh SSH connection to the machine with its resolved address
/// and credentials; 200 with `success` either way once it could be tried.
#[utoipa::path(post, path = "/servers/{server_id}/test-ssh", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = ServerSshTestResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn test_server_ssh(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<ServerSshTestResponse>> {
    require_server(&state, &server_id).await?;
    let r = state
        .executor
        .resolve(&server_id)
        .await
        .map_err(exec_error)?;
    let mut resp = ServerSshTestResponse {
        success: false,
        latency_ms: None,
        key_used: Some(r.credential.clone()),
        error: None,
        hostname: Some(r.target.host.clone()),
        port: Some(i64::from(r.target.port)),
        username: Some(r.target.username.clone()),
        host_key_fingerprint: None,
        server_version: None,
    };
    match state.executor.test_connection(&r).await {
        Ok(info) => {
            resp.success = true;
            resp.latency_ms = Some(info.latency.as_millis() as i64);
            resp.host_key_fingerprint = Some(info.host_key_fingerprint);
            resp.server_version = Some(info.server_version);
        }
        Err(e) => {
            if let SshError::HostKeyMismatch { actual, .. } = &e {
                resp.host_key_fingerprint = Some(actual.clone());
            }
            resp.error = Some(e.to_string());
        }
    }
    Ok(Json(resp))
}

fn is_host(s: &str) -> bool {
    !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]%".contains(&b))
}

impl Validate for TestConnectionRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("hostname", &self.hostname, 1, 255);
        c.pattern(
            "hostname",
            is_host(&self.hostname),
            "a hostname or IP address",
        );
        c.range_i64("port", self.port, 1, Some(65535));
        if let Some(u) = &self.username {
            c.len("username", u, 1, 64);
        }
    }
}

/// Try an address with the global credentials and `/settings/ssh`
/// defaults: connect, run `uname -n`. Always 200; `status` says how it went.
#[utoipa::path(post, path = "/scan/test", tag = "Scanning", request_body = TestConnectionRequest,
    responses((status = 200, body = TestConnectionResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all)]
pub async fn test_scan_connection(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TestConnectionRequest>,
) -> ApiResult<Json<TestConnectionResponse>> {
    let started = Instant::now();
    let failed = |error: String| TestConnectionResponse {
        status: ConnectionTestStatus::Failed,
        hostname: body.hostname.clone(),
        remote_hostname: None,
        response_time_ms: None,
        error: Some(error),
    };
    let port = body.port.and_then(|p| u16::try_from(p).ok());
    let r = match state
        .executor
        .resolve_address(&body.hostname, port, body.username.as_deref())
        .await
    {
        Ok(r) => r,
        Err(ExecError::Db(e)) => return Err(e.into()),
        Err(e) => return Ok(Json(failed(e.to_string()))),
    };
    let request = ExecRequest::new(["uname", "-n"]).timeout(std::time::Duration::from_secs(15));
    Ok(Json(
        match state.executor.pool().exec(&r.target, &request).await {
            Ok(out) if out.success() => TestConnectionResponse {
                status: ConnectionTestStatus::Success,
                hostname: body.hostname.clone(),
                remote_hostname: Some(out.stdout_text().trim().to_owned()),
                response_time_ms: Some(started.elapsed().as_millis() as i64),
                error: None,
            },
            Ok(out) => failed(format!(
                "connected, but `uname -n` exited with {:?}: {}",
                out.exit_code,
                out.stderr_text().trim()
            )),
            Err(e) => failed(e.to_string()),
        },
    ))
}

fn key_info(algorithm: String, fingerprint: String, public_key: String, at: i64) -> HostKeyInfo {
    HostKeyInfo {
        algorithm,
        fingerprint_sha256: fingerprint,
        public_key,
        seen_at: to_dt(at),
    }
}

async fn host_key_response(state: &AppState, server_id: &str) -> ApiResult<HostKeyResponse> {
    let row = db::host_keys::get(&state.db, server_id).await?;
    let (pinned, pending) = match row {
        None => (None, None),
        Some(r) => {
            let pending = match (
                r.pending_algorithm,
                r.pending_fingerprint,
                r.pending_public_key,
                r.pending_seen_at,
            ) {
                (Some(a), Some(f), Some(k), Some(t)) => Some(key_info(a, f, k, t)),
                _ => None,
            };
            (
                Some(key_info(
                    r.algorithm,
                    r.fingerprint_sha256,
                    r.public_key,
                    r.first_seen,
                )),
                pending,
            )
        }
    };
    Ok(HostKeyResponse {
        server_id: server_id.to_owned(),
        pinned,
        pending,
    })
}

/// The machine's pinned SSH host key and any refused replacement (extension).
#[utoipa::path(get, path = "/servers/{server_id}/ssh/host-key", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = HostKeyResponse), (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn get_host_key(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<HostKeyResponse>> {
    require_server(&state, &server_id).await?;
    Ok(Json(host_key_response(&state, &server_id).await?))
}

impl Validate for HostKeyAcceptRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("fingerprint_sha256", &self.fingerprint_sha256, 8, 128);
    }
}

/// Accept the refused host key whose fingerprint the operator checked
/// (extension): it becomes the pin and the `host_key_changed` alert
/// resolves. 409 when that key is not the pending one.
#[utoipa::path(post, path = "/servers/{server_id}/ssh/host-key/accept", tag = "Servers",
    params(("server_id" = String, Path)), request_body = HostKeyAcceptRequest,
    responses((status = 200, body = HostKeyResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn accept_host_key(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<HostKeyAcceptRequest>,
) -> ApiResult<Json<HostKeyResponse>> {
    require_server(&state, &server_id).await?;
    let fp = body.fingerprint_sha256.trim();
    if !state
        .executor
        .accept_host_key(&server_id, fp, API_ACTOR)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "no refused host key with fingerprint {fp} is pending for '{server_id}' \
             (GET /api/v1/servers/{server_id}/ssh/host-key shows it)"
        )));
    }
    Ok(Json(host_key_response(&state, &server_id).await?))
}
