//! Background task: daily electricity cost snapshots for the history
//! endpoints. Every hour (and at start) it rewrites yesterday's final and
//! today's running snapshot of every machine, and back-fills days within
//! the hourly-rollup retention that have no snapshot yet. Every write is an
//! upsert per (machine, day), so reruns and restarts are harmless.

use std::time::Duration;

use anyhow::Context as _;

use crate::costs::floor_day_ms;
use crate::db::costs::{self as store, SnapshotContext};
use crate::db::metrics::{DAY_MS, Retention};
use crate::db::{self, now_ms};
use crate::state::AppState;

const INTERVAL: Duration = Duration::from_secs(3600);

/// One pass at hub time `now` (ms); returns the snapshots written. Public so
/// tests can run it at a chosen time.
pub async fn run_once(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let keep = Retention::with_raw_hours(state.config.raw_retention_hours);
    let ctx = SnapshotContext {
        now,
        rate: store::price(&state.db).await?.electricity_rate,
        default_offline_seconds: store::default_offline_seconds(&state.db).await?,
        raw_from: now - keep.raw_ms,
    };
    let servers = db::servers::list(&state.db)
        .await
        .context("listing machines")?;
    let today = floor_day_ms(now);
    let yesterday = today - DAY_MS;
    let mut written = 0;
    for server in &servers {
        for day in [yesterday, today] {
            if store::snapshot_day(&state.db, server, day, ctx)
                .await
                .with_context(|| format!("cost snapshot of {}", server.id))?
            {
                written += 1;
            }
        }
    }
    // Older days only once, when missing: their data no longer changes.
    let oldest = floor_day_ms(now - keep.hourly_ms);
    for (id, day) in store::days_missing_snapshots(&state.db, oldest, yesterday).await? {
        if let Some(server) = servers.iter().find(|s| s.id == id)
            && store::snapshot_day(&state.db, server, day, ctx)
                .await
                .with_context(|| format!("back-filling the cost snapshot of {id}"))?
        {
            written += 1;
        }
    }
    Ok(written)
}

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run_once(&state, now_ms()).await {
            Ok(written) => tracing::debug!(written, "cost snapshots"),
            Err(e) => tracing::warn!(error = ?e, "cost snapshot pass failed"),
        }
    }
}
