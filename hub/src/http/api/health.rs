use axum::Json;
use axum::extract::State;
use chrono::Utc;
use homelabcmd_protocol::api::{DatabaseStatus, HealthResponse, HealthStatus};

use crate::state::AppState;

/// Health check (no API key needed).
#[utoipa::path(get, path = "/system/health", tag = "System", security(()),
    responses((status = 200, body = HealthResponse)))]
pub async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    let db_ok = state.db.ping().await;
    Json(HealthResponse {
        status: if db_ok {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded
        },
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_seconds: state.started.elapsed().as_secs() as i64,
        database: if db_ok {
            DatabaseStatus::Connected
        } else {
            DatabaseStatus::Error
        },
        timestamp: Utc::now(),
    })
}
