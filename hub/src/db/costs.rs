//! Cost data: machine load and hours up from the metrics tables, and the
//! daily `cost_snapshots` the history endpoints read. The arithmetic is in
//! [`crate::costs`]; this module only fetches and stores.
//!
//! Where usage comes from: raw samples while they are kept (sample times
//! give hours up to the second, see [`costs::uptime_ms`]); hourly rollups
//! for older days (each hour with a sample counts as a whole hour up, the
//! best the rollups can tell).

use std::collections::HashMap;

use sqlx::FromRow;

use homelabcmd_protocol::api::ThresholdsConfig;

use super::Db;
use super::metrics::{DAY_MS, HOUR_MS};
use super::servers::ServerRow;
use super::settings;
use crate::costs::{self, MachineKind, PowerModel, Usage};
use crate::settings::{COST_KEY, CostSettings, THRESHOLDS_KEY};
use crate::status::DEFAULT_OFFLINE_SECONDS;

/// Price settings in force (the defaults until `/config/cost` is saved).
pub async fn price(db: &Db) -> sqlx::Result<CostSettings> {
    Ok(settings::get::<CostSettings>(db, COST_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_default())
}

/// The global offline threshold (`/config/thresholds`), seconds: the gap
/// between heartbeats beyond which a machine counts as having been off.
pub async fn default_offline_seconds(db: &Db) -> sqlx::Result<i64> {
    Ok(settings::get::<ThresholdsConfig>(db, THRESHOLDS_KEY)
        .await?
        .map_or(DEFAULT_OFFLINE_SECONDS, |s| s.value.server_offline_seconds))
}

/// Average CPU per machine over the raw samples in `[from, to)`.
pub async fn avg_cpu_by_server(db: &Db, from: i64, to: i64) -> sqlx::Result<HashMap<String, f64>> {
    let rows: Vec<(String, f64)> = sqlx::query_as(
        "SELECT server_id, avg(cpu_percent) FROM metrics
         WHERE ts >= ? AND ts < ? AND cpu_percent IS NOT NULL GROUP BY server_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Sample times of one machine in `[from, to)`, oldest first.
pub async fn sample_times(db: &Db, server_id: &str, from: i64, to: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT ts FROM metrics WHERE server_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
    )
    .bind(server_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.read)
    .await
}

/// Hours up in `[from, to)` and the load meanwhile, from raw samples;
/// `None` when the machine sent nothing in the span.
pub async fn raw_usage(
    db: &Db,
    server_id: &str,
    from: i64,
    to: i64,
    max_gap_ms: i64,
) -> sqlx::Result<Option<Usage>> {
    // Samples just outside the span say whether its edges were up.
    let ts = sample_times(db, server_id, from - max_gap_ms, to + max_gap_ms + 1).await?;
    if !ts.iter().any(|t| (from..to).contains(t)) {
        return Ok(None);
    }
    let cpu: Option<f64> = sqlx::query_scalar(
        "SELECT avg(cpu_percent) FROM metrics WHERE server_id = ? AND ts >= ? AND ts < ?",
    )
    .bind(server_id)
    .bind(from)
    .bind(to)
    .fetch_one(&db.read)
    .await?;
    Ok(Some(Usage {
        hours: costs::uptime_ms(&ts, from, to, max_gap_ms) as f64 / HOUR_MS as f64,
        avg_cpu_percent: cpu,
    }))
}

/// Hours up in `[from, to)` (whole hours with a sample) and the load
/// meanwhile (weighted by samples), from hourly rollups; `None` when the
/// machine sent nothing in the span.
pub async fn hourly_usage(
    db: &Db,
    server_id: &str,
    from: i64,
    to: i64,
) -> sqlx::Result<Option<Usage>> {
    let (hours, cpu): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*),
            sum(cpu_avg * samples) / sum(CASE WHEN cpu_avg IS NULL THEN 0 ELSE samples END)
         FROM metrics_rollup
         WHERE server_id = ? AND tier = 3600 AND samples > 0 AND bucket >= ? AND bucket < ?",
    )
    .bind(server_id)
    .bind(from)
    .bind(to)
    .fetch_one(&db.read)
    .await?;
    Ok((hours > 0).then_some(Usage {
        hours: hours as f64,
        avg_cpu_percent: cpu,
    }))
}

/// Usage in `[from, to)` from whichever table still holds it: raw samples
/// if they are all still there (`raw_from` is the oldest time the raw
/// window keeps), else hourly rollups.
pub async fn usage(
    db: &Db,
    server_id: &str,
    from: i64,
    to: i64,
    max_gap_ms: i64,
    raw_from: i64,
) -> sqlx::Result<Option<Usage>> {
    if from >= raw_from {
        raw_usage(db, server_id, from, to, max_gap_ms).await
    } else {
        hourly_usage(db, server_id, from, to).await
    }
}

