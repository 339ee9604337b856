//! Drift detection's queries: the active `config_drift` alert of a machine
//! and pack, its text updates, and what the scheduler needs about every
//! machine. Alerts are opened and resolved with `db::alerts`.

use homelabcmd_protocol::api::MachineType;
use sqlx::{FromRow, Sqlite, SqliteExecutor, Transaction};

use super::alerts::AlertRow;

/// The open or acknowledged alert of `condition_key` on a machine.
pub async fn active_alert(
    e: impl SqliteExecutor<'_>,
    server_id: &str,
    condition_key: &str,
) -> sqlx::Result<Option<AlertRow>> {
    sqlx::query_as(
        "SELECT a.*, COALESCE(s.display_name, s.hostname) AS server_name
         FROM alerts a LEFT JOIN servers s ON s.id = a.server_id
         WHERE a.server_id = ? AND a.condition_key = ? AND a.status != 'resolved'",
    )
    .bind(server_id)
    .bind(condition_key)
    .fetch_optional(e)
    .await
}

/// New title and message of an active alert (the drift changed shape);
/// status, acknowledgement and snooze stay as they are.
pub async fn update_text(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    title: &str,
    message: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE alerts SET title = ?, message = ?, updated_at = ?
         WHERE id = ? AND status != 'resolved'",
    )
    .bind(title)
    .bind(message)
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One machine as the drift scheduler sees it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct MachineRow {
    pub id: String,
    #[sqlx(try_from = "super::Name<MachineType>")]
    pub machine_type: MachineType,
    /// Stored assignment (JSON array); `None`: the machine-type default.
    pub packs: Option<String>,
    pub drift_detection_enabled: bool,
    pub is_paused: bool,
    pub is_inactive: bool,
    pub hostname: String,
    pub ip_address: Option<String>,
    pub tailscale_hostname: Option<String>,
    pub last_seen: Option<i64>,
    pub offline_threshold_seconds: Option<i64>,
}

pub async fn machines(e: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<MachineRow>> {
    sqlx::query_as(
        "SELECT s.id, s.machine_type, a.packs, s.drift_detection_enabled, s.is_paused,
             s.is_inactive, s.hostname, s.ip_address, s.tailscale_hostname, s.last_seen,
             s.offline_threshold_seconds
         FROM servers s LEFT JOIN server_pack_assignments a ON a.server_id = s.id
         ORDER BY s.id",
    )
    .fetch_all(e)
    .await
}

/// An active `config_drift` alert.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ActiveDrift {
    pub id: i64,
    pub server_id: String,
    pub condition_key: String,
}

pub async fn active_drift_alerts(e: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<ActiveDrift>> {
    sqlx::query_as(
        "SELECT id, server_id, condition_key FROM alerts
         WHERE alert_type = 'config_drift' AND status != 'resolved' ORDER BY id",
    )
    .fetch_all(e)
    .await
}

/// Resolve these alerts (still active ones only) as no longer watched;
/// returns how many were.
pub async fn resolve_all(db: &super::Db, ids: &[i64], now_ms: i64) -> sqlx::Result<u64> {
    let mut tx = db.write.begin().await?;
    let mut n = 0;
    for id in ids {
        n += u64::from(super::alerts::resolve(&mut tx, *id, true, now_ms).await?);
    }
    tx.commit().await?;
    Ok(n)
}
