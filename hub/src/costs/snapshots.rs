//! Background task: daily electricity cost snapshots for the history
//! endpoints. Every hour (and at start) it rewrites yesterday's final and
//! today's running snapshot of every machine, and back-fills days within
//! the hourly-rollup retention that have no snapshot yet. Every write is an
//! upsert per (machine, day), so reruns and restarts are harmless.

use std::time::Duration;

use anyhow::Context as _;

use homelabcmd_core::costs::{self, PowerModel, floor_day_ms};

use crate::costs::service::usage;
use crate::db::costs::{self as store, SnapshotRow};
use crate::db::metrics::{DAY_MS, HOUR_MS, Retention};
use crate::db::servers::ServerRow;
use crate::db::{self, Db, now_ms};
use crate::state::AppState;

const INTERVAL: Duration = Duration::from_secs(3600);

/// One pass at hub time `now` (ms); returns the snapshots written. Public so
/// tests can run it at a chosen time.
pub async fn run_once(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let keep = Retention::with_raw_hours(state.config.raw_retention_hours);
    let ctx = SnapshotContext {
        now,
        rate: crate::settings::cost(&state.db).await?.electricity_rate,
        default_offline_seconds: crate::settings::default_offline_seconds(&state.db).await?,
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
            if snapshot_day(&state.db, server, day, ctx)
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
            && snapshot_day(&state.db, server, day, ctx)
                .await
                .with_context(|| format!("back-filling the cost snapshot of {id}"))?
        {
            written += 1;
        }
    }
    Ok(written)
}

/// What a snapshot is computed with besides the machine.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotContext {
    /// Hub clock.
    pub now: i64,
    /// Price per kWh.
    pub rate: f64,
    /// Offline threshold for machines without their own, seconds.
    pub default_offline_seconds: i64,
    /// Oldest time the raw samples still cover.
    pub raw_from: i64,
}