/// Hours up and load per machine summed over the snapshots of the days in
/// `[from, to)` (load weighted by hours up).
pub async fn snapshot_usage(db: &Db, from: i64, to: i64) -> sqlx::Result<HashMap<String, Usage>> {
    let rows: Vec<(String, f64, Option<f64>)> = sqlx::query_as(
        "SELECT server_id, sum(hours_up),
            sum(avg_cpu_percent * hours_up)
                / sum(CASE WHEN avg_cpu_percent IS NULL THEN 0 ELSE hours_up END)
         FROM cost_snapshots WHERE day >= ? AND day < ? GROUP BY server_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, hours, cpu)| {
            (
                id,
                Usage {
                    hours,
                    avg_cpu_percent: cpu,
                },
            )
        })
        .collect())
}

/// One `cost_snapshots` row (see the migration for each column).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SnapshotRow {
    pub server_id: String,
    pub day: i64,
    pub machine_type: String,
    pub idle_watts: Option<i64>,
    pub max_watts: Option<i64>,
    pub avg_cpu_percent: Option<f64>,
    pub estimated_watts: Option<f64>,
    pub hours_up: f64,
    pub hours_charged: f64,
    pub kwh: f64,
    pub cost: f64,
    pub electricity_rate: f64,
    pub complete: bool,
    pub source: String,
    pub updated_at: i64,
}

/// Insert or replace the row of (server, day): reruns are harmless.
pub async fn upsert(db: &Db, r: &SnapshotRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cost_snapshots (server_id, day, machine_type, idle_watts, max_watts,
            avg_cpu_percent, estimated_watts, hours_up, hours_charged, kwh, cost,
            electricity_rate, complete, source, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (server_id, day) DO UPDATE SET
            machine_type = excluded.machine_type, idle_watts = excluded.idle_watts,
            max_watts = excluded.max_watts, avg_cpu_percent = excluded.avg_cpu_percent,
            estimated_watts = excluded.estimated_watts, hours_up = excluded.hours_up,
            hours_charged = excluded.hours_charged, kwh = excluded.kwh, cost = excluded.cost,
            electricity_rate = excluded.electricity_rate, complete = excluded.complete,
            source = excluded.source, updated_at = excluded.updated_at",
    )
    .bind(&r.server_id)
    .bind(r.day)
    .bind(&r.machine_type)
    .bind(r.idle_watts)
    .bind(r.max_watts)
    .bind(r.avg_cpu_percent)
    .bind(r.estimated_watts)
    .bind(r.hours_up)
    .bind(r.hours_charged)
    .bind(r.kwh)
    .bind(r.cost)
    .bind(r.electricity_rate)
    .bind(r.complete)
    .bind(&r.source)
    .bind(r.updated_at)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// One machine's snapshots in `[from, to)`, oldest first.
pub async fn snapshots(
    db: &Db,
    server_id: &str,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<SnapshotRow>> {
    sqlx::query_as(
        "SELECT * FROM cost_snapshots WHERE server_id = ? AND day >= ? AND day < ? ORDER BY day",
    )
    .bind(server_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.read)
    .await
}

/// Per-day sums over machines (or one machine) for the days in `[from, to)`.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DayTotalRow {
    pub day: i64,
    pub kwh: f64,
    pub cost: f64,
    pub avg_rate: f64,
}

pub async fn daily_totals(
    db: &Db,
    from: i64,
    to: i64,
    server_id: Option<&str>,
) -> sqlx::Result<Vec<DayTotalRow>> {
    sqlx::query_as(
        "SELECT day, sum(kwh) AS kwh, sum(cost) AS cost, avg(electricity_rate) AS avg_rate
         FROM cost_snapshots
         WHERE day >= ?1 AND day < ?2 AND (?3 IS NULL OR server_id = ?3)
         GROUP BY day ORDER BY day",
    )
    .bind(from)
    .bind(to)
    .bind(server_id)
    .fetch_all(&db.read)
    .await
}

/// (server, day start) pairs in `[from, to)` that have hourly data but no
/// snapshot: days the snapshot task missed (the hub was down, or it was
/// upgraded with history already stored).
pub async fn days_missing_snapshots(
    db: &Db,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT DISTINCT r.server_id, (r.bucket / 86400000) * 86400000 AS day
         FROM metrics_rollup r
         WHERE r.tier = 3600 AND r.samples > 0 AND r.bucket >= ? AND r.bucket < ?
           AND NOT EXISTS (SELECT 1 FROM cost_snapshots c
                           WHERE c.server_id = r.server_id
                             AND c.day = (r.bucket / 86400000) * 86400000)
         ORDER BY day, r.server_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&db.read)
    .await
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
    let kind = MachineKind::from_machine_type(&server.machine_type);
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
    upsert(
        db,
        &SnapshotRow {
            server_id: server.id.clone(),
            day: day_start,
            machine_type: kind.as_str().into(),
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

#[cfg(test)]
mod tests {
    use super::*;
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
