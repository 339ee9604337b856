//! Notification delivery end to end: a real temp database, the real outbox
//! and worker, and a local HTTP receiver (axum on 127.0.0.1:0) standing in
//! for Slack and the generic webhook. Backoff is shortened so the suite
//! stays fast.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use homelabcmd::config::Config;
use homelabcmd::db::outbox::OutboxRow;
use homelabcmd::db::{self, Db, now_ms};
use homelabcmd::notify::worker::{Worker, WorkerSettings};
use homelabcmd::notify::{AlertEvent, Channel, EventKind};
use homelabcmd::state::AppState;
use homelabcmd_core::notify::retry::Backoff;
use homelabcmd_protocol::alerts::{MetricType, Severity};
use homelabcmd_protocol::api::ServerCreate;
use serde_json::{Value, json};

use crate::common;

// ---------------------------------------------------------------- receiver

#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// Answers from the script in order, then 200.
#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

#[derive(Clone, Copy)]
enum Reply {
    Status(u16),
    RetryAfter(u16, &'static str),
    Always(u16),
}

impl Receiver {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
    fn count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

async fn receive(State(r): State<Receiver>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    r.hits.lock().unwrap().push(Hit {
        at: Instant::now(),
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let reply = {
        let mut script = r.script.lock().unwrap();
        match script.front().copied() {
            Some(Reply::Always(s)) => Some(Reply::Always(s)),
            _ => script.pop_front(),
        }
    };
    match reply {
        None => (StatusCode::OK, "ok").into_response(),
        Some(Reply::Status(s) | Reply::Always(s)) => {
            (StatusCode::from_u16(s).unwrap(), "no_service").into_response()
        }
        Some(Reply::RetryAfter(s, after)) => (
            StatusCode::from_u16(s).unwrap(),
            [("retry-after", after)],
            "rate_limited",
        )
            .into_response(),
    }
}

/// A receiver on a free local port; returns its base URL.
async fn receiver(script: Vec<Reply>) -> (String, Receiver) {
    let r = Receiver {
        hits: Arc::default(),
        script: Arc::new(Mutex::new(script.into())),
    };
    let app = Router::new()
        .route("/{*path}", post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, r)
}

// ---------------------------------------------------------------- hub side

const SECRET_PATH: &str = "/services/T000/B000/s3cretPath";

async fn hub(config: Config) -> (AppState, tempfile::TempDir) {
    let (state, dir) = common::state_with(Config {
        api_key: common::KEY.into(),
        external_url: Some("https://homelab.example".into()),
        ..config
    })
    .await;
    db::servers::create(
        &state.db,
        &ServerCreate {
            id: "nas".into(),
            hostname: "nas.lan".into(),
            display_name: Some("NAS".into()),
            ip_address: None,
            tdp_watts: None,
            machine_type: None,
            tailscale_hostname: None,
            offline_threshold_seconds: None,
        },
    )
    .await
    .unwrap();
    (state, dir)
}

fn fast() -> WorkerSettings {
    WorkerSettings {
        poll_interval: Duration::from_millis(200),
        backoff: Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(400),
        },
        digest_wait: Duration::from_millis(150),
        ..WorkerSettings::default()
    }
}

/// An alert row as the alert runner would have written it.
async fn alert(db: &Db, condition: &str, severity: &str, status: &str, created_at: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO alerts (server_id, condition_key, alert_type, severity, status, title,
                             message, threshold_value, actual_value, created_at, updated_at)
         VALUES ('nas', ?, ?, ?, ?, 'Disk usage high', 'Disk at 96.5%', 95, 96.5, ?, ?)
         RETURNING id",
    )
    .bind(condition)
    .bind(format!("{condition}_high"))
    .bind(severity)
    .bind(status)
    .bind(created_at)
    .bind(created_at)
    .fetch_one(&db.write)
    .await
    .unwrap()
}

fn event(kind: EventKind, alert_id: i64, server_name: &str) -> AlertEvent {
    AlertEvent {
        kind,
        alert_id: Some(alert_id),
        server_id: "nas".into(),
        server_name: server_name.into(),
        alert_type: "disk_high".into(),
        severity: Severity::Critical,
        previous_severity: (kind == EventKind::Escalated).then_some(Severity::High),
        title: "Disk usage high".into(),
        message: "Disk at 96.5% (threshold 95%)".into(),
        metric: Some(MetricType::Disk),
        value: Some(96.5),
        threshold: Some(95.0),
        at: chrono::Utc::now(),
        link: Some("https://homelab.example/servers/nas".into()),
        auto_resolved: kind == EventKind::Resolved,
    }
}

/// Enqueue in a transaction, as the alert runner does, then wake the worker.
async fn enqueue(state: &AppState, channels: &[Channel], events: &[AlertEvent]) {
    let mut tx = state.db.write.begin().await.unwrap();
    for e in events {
        db::outbox::enqueue(&mut tx, channels, e, now_ms())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    state.notifier_wake.notify_one();
}

async fn rows(state: &AppState) -> Vec<OutboxRow> {
    db::outbox::list(&state.db).await.unwrap()
}

/// Wait until every row has left `pending`.
async fn settled(state: &AppState, within: Duration) -> Vec<OutboxRow> {
    let start = Instant::now();
    loop {
        let rows = rows(state).await;
        if !rows.is_empty() && rows.iter().all(|r| r.status != "pending") {
            return rows;
        }
        assert!(
            start.elapsed() < within,
            "still pending after {within:?}: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn each_notification_arrives_once_in_order_with_the_expected_json() {
    let (base, slack) = receiver(vec![]).await;
    let (hook_base, hook) = receiver(vec![]).await;
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("{base}{SECRET_PATH}")),
        webhook_url: Some(format!("{hook_base}/hook")),
        ..Config::default()
    })
    .await;
    let id = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let worker = Worker::new(&state).with_settings(fast()).spawn();

    let channels = homelabcmd::notify::channels(
        &homelabcmd::notify::load_settings(&state.db).await.unwrap(),
        &state.config,
    );
    assert_eq!(channels, [Channel::Slack, Channel::Webhook]);
    let enqueued = Instant::now();
    enqueue(&state, &channels, &[event(EventKind::Opened, id, "NAS")]).await;
    settled(&state, Duration::from_secs(5)).await;
    let latency = enqueued.elapsed();
    assert!(
        latency < Duration::from_secs(1),
        "alert to notification took {latency:?}"
    );
    enqueue(
        &state,
        &channels,
        &[
            event(EventKind::Escalated, id, "NAS"),
            event(EventKind::Resolved, id, "NAS"),
        ],
    )
    .await;
    settled(&state, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // nothing more arrives
    worker.abort();

    let final_rows = db::outbox::list(&state.db).await.unwrap();
    assert_eq!(final_rows.len(), 6);
    assert!(
        final_rows
            .iter()
            .all(|r| r.status == "delivered" && r.attempts == 1),
        "{final_rows:#?}"
    );
    assert!(final_rows.iter().all(|r| r.delivered_at.is_some()));

    let posts = slack.hits();
    assert_eq!(posts.len(), 3, "each event exactly once");
    assert!(posts.iter().all(|h| h.path == SECRET_PATH));
    let heads: Vec<String> = posts
        .iter()
        .map(|h| {
            h.json()["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        heads,
        [
            "🔴 Critical: Disk usage high on NAS",
            "⬆️ Escalated to Critical: Disk usage high on NAS",
            "✅ Resolved: Disk usage high on NAS",
        ]
    );
    let first = posts[0].json();
    let text = first.to_string();
    for needle in [
        "Severity",
        "Machine",
        "NAS (`nas`)",
        "Metric",
        "disk",
        "96.5%",
        "Threshold",
        "95.0%",
        "<!date^",
        "https://homelab.example/servers/nas",
    ] {
        assert!(text.contains(needle), "{needle} missing in {text}");
    }
    assert_eq!(posts[0].headers["content-type"], "application/json");

    let calls = hook.hits();
    assert_eq!(calls.len(), 3);
    let kinds: Vec<Value> = calls
        .iter()
        .map(|h| h.json()["event"]["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("opened"), json!("escalated"), json!("resolved")]
    );
    for h in &calls {
        let id = h.json()["id"].as_i64().unwrap();
        assert_eq!(h.headers["x-homelabcmd-event-id"], id.to_string().as_str());
        assert_eq!(
            h.headers["idempotency-key"],
            format!("homelabcmd-{id}").as_str()
        );
        let row = final_rows.iter().find(|r| r.id == id).unwrap();
        assert_eq!(row.channel, "webhook");
    }
}

#[tokio::test]
async fn server_errors_are_retried_and_delivered_exactly_once() {
    let (base, slack) = receiver(vec![
        Reply::Status(500),
        Reply::Status(502),
        Reply::Status(503),
    ])
    .await;
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("{base}{SECRET_PATH}")),
        ..Config::default()
    })
    .await;
    let id = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let worker = Worker::new(&state).with_settings(fast()).spawn();
    enqueue(
        &state,
        &[Channel::Slack],
        &[event(EventKind::Opened, id, "NAS")],
    )
    .await;
    let rows = settled(&state, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.abort();
    assert_eq!(
        slack.count(),
        4,
        "three failures, one success, nothing after"
    );
    let row = &rows[0];
    assert_eq!(row.status, "delivered");
    assert_eq!(row.attempts, 4);
    assert_eq!(row.last_error, None);
    // Backoff: the gaps grow.
    let at: Vec<Instant> = slack.hits().iter().map(|h| h.at).collect();
    assert!(at[3] - at[2] > at[1] - at[0], "{at:?}");
}

#[tokio::test]
async fn a_refusing_receiver_makes_the_row_dead_without_leaking_the_url() {
    let (base, slack) = receiver(vec![Reply::Always(404)]).await;
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("{base}{SECRET_PATH}")),
        ..Config::default()
    })
    .await;
    let id = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let worker = Worker::new(&state).with_settings(fast()).spawn();
    enqueue(
        &state,
        &[Channel::Slack],
        &[event(EventKind::Opened, id, "NAS")],
    )
    .await;
    let rows = settled(&state, Duration::from_secs(5)).await;
    worker.abort();
    assert_eq!(slack.count(), 1, "a 404 is not retried");
    assert_eq!(rows[0].status, "dead");
    let error = rows[0].last_error.clone().unwrap();
    assert_eq!(error, "HTTP 404: no_service");

