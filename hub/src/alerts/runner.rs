//! Feeds the engine from the database and applies its decision: on every
//! heartbeat for that machine, and on a timer for every machine (offline
//! detection, expiring events). Each decision is applied in one transaction
//! together with the notifications it causes (the outbox), so an alert never
//! exists without its notification or the other way round.

use std::time::Duration;

use anyhow::Context as _;
use homelabcmd_protocol::api::ThresholdsConfig;
use homelabcmd_protocol::heartbeat::{HeartbeatRequest, ServiceStatusPayload};

use crate::db::heartbeat::Ingested;
use crate::db::{self, now_ms};
use crate::notify::{self, AlertEvent, EventKind};
use crate::settings;
use crate::state::AppState;
use homelabcmd_core::alerts::engine::{
    self, Condition, Decision, Machine, MetricRule, MetricType, Rules, Sample, ServiceState,
};

/// Security updates at or above this count raise a low alert.
const SECURITY_UPDATES_THRESHOLD: i64 = 10;
/// Reboot and container events close themselves after this long.
const EVENT_TTL_MS: i64 = 60 * 60 * 1000;

async fn thresholds(state: &AppState) -> anyhow::Result<ThresholdsConfig> {
    Ok(db::settings::get(&state.db, settings::THRESHOLDS_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_else(settings::default_thresholds))
}

/// Global thresholds with this machine's overrides applied.
pub async fn rules_for(state: &AppState, server_id: &str) -> anyhow::Result<Rules> {
    let t = thresholds(state).await?;
    let overrides = db::alerts::overrides_for(&state.db, server_id).await?;
    Ok(rules_from(&t, &overrides))
}

/// Pure: the engine's rules from the thresholds and one machine's overrides.
pub fn rules_from(t: &ThresholdsConfig, overrides: &[db::alerts::OverrideRow]) -> Rules {
    let rule = |m: &homelabcmd_protocol::api::MetricThreshold| MetricRule {
        high: m.high_percent as f64,
        critical: m.critical_percent as f64,
        sustained_seconds: m.sustained_seconds,
    };
    let mut rules = Rules {
        cpu: rule(&t.cpu),
        memory: rule(&t.memory),
        disk: rule(&t.disk),
        security_updates_threshold: SECURITY_UPDATES_THRESHOLD,
        event_ttl_ms: EVENT_TTL_MS,
    };
    for o in overrides {
        let slot = match o.metric {
            MetricType::Cpu => &mut rules.cpu,
            MetricType::Memory => &mut rules.memory,
            MetricType::Disk => &mut rules.disk,
        };
        if let Some(v) = o.high_percent {
            slot.high = v as f64;
        }
        if let Some(v) = o.critical_percent {
            slot.critical = v as f64;
        }
        if let Some(v) = o.sustained_seconds {
            slot.sustained_seconds = v;
        }
    }
    rules
}

/// The stored thresholds document, or the defaults when there is none or it
/// no longer parses (logged, as `db::settings::get` does).
fn thresholds_from(stored: Option<&str>) -> ThresholdsConfig {
    stored
        .and_then(|text| match serde_json::from_str(text) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring unreadable stored thresholds");
                None
            }
        })
        .unwrap_or_else(settings::default_thresholds)
}

/// Evaluate one machine after a heartbeat was stored.
pub async fn on_heartbeat(state: &AppState, out: Ingested, hb: &HeartbeatRequest) {
    if !out.is_newest {
        // A replayed old sample says nothing about now.
        return;
    }
    let m = hb.metrics.as_ref();
    let sample = Sample {
        at_ms: hb.timestamp.timestamp_millis(),
        cpu: m.and_then(|m| m.cpu_percent),
        memory: m.and_then(|m| m.memory_percent),
        disk: m.and_then(|m| m.disk_percent),
        rebooted: out.rebooted,
        containers_exited: out.containers_exited,
        security_updates: hb.security_updates,
    };
    let result = match out.alert_context {
        // Read by the heartbeat's own script: no second round trip.
        Some(ctx) => evaluate(state, ctx, Some(sample), now_ms()).await,
        None => evaluate_server(state, &out.server_id, Some(sample), now_ms()).await,
    };
    if let Err(e) = result {
        tracing::warn!(server_id = %out.server_id, error = ?e, "alert evaluation failed");
    }
}

/// Load, decide, apply. `sample` is `None` on the timer.
pub async fn evaluate_server(
    state: &AppState,
    server_id: &str,
    sample: Option<Sample>,
    now: i64,
) -> anyhow::Result<()> {
    let Some(ctx) = db::alerts::load_context(&state.db, server_id).await? else {
        return Ok(());
    };
    evaluate(state, ctx, sample, now).await
}

/// Decide on `ctx` and apply the decision.
async fn evaluate(
    state: &AppState,
    ctx: db::alerts::EvalContext,
    sample: Option<Sample>,
    now: i64,
) -> anyhow::Result<()> {
    let thresholds = thresholds_from(ctx.thresholds.as_deref());
    let rules = rules_from(&thresholds, &ctx.overrides);
    let reported: Vec<ServiceStatusPayload> = ctx
        .reported_services
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let services = ctx
        .expected_services
        .into_iter()
        .map(|(name, is_critical)| ServiceState {
            status: reported
                .iter()
                .find(|r| r.name == name)
                .map(|r| r.status.clone()),
            name,
            is_critical,
        })
        .collect();
    let machine = Machine {
        machine_type: ctx.machine_type,
        is_paused: ctx.is_paused,
        last_seen_ms: ctx.last_seen,
        offline_threshold_seconds: ctx
            .offline_threshold_seconds
            .unwrap_or(thresholds.server_offline_seconds),
        services,
        sample,
    };
    let decision = engine::evaluate(&ctx.active, &ctx.pending, &machine, &rules, now);
    let pending_changed = decision.pending != ctx.pending;
    if decision.to_open.is_empty()
        && decision.to_update.is_empty()
        && decision.to_resolve.is_empty()
        && !pending_changed
    {
        return Ok(());
    }
    apply(
        state,
        &ctx.server_id,
        &ctx.server_name,
        ctx.is_paused,
        decision,
        pending_changed,
        now,
    )
    .await
}

