//! The durable notification outbox: rows are written by [`enqueue`] inside
//! the alert's transaction and delivered by `notify::worker`, which reads
//! due rows and records each attempt here. Also the alert-side queries of
//! notifications: reminder cooldowns and snoozes.

use homelabcmd_protocol::alerts::Severity;
use homelabcmd_protocol::api::CooldownConfig;
use sqlx::{FromRow, Sqlite, Transaction};

use super::Db;
use crate::notify::{AlertEvent, Channel};

/// Queue `event` once per channel inside the caller's transaction, so the
/// notification exists exactly when the alert change does.
pub async fn enqueue(
    tx: &mut Transaction<'_, Sqlite>,
    channels: &[Channel],
    event: &AlertEvent,
    now_ms: i64,
) -> sqlx::Result<()> {
    let json = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    for channel in channels {
        sqlx::query(
            "INSERT INTO notification_outbox (created_at, channel, event, alert_id, next_attempt_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(now_ms)
        .bind(channel.as_str())
        .bind(&json)
        .bind(event.alert_id)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub created_at: i64,
    pub channel: String,
    /// JSON [`AlertEvent`].
    pub event: String,
    pub alert_id: Option<i64>,
    /// `pending`, `delivered`, `dead` or `suppressed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

impl OutboxRow {
    pub fn event(&self) -> serde_json::Result<AlertEvent> {
        serde_json::from_str(&self.event)
    }
}

/// Pending rows whose next attempt is due, oldest first.
pub async fn due(db: &Db, now_ms: i64, limit: i64) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as(
        "SELECT id, created_at, channel, event, alert_id, status, attempts,
                next_attempt_at, last_error, delivered_at
         FROM notification_outbox
         WHERE status = 'pending' AND next_attempt_at <= ?
         ORDER BY id LIMIT ?",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.read)
    .await
}

/// [`due`] for one channel.
pub async fn due_for_channel(
    db: &Db,
    channel: Channel,
    now_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as(
        "SELECT id, created_at, channel, event, alert_id, status, attempts,
                next_attempt_at, last_error, delivered_at
         FROM notification_outbox
         WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ?
         ORDER BY id LIMIT ?",
    )
    .bind(channel.as_str())
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.read)
    .await
}

/// The earliest next attempt of each channel with pending rows, so the
/// worker sleeps exactly until something is due.
pub async fn next_due_by_channel(db: &Db) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT channel, MIN(next_attempt_at) FROM notification_outbox
         WHERE status = 'pending' GROUP BY channel",
    )
    .fetch_all(&db.read)
    .await
}

/// Delivered: called right after the receiver's 2xx, so a row is never sent
/// again once delivered. A digest's rows are marked together.
pub async fn mark_delivered(db: &Db, ids: &[i64], now_ms: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE notification_outbox
         SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, last_error = NULL
         WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(now_ms)
    .bind(ids_json(ids))
    .execute(&db.write)
    .await?;
    Ok(())
}

/// A failed attempt of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedAttempt {
    pub id: i64,
    /// Never contains the webhook URL.
    pub error: String,
    /// Next try, or `None`: give up (`dead`).
    pub next_attempt_at: Option<i64>,
}

/// Count the attempt and schedule the next one, or give up.
pub async fn record_failures(db: &Db, failures: &[FailedAttempt]) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    for f in failures {
        match f.next_attempt_at {
            Some(next) => {
                sqlx::query(
                    "UPDATE notification_outbox
                     SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
                     WHERE id = ? AND status = 'pending'",
                )
                .bind(next)
                .bind(&f.error)
                .bind(f.id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE notification_outbox
                     SET attempts = attempts + 1, status = 'dead', last_error = ?
                     WHERE id = ? AND status = 'pending'",
                )
                .bind(&f.error)
                .bind(f.id)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await
}

/// Not sent on purpose (channel no longer configured, alert snoozed).
pub async fn suppress(db: &Db, ids: &[i64], reason: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE notification_outbox SET status = 'suppressed', last_error = ?
         WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(reason)
    .bind(ids_json(ids))
    .execute(&db.write)
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<OutboxRow>> {
    sqlx::query_as(
        "SELECT id, created_at, channel, event, alert_id, status, attempts,
                next_attempt_at, last_error, delivered_at
         FROM notification_outbox WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&db.read)
    .await
}

/// How many rows wait for delivery.
pub async fn pending_count(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notification_outbox WHERE status = 'pending'")
        .fetch_one(&db.read)
        .await
}

/// Every row, oldest first (tests, diagnostics).
pub async fn list(db: &Db) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as(
        "SELECT id, created_at, channel, event, alert_id, status, attempts,
                next_attempt_at, last_error, delivered_at
         FROM notification_outbox ORDER BY id",
    )
    .fetch_all(&db.read)
    .await
}

/// Forget finished rows (delivered, dead, suppressed) created before `before_ms`.
pub async fn prune(db: &Db, before_ms: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM notification_outbox WHERE status != 'pending' AND created_at < ?")
            .bind(before_ms)
            .execute(&db.write)
            .await?
            .rows_affected(),
    )
}

/// What [`snooze_alert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnoozeOutcome {
    Updated,
    NotFound,
    /// Resolved alerts cannot be snoozed.
    Resolved,
}

