//! Metrics history: full-resolution samples, hourly and daily rollups, and
//! retention. Rollups are recomputed from their source for every bucket
//! touched since the last run, so late (replayed) samples land in the right
//! bucket and a rerun is harmless.

use homelabcmd_protocol::api::SparklineMetric;
use sqlx::FromRow;

use super::Db;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Retention per tier.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub raw_ms: i64,
    pub hourly_ms: i64,
    pub daily_ms: i64,
}

impl Retention {
    pub fn with_raw_hours(hours: u32) -> Self {
        Self {
            raw_ms: i64::from(hours) * HOUR_MS,
            hourly_ms: 90 * DAY_MS,
            daily_ms: 730 * DAY_MS,
        }
    }
}

/// One full-resolution sample.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct RawSample {
    pub ts: i64,
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    pub memory_total_mb: Option<i64>,
    pub memory_used_mb: Option<i64>,
    pub disk_percent: Option<f64>,
    pub disk_total_gb: Option<f64>,
    pub disk_used_gb: Option<f64>,
    pub network_rx_bytes: Option<i64>,
    pub network_tx_bytes: Option<i64>,
    pub load_1m: Option<f64>,
    pub load_5m: Option<f64>,
    pub load_15m: Option<f64>,
    pub uptime_seconds: Option<i64>,
}

/// One rolled-up bucket.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Bucket {
    pub bucket: i64,
    pub samples: i64,
    pub cpu_avg: Option<f64>,
    pub cpu_min: Option<f64>,
    pub cpu_max: Option<f64>,
    pub memory_avg: Option<f64>,
    pub memory_min: Option<f64>,
    pub memory_max: Option<f64>,
    pub disk_avg: Option<f64>,
    pub disk_min: Option<f64>,
    pub disk_max: Option<f64>,
    pub load_1m_avg: Option<f64>,
}

pub async fn raw_since(db: &Db, server_id: &str, since_ms: i64) -> sqlx::Result<Vec<RawSample>> {
    sqlx::query_as(
        "SELECT ts, cpu_percent, memory_percent, memory_total_mb, memory_used_mb, disk_percent,
                disk_total_gb, disk_used_gb, network_rx_bytes, network_tx_bytes, load_1m, load_5m,
                load_15m, uptime_seconds
         FROM metrics WHERE server_id = ? AND ts >= ? ORDER BY ts",
    )
    .bind(server_id)
    .bind(since_ms)
    .fetch_all(&db.read)
    .await
}

/// `(ts, value)` of one whitelisted column, for sparklines.
pub async fn raw_column_since(
    db: &Db,
    server_id: &str,
    metric: SparklineMetric,
    since_ms: i64,
) -> sqlx::Result<Vec<(i64, Option<f64>)>> {
    sqlx::query_as(select_sql(metric))
        .bind(server_id)
        .bind(since_ms)
        .fetch_all(&db.read)
        .await
}

/// One fixed statement per column: nothing from the request reaches SQL.
fn select_sql(metric: SparklineMetric) -> &'static str {
    match metric {
        SparklineMetric::CpuPercent => {
            "SELECT ts, cpu_percent FROM metrics WHERE server_id = ? AND ts >= ? ORDER BY ts"
        }
        SparklineMetric::MemoryPercent => {
            "SELECT ts, memory_percent FROM metrics WHERE server_id = ? AND ts >= ? ORDER BY ts"
        }
        SparklineMetric::DiskPercent => {
            "SELECT ts, disk_percent FROM metrics WHERE server_id = ? AND ts >= ? ORDER BY ts"
        }
    }
}

pub async fn buckets_since(
    db: &Db,
    server_id: &str,
    tier_ms: i64,
    since_ms: i64,
) -> sqlx::Result<Vec<Bucket>> {
    sqlx::query_as(
        "SELECT bucket, samples, cpu_avg, cpu_min, cpu_max, memory_avg, memory_min, memory_max,
                disk_avg, disk_min, disk_max, load_1m_avg
         FROM metrics_rollup WHERE server_id = ? AND tier = ? AND bucket >= ? ORDER BY bucket",
    )
    .bind(server_id)
    .bind(tier_ms / 1000)
    .bind(since_ms)
    .fetch_all(&db.read)
    .await
}