/// Compute and store `server`'s snapshot for the UTC day starting at
/// `day_start` (today: up to `now`, marked incomplete). Writes nothing, and
/// returns `false`, when the machine sent nothing that day: a machine that
/// was off (or not yet registered) costs nothing.
pub async fn snapshot_day(
    db: &Db,
    server: &ServerRow,
    day_start: i64,
    ctx: SnapshotContext,
) -> sqlx::Result<bool> {
    let day_end = (day_start + DAY_MS).min(ctx.now);
    if day_end <= day_start {
        return Ok(false);
    }
    let max_gap_ms = server
        .offline_threshold_seconds
        .unwrap_or(ctx.default_offline_seconds)
        .saturating_mul(1000);
    let source = if day_start >= ctx.raw_from {
        "raw"
    } else {
        "hourly"
    };
    let Some(used) = usage(db, &server.id, day_start, day_end, max_gap_ms, ctx.raw_from).await?
    else {
        return Ok(false);
    };
    let kind = server.machine_type;
    let model = PowerModel::resolve(
        server.machine_category.as_deref(),
        server.idle_watts,
        server.tdp_watts,
    );
    let hours_in_day = (day_end - day_start) as f64 / HOUR_MS as f64;
    let c = costs::day_cost(
        kind,
        model,
        used.avg_cpu_percent,
        used.hours,
        hours_in_day,
        ctx.rate,
    );
    store::upsert(
        db,
        &SnapshotRow {
            server_id: server.id.clone(),
            day: day_start,
            machine_type: kind,
            idle_watts: model.and_then(PowerModel::idle_watts),
            max_watts: model.map(PowerModel::max_watts),
            avg_cpu_percent: c.avg_cpu_percent,
            estimated_watts: c.estimated_watts,
            hours_up: used.hours,
            hours_charged: c.hours_charged,
            kwh: c.kwh,
            cost: c.cost,
            electricity_rate: ctx.rate,
            complete: day_start + DAY_MS <= ctx.now,
            source: source.into(),
            updated_at: ctx.now,
        },
    )
    .await?;
    Ok(true)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::costs::*;
    use crate::db::heartbeat::ingest;
    use crate::db::metrics::rollup_since;
    use crate::db::{servers, test_db};
    use homelabcmd_protocol::heartbeat::HeartbeatRequest;

    fn at(id: &str, ms: i64, cpu: f64) -> HeartbeatRequest {
        let mut hb: HeartbeatRequest = serde_json::from_str(include_str!(
            "../../../protocol/tests/fixtures/heartbeat-sample.json"
        ))
        .unwrap();
        hb.server_id = id.into();
        hb.server_guid = None;
        hb.timestamp = crate::db::to_dt(ms);
        hb.metrics.as_mut().unwrap().cpu_percent = Some(cpu);
        hb.packages = None;
        hb
    }

    #[tokio::test]
    async fn a_day_snapshot_from_raw_samples_and_its_rerun() {
        let (db, _dir) = test_db().await;
        let day = 400 * DAY_MS;
        // Up 10:00–12:00, one sample a minute, CPU 30 % then 10 % (avg 20 %).
        for i in 0..=120 {
            let cpu = if i < 60 { 30.0 } else { 10.0 };
            ingest(
                &db,
                &at("ws", day + 10 * HOUR_MS + i * 60_000, cpu),
                day,
                None,
            )
            .await
            .unwrap();
        }
        sqlx::query(
            "UPDATE servers SET machine_type = 'workstation', idle_watts = 50, tdp_watts = 150",
        )
        .execute(&db.write)
        .await
        .unwrap();
        let server = servers::get(&db.read, "ws").await.unwrap().unwrap();
        let ctx = SnapshotContext {
            now: day + 2 * DAY_MS,
            rate: 0.25,
            default_offline_seconds: 180,
            raw_from: 0,
        };
        assert!(snapshot_day(&db, &server, day, ctx).await.unwrap());
        let rows = snapshots(&db, "ws", 0, i64::MAX).await.unwrap();
        let r = &rows[0];
        // avg CPU (60 × 30 + 61 × 10) / 121 = 2410 / 121 = 19.917 → 19.9 %;
        // 50 + 100 × 0.199 = 69.9 W; 120 gaps of 1 min = 2 h;
        // 69.9 × 2 / 1000 = 0.1398 kWh × 0.25 = 0.03495.
        assert_eq!(r.avg_cpu_percent, Some(19.9));
        assert_eq!(r.estimated_watts, Some(69.9));
        assert_eq!(r.hours_up, 2.0);
        assert_eq!(r.hours_charged, 2.0);
        assert!((r.kwh - 0.1398).abs() < 1e-12);
        assert!((r.cost - 0.03495).abs() < 1e-12);
        assert!(r.complete);
        assert_eq!(r.source, "raw");
        // Rerun with a new price: same row, updated.
        let ctx = SnapshotContext { rate: 0.5, ..ctx };
        assert!(snapshot_day(&db, &server, day, ctx).await.unwrap());
        let rows = snapshots(&db, "ws", 0, i64::MAX).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert!((rows[0].cost - 0.0699).abs() < 1e-12);
        // A day without samples writes nothing.
        assert!(!snapshot_day(&db, &server, day + DAY_MS, ctx).await.unwrap());
    }

    #[tokio::test]
    async fn days_older_than_the_raw_window_come_from_hourly_rollups() {
        let (db, _dir) = test_db().await;
        let day = 500 * DAY_MS;
        // Samples in hours 01 and 03 (two each): two whole hours up.
        for (h, m, cpu) in [(1, 0, 10.0), (1, 30, 30.0), (3, 0, 40.0), (3, 1, 40.0)] {
            ingest(
                &db,
                &at("srv", day + h * HOUR_MS + m * 60_000, cpu),
                day,
                None,
            )
            .await
            .unwrap();
        }
        rollup_since(&db, 0).await.unwrap();
        let missing = days_missing_snapshots(&db, 0, i64::MAX).await.unwrap();
        assert_eq!(missing, vec![("srv".to_owned(), day)]);
        let u = hourly_usage(&db, "srv", day, day + DAY_MS)
            .await
            .unwrap()
            .unwrap();
        // Hours 01 (avg 20, 2 samples) and 03 (avg 40, 2 samples): 2 h, 30 %.
        assert_eq!(u.hours, 2.0);
        assert_eq!(u.avg_cpu_percent, Some(30.0));

        sqlx::query("UPDATE servers SET tdp_watts = 100")
            .execute(&db.write)
            .await
            .unwrap();
        let server = servers::get(&db.read, "srv").await.unwrap().unwrap();
        let ctx = SnapshotContext {
            now: day + 10 * DAY_MS,
            rate: 0.2,
            default_offline_seconds: 180,
            raw_from: day + 5 * DAY_MS,
        };
        assert!(snapshot_day(&db, &server, day, ctx).await.unwrap());
        let r = &snapshots(&db, "srv", 0, i64::MAX).await.unwrap()[0];
        // A server is charged the whole day at its TDP: 100 W × 24 h = 2.4 kWh × 0.2 = 0.48.
        assert_eq!(r.source, "hourly");
        assert_eq!(r.hours_up, 2.0);
        assert_eq!(r.hours_charged, 24.0);
        assert!((r.kwh - 2.4).abs() < 1e-12);
        assert!((r.cost - 0.48).abs() < 1e-12);
        assert!(
            days_missing_snapshots(&db, 0, i64::MAX)
                .await
                .unwrap()
                .is_empty()
        );

        let totals = daily_totals(&db, 0, i64::MAX, Some("srv")).await.unwrap();
        assert_eq!(totals.len(), 1);
        assert!(
            daily_totals(&db, 0, i64::MAX, Some("other"))
                .await
                .unwrap()
                .is_empty()
        );
        let usage = snapshot_usage(&db, 0, i64::MAX).await.unwrap();
        assert_eq!(usage["srv"].hours, 2.0);
    }
}