    // A receiver that is down: retried until max_attempts, then dead; the
    // stored error never names the URL.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("http://127.0.0.1:{port}{SECRET_PATH}")),
        ..Config::default()
    })
    .await;
    let id = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let worker = Worker::new(&state)
        .with_settings(WorkerSettings {
            max_attempts: 3,
            ..fast()
        })
        .spawn();
    enqueue(
        &state,
        &[Channel::Slack],
        &[event(EventKind::Opened, id, "NAS")],
    )
    .await;
    let rows = settled(&state, Duration::from_secs(10)).await;
    worker.abort();
    assert_eq!(rows[0].status, "dead");
    assert_eq!(rows[0].attempts, 3);
    let error = rows[0].last_error.clone().unwrap();
    assert!(error.starts_with("could not connect"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (base, slack) = receiver(vec![Reply::RetryAfter(429, "1")]).await;
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("{base}/hook")),
        ..Config::default()
    })
    .await;
    let id = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let worker = Worker::new(&state).with_settings(fast()).spawn();
    enqueue(
        &state,
        &[Channel::Slack],
        &[event(EventKind::Opened, id, "NAS")],
    )
    .await;
    // Wait for the 429, then add another row: it must wait behind the hold too.
    let start = Instant::now();
    while slack.count() == 0 {
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut reminder = event(EventKind::Resolved, id, "NAS");
    reminder.auto_resolved = false;
    enqueue(&state, &[Channel::Slack], &[reminder]).await;
    let rows = settled(&state, Duration::from_secs(5)).await;
    worker.abort();
    let hits = slack.hits();
    assert_eq!(hits.len(), 3, "429, then both rows once");
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_secs(1),
        "retried after {gap:?}, before Retry-After"
    );
    assert!(gap < Duration::from_millis(2500), "{gap:?}");
    assert!(rows.iter().all(|r| r.status == "delivered"));
    assert_eq!(rows[0].attempts, 2);
    // Order held: the rate-limited row went first.
    assert!(
        hits[1].json()["text"]
            .as_str()
            .unwrap()
            .contains("Critical: Disk")
    );
    assert!(
        hits[2].json()["text"]
            .as_str()
            .unwrap()
            .contains("Resolved")
    );
}

