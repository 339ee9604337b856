//! `/servers/{id}/credentials`: per-machine SSH secrets. Values are
//! encrypted before storage and never returned; responses say only whether
//! each type is set, and where (this machine or the global default).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError};
use homelabcmd_protocol::ssh::{
    DeleteServerCredentialResponse, ServerCredentialStatus, ServerCredentialsResponse,
    StoreServerCredentialRequest, StoreServerCredentialResponse,
};

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::cipher;
use crate::http::validate::{ApiJson, Checker, Validate};
use crate::remote::crypto::credential_context;
use crate::state::AppState;
use homelabcmd_core::audit::{AuditEntry, AuditOutcome};
use homelabcmd_core::credentials::{
    CredentialScope, CredentialType, inspect_private_key, scope_of,
};
use homelabcmd_protocol::names::UnknownName;

/// The credential type named in a body or path, or the contract's 400.
fn credential_type(s: &str) -> ApiResult<CredentialType> {
    s.parse().map_err(|e: UnknownName| {
        ApiError::Coded(
            StatusCode::BAD_REQUEST,
            "INVALID_CREDENTIAL_TYPE",
            format!(
                "Invalid credential type '{}'. Valid types: {}",
                s.escape_default(),
                e.expected.join(", ")
            ),
        )
    })
}

async fn require_server(state: &AppState, id: &str) -> ApiResult<db::servers::ServerRow> {
    db::servers::get(&state.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", id))
}

impl Validate for StoreServerCredentialRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("credential_type", self.credential_type.as_str(), 1, 64);
        // Length only: the message never echoes the value.
        c.len("value", &self.value, 1, 64 * 1024);
    }
}

/// Which credential types a machine has, and from where.
#[utoipa::path(get, path = "/servers/{server_id}/credentials", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = ServerCredentialsResponse), (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn list_server_credentials(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<ServerCredentialsResponse>> {
    let server = require_server(&state, &server_id).await?;
    let own = db::credentials::types_set(&state.db, Some(&server_id)).await?;
    let global = db::credentials::types_set(&state.db, None).await?;
    let credentials = CredentialType::ALL
        .iter()
        .map(|&t| {
            let scope = scope_of(t, &own, &global);
            ServerCredentialStatus {
                credential_type: t,
                configured: match scope {
                    CredentialScope::PerServer | CredentialScope::Global => true,
                    CredentialScope::None => false,
                },
                scope,
            }
        })
        .collect();
    Ok(Json(ServerCredentialsResponse {
        server_id: server.id,
        ssh_username: server.ssh_username,
        sudo_mode: server.sudo_mode,
        credentials,
    }))
}

/// Store (or replace) one of a machine's secrets.
#[utoipa::path(post, path = "/servers/{server_id}/credentials", tag = "Servers",
    params(("server_id" = String, Path)), request_body = StoreServerCredentialRequest,
    responses((status = 200, body = StoreServerCredentialResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = HttpValidationError),
        (status = 503, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn store_server_credential(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<StoreServerCredentialRequest>,
) -> ApiResult<Json<StoreServerCredentialResponse>> {
    let t = credential_type(body.credential_type.as_str())?;
    require_server(&state, &server_id).await?;
    let cipher = cipher(&state)?;
    if t == CredentialType::SshPrivateKey {
        // Passphrase-protected keys are fine here (ssh_key_passphrase).
        inspect_private_key(&body.value)
            .map_err(|e| ApiError::invalid(&["body", "value"], e.to_string(), "value_error"))?;
    }
    let blob = cipher.encrypt_str(
        &credential_context(Some(&server_id), t.as_str()),
        &body.value,
    );
    let mut audit = AuditEntry::new(
        "api",
        Some(&server_id),
        "credential_store",
        AuditOutcome::Completed,
    );
    audit.reason = Some(format!("{t} stored for {server_id}"));
    db::credentials::put(&state.db, Some(&server_id), t, &blob, &audit).await?;
    tracing::info!(credential_type = %t, "credential stored");
    Ok(Json(StoreServerCredentialResponse {
        credential_type: t,
        server_id,
        message: "Credential stored successfully".into(),
    }))
}

/// Remove a machine's own secret; it falls back to the global one.
#[utoipa::path(delete, path = "/servers/{server_id}/credentials/{credential_type}", tag = "Servers",
    params(("server_id" = String, Path), ("credential_type" = String, Path)),
    responses((status = 200, body = DeleteServerCredentialResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn delete_server_credential(
    State(state): State<AppState>,
    Path((server_id, credential_type_name)): Path<(String, String)>,
) -> ApiResult<Json<DeleteServerCredentialResponse>> {
    let t = credential_type(&credential_type_name)?;
    require_server(&state, &server_id).await?;
    let mut audit = AuditEntry::new(
        "api",
        Some(&server_id),
        "credential_delete",
        AuditOutcome::Completed,
    );
    audit.reason = Some(format!("{t} deleted for {server_id}"));
    if !db::credentials::delete(&state.db, Some(&server_id), t, &audit).await? {
        return Err(ApiError::NotFound(format!(
            "No {t} credential stored for server '{server_id}'"
        )));
    }
    Ok(Json(DeleteServerCredentialResponse {
        server_id,
        credential_type: t,
        message: "Credential deleted".into(),
    }))
}
