//! `storage`: how big the hub's database gets. Feeds `--machines` simulated
//! machines' heartbeats (one a minute each, the sample body with its
//! filesystem and interfaces, an unchanged package list) through the hub's
//! own store (`homelabcmd::db::heartbeat::ingest`) in simulated time ending
//! now, running the rollup and retention pass (`rollup_since`, `prune`,
//! default retention) every simulated hour as the hub would, then VACUUMs
//! and reports the file size and the rows per table.
//!
//! ```text
//! storage --db /tmp/x/homelab.db [--days 30] [--machines 50]
//! ```
//!
//! The database is left in place, so `scripts/bench storage` can start the
//! hub on it and time the 30-day history query. A 30-day run stores
//! 2.16 M heartbeats; see docs/benchmarks.md for how long that takes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;
use homelabcmd::db::Db;
use homelabcmd::db::heartbeat::ingest;
use homelabcmd::db::metrics::{DAY_MS, HOUR_MS, Retention, prune, rollup_since};
use homelabcmd_bench::results::Record;
use homelabcmd_bench::{MIB, SAMPLE_HEARTBEAT, server_id};
use homelabcmd_protocol::heartbeat::HeartbeatRequest;

const MINUTE_MS: i64 = 60_000;

/// Tables (and their indexes) that keep growing past the raw window.
const GROWING: &[&str] = &[
    "metrics_rollup",
    "metrics_rollup_bucket",
    "filesystem_rollup",
    "interface_rollup",
];

#[derive(Debug, Parser)]
#[command(about = "Database size after N simulated days of a fleet's heartbeats")]
struct Args {
    /// Database file to create (must not exist).
    #[arg(long)]
    db: PathBuf,
    #[arg(long, default_value_t = 30)]
    days: u32,
    #[arg(long, default_value_t = 50)]
    machines: usize,
    /// The hub's raw-sample retention (HOMELAB_CMD_METRICS_RAW_RETENTION_HOURS).
    #[arg(long, default_value_t = 48)]
    raw_retention_hours: u32,
    #[arg(long)]
    results: Option<PathBuf>,
}

/// A cheap deterministic generator, so runs are comparable.
struct XorShift(u64);

impl XorShift {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One machine's evolving heartbeat.
struct Machine {
    hb: HeartbeatRequest,
    rng: XorShift,
    offset_ms: i64,
}

impl Machine {
    fn new(i: usize) -> anyhow::Result<Self> {
        let mut hb: HeartbeatRequest = serde_json::from_str(SAMPLE_HEARTBEAT)?;
        hb.server_id = server_id(i);
        hb.hostname = hb.server_id.clone();
        hb.server_guid = Some(uuid::Uuid::new_v4().to_string());
        Ok(Self {
            hb,
            rng: XorShift(
                0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
            ),
            // Agents are not in lock-step: spread them over the minute.
            offset_ms: (i as i64 * 1_187) % MINUTE_MS,
        })
    }

    /// Advance to the sample taken at `ts_ms`.
    fn step(&mut self, ts_ms: i64) -> &HeartbeatRequest {
        let r = &mut self.rng;
        let round1 = |v: f64| (v * 10.0).round() / 10.0;
        self.hb.timestamp = homelabcmd::db::to_dt(ts_ms);
        if let Some(m) = self.hb.metrics.as_mut() {
            let cpu = round1(2.0 + 60.0 * r.next_f64().powi(3));
            m.cpu_percent = Some(cpu);
            m.memory_percent = Some(round1(20.0 + 30.0 * r.next_f64()));
            m.load_1m = Some((cpu / 25.0 * 100.0).round() / 100.0);
            m.network_rx_bytes = m.network_rx_bytes.map(|b| b + (r.next_f64() * 5e6) as i64);
            m.network_tx_bytes = m.network_tx_bytes.map(|b| b + (r.next_f64() * 1e6) as i64);
            m.uptime_seconds = m.uptime_seconds.map(|u| u + 60);
        }
        for fs in self.hb.filesystems.iter_mut().flatten() {
            fs.used_bytes += (r.next_f64() * 1e6) as i64;
            fs.available_bytes = (fs.total_bytes - fs.used_bytes).max(0);
            fs.percent = round1(100.0 * fs.used_bytes as f64 / fs.total_bytes.max(1) as f64);
        }
        for nic in self.hb.network_interfaces.iter_mut().flatten() {
            if nic.is_up {
                let d = (r.next_f64() * 5e6) as i64;
                nic.rx_bytes += d;
                nic.rx_packets += d / 1400;
                nic.tx_bytes += d / 5;
                nic.tx_packets += d / 7000;
            }
        }
        &self.hb
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        !args.db.exists(),
        "{} exists; give a new path",
        args.db.display()
    );
    let db = Db::open(&args.db).await?;
    let keep = Retention::with_raw_hours(args.raw_retention_hours);
    let mut machines = (0..args.machines)
        .map(Machine::new)
        .collect::<anyhow::Result<Vec<_>>>()?;

    let (round_trip_us, empty_tx_us) = writer_overhead(&db).await?;

