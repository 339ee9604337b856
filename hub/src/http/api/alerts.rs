//! `/alerts`: list, pending breaches, get, acknowledge, resolve.

use axum::Json;
use axum::extract::{Path, Query, State};
use homelabcmd_protocol::alerts::{
    AlertAcknowledgeResponse, AlertListResponse, AlertResolveResponse, AlertResponse,
    PendingBreachListResponse, PendingBreachResponse,
};
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError};
use homelabcmd_protocol::heartbeat::ServiceStatusPayload;
use serde::Deserialize;

use crate::db::alerts::{AlertFilter, AlertRow};
use crate::db::{self, now_ms, opt_dt, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{int_param, name_param};
use crate::state::AppState;
use homelabcmd_protocol::alerts::{AlertStatus, Severity};

/// A service alert cannot be acknowledged or resolved by hand while the
/// service is still down: it would reopen on the next heartbeat.
async fn service_still_down(state: &AppState, row: &AlertRow) -> ApiResult<bool> {
    let active = match row.status {
        AlertStatus::Open | AlertStatus::Acknowledged => true,
        AlertStatus::Resolved => false,
    };
    let (Some(service), true) = (&row.service_name, active) else {
        return Ok(false);
    };
    let reported: Vec<ServiceStatusPayload> = db::servers::get(&state.db.read, &row.server_id)
        .await?
        .and_then(|s| s.services)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    Ok(reported
        .iter()
        .any(|s| &s.name == service && matches!(s.status.as_str(), "stopped" | "failed")))
}

async fn to_response(state: &AppState, row: AlertRow) -> ApiResult<AlertResponse> {
    let down = service_still_down(state, &row).await?;
    let suggested_action = homelabcmd_core::alerts::suggest::for_alert(
        row.alert_type,
        row.service_name.as_deref(),
        row.status,
    );
    Ok(AlertResponse {
        suggested_action,
        id: row.id,
        server_id: row.server_id,
        server_name: row.server_name,
        alert_type: row.alert_type,
        severity: row.severity,
        can_acknowledge: row.status == AlertStatus::Open && !down,
        can_resolve: row.status != AlertStatus::Resolved && !down,
        status: row.status,
        title: row.title,
        message: row.message,
        threshold_value: row.threshold_value,
        actual_value: row.actual_value,
        created_at: to_dt(row.created_at),
        acknowledged_at: opt_dt(row.acknowledged_at),
        resolved_at: opt_dt(row.resolved_at),
        auto_resolved: row.auto_resolved,
        service_name: row.service_name,
        snoozed_until: opt_dt(row.snoozed_until),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AlertQuery {
    /// `open`, `acknowledged` or `resolved`.
    status: Option<String>,
    /// `critical`, `high`, `medium` or `low`.
    severity: Option<String>,
    /// Only this machine.
    server_id: Option<String>,
    /// Page size, 1–100 (default 50).
    limit: Option<String>,
    /// Results to skip.
    offset: Option<String>,
}

/// Alerts, newest first, with filters.
#[utoipa::path(get, path = "/alerts", tag = "Alerts", params(AlertQuery),
    responses((status = 200, body = AlertListResponse), (status = 422, body = HttpValidationError)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<AlertListResponse>> {
    let limit = int_param("limit", q.limit.as_deref(), 50, 1, 100)?;
    let offset = int_param("offset", q.offset.as_deref(), 0, 0, i64::MAX)?;
    let filter = AlertFilter {
        status: name_param("status", q.status.as_deref())?,
        severity: name_param("severity", q.severity.as_deref())?,
        server_id: q.server_id.as_deref(),
    };
    let (rows, total) = db::alerts::list(&state.db, &filter, limit, offset).await?;
    let mut alerts = Vec::with_capacity(rows.len());
    for row in rows {
        alerts.push(to_response(&state, row).await?);
    }
    Ok(Json(AlertListResponse {
        alerts,
        total,
        limit,
        offset,
    }))
}

/// Breaches waiting out their sustained window.
#[utoipa::path(get, path = "/alerts/pending", tag = "Alerts",
    responses((status = 200, body = PendingBreachListResponse)))]
pub async fn list_pending(
    State(state): State<AppState>,
) -> ApiResult<Json<PendingBreachListResponse>> {
    let now = now_ms();
    let mut pending = Vec::new();
    for p in db::alerts::all_pending(&state.db).await? {
        let metric = p.metric;
        let rules = crate::alerts::runner::rules_for(&state, &p.server_id).await?;
        let rule = rules.metric(metric);
        let critical = p.last_value >= rule.critical;
        let elapsed = (now - p.first_breach_at) / 1000;
        pending.push(PendingBreachResponse {
            server_id: p.server_id,
            server_name: p.server_name,
            metric_type: p.metric,
            current_value: Some(p.last_value),
            threshold_value: if critical { rule.critical } else { rule.high },
            severity: if critical {
                Severity::Critical
            } else {
                Severity::High
            },
            first_breach_at: to_dt(p.first_breach_at),
            sustained_seconds: rule.sustained_seconds,
            elapsed_seconds: elapsed,
            time_until_alert: rule.sustained_seconds - elapsed,
        });
    }
    Ok(Json(PendingBreachListResponse {
        total: pending.len() as i64,
        pending,
    }))
}

async fn load(state: &AppState, id: i64) -> ApiResult<AlertRow> {
    db::alerts::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Alert", &id.to_string()))
}

fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| {
        ApiError::invalid(
            &["path", "alert_id"],
            "Input should be a valid integer",
            "int_parsing",
        )
    })
}

/// One alert.
#[utoipa::path(get, path = "/alerts/{alert_id}", tag = "Alerts",
    params(("alert_id" = i64, Path)),
    responses((status = 200, body = AlertResponse), (status = 404, body = ErrorResponse)))]
