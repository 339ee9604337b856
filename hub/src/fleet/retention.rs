//! Background task: roll new samples up into hourly and daily buckets and
//! prune each tier past its retention.

use std::time::Duration;

use anyhow::Context as _;

use crate::db::metrics::{Retention, prune, rollup_since};
use crate::db::now_ms;
use crate::state::AppState;

/// One pass; returns rows pruned. Public so tests and `serve` start-up can
/// run it directly.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    if let Some(from) = state.take_dirty()
        && let Err(e) = rollup_since(&state.db, from).await
    {
        // Put the work back so the next pass retries it.
        state.mark_dirty(from);
        return Err(e).context("rolling up metrics");
    }
    let keep = Retention::with_raw_hours(state.config.raw_retention_hours);
    prune(&state.db, now_ms(), keep)
        .await
        .context("pruning metrics")
}

pub async fn run(state: AppState) {
    // After a restart nothing is known about what was rolled up: redo the
    // whole raw window once (cheap: one grouped scan).
    let keep = Retention::with_raw_hours(state.config.raw_retention_hours);
    state.mark_dirty(now_ms() - keep.raw_ms);
    let mut tick = tokio::time::interval(Duration::from_secs(state.config.rollup_interval_seconds));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run_once(&state).await {
            Ok(pruned) if pruned > 0 => tracing::info!(pruned, "metrics retention pass"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "metrics retention pass failed"),
        }
    }
}
