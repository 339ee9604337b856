//! Configuration pack endpoints: the loaded packs, per-machine assignments,
//! compliance checks over SSH (stored), their history and diff, and the
//! fleet summary. Pure logic in `packs::fleet`, SQL in `db::packs`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError};
use homelabcmd_protocol::packs::{
    ApplyInitiatedResponse, ApplyPreviewResponse, ApplyRequest, ApplyStatus, ApplyStatusResponse,
    ComplianceSummaryResponse, ConfigCheckHistoryItem, ConfigCheckHistoryResponse,
    ConfigCheckRequest, ConfigCheckResponse, ConfigDiffResponse, ConfigPack,
    ConfigPackListResponse, DiffMismatchItem, DiffSummary, PackAssignmentRequest,
    PackAssignmentResponse, RemovePreviewResponse, RemoveRequest, RemoveResponse,
};
use serde::Deserialize;

use crate::compliance::apply;
use crate::compliance::{self, CheckError};
use crate::db::{self, now_ms, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::exec_error;
use crate::http::extract::int_param;
use crate::http::validate::{ApiJson, Checker, Validate};
use crate::notify::Outbox;
use crate::remote::executor::{ExecError, Wait};
use crate::state::AppState;
use homelabcmd_core::packs::fleet::{self, AssignmentError};
use homelabcmd_ssh::SshError;

/// Who the audit trail names for API calls (there is one API key).
const API_ACTOR: &str = "api";

impl Validate for PackAssignmentRequest {
    fn validate(&self, c: &mut Checker) {
        if self.packs.is_empty() {
            c.fail(
                "packs",
                "List should have at least 1 item after validation, not 0",
                "too_short",
            );
        }
        for p in &self.packs {
            if p.is_empty() || p.len() > 64 {
                c.fail(
                    "packs",
                    "Pack names are 1 to 64 characters",
                    "string_length",
                );
                break;
            }
        }
    }
}

impl Validate for ConfigCheckRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("pack_name", &self.pack_name, 1, 64);
    }
}

async fn assignment(state: &AppState, id: &str) -> ApiResult<db::packs::AssignmentRow> {
    db::packs::assignment(&state.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", id))
}

fn assignment_response(server_id: String, row: db::packs::AssignmentRow) -> PackAssignmentResponse {
    let assigned_packs = fleet::assigned_packs(row.packs.as_deref(), row.machine_type);
    PackAssignmentResponse {
        server_id,
        assigned_packs,
        drift_detection_enabled: row.drift_detection_enabled,
    }
}

fn pack_not_found(name: &str) -> ApiError {
    ApiError::not_found("Pack", name)
}

/// Every valid pack (bad ones were logged and skipped at start).
#[utoipa::path(get, path = "/config/packs", tag = "Configuration",
    responses((status = 200, body = ConfigPackListResponse)))]