/// Silence an alert's notifications until `until_ms` (`None` ends the
/// snooze). Its queued, unsent notifications are suppressed too.
pub async fn snooze_alert(
    db: &Db,
    alert_id: i64,
    until_ms: Option<i64>,
) -> sqlx::Result<SnoozeOutcome> {
    let mut tx = db.write.begin().await?;
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM alerts WHERE id = ?")
        .bind(alert_id)
        .fetch_optional(&mut *tx)
        .await?;
    match status.as_deref() {
        None => return Ok(SnoozeOutcome::NotFound),
        Some("resolved") => return Ok(SnoozeOutcome::Resolved),
        Some(_) => {}
    }
    sqlx::query("UPDATE alerts SET snoozed_until = ? WHERE id = ?")
        .bind(until_ms)
        .bind(alert_id)
        .execute(&mut *tx)
        .await?;
    if until_ms.is_some() {
        sqlx::query(
            "UPDATE notification_outbox SET status = 'suppressed', last_error = 'alert snoozed'
             WHERE alert_id = ? AND status = 'pending'",
        )
        .bind(alert_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(SnoozeOutcome::Updated)
}

/// An open alert whose reminder is due (see [`due_reminders`]).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ReminderCandidate {
    pub id: i64,
    pub server_id: String,
    /// Display name, else hostname.
    pub server_name: String,
    pub server_paused: bool,
    pub condition_key: String,
    pub alert_type: String,
    #[sqlx(try_from = "super::Name<Severity>")]
    pub severity: Severity,
    pub title: String,
    pub message: Option<String>,
    pub threshold_value: Option<f64>,
    pub actual_value: Option<f64>,
    pub created_at: i64,
    pub snoozed_until: Option<i64>,
    /// `last_notified_at`, else `created_at`: what the cooldown counts from.
    pub notified_at: i64,
}

/// Open (not acknowledged) critical and high alerts whose last notification
/// is older than their severity's cooldown. Mute rules are the caller's
/// (`notify::should_notify`); see `notify::reminders`.
pub async fn due_reminders(
    db: &Db,
    now_ms: i64,
    cooldowns: &CooldownConfig,
) -> sqlx::Result<Vec<ReminderCandidate>> {
    let critical_before = now_ms - cooldowns.critical_minutes.max(1) * 60_000;
    let high_before = now_ms - cooldowns.high_minutes.max(1) * 60_000;
    sqlx::query_as(
        "SELECT a.id, a.server_id, COALESCE(s.display_name, s.hostname) AS server_name,
                s.is_paused AS server_paused, a.condition_key, a.alert_type, a.severity,
                a.title, a.message, a.threshold_value, a.actual_value, a.created_at,
                a.snoozed_until, COALESCE(a.last_notified_at, a.created_at) AS notified_at
         FROM alerts a JOIN servers s ON s.id = a.server_id
         WHERE a.status = 'open'
           AND ((a.severity = 'critical' AND COALESCE(a.last_notified_at, a.created_at) <= ?)
             OR (a.severity = 'high' AND COALESCE(a.last_notified_at, a.created_at) <= ?))
         ORDER BY a.id",
    )
    .bind(critical_before)
    .bind(high_before)
    .fetch_all(&db.read)
    .await
}

/// Take a reminder: move `last_notified_at` to now unless someone else did
/// since `notified_at` was read (or the alert closed). Only the caller that
/// gets `true` enqueues, so reminders are never doubled.
pub async fn claim_reminder(
    tx: &mut Transaction<'_, Sqlite>,
    alert_id: i64,
    notified_at: i64,
    now_ms: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE alerts SET last_notified_at = ?
         WHERE id = ? AND status = 'open' AND COALESCE(last_notified_at, created_at) = ?",
    )
    .bind(now_ms)
    .bind(alert_id)
    .bind(notified_at)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("integers serialise")
}
