//! SQLite access. All SQL lives under this module so the alert engine, packs
//! and the SSH runner reuse the same queries.
//!
//! Two pools over one WAL database file: a single-connection writer (SQLite
//! allows one writer at a time; queueing writes in-process avoids
//! `database is locked` errors under load) and a multi-connection reader.

pub mod actions;
pub mod alerts;
pub mod audit;
pub mod costs;
pub mod credentials;
pub mod drift;
pub mod heartbeat;
pub mod host_keys;
pub mod metrics;
pub mod outbox;
pub mod packages;
pub mod packs;
pub mod servers;
pub mod services;
pub mod settings;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Clone)]
pub struct Db {
    pub read: SqlitePool,
    pub write: SqlitePool,
}

impl Db {
    /// Open (creating if needed) the database file and apply migrations.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating database directory {}", dir.display()))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a power cut can lose the last commits but
            // never corrupts the file; a full fsync per heartbeat is not worth it.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory");
        // Page cache per connection (negative: KiB). The writer appends near
        // the right edge of each index (about 50 leaf pages per table for 50
        // machines), so 4 MiB holds its working set; readers get more for
        // history queries. Together they bound most of the hub's RSS.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone().pragma("cache_size", "-4000"))
            .await
            .with_context(|| format!("opening database {}", path.display()))?;
        MIGRATOR
            .run(&write)
            .await
            .context("applying database migrations")?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.pragma("cache_size", "-8000"))
            .await
            .context("opening read connections")?;
        Ok(Self { read, write })
    }

    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.read)
            .await
            .is_ok()
    }
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn to_dt(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub fn opt_dt(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.map(to_dt)
}

#[cfg(test)]
pub(crate) async fn test_db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("test.db")).await.unwrap();
    (db, dir)
}
