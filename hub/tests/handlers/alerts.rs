//! Alert lifecycle through the real router and runner (no sockets): the
//! engine's decisions land in `alerts`, `pending_breaches` and the outbox.

use axum::http::StatusCode;
use homelabcmd::alerts::runner::evaluate_server;
use homelabcmd::config::Config;
use homelabcmd::state::AppState;
use serde_json::{Value, json};

use crate::common::{self, SAMPLE, call};

async fn state() -> (AppState, tempfile::TempDir) {
    common::state_with(Config {
        external_url: Some("https://hub.example".into()),
        ..common::config()
    })
    .await
}

/// A heartbeat from `id` at `seconds_ago` with the given disk and CPU.
fn heartbeat(id: &str, seconds_ago: i64, disk: f64, cpu: f64) -> Value {
    let mut hb: Value = serde_json::from_str(SAMPLE).unwrap();
    hb["server_id"] = json!(id);
    hb.as_object_mut().unwrap().remove("server_guid");
    hb["timestamp"] = json!(chrono::Utc::now() - chrono::Duration::seconds(seconds_ago));
    hb["metrics"]["disk_percent"] = json!(disk);
    hb["metrics"]["cpu_percent"] = json!(cpu);
    hb["security_updates"] = json!(0);
    hb
}

async fn outbox(s: &AppState) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT channel, event FROM notification_outbox ORDER BY id")
            .fetch_all(&s.db.read)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(c, e)| (c, serde_json::from_str(&e).unwrap()))
        .collect()
}

async fn with_slack(s: &AppState) {
    let (status, _) = call(
        s,
        "PUT",
        "/api/v1/config/notifications",
        Some(json!({"slack_webhook_url": "http://127.0.0.1:9/hook/secret"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_full_disk_opens_one_alert_with_one_notification_and_clearing_resolves_it() {
    let (s, _d) = state().await;
    with_slack(&s).await;
    for i in 0..3 {
        let (status, _) = call(
            &s,
            "POST",
            "/api/v1/agents/heartbeat",
            Some(heartbeat("nas", 180 - i * 60, 95.0, 10.0)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, list) = call(&s, "GET", "/api/v1/alerts?status=open", None).await;
    assert_eq!(list["total"], 1, "{list}");
    let alert = &list["alerts"][0];
    assert_eq!(alert["alert_type"], "disk_high");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["actual_value"], 95.0);
    assert_eq!(alert["suggested_action"]["action_type"], "clear_logs");
    let events = outbox(&s).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "slack");
    assert_eq!(events[0].1["kind"], "opened");
    assert_eq!(events[0].1["link"], "https://hub.example/servers/nas");

    // The server card counts it.
    let (_, server) = call(&s, "GET", "/api/v1/servers/nas", None).await;
    assert_eq!(server["active_alert_count"], 1);

    // 78 % is inside the hysteresis band: still open. 70 % clears it.
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("nas", 5, 78.0, 10.0)),
    )
    .await;
    assert_eq!(
        call(&s, "GET", "/api/v1/alerts?status=open", None).await.1["total"],
        1
    );
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("nas", 0, 70.0, 10.0)),
    )
    .await;
    let (_, got) = call(&s, "GET", &format!("/api/v1/alerts/{}", alert["id"]), None).await;
    assert_eq!(got["status"], "resolved");
    assert_eq!(got["auto_resolved"], true);
    assert!(
        got["suggested_action"].is_null(),
        "nothing to fix once resolved"
    );
    let events = outbox(&s).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].1["kind"], "resolved");
}

