//! Reminders for alerts still open after their severity's cooldown
//! (`cooldowns.critical_minutes` / `high_minutes`), tracked in
//! `alerts.last_notified_at`. The alert runner calls [`enqueue_due`] on its
//! timer; acknowledged alerts get no reminders.

use anyhow::Context as _;

use super::{AlertEvent, EventKind, Outbox, channels, load_settings, machine_link, should_notify};
use crate::db::{self, outbox::ReminderCandidate};
use homelabcmd_core::alerts::engine::Condition;

/// The reminder event for `c`.
pub fn reminder_event(
    c: &ReminderCandidate,
    external_url: Option<&str>,
    now_ms: i64,
) -> AlertEvent {
    let since = db::to_dt(c.created_at).format("%Y-%m-%d %H:%M UTC");
    let message = match c.message.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => format!("{m} (open since {since})"),
        None => format!("Open since {since}."),
    };
    AlertEvent {
        kind: EventKind::Reminder,
        alert_id: Some(c.id),
        server_id: c.server_id.clone(),
        server_name: c.server_name.clone(),
        alert_type: c.alert_type.clone(),
        severity: c.severity,
        previous_severity: None,
        title: c.title.clone(),
        message,
        metric: Condition::parse_key(&c.condition_key).and_then(|c| c.metric()),
        value: c.actual_value,
        threshold: c.threshold_value,
        at: db::to_dt(now_ms),
        link: machine_link(external_url, &c.server_id),
        auto_resolved: false,
    }
}

/// Queue a reminder for every open alert whose cooldown has passed and that
/// is not muted (maintenance, snooze, severity flags), move its
/// `last_notified_at` to now, and wake the worker. Returns how many alerts
/// got a reminder. Safe to call from several places: each reminder is
/// claimed in the same transaction that queues it.
pub async fn enqueue_due(outbox: impl Into<Outbox>, now_ms: i64) -> anyhow::Result<usize> {
    let state = outbox.into();
    let n = load_settings(&state.db).await?;
    let channels = channels(&n, &state.config);
    if channels.is_empty() {
        return Ok(0);
    }
    let candidates = db::outbox::due_reminders(&state.db, now_ms, &n.cooldowns).await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let external = state.config.external_url.as_deref();
    let mut queued = 0;
    let mut tx = state.db.write.begin().await?;
    for c in &candidates {
        let event = reminder_event(c, external, now_ms);
        if !should_notify(&n, &event, c.server_paused, c.snoozed_until, now_ms) {
            continue;
        }
        if db::outbox::claim_reminder(&mut tx, c.id, c.notified_at, now_ms).await? {
            db::outbox::enqueue(&mut tx, &channels, &event, now_ms).await?;
            queued += 1;
        }
    }
    tx.commit().await.context("committing reminders")?;
    if queued > 0 {
        tracing::info!(reminders = queued, "alert reminders queued");
        state.wake.notify_one();
    }
    Ok(queued)
}
