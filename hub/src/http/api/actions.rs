//! `/actions`: remediation actions (create, list, get, approve, reject,
//! cancel) and `/servers/{id}/services/{name}/restart`. The lifecycle is in
//! `crate::actions::lifecycle`; execution runs in the background over the executor.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use homelabcmd_protocol::actions::{
    ActionCreate, ActionType, DuplicateActionError, RejectActionRequest, RestartActionResponse,
};
use homelabcmd_protocol::api::{
    ActionListResponse, ActionResponse, ErrorResponse, HttpValidationError,
};
use serde::Deserialize;

use crate::actions::{lifecycle, to_response};
use crate::db::actions::{ActionFilter, Inserted};
use crate::db::{self, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::int_param;
use crate::http::validate::{ApiJson, Checker, Validate, accepted};
use crate::state::AppState;
use homelabcmd_core::catalog::{self};

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
        c.known(
            "action_type",
            Some(&self.action_type),
            ActionType::REMEDIATION,
        );
        c.opt_len("service_name", self.service_name.as_deref(), 255);
        c.range_i64("alert_id", self.alert_id, 1, None);
        c.opt_len("command_name", self.command_name.as_deref(), 64);
    }
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
    let action_type = accepted("action_type", &body.action_type)?;
    let created = lifecycle::create(
        &state,
        &body.server_id,
        action_type,
        |security| {
            catalog::for_action_type(
                action_type,
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

/// One action.
#[utoipa::path(get, path = "/actions/{action_id}", tag = "Actions",
    params(("action_id" = i64, Path)),
    responses((status = 200, body = ActionResponse), (status = 404, body = ErrorResponse)))]
#[tracing::instrument(skip_all, fields(action_id))]
pub async fn get_action(
    State(state): State<AppState>,
    Path(action_id): Path<i64>,
) -> ApiResult<Json<ActionResponse>> {
    Ok(Json(to_response(lifecycle::load(&state, action_id).await?)))
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
    let row = lifecycle::approve(&state, action_id).await?;
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
    Ok(Json(to_response(
        lifecycle::reject(&state, action_id, &body.reason).await?,
    )))
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
    Ok(Json(to_response(
        lifecycle::cancel(&state, action_id).await?,
    )))
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
    let created = lifecycle::create(
        &state,
        &server_id,
        ActionType::RestartService,
        |_| {
            catalog::for_action_type(
                ActionType::RestartService,
                Some(&service_name),
                &[],
                None,
                &custom,
            )
        },
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