pub async fn get_alert(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<AlertResponse>> {
    let row = load(&state, parse_id(&raw)?).await?;
    Ok(Json(to_response(&state, row).await?))
}

/// Open → acknowledged.
#[utoipa::path(post, path = "/alerts/{alert_id}/acknowledge", tag = "Alerts",
    params(("alert_id" = i64, Path)),
    responses((status = 200, body = AlertAcknowledgeResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
pub async fn acknowledge_alert(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<AlertAcknowledgeResponse>> {
    let id = parse_id(&raw)?;
    let row = load(&state, id).await?;
    if row.status != AlertStatus::Open {
        return Err(ApiError::BadRequest(format!(
            "Alert {id} is {}, not open",
            row.status
        )));
    }
    if service_still_down(&state, &row).await? {
        return Err(ApiError::BadRequest(format!(
            "Service '{}' is still down",
            row.service_name.unwrap_or_default()
        )));
    }
    let now = now_ms();
    if !db::alerts::acknowledge(&state.db, id, now).await? {
        return Err(ApiError::BadRequest(format!(
            "Alert {id} is no longer open"
        )));
    }
    Ok(Json(AlertAcknowledgeResponse {
        id,
        status: AlertStatus::Acknowledged,
        acknowledged_at: to_dt(now),
    }))
}

/// Resolve by hand (history is kept).
#[utoipa::path(post, path = "/alerts/{alert_id}/resolve", tag = "Alerts",
    params(("alert_id" = i64, Path)),
    responses((status = 200, body = AlertResolveResponse), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
pub async fn resolve_alert(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<AlertResolveResponse>> {
    let id = parse_id(&raw)?;
    let row = load(&state, id).await?;
    if row.status == AlertStatus::Resolved {
        return Err(ApiError::BadRequest(format!(
            "Alert {id} is already resolved"
        )));
    }
    if service_still_down(&state, &row).await? {
        return Err(ApiError::BadRequest(format!(
            "Service '{}' is still down",
            row.service_name.unwrap_or_default()
        )));
    }
    let now = now_ms();
    let mut tx = state.db.write.begin().await?;
    db::alerts::resolve(&mut tx, id, false, now).await?;
    tx.commit().await?;
    Ok(Json(AlertResolveResponse {
        id,
        status: AlertStatus::Resolved,
        resolved_at: to_dt(now),
        auto_resolved: false,
    }))
}