    // Simulated time ends now, so the hub's "last 30 days" covers it all.
    let end = chrono::Utc::now().timestamp_millis().div_euclid(MINUTE_MS) * MINUTE_MS;
    let start = end - i64::from(args.days) * DAY_MS;
    let minutes = i64::from(args.days) * 24 * 60;
    let began = Instant::now();
    let mut ingest_secs = 0.0;
    let mut rollup_secs = 0.0;
    let mut dirty_from = i64::MAX;
    let mut stored = 0u64;
    for minute in 0..minutes {
        let now = start + (minute + 1) * MINUTE_MS;
        let t = Instant::now();
        for m in &mut machines {
            let ts = start + minute * MINUTE_MS + m.offset_ms;
            let hb = m.step(ts);
            let out = ingest(&db, hb, now, Some("127.0.0.1")).await?;
            anyhow::ensure!(out.sample_stored, "sample at {ts} not stored");
            dirty_from = dirty_from.min(ts);
            stored += 1;
        }
        ingest_secs += t.elapsed().as_secs_f64();
        if now % HOUR_MS == 0 || minute + 1 == minutes {
            let t = Instant::now();
            rollup_since(&db, dirty_from).await?;
            dirty_from = i64::MAX;
            prune(&db, now, keep).await?;
            rollup_secs += t.elapsed().as_secs_f64();
        }
        if (minute + 1) % (24 * 60) == 0 {
            let day = (minute + 1) / (24 * 60);
            eprintln!(
                "storage: day {day}/{} simulated, {stored} heartbeats, {:.0} heartbeats/s, {:.0} s elapsed",
                args.days,
                stored as f64 / ingest_secs,
                began.elapsed().as_secs_f64()
            );
        }
    }
    let simulate_secs = began.elapsed().as_secs_f64();
    let before_vacuum = file_size(&args.db) + file_size(&wal(&args.db));

    let counts = row_counts(&db).await?;
    let t = Instant::now();
    sqlx::query("VACUUM").execute(&db.write).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&db.write)
        .await?;
    let vacuum_secs = t.elapsed().as_secs_f64();
    let per_table = table_sizes(&db).await;
    db.write.close().await;
    db.read.close().await;
    let size = file_size(&args.db) + file_size(&wal(&args.db));

    let mut r = Record::new("storage", &format!("{}m-{}d", args.machines, args.days));
    r.set("db_mib", size as f64 / MIB)
        .set("db_before_vacuum_mib", before_vacuum as f64 / MIB)
        .set("days", f64::from(args.days))
        .set("machines", args.machines as f64)
        .set("heartbeats", stored as f64)
        .set("ingest_heartbeats_per_s", stored as f64 / ingest_secs)
        .set("rollup_prune_s", rollup_secs)
        .set("simulate_s", simulate_secs)
        .set("vacuum_s", vacuum_secs)
        .set("writer_round_trip_us", round_trip_us)
        .set("writer_empty_tx_us", empty_tx_us);
    for (table, n) in &counts {
        r.set(&format!("rows_{table}"), *n as f64);
    }
    match per_table {
        Ok(sizes) => {
            // Raw samples stop growing once the retention window is full;
            // rollups grow linearly for 90 days (hourly) and 2 years (daily).
            // A shorter run estimates 30 days from that growth.
            let growing: i64 = sizes
                .iter()
                .filter(|(name, _)| GROWING.contains(&name.as_str()))
                .map(|(_, b)| *b)
                .sum();
            let window_full = i64::from(args.days) * 24 > i64::from(args.raw_retention_hours);
            if args.days < 30 && window_full {
                let per_day = growing as f64 / f64::from(args.days);
                r.set(
                    "db_30d_estimate_mib",
                    (size as f64 + per_day * f64::from(30 - args.days)) / MIB,
                );
                r.note(format!(
                    "db_30d_estimate_mib: {} simulated days extrapolated by the rollup tables' growth \
                     ({:.3} MiB/day); run --days 30 for the measured number",
                    args.days,
                    per_day / MIB
                ));
            }
            for (name, bytes) in sizes {
                r.set(&format!("mib_{name}"), bytes as f64 / MIB);
            }
        }
        Err(e) => {
            r.note(format!("per-table sizes unavailable (dbstat): {e}"));
        }
    }
    r.note(format!(
        "{} machines x 1 heartbeat/min x {} days, sample body incl. 1 filesystem + 3 interfaces, \
         packages unchanged; rollup+prune every simulated hour; raw retention {} h; size after VACUUM",
        args.machines, args.days, args.raw_retention_hours
    ));
    r.emit(args.results.as_deref())
}

/// The fixed cost of a statement on the hub's writer pool: sqlx runs each
/// SQLite connection on its own thread, so every statement is a round trip
/// between threads. Returns µs per `SELECT 1` and per empty transaction.
async fn writer_overhead(db: &Db) -> anyhow::Result<(f64, f64)> {
    const N: u32 = 2_000;
    let t = Instant::now();
    for _ in 0..N {
        sqlx::query("SELECT 1").execute(&db.write).await?;
    }
    let select = t.elapsed().as_secs_f64() * 1e6 / f64::from(N);
    let t = Instant::now();
    for _ in 0..N {
        db.write.begin().await?.commit().await?;
    }
    let tx = t.elapsed().as_secs_f64() * 1e6 / f64::from(N);
    Ok((select, tx))
}

fn wal(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    p.into()
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

async fn row_counts(db: &Db) -> anyhow::Result<Vec<(String, i64)>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&db.read)
    .await?;
    let mut out = Vec::new();
    for t in tables {
        // Names come from sqlite_master, not from input.
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM \"{t}\"")))
                .fetch_one(&db.read)
                .await
                .with_context(|| format!("counting {t}"))?;
        out.push((t, n));
    }
    Ok(out)
}

/// Bytes per table and index, where SQLite was built with dbstat.
async fn table_sizes(db: &Db) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC",
    )
    .fetch_all(&db.read)
    .await?)
}