#[tokio::test]
async fn a_restart_delivers_what_was_pending_and_resends_nothing() {
    let (base, slack) = receiver(vec![]).await;
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("{base}/hook")),
        ..Config::default()
    })
    .await;
    let id = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let first = Worker::new(&state).with_settings(fast()).spawn();
    enqueue(
        &state,
        &[Channel::Slack],
        &[event(EventKind::Opened, id, "first")],
    )
    .await;
    settled(&state, Duration::from_secs(5)).await;
    first.abort();
    let _ = first.await;

    // The hub is "down": events are queued with nobody to deliver them.
    enqueue(
        &state,
        &[Channel::Slack],
        &[
            event(EventKind::Escalated, id, "second"),
            event(EventKind::Reminder, id, "third"),
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(slack.count(), 1);

    // A new worker on the same database, never woken: it finds them at start.
    let second = Worker::new(&state).with_settings(fast()).spawn();
    let rows = settled(&state, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    second.abort();
    let names: Vec<String> = slack
        .hits()
        .iter()
        .map(|h| h.json()["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].ends_with("on first"));
    assert!(names[1].ends_with("on second"));
    assert!(names[2].ends_with("on third"));
    assert!(
        rows.iter()
            .all(|r| r.status == "delivered" && r.attempts == 1)
    );
}

async fn storm_hub() -> (AppState, tempfile::TempDir, Receiver, Vec<i64>) {
    let (base, slack) = receiver(vec![]).await;
    let (state, dir) = hub(Config::default()).await;
    // This time the channel comes from the stored settings.
    db::settings::put(
        &state.db,
        homelabcmd::settings::NOTIFICATIONS_KEY,
        &homelabcmd_protocol::api::NotificationsConfig {
            slack_webhook_url: format!("{base}/hook"),
            ..homelabcmd::settings::default_notifications()
        },
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for c in [
        "cpu",
        "memory",
        "disk",
        "offline",
        "service:nginx",
        "service:sshd",
    ] {
        ids.push(alert(&state.db, c, "critical", "open", now_ms()).await);
    }
    (state, dir, slack, ids)
}

async fn assert_one_digest(state: &AppState, slack: &Receiver) {
    let rows = settled(state, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let posts = slack.hits();
    assert_eq!(posts.len(), 1, "one digest, not six posts");
    let digest = posts[0].json();
    assert_eq!(
        digest["blocks"][0]["text"]["text"],
        "🚨 6 alerts opened within a minute"
    );
    let list = digest["blocks"][1]["text"]["text"].as_str().unwrap();
    for i in 0..6 {
        assert!(list.contains(&format!("host-{i}")), "{list}");
    }
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.status == "delivered"));
    let at = rows[0].delivered_at;
    assert!(rows.iter().all(|r| r.delivered_at == at), "marked together");
}

#[tokio::test]
async fn a_storm_of_opened_alerts_is_one_digest() {
    let (state, _dir, slack, ids) = storm_hub().await;
    let worker = Worker::new(&state)
        .with_settings(WorkerSettings {
            digest_wait: Duration::from_millis(400),
            ..fast()
        })
        .spawn();
    // Six alerts open one after another, each in its own transaction that
    // wakes the worker: the short batching window gathers them.
    for (i, id) in ids.iter().enumerate() {
        enqueue(
            &state,
            &[Channel::Slack],
            &[event(EventKind::Opened, *id, &format!("host-{i}"))],
        )
        .await;
    }
    assert_one_digest(&state, &slack).await;
    worker.abort();
}

#[tokio::test]
async fn a_storm_queued_before_a_restart_is_still_one_digest() {
    let (state, _dir, slack, ids) = storm_hub().await;
    for (i, id) in ids.iter().enumerate() {
        enqueue(
            &state,
            &[Channel::Slack],
            &[event(EventKind::Opened, *id, &format!("host-{i}"))],
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let worker = Worker::new(&state).with_settings(fast()).spawn();
    assert_one_digest(&state, &slack).await;
    worker.abort();
}

#[tokio::test]
async fn reminders_follow_the_cooldown_and_the_mute_rules() {
    let (base, slack) = receiver(vec![]).await;
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("{base}/hook")),
        ..Config::default()
    })
    .await;
    let now = now_ms();
    let minute = 60_000;
    let due = alert(&state.db, "disk", "critical", "open", now - 31 * minute).await;
    let _fresh = alert(&state.db, "cpu", "critical", "open", now - 5 * minute).await;
    let _high_not_yet = alert(&state.db, "memory", "high", "open", now - 31 * minute).await;
    let _acked = alert(
        &state.db,
        "offline",
        "critical",
        "acknowledged",
        now - 31 * minute,
    )
    .await;
    let snoozed = alert(
        &state.db,
        "service:a",
        "critical",
        "open",
        now - 31 * minute,
    )
    .await;
    assert_eq!(
        db::outbox::snooze_alert(&state.db, snoozed, Some(now + 60 * minute))
            .await
            .unwrap(),
        db::outbox::SnoozeOutcome::Updated
    );
    assert_eq!(
        db::outbox::snooze_alert(&state.db, 9_999, Some(now))
            .await
            .unwrap(),
        db::outbox::SnoozeOutcome::NotFound
    );

    let queued = homelabcmd::notify::reminders::enqueue_due(&state, now)
        .await
        .unwrap();
    assert_eq!(queued, 1);
    assert_eq!(
        homelabcmd::notify::reminders::enqueue_due(&state, now)
            .await
            .unwrap(),
        0,
        "claimed once"
    );
    let rows = rows(&state).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].alert_id, Some(due));
    let e = rows[0].event().unwrap();
    assert_eq!(e.kind, EventKind::Reminder);
    assert_eq!(
        e.link.as_deref(),
        Some("https://homelab.example/servers/nas")
    );
    assert_eq!(e.metric, Some(MetricType::Disk));
    let worker = Worker::new(&state).with_settings(fast()).spawn();
    settled(&state, Duration::from_secs(5)).await;
    worker.abort();
    assert_eq!(slack.count(), 1);
    assert!(
        slack.hits()[0].json()["text"]
            .as_str()
            .unwrap()
            .starts_with("🔁 Still active")
    );

    // Half an hour later it is due again, unless the machine is paused.
    let later = now + 31 * minute;
    db::servers::set_paused(&state.db, "nas", true)
        .await
        .unwrap();
    assert_eq!(
        homelabcmd::notify::reminders::enqueue_due(&state, later)
            .await
            .unwrap(),
        0
    );
    db::servers::set_paused(&state.db, "nas", false)
        .await
        .unwrap();
    // The one reminded and the one that was fresh before; the snooze lasts.
    assert_eq!(
        homelabcmd::notify::reminders::enqueue_due(&state, later)
            .await
            .unwrap(),
        2
    );
}

// ------------------------------------------------------------ test-webhook

/// POST `body` with the key.
async fn call(state: &AppState, uri: &str, body: Value) -> (StatusCode, Value) {
    common::call(state, "POST", uri, Some(body)).await
}

#[tokio::test]
async fn test_webhook_posts_block_kit_and_never_echoes_the_url() {
    let (base, slack) = receiver(vec![Reply::Status(404)]).await;
    let (state, _dir) = hub(Config {
        slack_webhook_url: Some(format!("{base}/stored/s3cret")),
        ..Config::default()
    })
    .await;
    let url = format!("{base}{SECRET_PATH}");

    let (status, body) = call(
        &state,
        "/api/v1/config/test-webhook",
        json!({ "webhook_url": url }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "HTTP 404: no_service");
    assert!(!body.to_string().contains("s3cret"));

    let (status, body) = call(
        &state,
        "/api/v1/config/test-webhook",
        json!({ "webhook_url": url }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "success": true, "message": "Test message sent", "error": null })
    );
    let hits = slack.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].path, SECRET_PATH);
    assert_eq!(
        hits[1].json()["blocks"][0]["text"]["text"],
        "🧪 HomelabCmd test notification"
    );

    // The masked value the API shows tests the stored URL.
    let (_, body) = call(
        &state,
        "/api/v1/config/test-webhook",
        json!({ "webhook_url": "http://127.0.0.1/***" }),
    )
    .await;
    assert_eq!(body["success"], true);
    assert_eq!(slack.hits()[2].path, "/stored/s3cret");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_, body) = call(
        &state,
        "/api/v1/config/test-webhook",
        json!({ "webhook_url": format!("http://127.0.0.1:{port}{SECRET_PATH}") }),
    )
    .await;
    assert_eq!(body["success"], false);
    assert!(!body.to_string().contains("s3cret"), "{body}");

    let (status, body) = call(
        &state,
        "/api/v1/config/test-webhook",
        json!({ "webhook_url": "" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "webhook_url"]));
    let (status, body) = call(
        &state,
        "/api/v1/config/test-webhook",
        json!({ "webhook_url": "ftp://x" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], false);
}