/// Recompute hourly buckets from raw samples at or after `from_ms`, and
/// daily buckets from those hours. Also rolls per-filesystem and
/// per-interface samples into hours.
pub async fn rollup_since(db: &Db, from_ms: i64) -> sqlx::Result<()> {
    let hour_from = from_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let day_from = from_ms.div_euclid(DAY_MS) * DAY_MS;
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "INSERT INTO metrics_rollup (server_id, tier, bucket, samples, cpu_avg, cpu_min, cpu_max,
            memory_avg, memory_min, memory_max, disk_avg, disk_min, disk_max, load_1m_avg,
            network_rx_max, network_tx_max)
         SELECT server_id, 3600, (ts / 3600000) * 3600000, count(*),
            avg(cpu_percent), min(cpu_percent), max(cpu_percent),
            avg(memory_percent), min(memory_percent), max(memory_percent),
            avg(disk_percent), min(disk_percent), max(disk_percent), avg(load_1m),
            max(network_rx_bytes), max(network_tx_bytes)
         FROM metrics WHERE ts >= ?1
         GROUP BY server_id, ts / 3600000
         ON CONFLICT (server_id, tier, bucket) DO UPDATE SET
            samples = excluded.samples, cpu_avg = excluded.cpu_avg, cpu_min = excluded.cpu_min,
            cpu_max = excluded.cpu_max, memory_avg = excluded.memory_avg,
            memory_min = excluded.memory_min, memory_max = excluded.memory_max,
            disk_avg = excluded.disk_avg, disk_min = excluded.disk_min, disk_max = excluded.disk_max,
            load_1m_avg = excluded.load_1m_avg, network_rx_max = excluded.network_rx_max,
            network_tx_max = excluded.network_tx_max",
    )
    .bind(hour_from)
    .execute(&mut *tx)
    .await?;
    // Daily from hourly, weighting each hour by its sample count.
    sqlx::query(
        "INSERT INTO metrics_rollup (server_id, tier, bucket, samples, cpu_avg, cpu_min, cpu_max,
            memory_avg, memory_min, memory_max, disk_avg, disk_min, disk_max, load_1m_avg,
            network_rx_max, network_tx_max)
         SELECT server_id, 86400, (bucket / 86400000) * 86400000, sum(samples),
            sum(cpu_avg * samples) / sum(CASE WHEN cpu_avg IS NULL THEN 0 ELSE samples END),
            min(cpu_min), max(cpu_max),
            sum(memory_avg * samples) / sum(CASE WHEN memory_avg IS NULL THEN 0 ELSE samples END),
            min(memory_min), max(memory_max),
            sum(disk_avg * samples) / sum(CASE WHEN disk_avg IS NULL THEN 0 ELSE samples END),
            min(disk_min), max(disk_max),
            sum(load_1m_avg * samples) / sum(CASE WHEN load_1m_avg IS NULL THEN 0 ELSE samples END),
            max(network_rx_max), max(network_tx_max)
         FROM metrics_rollup WHERE tier = 3600 AND bucket >= ?1
         GROUP BY server_id, bucket / 86400000
         ON CONFLICT (server_id, tier, bucket) DO UPDATE SET
            samples = excluded.samples, cpu_avg = excluded.cpu_avg, cpu_min = excluded.cpu_min,
            cpu_max = excluded.cpu_max, memory_avg = excluded.memory_avg,
            memory_min = excluded.memory_min, memory_max = excluded.memory_max,
            disk_avg = excluded.disk_avg, disk_min = excluded.disk_min, disk_max = excluded.disk_max,
            load_1m_avg = excluded.load_1m_avg, network_rx_max = excluded.network_rx_max,
            network_tx_max = excluded.network_tx_max",
    )
    .bind(day_from)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO filesystem_rollup (server_id, bucket, mount_point, total_bytes, used_max,
            percent_avg, percent_max)
         SELECT server_id, (ts / 3600000) * 3600000, mount_point, max(total_bytes),
            max(used_bytes), avg(percent), max(percent)
         FROM filesystem_metrics WHERE ts >= ?1
         GROUP BY server_id, ts / 3600000, mount_point
         ON CONFLICT (server_id, bucket, mount_point) DO UPDATE SET
            total_bytes = excluded.total_bytes, used_max = excluded.used_max,
            percent_avg = excluded.percent_avg, percent_max = excluded.percent_max",
    )
    .bind(hour_from)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO interface_rollup (server_id, bucket, name, rx_max, tx_max)
         SELECT server_id, (ts / 3600000) * 3600000, name, max(rx_bytes), max(tx_bytes)
         FROM interface_metrics WHERE ts >= ?1
         GROUP BY server_id, ts / 3600000, name
         ON CONFLICT (server_id, bucket, name) DO UPDATE SET
            rx_max = excluded.rx_max, tx_max = excluded.tx_max",
    )
    .bind(hour_from)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Delete what is older than each tier's retention. Returns rows deleted.
