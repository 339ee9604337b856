//! `GET /audit` (extension): the audit trail, newest first, with filters.

use axum::Json;
use axum::extract::{Query, State};
use chrono::DateTime;
use homelabcmd_protocol::api::HttpValidationError;
use homelabcmd_protocol::ssh::{AuditEntryResponse, AuditListResponse};
use serde::Deserialize;

use crate::db::audit::AuditFilter;
use crate::db::{self, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{int_param, name_param};
use crate::state::AppState;
use homelabcmd_core::audit::AuditRecord;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Only this machine.
    server_id: Option<String>,
    /// `allowed`, `rejected`, `completed` or `failed`.
    outcome: Option<String>,
    /// RFC 3339 time: rows at or after it.
    since: Option<String>,
    /// RFC 3339 time: rows at or before it.
    until: Option<String>,
    /// Page size, 1–500 (default 100).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
}

fn time_param(name: &str, v: Option<&str>) -> ApiResult<Option<i64>> {
    v.map(|s| {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.timestamp_millis())
            .map_err(|_| {
                ApiError::invalid(
                    &["query", name],
                    "Input should be an RFC 3339 date-time",
                    "datetime_parsing",
                )
            })
    })
    .transpose()
}

/// The API view of a stored row. The row keeps its outcome as stored text
/// (the chain hashes those bytes); it is read as the enum here.
fn to_response(r: AuditRecord) -> ApiResult<AuditEntryResponse> {
    Ok(AuditEntryResponse {
        id: r.id,
        timestamp: to_dt(r.ts),
        actor: r.actor,
        server_id: r.server_id,
        action: r.action,
        argv: r.argv.and_then(|a| serde_json::from_str(&a).ok()),
        outcome: db::decode_name(&r.outcome)?,
        reason: r.reason,
        exit_code: r.exit_code,
        duration_ms: r.duration_ms,
        prev_hash: r.prev_hash,
        hash: r.hash,
    })
}

/// The audit trail, newest first.
#[utoipa::path(get, path = "/audit", tag = "Audit", params(AuditQuery),
    responses((status = 200, body = AuditListResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all)]
pub async fn list_audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditListResponse>> {
    let limit = int_param("limit", q.limit.as_deref(), 100, 1, 500)?;
    let offset = int_param("offset", q.offset.as_deref(), 0, 0, i64::MAX)?;
    let outcome = name_param("outcome", q.outcome.as_deref())?;
    let filter = AuditFilter {
        server_id: q.server_id,
        outcome,
        since: time_param("since", q.since.as_deref())?,
        until: time_param("until", q.until.as_deref())?,
        limit,
        offset,
    };
    let (rows, total) = db::audit::list(&state.db, &filter).await?;
    Ok(Json(AuditListResponse {
        entries: rows
            .into_iter()
            .map(to_response)
            .collect::<ApiResult<_>>()?,
        total,
        limit,
        offset,
    }))
}