#[tokio::test]
async fn notification_urls_are_masked_in_the_config_api() {
    let (state, _dir) = hub(Config::default()).await;
    let (status, body) = common::call(
        &state,
        "PUT",
        "/api/v1/config/notifications",
        Some(json!({
            "ntfy_url": "https://ntfy.sh/s3cret-topic",
            "discord_webhook_url": "https://discord.com/api/webhooks/1/s3cret",
            "webhook_url": "http://10.0.0.2:8123/api/webhook/s3cret",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.to_string().contains("s3cret"), "{body}");
    assert_eq!(body["notifications"]["ntfy_url"], "https://ntfy.sh/***");
    let stored = homelabcmd::notify::load_settings(&state.db).await.unwrap();
    assert_eq!(
        homelabcmd::notify::channels(&stored, &state.config),
        [Channel::Discord, Channel::Ntfy, Channel::Webhook]
    );
    let (status, body) = call(
        &state,
        "/api/v1/config/test-webhook",
        json!({ "webhook_url": "https://hooks.slack.com/***" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error"], "no Slack webhook URL is configured");
}

#[tokio::test]
async fn snoozing_an_alert_silences_its_queued_notifications() {
    let (state, _dir) = hub(Config::default()).await;
    let open = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let resolved = alert(&state.db, "cpu", "critical", "resolved", now_ms()).await;
    enqueue(
        &state,
        &[Channel::Slack],
        &[event(EventKind::Opened, open, "NAS")],
    )
    .await;

    let uri = format!("/api/v1/alerts/{open}/snooze");
    let (status, body) = call(&state, &uri, json!({ "minutes": 60 })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], open);
    let until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(body["snoozed_until"].clone()).unwrap();
    let ahead = until - chrono::Utc::now();
    assert!(ahead > chrono::Duration::minutes(59) && ahead <= chrono::Duration::minutes(60));
    let rows = rows(&state).await;
    assert_eq!(rows[0].status, "suppressed");
    assert_eq!(rows[0].last_error.as_deref(), Some("alert snoozed"));

    let (status, body) = call(&state, &uri, json!({ "minutes": 0 })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["snoozed_until"], Value::Null);

    let (status, _) = call(&state, "/api/v1/alerts/999/snooze", json!({ "minutes": 5 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &state,
        &format!("/api/v1/alerts/{resolved}/snooze"),
        json!({ "minutes": 5 }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = call(&state, &uri, json!({ "minutes": -1 })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "minutes"]));
    let (status, body) = call(&state, "/api/v1/alerts/abc/snooze", json!({ "minutes": 5 })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["path", "alert_id"]));
}

/// The seam: a test double in place of the HTTP channels.
struct Recorder {
    channel: Channel,
    sent: Arc<Mutex<Vec<String>>>,
}

impl homelabcmd::notify::Notifier for Recorder {
    fn channel(&self) -> Channel {
        self.channel
    }
    fn render(
        &self,
        message: homelabcmd::notify::Message<'_>,
        delivery_id: i64,
    ) -> homelabcmd::notify::Rendered {
        let text = match message {
            homelabcmd::notify::Message::Single(e) => format!("{delivery_id}:{:?}", e.kind),
            homelabcmd::notify::Message::Digest(es) => format!("{delivery_id}:digest:{}", es.len()),
        };
        homelabcmd::notify::Rendered {
            content_type: "text/plain",
            headers: vec![],
            body: text.into_bytes(),
        }
    }
    fn send(&self, request: homelabcmd::notify::Rendered) -> homelabcmd::notify::SendFuture<'_> {
        let sent = self.sent.clone();
        Box::pin(async move {
            sent.lock()
                .unwrap()
                .push(String::from_utf8(request.body).unwrap());
            homelabcmd::notify::SendOutcome::Delivered
        })
    }
}

#[tokio::test]
async fn a_swapped_notifier_receives_its_channel_and_the_rest_is_suppressed() {
    let (state, _dir) = hub(Config::default()).await;
    let id = alert(&state.db, "disk", "critical", "open", now_ms()).await;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder {
        channel: Channel::Ntfy,
        sent: sent.clone(),
    };
    let worker = Worker::new(&state)
        .with_settings(fast())
        .with_notifiers(vec![Arc::new(recorder)])
        .spawn();
    enqueue(
        &state,
        &[Channel::Ntfy, Channel::Discord],
        &[event(EventKind::Escalated, id, "NAS")],
    )
    .await;
    let rows = settled(&state, Duration::from_secs(5)).await;
    worker.abort();
    let ntfy = rows.iter().find(|r| r.channel == "ntfy").unwrap();
    let discord = rows.iter().find(|r| r.channel == "discord").unwrap();
    assert_eq!(ntfy.status, "delivered");
    assert_eq!(discord.status, "suppressed");
    assert_eq!(
        discord.last_error.as_deref(),
        Some("channel not configured")
    );
    assert_eq!(*sent.lock().unwrap(), [format!("{}:Escalated", ntfy.id)]);
}
