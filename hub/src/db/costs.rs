//! Cost data: machine load and hours up from the metrics tables, and the
//! daily `cost_snapshots` the history endpoints read. The arithmetic is in
//! [`homelabcmd_core::costs`]; this module only fetches and stores.
//!
//! Where usage comes from: raw samples while they are kept (sample times
//! give hours up to the second, see [`costs::uptime_ms`]); hourly rollups
//! for older days (each hour with a sample counts as a whole hour up, the
//! best the rollups can tell).

use std::collections::HashMap;

use homelabcmd_protocol::api::MachineType;
use sqlx::FromRow;

use super::Db;
use super::metrics::HOUR_MS;
use homelabcmd_core::costs::{self, Usage};

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
    #[sqlx(try_from = "super::Name<MachineType>")]
    pub machine_type: MachineType,
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
    .bind(r.machine_type.as_str())
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
