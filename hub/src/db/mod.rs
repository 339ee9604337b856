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
use homelabcmd_protocol::names::WireName;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Sqlite, SqlitePool};

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

/// A TEXT column holding a wire name (`homelabcmd_protocol::names`),
/// checked as it is decoded.
///
/// Statuses, kinds and modes are stored as their wire names and read into
/// the protocol enums once, here at the edge: `#[sqlx(try_from =
/// "Name<T>")]` on a `T` field, `#[sqlx(try_from = "OptName<T>")]` on an
/// `Option<T>` field of a nullable column. A name the enum does not know
/// fails the query with a decode error naming the column and the value;
/// it never panics and never turns into a default. (Decoding rather than
/// a fallible `TryFrom` because sqlx prints `try_from` errors as
/// "unprintable".)
pub struct Name<T>(pub T);

/// [`Name`] for a nullable column: NULL is `None`.
pub struct OptName<T>(pub Option<T>);

impl<T> sqlx::Type<Sqlite> for Name<T> {
    fn type_info() -> SqliteTypeInfo {
        <String as sqlx::Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as sqlx::Type<Sqlite>>::compatible(ty)
    }
}

impl<'r, T: WireName> sqlx::Decode<'r, Sqlite> for Name<T> {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as sqlx::Decode<'r, Sqlite>>::decode(value)?;
        Ok(Self(T::parse_name(text)?))
    }
}

impl<T> sqlx::Type<Sqlite> for OptName<T> {
    fn type_info() -> SqliteTypeInfo {
        <String as sqlx::Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as sqlx::Type<Sqlite>>::compatible(ty)
    }
}

impl<'r, T: WireName> sqlx::Decode<'r, Sqlite> for OptName<T> {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let name = <Option<Name<T>> as sqlx::Decode<'r, Sqlite>>::decode(value)?;
        Ok(Self(name.map(|n| n.0)))
    }
}

/// `From<Name<T>>` for each stored enum, which is what `try_from` needs
/// (a blanket impl over `T` is not allowed for a foreign `T`).
macro_rules! stored_names {
    ($($t:ty),+ $(,)?) => {$(
        impl From<Name<$t>> for $t {
            fn from(n: Name<$t>) -> Self {
                n.0
            }
        }
        impl From<OptName<$t>> for Option<$t> {
            fn from(n: OptName<$t>) -> Self {
                n.0
            }
        }
    )+};
}

stored_names!(
    homelabcmd_protocol::actions::ActionStatus,
    homelabcmd_protocol::actions::ActionType,
    homelabcmd_protocol::alerts::AlertStatus,
    homelabcmd_protocol::alerts::AlertType,
    homelabcmd_protocol::alerts::MetricType,
    homelabcmd_protocol::alerts::Severity,
    homelabcmd_protocol::api::CategorySource,
    homelabcmd_protocol::api::MachineType,
    homelabcmd_protocol::api::SudoMode,
    homelabcmd_protocol::packs::ApplyStatus,
    homelabcmd_protocol::ssh::CredentialType,
    homelabcmd_protocol::ssh::SshKeyType,
);

/// A wire name read outside a `FromRow` struct (a scalar column, a JSON
/// array SQLite built), checked the same way.
pub fn decode_name<T: WireName>(name: &str) -> sqlx::Result<T> {
    T::parse_name(name).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

#[cfg(test)]
pub(crate) async fn test_db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("test.db")).await.unwrap();
    (db, dir)
}