pub async fn prune(db: &Db, now_ms: i64, keep: Retention) -> sqlx::Result<u64> {
    let raw_cutoff = now_ms - keep.raw_ms;
    let mut deleted = 0;
    for (sql, cutoff) in [
        ("DELETE FROM metrics WHERE ts < ?", raw_cutoff),
        ("DELETE FROM filesystem_metrics WHERE ts < ?", raw_cutoff),
        ("DELETE FROM interface_metrics WHERE ts < ?", raw_cutoff),
        (
            "DELETE FROM metrics_rollup WHERE tier = 3600 AND bucket < ?",
            now_ms - keep.hourly_ms,
        ),
        (
            "DELETE FROM filesystem_rollup WHERE bucket < ?",
            now_ms - keep.hourly_ms,
        ),
        (
            "DELETE FROM interface_rollup WHERE bucket < ?",
            now_ms - keep.hourly_ms,
        ),
        (
            "DELETE FROM metrics_rollup WHERE tier = 86400 AND bucket < ?",
            now_ms - keep.daily_ms,
        ),
    ] {
        deleted += sqlx::query(sql)
            .bind(cutoff)
            .execute(&db.write)
            .await?
            .rows_affected();
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::heartbeat::ingest;
    use crate::db::test_db;
    use homelabcmd_protocol::heartbeat::HeartbeatRequest;

    fn at(ms: i64, cpu: f64) -> HeartbeatRequest {
        let mut hb: HeartbeatRequest = serde_json::from_str(include_str!(
            "../../../protocol/tests/fixtures/heartbeat-sample.json"
        ))
        .unwrap();
        hb.timestamp = crate::db::to_dt(ms);
        hb.metrics.as_mut().unwrap().cpu_percent = Some(cpu);
        hb.packages = None;
        hb
    }

    #[tokio::test]
    async fn hourly_and_daily_rollups_average_and_keep_peaks() {
        let (db, _dir) = test_db().await;
        let base = 100 * DAY_MS;
        for (i, cpu) in [10.0, 20.0, 90.0].into_iter().enumerate() {
            ingest(&db, &at(base + i as i64 * 60_000, cpu), base, None)
                .await
                .unwrap();
        }
        ingest(&db, &at(base + HOUR_MS, 40.0), base, None)
            .await
            .unwrap();
        rollup_since(&db, base).await.unwrap();
        let hours = buckets_since(&db, "peer-agent-01", HOUR_MS, 0)
            .await
            .unwrap();
        assert_eq!(hours.len(), 2);
        assert_eq!(hours[0].samples, 3);
        assert_eq!(hours[0].cpu_avg, Some(40.0));
        assert_eq!(hours[0].cpu_max, Some(90.0));
        assert_eq!(hours[0].cpu_min, Some(10.0));
        let days = buckets_since(&db, "peer-agent-01", DAY_MS, 0)
            .await
            .unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].samples, 4);
        assert_eq!(
            days[0].cpu_avg,
            Some(40.0),
            "weighted by samples: (10+20+90+40)/4"
        );

        // A late sample for the first hour is folded in on the next run.
        ingest(&db, &at(base + 5 * 60_000, 0.0), base, None)
            .await
            .unwrap();
        rollup_since(&db, base + 5 * 60_000).await.unwrap();
        let hours = buckets_since(&db, "peer-agent-01", HOUR_MS, 0)
            .await
            .unwrap();
        assert_eq!(hours[0].samples, 4);
        assert_eq!(hours[0].cpu_avg, Some(30.0));
    }

    #[tokio::test]
    async fn prune_drops_raw_beyond_its_window_but_keeps_rollups() {
        let (db, _dir) = test_db().await;
        let now = 200 * DAY_MS;
        ingest(&db, &at(now - 3 * DAY_MS, 50.0), now, None)
            .await
            .unwrap();
        ingest(&db, &at(now - 60_000, 60.0), now, None)
            .await
            .unwrap();
        rollup_since(&db, 0).await.unwrap();
        let deleted = prune(&db, now, Retention::with_raw_hours(48))
            .await
            .unwrap();
        assert!(deleted >= 1);
        assert_eq!(raw_since(&db, "peer-agent-01", 0).await.unwrap().len(), 1);
        assert_eq!(
            buckets_since(&db, "peer-agent-01", HOUR_MS, 0)
                .await
                .unwrap()
                .len(),
            2
        );
    }
}