#[tracing::instrument(skip_all)]
pub async fn list_config_packs(State(state): State<AppState>) -> Json<ConfigPackListResponse> {
    let packs = fleet::list(&state.packs);
    Json(ConfigPackListResponse {
        total: packs.len() as i64,
        packs,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PackQuery {
    /// Include items inherited through `extends` (default true).
    resolve_extends: Option<String>,
}

/// One pack, with inherited items merged in unless `resolve_extends=false`.
#[utoipa::path(get, path = "/config/packs/{pack_name}", tag = "Configuration",
    params(("pack_name" = String, Path), PackQuery),
    responses((status = 200, body = ConfigPack), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(pack_name = %pack_name))]
pub async fn get_config_pack(
    State(state): State<AppState>,
    Path(pack_name): Path<String>,
    Query(q): Query<PackQuery>,
) -> ApiResult<Json<ConfigPack>> {
    let resolve = match q.resolve_extends.as_deref().map(str::trim) {
        None => true,
        Some("true" | "1" | "yes" | "on") => true,
        Some("false" | "0" | "no" | "off") => false,
        Some(_) => {
            return Err(ApiError::invalid(
                &["query", "resolve_extends"],
                "Input should be a valid boolean",
                "bool_parsing",
            ));
        }
    };
    fleet::pack_view(&state.packs, &pack_name, resolve)
        .map(Json)
        .ok_or_else(|| pack_not_found(&pack_name))
}

/// A machine's packs; with none assigned, the machine-type default
/// (docs/API.md).
#[utoipa::path(get, path = "/servers/{server_id}/config/packs", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = PackAssignmentResponse), (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn get_assigned_packs(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<PackAssignmentResponse>> {
    let row = assignment(&state, &server_id).await?;
    Ok(Json(assignment_response(server_id, row)))
}

/// Replace a machine's packs (`base` required, every name a loaded pack).
#[utoipa::path(put, path = "/servers/{server_id}/config/packs", tag = "Servers",
    params(("server_id" = String, Path)), request_body = PackAssignmentRequest,
    responses((status = 200, body = PackAssignmentResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn update_assigned_packs(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<PackAssignmentRequest>,
) -> ApiResult<Json<PackAssignmentResponse>> {
    assignment(&state, &server_id).await?;
    let packs = fleet::validate_assignment(&body.packs, &state.packs).map_err(|e| match e {
        AssignmentError::BaseRequired => ApiError::Coded(
            StatusCode::BAD_REQUEST,
            "BASE_PACK_REQUIRED",
            "Base pack is required and cannot be removed".into(),
        ),
        AssignmentError::Unknown(p) => ApiError::Coded(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_PACK",
            format!("Unknown pack: {p}"),
        ),
    })?;
    db::packs::set_assignment(
        &state.db,
        &server_id,
        &packs,
        body.drift_detection_enabled,
        now_ms(),
    )
    .await?;
    let row = assignment(&state, &server_id).await?;
    Ok(Json(assignment_response(server_id, row)))
}

/// The contract answers 503 when the machine cannot be reached over SSH.
fn check_exec_error(e: ExecError) -> ApiError {
    match e {
        ExecError::Ssh(
            s @ (SshError::ConnectFailed { .. }
            | SshError::ConnectTimeout { .. }
            | SshError::AuthFailed { .. }),
        ) => ApiError::Coded(
            StatusCode::SERVICE_UNAVAILABLE,
            "SSH_UNAVAILABLE",
            s.to_string(),
        ),
        other => exec_error(other),
    }
}

/// Check a machine against a pack over SSH (one read-only script, audited
/// as `config_check`), store the result and return it.
#[utoipa::path(post, path = "/servers/{server_id}/config/check", tag = "Configuration",
    params(("server_id" = String, Path)), request_body = ConfigCheckRequest,
    responses((status = 200, body = ConfigCheckResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 503, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn check_server_compliance(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<ConfigCheckRequest>,
) -> ApiResult<Json<ConfigCheckResponse>> {
    assignment(&state, &server_id).await?;
    let pack = state
        .packs
        .get(&body.pack_name)
        .ok_or_else(|| pack_not_found(&body.pack_name))?;
    let c = compliance::run_check(
        &Outbox::from(&state),
        &state.executor,
        &server_id,
        pack,
        API_ACTOR,
        Wait::Yes,
    )
    .await
    .map_err(check_error)?;
    let (verdict, checked_at, duration_ms) = (c.verdict, c.checked_at, c.duration_ms);
    Ok(Json(ConfigCheckResponse {
        server_id,
        pack_name: pack.id.clone(),
        is_compliant: verdict.is_compliant(),
        mismatches: verdict.mismatches.iter().map(fleet::to_mismatch).collect(),
        checked_at: to_dt(checked_at),
        check_duration_ms: duration_ms,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// How many checks (1–100, default 10).
    limit: Option<String>,
}

/// A machine's checks, newest first.
#[utoipa::path(get, path = "/servers/{server_id}/config/checks", tag = "Configuration",
    params(("server_id" = String, Path), HistoryQuery),
    responses((status = 200, body = ConfigCheckHistoryResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn get_server_compliance_history(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<ConfigCheckHistoryResponse>> {
    let limit = int_param("limit", q.limit.as_deref(), 10, 1, 100)?;
    assignment(&state, &server_id).await?;
    let rows = db::packs::history(&state.db.read, &server_id, limit).await?;
    let total = db::packs::count_checks(&state.db.read, &server_id).await?;
    Ok(Json(ConfigCheckHistoryResponse {
        server_id,
        checks: rows
            .into_iter()
            .map(|r| ConfigCheckHistoryItem {
                id: r.id,
                pack_name: r.pack_name,
                is_compliant: r.is_compliant,
                mismatch_count: r.mismatch_count,
                checked_at: to_dt(r.checked_at),
                check_duration_ms: r.check_duration_ms,
            })
            .collect(),
        total,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DiffQuery {
    /// The pack whose newest check to show (required).
    pack: Option<String>,
}

/// The newest check of a machine against a pack, with unified diffs.
#[utoipa::path(get, path = "/servers/{server_id}/config/diff", tag = "Configuration",
    params(("server_id" = String, Path), DiffQuery),
    responses((status = 200, body = ConfigDiffResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn get_config_diff(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> ApiResult<Json<ConfigDiffResponse>> {
    let Some(pack) = q.pack.filter(|p| !p.trim().is_empty()) else {
        return Err(ApiError::invalid(
            &["query", "pack"],
            "Field required",
            "missing",
        ));
    };
    assignment(&state, &server_id).await?;
    let row = db::packs::latest_check(&state.db.read, &server_id, &pack)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "No compliance check of server '{server_id}' against pack '{pack}'"
            ))
        })?;
    let mismatches: Vec<DiffMismatchItem> = serde_json::from_str(&row.mismatches).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "stored mismatches of check {}: {e}",
            row.id
        ))
    })?;
    Ok(Json(ConfigDiffResponse {
        server_id,
        pack_name: row.pack_name,
        is_compliant: row.is_compliant,
        summary: DiffSummary {
            total_items: row.total_items,
            compliant: (row.total_items - row.mismatched_items).max(0),
            mismatched: row.mismatched_items,
        },
        mismatches,
        checked_at: to_dt(row.checked_at),
    }))
}

/// Every machine's compliance (never-checked ones included).
#[utoipa::path(get, path = "/config/compliance", tag = "Configuration",
    responses((status = 200, body = ComplianceSummaryResponse)))]
#[tracing::instrument(skip_all)]
pub async fn get_compliance_summary(
    State(state): State<AppState>,
) -> ApiResult<Json<ComplianceSummaryResponse>> {
    let machines: Vec<fleet::Machine> = db::packs::machines(&state.db.read)
        .await?
        .into_iter()
        .map(|m| fleet::Machine {
            display_name: m.display_name.unwrap_or(m.hostname),
            id: m.id,
        })
        .collect();
    let latest: Vec<fleet::Latest> = db::packs::latest_checks(&state.db.read)
        .await?
        .into_iter()
        .map(|l| fleet::Latest {
            server_id: l.server_id,
            pack_name: l.pack_name,
            is_compliant: l.is_compliant,
            mismatch_count: l.mismatch_count,
            checked_at: to_dt(l.checked_at),
        })
        .collect();
    Ok(Json(fleet::summarize(&machines, &latest)))
}

impl Validate for ApplyRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("pack_name", &self.pack_name, 1, 64);
    }
}

impl Validate for RemoveRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("pack_name", &self.pack_name, 1, 64);
    }
}

/// A dry run's plan, or a started run.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum ApplyAnswer {
    Started(ApplyInitiatedResponse),
    Preview(ApplyPreviewResponse),
}

/// Apply a pack: with `dry_run` the plan from a fresh check (nothing
/// changes); otherwise a background run to poll at
/// `.../config/apply/{apply_id}` (409 while one runs on the machine).
#[utoipa::path(post, path = "/servers/{server_id}/config/apply", tag = "Configuration",
    params(("server_id" = String, Path)), request_body = ApplyRequest,
    responses((status = 202, description = "ApplyInitiatedResponse, or ApplyPreviewResponse for a dry run",
            body = ApplyInitiatedResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 503, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn apply_config_pack(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<ApplyRequest>,
) -> ApiResult<(StatusCode, Json<ApplyAnswer>)> {
    assignment(&state, &server_id).await?;
    let pack = state
        .packs
        .get(&body.pack_name)
        .ok_or_else(|| pack_not_found(&body.pack_name))?;
    if body.dry_run {
        let preview = apply::preview(
            &Outbox::from(&state),
            &state.executor,
            &server_id,
            pack,
            API_ACTOR,
        )
        .await
        .map_err(check_error)?;
        return Ok((StatusCode::ACCEPTED, Json(ApplyAnswer::Preview(preview))));
    }
    let row = apply::start(&state, &server_id, pack.clone(), API_ACTOR)
        .await
        .map_err(|e| match e {
            apply::StartError::Busy(_) => {
                ApiError::Coded(StatusCode::CONFLICT, "APPLY_RUNNING", e.to_string())
            }
            apply::StartError::Db(e) => e.into(),
        })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ApplyAnswer::Started(ApplyInitiatedResponse {
            apply_id: row.id,
            started_at: Some(to_dt(row.started_at)),
            server_id: row.server_id,
            pack_name: row.pack_name,
            status: ApplyStatus::Running,
        })),
    ))
}

/// Progress and per-item results of an apply run.
#[utoipa::path(get, path = "/servers/{server_id}/config/apply/{apply_id}", tag = "Configuration",
    params(("server_id" = String, Path), ("apply_id" = i64, Path)),
    responses((status = 200, body = ApplyStatusResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn get_apply_status(
    State(state): State<AppState>,
    Path((server_id, apply_id)): Path<(String, String)>,
) -> ApiResult<Json<ApplyStatusResponse>> {
    let id: i64 = apply_id.trim().parse().map_err(|_| {
        ApiError::invalid(
            &["path", "apply_id"],
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
        )
    })?;
    let row = db::packs::apply_run(&state.db.read, &server_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No apply run {id} for server '{server_id}'")))?;
    Ok(Json(apply::status_response(row)))
}

/// A removal preview, or the removal.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum RemoveAnswer {
    Done(RemoveResponse),
    Preview(RemovePreviewResponse),
}

/// Remove a pack from a machine: without `confirm` what would happen;
/// with it, the pack's own managed files are deleted or restored from
/// their backups, its environment variables dropped, its packages left
/// installed, and the pack leaves the machine's assignment (`base` stays).
#[utoipa::path(delete, path = "/servers/{server_id}/config/apply", tag = "Configuration",
    params(("server_id" = String, Path)), request_body = RemoveRequest,
    responses((status = 200, description = "RemoveResponse, or RemovePreviewResponse without confirm",
            body = RemoveResponse),
        (status = 404, body = ErrorResponse), (status = 503, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id))]
pub async fn remove_config_pack(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<RemoveRequest>,
) -> ApiResult<Json<RemoveAnswer>> {
    assignment(&state, &server_id).await?;
    let own = state
        .packs
        .own
        .get(&body.pack_name)
        .filter(|_| state.packs.get(&body.pack_name).is_some())
        .ok_or_else(|| pack_not_found(&body.pack_name))?;
    let (assigned, others) = apply::other_packs(&state, &server_id, &body.pack_name).await?;
    let removal = apply::removal(&own.doc.items, &others);
    if !body.confirm {
        return Ok(Json(RemoveAnswer::Preview(apply::remove_preview(
            &server_id,
            &body.pack_name,
            &removal,
        ))));
    }
    let done = apply::remove(
        &state.db,
        &state.executor,
        &server_id,
        &body.pack_name,
        &removal,
        &assigned,
        API_ACTOR,
    )
    .await
    .map_err(check_exec_error)?;
    Ok(Json(RemoveAnswer::Done(done)))
}

fn check_error(e: CheckError) -> ApiError {
    match e {
        CheckError::Exec(e) => check_exec_error(e),
        CheckError::Db(e) => e.into(),
    }
}