#[tokio::test]
async fn a_cpu_spike_is_only_pending_and_a_paused_server_is_recorded_but_silent() {
    let (s, _d) = state().await;
    with_slack(&s).await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("pi", 0, 10.0, 99.0)),
    )
    .await;
    let (_, pending) = call(&s, "GET", "/api/v1/alerts/pending", None).await;
    assert_eq!(pending["total"], 1);
    assert_eq!(pending["pending"][0]["metric_type"], "cpu");
    assert_eq!(pending["pending"][0]["sustained_seconds"], 180);
    assert_eq!(call(&s, "GET", "/api/v1/alerts", None).await.1["total"], 0);

    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("box", 0, 10.0, 10.0)),
    )
    .await;
    call(&s, "PUT", "/api/v1/servers/box/pause", None).await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("box", -1, 99.0, 10.0)),
    )
    .await;
    let (_, list) = call(&s, "GET", "/api/v1/alerts?server_id=box", None).await;
    assert_eq!(list["total"], 1, "the alert is recorded");
    assert!(
        outbox(&s).await.is_empty(),
        "but nothing is sent in maintenance mode"
    );
}

#[tokio::test]
async fn offline_is_raised_by_the_timer_for_servers_only() {
    let (s, _d) = state().await;
    with_slack(&s).await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("srv", 0, 10.0, 10.0)),
    )
    .await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("laptop", 0, 10.0, 10.0)),
    )
    .await;
    call(
        &s,
        "PUT",
        "/api/v1/servers/laptop",
        Some(json!({"machine_type": "workstation"})),
    )
    .await;
    let later = homelabcmd::db::now_ms() + 3_600_000;
    for id in ["srv", "laptop"] {
        evaluate_server(&s, id, None, later).await.unwrap();
    }
    let (_, list) = call(&s, "GET", "/api/v1/alerts", None).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["alerts"][0]["server_id"], "srv");
    assert_eq!(list["alerts"][0]["alert_type"], "server_offline");
    // A second pass does not open a second alert.
    evaluate_server(&s, "srv", None, later + 60_000)
        .await
        .unwrap();
    assert_eq!(call(&s, "GET", "/api/v1/alerts", None).await.1["total"], 1);
}

#[tokio::test]
async fn acknowledge_and_resolve_follow_the_lifecycle() {
    let (s, _d) = state().await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("nas", 0, 91.0, 10.0)),
    )
    .await;
    let (_, list) = call(&s, "GET", "/api/v1/alerts", None).await;
    let id = list["alerts"][0]["id"].as_i64().unwrap();
    let (status, ack) = call(
        &s,
        "POST",
        &format!("/api/v1/alerts/{id}/acknowledge"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ack["status"], "acknowledged");
    let (status, _) = call(
        &s,
        "POST",
        &format!("/api/v1/alerts/{id}/acknowledge"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "only open alerts can be acknowledged"
    );
    let (status, res) = call(&s, "POST", &format!("/api/v1/alerts/{id}/resolve"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(res["auto_resolved"], false);
    let (status, _) = call(&s, "GET", "/api/v1/alerts/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(&s, "GET", "/api/v1/alerts/abc", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["path", "alert_id"]));
    let (status, _) = call(&s, "GET", "/api/v1/alerts?severity=urgent", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn per_server_overrides_change_the_rules_for_that_machine_only() {
    let (s, _d) = state().await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("nas", 10, 10.0, 10.0)),
    )
    .await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(heartbeat("pi", 10, 10.0, 10.0)),
    )
    .await;
    let (status, body) = call(
        &s,
        "PUT",
        "/api/v1/servers/nas/thresholds",
        Some(json!({"disk": {"high_percent": 50, "critical_percent": 70}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["effective"]["disk"]["high_percent"], 50);
    assert_eq!(
        body["effective"]["cpu"]["high_percent"], 85,
        "other metrics keep the global rule"
    );
    for id in ["nas", "pi"] {
        call(
            &s,
            "POST",
            "/api/v1/agents/heartbeat",
            Some(heartbeat(id, 0, 60.0, 10.0)),
        )
        .await;
    }
    let (_, list) = call(&s, "GET", "/api/v1/alerts", None).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["alerts"][0]["server_id"], "nas");
    assert_eq!(list["alerts"][0]["severity"], "high");
    let (status, body) = call(
        &s,
        "PUT",
        "/api/v1/servers/nas/thresholds",
        Some(json!({"cpu": {"high_percent": 90, "critical_percent": 80}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "cpu", "high_percent"])
    );
    let (status, _) = call(&s, "GET", "/api/v1/servers/ghost/thresholds", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
