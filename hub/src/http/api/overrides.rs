//! Per-machine threshold overrides (extension): `GET/PUT
//! /servers/{server_id}/thresholds`. PUT replaces the whole set.

use axum::Json;
use axum::extract::{Path, State};
use homelabcmd_protocol::alerts::{MetricType, ServerThresholdOverrides, ServerThresholdsResponse};
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError, MetricThresholdUpdate};

use crate::alerts::runner::rules_for;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::validate::{ApiJson, Checker, Validate};
use crate::state::AppState;

async fn respond(state: &AppState, server_id: &str) -> ApiResult<Json<ServerThresholdsResponse>> {
    if !db::servers::exists(&state.db, server_id).await? {
        return Err(ApiError::not_found("Server", server_id));
    }
    let mut overrides = ServerThresholdOverrides::default();
    for o in db::alerts::overrides_for(&state.db, server_id).await? {
        let update = Some(MetricThresholdUpdate {
            high_percent: o.high_percent,
            critical_percent: o.critical_percent,
            sustained_seconds: o.sustained_seconds,
            sustained_heartbeats: None,
        });
        match o.metric {
            MetricType::Cpu => overrides.cpu = update,
            MetricType::Memory => overrides.memory = update,
            MetricType::Disk => overrides.disk = update,
        }
    }
    let rules = rules_for(state, server_id).await?;
    let mut effective = crate::settings::thresholds(&state.db).await?;
    for (slot, rule) in [
        (&mut effective.cpu, rules.cpu),
        (&mut effective.memory, rules.memory),
        (&mut effective.disk, rules.disk),
    ] {
        slot.high_percent = rule.high as i64;
        slot.critical_percent = rule.critical as i64;
        slot.sustained_seconds = rule.sustained_seconds;
    }
    Ok(Json(ServerThresholdsResponse {
        server_id: server_id.to_owned(),
        overrides,
        effective,
    }))
}

/// A machine's threshold overrides and the thresholds in force for it.
#[utoipa::path(get, path = "/servers/{server_id}/thresholds", tag = "Alerts",
    params(("server_id" = String, Path)),
    responses((status = 200, body = ServerThresholdsResponse), (status = 404, body = ErrorResponse)))]
pub async fn get_server_thresholds(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<ServerThresholdsResponse>> {
    respond(&state, &server_id).await
}

/// Replace a machine's threshold overrides (a metric left out or null has none).
#[utoipa::path(put, path = "/servers/{server_id}/thresholds", tag = "Alerts",
    params(("server_id" = String, Path)), request_body = ServerThresholdOverrides,
    responses((status = 200, body = ServerThresholdsResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn put_server_thresholds(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<ServerThresholdOverrides>,
) -> ApiResult<Json<ServerThresholdsResponse>> {
    if !db::servers::exists(&state.db, &server_id).await? {
        return Err(ApiError::not_found("Server", &server_id));
    }
    let rows: Vec<_> = [
        (MetricType::Cpu, &body.cpu),
        (MetricType::Memory, &body.memory),
        (MetricType::Disk, &body.disk),
    ]
    .into_iter()
    .filter_map(|(name, o)| {
        o.as_ref().map(|o| {
            let sustained = o
                .sustained_seconds
                .or(o.sustained_heartbeats.map(|h| h * 60));
            (name, o.high_percent, o.critical_percent, sustained)
        })
    })
    .collect();
    db::alerts::replace_overrides(&state.db, &server_id, &rows).await?;
    respond(&state, &server_id).await
}

impl Validate for ServerThresholdOverrides {
    fn validate(&self, c: &mut Checker) {
        for (name, m) in [
            ("cpu", &self.cpu),
            ("memory", &self.memory),
            ("disk", &self.disk),
        ] {
            if let Some(m) = m {
                c.nested(name, |c| {
                    m.validate(c);
                    if let (Some(h), Some(cr)) = (m.high_percent, m.critical_percent)
                        && h >= cr
                    {
                        c.fail(
                            "high_percent",
                            "high_percent must be below critical_percent",
                            "value_error",
                        );
                    }
                });
            }
        }
    }
}
