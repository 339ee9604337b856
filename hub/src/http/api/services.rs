use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homelabcmd_protocol::api::{
    ErrorResponse, ExpectedServiceCreate, ExpectedServiceListResponse, ExpectedServiceResponse,
    ExpectedServiceUpdate, HttpValidationError, ServiceCurrentStatus,
};
use homelabcmd_protocol::heartbeat::ServiceStatusPayload;

use crate::db::services::ExpectedServiceRow;
use crate::db::{self, opt_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::validate::{ApiJson, Checker, Validate, is_service_name};
use crate::state::AppState;

/// The newest statuses the agent reported, and when.
async fn reported(
    state: &AppState,
    server_id: &str,
) -> ApiResult<(Vec<ServiceStatusPayload>, Option<i64>)> {
    let row = db::servers::get(&state.db.read, server_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", server_id))?;
    let services = row
        .services
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    Ok((services, row.latest_sample_at))
}

fn to_response(
    row: ExpectedServiceRow,
    reported: &[ServiceStatusPayload],
    reported_at: Option<i64>,
) -> ExpectedServiceResponse {
    let current_status = reported
        .iter()
        .find(|s| s.name == row.service_name)
        .zip(opt_dt(reported_at))
        .map(|(s, at)| ServiceCurrentStatus {
            status: s.status.clone(),
            status_reason: s.status_reason.clone(),
            pid: s.pid,
            memory_mb: s.memory_mb,
            cpu_percent: s.cpu_percent,
            last_seen: at,
        });
    ExpectedServiceResponse {
        service_name: row.service_name,
        display_name: row.display_name,
        is_critical: row.is_critical,
        enabled: row.enabled,
        current_status,
    }
}

/// Services expected on a machine, with their newest reported status.
#[utoipa::path(get, path = "/servers/{server_id}/services", tag = "Services",
    params(("server_id" = String, Path)),
    responses((status = 200, body = ExpectedServiceListResponse), (status = 404, body = ErrorResponse)))]
pub async fn list_services(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<ExpectedServiceListResponse>> {
    let (rep, at) = reported(&state, &server_id).await?;
    let services: Vec<_> = db::services::list(&state.db, &server_id)
        .await?
        .into_iter()
        .map(|r| to_response(r, &rep, at))
        .collect();
    Ok(Json(ExpectedServiceListResponse {
        total: services.len() as i64,
        services,
    }))
}

/// Expect a service on a machine.
#[utoipa::path(post, path = "/servers/{server_id}/services", tag = "Services",
    params(("server_id" = String, Path)), request_body = ExpectedServiceCreate,
    responses((status = 201, body = ExpectedServiceResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
pub async fn create_service(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<ExpectedServiceCreate>,
) -> ApiResult<(StatusCode, Json<ExpectedServiceResponse>)> {
    let (rep, at) = reported(&state, &server_id).await?;
    let created = db::services::create(
        &state.db,
        &server_id,
        &body.service_name,
        body.display_name.as_deref(),
        body.is_critical,
    )
    .await?;
    if !created {
        return Err(ApiError::Conflict(format!(
            "Service '{}' is already expected on '{server_id}'",
            body.service_name
        )));
    }
    let row = db::services::get(&state.db, &server_id, &body.service_name)
        .await?
        .ok_or_else(|| ApiError::not_found("Service", &body.service_name))?;
    Ok((StatusCode::CREATED, Json(to_response(row, &rep, at))))
}

/// Change an expected service.
#[utoipa::path(put, path = "/servers/{server_id}/services/{service_name}", tag = "Services",
    params(("server_id" = String, Path), ("service_name" = String, Path)),
    request_body = ExpectedServiceUpdate,
    responses((status = 200, body = ExpectedServiceResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn update_service(
    State(state): State<AppState>,
    Path((server_id, service_name)): Path<(String, String)>,
    ApiJson(body): ApiJson<ExpectedServiceUpdate>,
) -> ApiResult<Json<ExpectedServiceResponse>> {
    let (rep, at) = reported(&state, &server_id).await?;
    let updated = db::services::update(
        &state.db,
        &server_id,
        &service_name,
        body.display_name.as_deref(),
        body.is_critical,
        body.enabled,
    )
    .await?;
    if !updated {
        return Err(ApiError::not_found("Service", &service_name));
    }
    let row = db::services::get(&state.db, &server_id, &service_name)
        .await?
        .ok_or_else(|| ApiError::not_found("Service", &service_name))?;
    Ok(Json(to_response(row, &rep, at)))
}

/// Stop expecting a service.
#[utoipa::path(delete, path = "/servers/{server_id}/services/{service_name}", tag = "Services",
    params(("server_id" = String, Path), ("service_name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorResponse)))]
pub async fn delete_service(
    State(state): State<AppState>,
    Path((server_id, service_name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    reported(&state, &server_id).await?;
    if !db::services::delete(&state.db, &server_id, &service_name).await? {
        return Err(ApiError::not_found("Service", &service_name));
    }
    Ok(StatusCode::NO_CONTENT)
}

impl Validate for ExpectedServiceCreate {
    fn validate(&self, c: &mut Checker) {
        c.len("service_name", &self.service_name, 1, 255);
        c.pattern(
            "service_name",
            is_service_name(&self.service_name),
            "^[a-z0-9@._-]+$",
        );
        c.opt_len("display_name", self.display_name.as_deref(), 255);
    }
}

impl Validate for ExpectedServiceUpdate {
    fn validate(&self, c: &mut Checker) {
        c.opt_len("display_name", self.display_name.as_deref(), 255);
    }
}
