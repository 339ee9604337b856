//! `/actions`: remediation actions (create, list, get, approve, reject,
//! cancel) and `/servers/{id}/services/{name}/restart`. The lifecycle is in
//! `crate::actions`; execution runs in the background over the executor.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use homelabcmd_protocol::actions::{
    ActionCreate, DuplicateActionError, RejectActionRequest, RestartActionResponse,
};
use homelabcmd_protocol::api::{
    ActionListResponse, ActionResponse, ErrorResponse, HttpValidationError,
};
use serde::Deserialize;

use super::servers::int_param;
use crate::actions::{canonical_command, spawn_execution};
use crate::audit::{AuditEntry, Outcome};
use crate::catalog::{self, CatalogAction};
use crate::db::actions::{ActionFilter, ActionRow, Inserted, NewAction};
use crate::db::{self, opt_dt, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::{ApiJson, Checker, Validate};

/// Who approves/rejects through the API (HomelabCmd's name for it).
const OPERATOR: &str = "dashboard";
/// Action types `/actions` accepts: the contract's five, and `reboot` and
/// `custom` (extensions).
const ACTION_TYPES: &[&str] = &[
    "restart_service",
    "clear_logs",
    "apt_update",
    "apt_upgrade_all",
    "apt_upgrade_security",
    "reboot",
    "custom",
];

pub fn to_response(a: ActionRow) -> ActionResponse {
    ActionResponse {
        id: a.id,
        server_id: a.server_id,
        action_type: a.action_type,
        status: a.status,
        service_name: a.service_name,
        command: a.command,
        alert_id: a.alert_id,
        created_at: to_dt(a.created_at),
        created_by: a.created_by,
        approved_at: opt_dt(a.approved_at),
        approved_by: a.approved_by,
        rejected_at: opt_dt(a.rejected_at),
        rejected_by: a.rejected_by,
        rejection_reason: a.rejection_reason,
        executed_at: opt_dt(a.executed_at),
        completed_at: opt_dt(a.completed_at),
        exit_code: a.exit_code,
        stdout: a.stdout,
        stderr: a.stderr,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ActionListQuery {
    /// Filter by status.
    status: Option<String>,
    /// Filter by machine.
    server_id: Option<String>,
    /// Filter by action type.
    action_type: Option<String>,
    /// Page size, 1–100 (default 50).
    limit: Option<String>,
    /// Results to skip (default 0).
    offset: Option<String>,
}

/// All remediation actions, newest first.
#[utoipa::path(get, path = "/actions", tag = "Actions", params(ActionListQuery),
    responses((status = 200, body = ActionListResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all)]
pub async fn list_actions(
    State(state): State<AppState>,
    Query(q): Query<ActionListQuery>,
) -> ApiResult<Json<ActionListResponse>> {
    let limit = int_param("limit", q.limit.as_deref(), 50, 1, 100)?;
    let offset = int_param("offset", q.offset.as_deref(), 0, 0, i64::MAX)?;
    let filter = ActionFilter {
        status: q.status.as_deref(),
        server_id: q.server_id.as_deref(),
        action_type: q.action_type.as_deref(),
    };
    let (rows, total) = db::actions::list_all(&state.db, &filter, limit, offset).await?;
    Ok(Json(ActionListResponse {
        actions: rows.into_iter().map(to_response).collect(),
        total,
        limit,
        offset,
    }))
}

impl Validate for ActionCreate {
    fn validate(&self, c: &mut Checker) {
        c.len("server_id", &self.server_id, 1, 100);
        c.one_of("action_type", Some(&self.action_type), ACTION_TYPES);
        c.opt_len("service_name", self.service_name.as_deref(), 255);
        c.range_i64("alert_id", self.alert_id, 1, None);
        c.opt_len("command_name", self.command_name.as_deref(), 64);
    }
}

/// Build the catalog action (a refusal is audited and answered 403), store
/// the row (approved by `auto` unless the machine is paused) and start it.
async fn create(
    state: &AppState,
    server_id: &str,
    action_type: &str,
    build: impl FnOnce(&[String]) -> Result<CatalogAction, catalog::Rejection>,
    alert_id: Option<i64>,
) -> ApiResult<Inserted> {
    let server = db::servers::get(&state.db.read, server_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", server_id))?;
    let security: Vec<String> = db::packages::list(&state.db, server_id)
        .await?
        .into_iter()
        .filter(|p| p.is_security)
        .map(|p| p.name)
        .collect();
    let action = match build(&security) {
        Ok(a) => a,
        Err(rej) => {
            state
                .executor
                .audit_rejected(OPERATOR, server_id, action_type, &rej.reason)
                .await?;
            return Err(ApiError::Forbidden(rej.reason));
        }
    };
    let command = canonical_command(&action);
    let service_name = match &action {
        CatalogAction::Service { unit, .. } => Some(unit.as_str()),
        CatalogAction::Container { name, .. } => Some(name.as_str()),
        _ => None,
    };
    let approved_by = (!server.is_paused).then_some("auto");
    let mut audit = AuditEntry::new(OPERATOR, Some(server_id), "action_create", Outcome::Allowed);
    audit.argv = Some(action.argv());
    audit.reason = Some(format!(
        "{} ({})",
        action.summary(),
        if server.is_paused {
            "machine in maintenance: awaiting approval"
        } else {
            "auto-approved"
        }
    ));
    let new = NewAction {
        server_id,
        action_type,
        service_name,
        command: &command,
        alert_id,
        created_by: OPERATOR,
        approved_by,
    };
    let inserted = db::actions::insert(&state.db, &new, &audit).await?;
    if let Inserted::Created(row) = &inserted
        && row.status == "approved"
    {
        spawn_execution(state.clone(), row.id);
    }
    Ok(inserted)
}

/// Create an action: runs at once on a normal machine, waits for approval
/// on a paused one. 403 when the catalog refuses it, 409 when the same
/// command is already queued or running there.
#[utoipa::path(post, path = "/actions", tag = "Actions", request_body = ActionCreate,
    responses((status = 201, body = ActionResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %body.server_id, action_type = %body.action_type))]
pub async fn create_action(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ActionCreate>,
) -> ApiResult<(StatusCode, Json<ActionResponse>)> {
    let custom = state.config.commands.clone();
    let created = create(
        &state,
        &body.server_id,
        &body.action_type,
        |security| {
            catalog::for_action_type(
                &body.action_type,
                body.service_name.as_deref(),
                security,
                body.command_name.as_deref(),
                &custom,
            )
        },
        body.alert_id,
    )
    .await?;
    match created {
        Inserted::Created(row) => Ok((StatusCode::CREATED, Json(to_response(*row)))),
        Inserted::Duplicate(id) => Err(ApiError::Conflict(format!(
            "The same action is already pending for this server (action {id})"
        ))),
    }
}

async fn load(state: &AppState, id: i64) -> ApiResult<ActionRow> {
    db::actions::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Action", &id.to_string()))
}

/// A transition that did not apply: 404 if the action does not exist, else
/// 409 naming its status.
async fn refused(state: &AppState, id: i64, what: &str, allowed: &str) -> ApiError {
    match load(state, id).await {
        Ok(row) => ApiError::Conflict(format!(
            "Cannot {what} action {id}: it is '{}' (only {allowed} actions can be)",
            row.status
        )),
        Err(e) => e,
    }
}

/// One action.
#[utoipa::path(get, path = "/actions/{action_id}", tag = "Actions",
    params(("action_id" = i64, Path)),
    responses((status = 200, body = ActionResponse), (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(action_id))]
pub async fn get_action(
    State(state): State<AppState>,
    Path(action_id): Path<i64>,
) -> ApiResult<Json<ActionResponse>> {
    Ok(Json(to_response(load(&state, action_id).await?)))
}

fn entry(row_server: Option<&str>, action: &str, outcome: Outcome, reason: String) -> AuditEntry {
    let mut e = AuditEntry::new(OPERATOR, row_server, action, outcome);
    e.reason = Some(reason);
    e
}

/// pending → approved, then it runs in the background.
#[utoipa::path(post, path = "/actions/{action_id}/approve", tag = "Actions",
    params(("action_id" = i64, Path)),
    responses((status = 200, body = ActionResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(action_id))]
pub async fn approve_action(
    State(state): State<AppState>,
    Path(action_id): Path<i64>,
) -> ApiResult<Json<ActionResponse>> {
    let server = load(&state, action_id).await?.server_id;
    let audit = entry(
        Some(&server),
        "action_approve",
        Outcome::Allowed,
        format!("action {action_id} approved"),
    );
    let Some(row) = db::actions::approve(&state.db, action_id, OPERATOR, &audit).await? else {
        return Err(refused(&state, action_id, "approve", "pending").await);
    };
    spawn_execution(state.clone(), row.id);
    Ok(Json(to_response(row)))
}

impl Validate for RejectActionRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("reason", &self.reason, 1, 1000);
    }
}

/// pending → rejected, with a reason.
#[utoipa::path(post, path = "/actions/{action_id}/reject", tag = "Actions",
    params(("action_id" = i64, Path)), request_body = RejectActionRequest,
    responses((status = 200, body = ActionResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(action_id))]
pub async fn reject_action(
    State(state): State<AppState>,
    Path(action_id): Path<i64>,
    ApiJson(body): ApiJson<RejectActionRequest>,
) -> ApiResult<Json<ActionResponse>> {
    let server = load(&state, action_id).await?.server_id;
    let audit = entry(
        Some(&server),
        "action_reject",
        Outcome::Rejected,
        format!("action {action_id} rejected: {}", body.reason),
    );
    match db::actions::reject(&state.db, action_id, OPERATOR, &body.reason, &audit).await? {
        Some(row) => Ok(Json(to_response(row))),
        None => Err(refused(&state, action_id, "reject", "pending").await),
    }
}

/// pending or approved (not started) → cancelled.
#[utoipa::path(post, path = "/actions/{action_id}/cancel", tag = "Actions",
    params(("action_id" = i64, Path)),
    responses((status = 200, body = ActionResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(action_id))]
pub async fn cancel_action(
    State(state): State<AppState>,
    Path(action_id): Path<i64>,
) -> ApiResult<Json<ActionResponse>> {
    let server = load(&state, action_id).await?.server_id;
    let audit = entry(
        Some(&server),
        "action_cancel",
        Outcome::Rejected,
        format!("action {action_id} cancelled"),
    );
    match db::actions::cancel(&state.db, action_id, OPERATOR, &audit).await? {
        Some(row) => Ok(Json(to_response(row))),
        None => Err(refused(&state, action_id, "cancel", "pending or approved").await),
    }
}

/// Queue a restart of one service. 409 (`DuplicateActionError`) when a
/// restart of it is already queued or running.
#[utoipa::path(post, path = "/servers/{server_id}/services/{service_name}/restart", tag = "Services",
    params(("server_id" = String, Path), ("service_name" = String, Path)),
    responses((status = 201, body = RestartActionResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = DuplicateActionError), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %server_id, service_name = %service_name))]
pub async fn restart_service(
    State(state): State<AppState>,
    Path((server_id, service_name)): Path<(String, String)>,
) -> ApiResult<Response> {
    if !catalog::is_unit_name(&service_name) {
        return Err(ApiError::invalid(
            &["path", "service_name"],
            "String should match pattern '^[A-Za-z0-9@._:-]{1,128}$' (no leading '-' or '.')",
            "string_pattern_mismatch",
        ));
    }
    let custom = state.config.commands.clone();
    let created = create(
        &state,
        &server_id,
        "restart_service",
        |_| catalog::for_action_type("restart_service", Some(&service_name), &[], None, &custom),
        None,
    )
    .await?;
    Ok(match created {
        Inserted::Created(row) => (
            StatusCode::CREATED,
            Json(RestartActionResponse {
                action_id: row.id,
                action_type: row.action_type,
                server_id: row.server_id,
                service_name,
                command: row.command,
                status: row.status,
                created_at: to_dt(row.created_at),
            }),
        )
            .into_response(),
        Inserted::Duplicate(id) => (
            StatusCode::CONFLICT,
            Json(DuplicateActionError {
                detail: "A restart action for this service is already pending".into(),
                existing_action_id: id,
            }),
        )
            .into_response(),
    })
}