async fn apply(
    state: &AppState,
    server_id: &str,
    server_name: &str,
    paused: bool,
    d: Decision,
    pending_changed: bool,
    now: i64,
) -> anyhow::Result<()> {
    let notif = notify::load_settings(&state.db).await?;
    let channels = notify::channels(&notif, &state.config);
    let link = notify::machine_link(state.config.external_url.as_deref(), server_id);
    // New alerts are never snoozed; existing ones carry their own snooze.
    let allowed = |ev: &AlertEvent, snoozed: Option<i64>| {
        !channels.is_empty() && notify::should_notify(&notif, ev, paused, snoozed, now)
    };
    let event = |kind, id, a: &engine::NewAlert| AlertEvent {
        kind,
        alert_id: id,
        server_id: server_id.to_owned(),
        server_name: server_name.to_owned(),
        alert_type: a.condition.alert_type().to_string(),
        severity: a.severity,
        previous_severity: None,
        title: a.title.clone(),
        message: a.message.clone(),
        metric: a.condition.metric(),
        value: a.value,
        threshold: a.threshold,
        at: db::to_dt(now),
        link: link.clone(),
        auto_resolved: false,
    };
    let mut queued = false;
    let mut tx = state.db.write.begin().await?;
    for new in &d.to_open {
        let Some(id) = db::alerts::insert(&mut tx, server_id, new, now).await? else {
            continue;
        };
        tracing::info!(
            server_id,
            alert_id = id,
            alert_type = new.condition.alert_type().as_str(),
            severity = new.severity.as_str(),
            "alert opened"
        );
        let ev = event(EventKind::Opened, Some(id), new);
        if allowed(&ev, None) {
            db::outbox::enqueue(&mut tx, &channels, &ev, now).await?;
            db::alerts::mark_notified(&mut tx, id, now).await?;
            queued = true;
        }
    }
    for up in &d.to_update {
        db::alerts::set_severity(&mut tx, up.id, up.to, up.value, now).await?;
        // Only a rise in severity is news worth a message.
        if up.to > up.from
            && let Some(row) = db::alerts::get_in(&mut tx, up.id).await?
        {
            let mut ev = event_from_row(&row, server_name, link.clone(), now);
            ev.kind = EventKind::Escalated;
            ev.previous_severity = Some(up.from);
            if allowed(&ev, row.snoozed_until) {
                db::outbox::enqueue(&mut tx, &channels, &ev, now).await?;
                db::alerts::mark_notified(&mut tx, up.id, now).await?;
                queued = true;
            }
        }
    }
    for id in &d.to_resolve {
        if !db::alerts::resolve(&mut tx, *id, true, now).await? {
            continue;
        }
        tracing::info!(server_id, alert_id = id, "alert auto-resolved");
        // Only alerts people were told about get a "resolved" message.
        if let Some(row) = db::alerts::get_in(&mut tx, *id).await?
            && row.last_notified_at.is_some()
        {
            let mut ev = event_from_row(&row, server_name, link.clone(), now);
            ev.kind = EventKind::Resolved;
            ev.auto_resolved = true;
            if allowed(&ev, row.snoozed_until) {
                db::outbox::enqueue(&mut tx, &channels, &ev, now).await?;
                queued = true;
            }
        }
    }
    if pending_changed {
        db::alerts::replace_pending(&mut tx, server_id, &d.pending).await?;
    }
    tx.commit().await.context("committing alert decision")?;
    if queued {
        state.notifier_wake.notify_one();
    }
    Ok(())
}

pub fn event_from_row(
    row: &db::alerts::AlertRow,
    server_name: &str,
    link: Option<String>,
    now: i64,
) -> AlertEvent {
    AlertEvent {
        kind: EventKind::Opened,
        alert_id: Some(row.id),
        server_id: row.server_id.clone(),
        server_name: server_name.to_owned(),
        alert_type: row.alert_type.to_string(),
        severity: row.severity,
        previous_severity: None,
        title: row.title.clone(),
        message: row.message.clone().unwrap_or_default(),
        metric: Condition::parse_key(&row.condition_key).and_then(|c| c.metric()),
        value: row.actual_value,
        threshold: row.threshold_value,
        at: db::to_dt(now),
        link,
        auto_resolved: row.auto_resolved,
    }
}

/// Timer: evaluate every machine without a sample (offline detection,
/// expiring events).
pub async fn run(state: AppState) {
    let period = Duration::from_secs(state.config.alert_check_interval_seconds);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let ids = match db::alerts::all_server_ids(&state.db).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "alert timer: listing machines failed");
                continue;
            }
        };
        let now = now_ms();
        for id in ids {
            if let Err(e) = evaluate_server(&state, &id, None, now).await {
                tracing::warn!(server_id = %id, error = ?e, "alert timer evaluation failed");
            }
        }
        match notify::reminders::enqueue_due(&state, now).await {
            Ok(n) if n > 0 => state.notifier_wake.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "queuing alert reminders failed"),
        }
    }
}
