//! `/config`: thresholds, notifications and cost settings.

use axum::Json;
use axum::extract::State;
use homelabcmd_protocol::api::{
    ConfigResponse, CostConfigResponse, CostConfigUpdate, ErrorResponse, HttpValidationError,
    NotificationsConfig, NotificationsResponse, NotificationsUpdate, ThresholdsConfig,
    ThresholdsResponse, ThresholdsUpdate,
};

use crate::db::{self, to_dt};
use crate::error::ApiResult;
use crate::http::validate::ApiJson;
use crate::settings::{self, COST_KEY, CostSettings, NOTIFICATIONS_KEY, THRESHOLDS_KEY};
use crate::state::AppState;

async fn thresholds(state: &AppState) -> ApiResult<ThresholdsConfig> {
    Ok(db::settings::get(&state.db, THRESHOLDS_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_else(settings::default_thresholds))
}

async fn notifications(state: &AppState) -> ApiResult<NotificationsConfig> {
    Ok(db::settings::get(&state.db, NOTIFICATIONS_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_else(settings::default_notifications))
}

/// All configuration (the webhook URL masked).
#[utoipa::path(get, path = "/config", tag = "Configuration",
    responses((status = 200, body = ConfigResponse), (status = 401, body = ErrorResponse)))]
pub async fn get_config(State(state): State<AppState>) -> ApiResult<Json<ConfigResponse>> {
    Ok(Json(ConfigResponse {
        thresholds: thresholds(&state).await?,
        notifications: settings::masked(&notifications(&state).await?),
    }))
}

/// Change alert thresholds; returns what changed.
#[utoipa::path(put, path = "/config/thresholds", tag = "Configuration",
    request_body = ThresholdsUpdate,
    responses((status = 200, body = ThresholdsResponse), (status = 422, body = HttpValidationError)))]
pub async fn put_thresholds(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ThresholdsUpdate>,
) -> ApiResult<Json<ThresholdsResponse>> {
    let mut t = thresholds(&state).await?;
    let updated = settings::apply_thresholds(&mut t, &body);
    settings::check_thresholds(&t)?;
    if !updated.is_empty() {
        db::settings::put(&state.db, THRESHOLDS_KEY, &t).await?;
    }
    Ok(Json(ThresholdsResponse {
        updated,
        thresholds: t,
    }))
}

/// Change notification settings; returns what changed.
#[utoipa::path(put, path = "/config/notifications", tag = "Configuration",
    request_body = NotificationsUpdate,
    responses((status = 200, body = NotificationsResponse), (status = 422, body = HttpValidationError)))]
pub async fn put_notifications(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NotificationsUpdate>,
) -> ApiResult<Json<NotificationsResponse>> {
    let mut n = notifications(&state).await?;
    let updated = settings::apply_notifications(&mut n, &body);
    if !updated.is_empty() {
        db::settings::put(&state.db, NOTIFICATIONS_KEY, &n).await?;
    }
    Ok(Json(NotificationsResponse {
        updated,
        notifications: settings::masked(&n),
    }))
}

async fn cost_response(state: &AppState) -> ApiResult<CostConfigResponse> {
    let stored = db::settings::get::<CostSettings>(&state.db, COST_KEY).await?;
    let (c, at) = match stored {
        Some(s) => (s.value, Some(to_dt(s.updated_at).to_rfc3339())),
        None => (CostSettings::default(), None),
    };
    Ok(CostConfigResponse {
        electricity_rate: c.electricity_rate,
        currency_symbol: c.currency_symbol,
        updated_at: at,
    })
}

/// Electricity price settings.
#[utoipa::path(get, path = "/config/cost", tag = "Configuration",
    responses((status = 200, body = CostConfigResponse)))]
pub async fn get_cost(State(state): State<AppState>) -> ApiResult<Json<CostConfigResponse>> {
    Ok(Json(cost_response(&state).await?))
}

/// Change electricity price settings.
#[utoipa::path(put, path = "/config/cost", tag = "Configuration",
    request_body = CostConfigUpdate,
    responses((status = 200, body = CostConfigResponse), (status = 422, body = HttpValidationError)))]
pub async fn put_cost(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CostConfigUpdate>,
) -> ApiResult<Json<CostConfigResponse>> {
    let mut c = db::settings::get::<CostSettings>(&state.db, COST_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_default();
    settings::apply_cost(&mut c, &body);
    db::settings::put(&state.db, COST_KEY, &c).await?;
    Ok(Json(cost_response(&state).await?))
}
