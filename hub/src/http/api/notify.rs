//! Notification endpoints: `POST /config/test-webhook` sends a test message
//! straight to a Slack webhook (not through the outbox) and says how it
//! went; `POST /alerts/{alert_id}/snooze` (extension) silences one alert.

use axum::Json;
use axum::extract::{Path, State};
use homelabcmd_protocol::api::{
    AlertSnoozeRequest, AlertSnoozeResponse, ErrorResponse, HttpValidationError,
    TestWebhookRequest, TestWebhookResponse,
};

use crate::db::{self, outbox::SnoozeOutcome};
use crate::error::{ApiError, ApiResult};
use crate::http::validate::{ApiJson, Checker, Validate};
use crate::notify::http::{self, HttpTarget};
use crate::notify::{self, Message, SendOutcome};
use crate::state::AppState;

impl Validate for TestWebhookRequest {
    fn validate(&self, c: &mut Checker) {
        c.len("webhook_url", self.webhook_url.trim(), 1, 2048);
    }
}

/// Send a test Block Kit message to a Slack webhook URL. The masked URL the
/// API shows (`https://host/***`) tests the stored one. The URL is never
/// echoed in the answer or logged.
#[utoipa::path(post, path = "/config/test-webhook", tag = "Configuration",
    request_body = TestWebhookRequest,
    responses((status = 200, body = TestWebhookResponse),
        (status = 401, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all)]
pub async fn test_webhook(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TestWebhookRequest>,
) -> ApiResult<Json<TestWebhookResponse>> {
    let mut url = body.webhook_url.trim().to_owned();
    if crate::settings::is_masked(&url) {
        let settings = notify::load_settings(&state.db).await?;
        match notify::targets(&settings, &state.config)
            .into_iter()
            .find(|(c, _)| *c == notify::Channel::Slack)
        {
            Some((_, stored)) => url = stored,
            None => return Ok(Json(failure("no Slack webhook URL is configured"))),
        }
    }
    if !crate::settings::is_http_url_or_empty(&url) {
        return Ok(Json(failure(
            "the webhook URL must start with http:// or https://",
        )));
    }
    let client = http::client(http::REQUEST_TIMEOUT).map_err(|e| anyhow::anyhow!(e))?;
    let link = state.config.external_url.clone();
    let event = notify::test_event(chrono::Utc::now(), link);
    let request = notify::slack::render(Message::Single(&event));
    let answer = match HttpTarget::new(client, &url).post(request).await {
        SendOutcome::Delivered => TestWebhookResponse {
            success: true,
            message: Some("Test message sent".into()),
            error: None,
        },
        SendOutcome::Retry { error, .. } | SendOutcome::Failed(error) => {
            tracing::info!(%error, "test webhook failed");
            failure(&error)
        }
    };
    Ok(Json(answer))
}

fn failure(error: &str) -> TestWebhookResponse {
    TestWebhookResponse {
        success: false,
        message: None,
        error: Some(error.to_owned()),
    }
}

impl Validate for AlertSnoozeRequest {
    fn validate(&self, c: &mut Checker) {
        c.range_i64("minutes", Some(self.minutes), 0, Some(MAX_SNOOZE_MINUTES));
    }
}

/// A week.
const MAX_SNOOZE_MINUTES: i64 = 7 * 24 * 60;

/// Extension: silence one alert's notifications for a while (0 minutes ends
/// the snooze). The alert stays active and visible; its queued, unsent
/// notifications are dropped.
#[utoipa::path(post, path = "/alerts/{alert_id}/snooze", tag = "Alerts",
    params(("alert_id" = i64, Path)),
    request_body = AlertSnoozeRequest,
    responses((status = 200, body = AlertSnoozeResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(alert_id = %raw))]
pub async fn snooze_alert(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<AlertSnoozeRequest>,
) -> ApiResult<Json<AlertSnoozeResponse>> {
    let id: i64 = raw.trim().parse().map_err(|_| {
        ApiError::invalid(
            &["path", "alert_id"],
            "Input should be a valid integer",
            "int_parsing",
        )
    })?;
    let until = (body.minutes > 0).then(|| db::now_ms() + body.minutes * 60_000);
    match db::outbox::snooze_alert(&state.db, id, until).await? {
        SnoozeOutcome::Updated => Ok(Json(AlertSnoozeResponse {
            id,
            snoozed_until: db::opt_dt(until),
        })),
        SnoozeOutcome::NotFound => Err(ApiError::not_found("Alert", &id.to_string())),
        SnoozeOutcome::Resolved => Err(ApiError::Conflict(format!(
            "Alert {id} is resolved; there is nothing to snooze"
        ))),
    }
}
