//! Machines: registration, updates, and the columns heartbeats refresh.

use homelabcmd_protocol::api::{CategorySource, MachineType, ServerCreate, ServerUpdate, SudoMode};
use homelabcmd_protocol::names::Requested;
use sqlx::{FromRow, SqliteExecutor};

use super::{Db, now_ms};

/// A `servers` row.
#[derive(Debug, Clone, FromRow)]
pub struct ServerRow {
    pub id: String,
    pub guid: Option<String>,
    pub hostname: String,
    pub display_name: Option<String>,
    pub ip_address: Option<String>,
    #[sqlx(try_from = "super::Name<MachineType>")]
    pub machine_type: MachineType,
    pub tdp_watts: Option<i64>,
    pub idle_watts: Option<i64>,
    pub machine_category: Option<String>,
    #[sqlx(try_from = "super::OptName<CategorySource>")]
    pub machine_category_source: Option<CategorySource>,
    pub cpu_model: Option<String>,
    pub cpu_cores: Option<i64>,
    pub os_distribution: Option<String>,
    pub os_version: Option<String>,
    pub kernel_version: Option<String>,
    pub architecture: Option<String>,
    pub agent_version: Option<String>,
    pub agent_mode: Option<String>,
    pub updates_available: Option<i64>,
    pub security_updates: Option<i64>,
    pub reboot_required: Option<bool>,
    pub is_paused: bool,
    pub paused_at: Option<i64>,
    pub is_inactive: bool,
    pub inactive_since: Option<i64>,
    pub last_seen: Option<i64>,
    pub latest_sample_at: Option<i64>,
    pub latest_metrics: Option<String>,
    pub filesystems: Option<String>,
    pub network_interfaces: Option<String>,
    pub services: Option<String>,
    pub containers: Option<String>,
    pub packages_hash: Option<String>,
    pub packages_checked_at: Option<i64>,
    pub tailscale_hostname: Option<String>,
    pub ssh_username: Option<String>,
    #[sqlx(try_from = "super::Name<SudoMode>")]
    pub sudo_mode: SudoMode,
    pub config_user: Option<String>,
    pub offline_threshold_seconds: Option<i64>,
    pub drift_detection_enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// JSON array of assigned pack ids (`server_pack_assignments`), when
    /// the query joins it; `None`: the machine-type default applies.
    #[sqlx(default)]
    pub assigned_packs: Option<String>,
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<ServerRow>> {
    sqlx::query_as(
        "SELECT servers.*, (SELECT packs FROM server_pack_assignments a
             WHERE a.server_id = servers.id) AS assigned_packs
         FROM servers ORDER BY id",
    )
    .fetch_all(&db.read)
    .await
}

pub async fn get(e: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<Option<ServerRow>> {
    sqlx::query_as(
        "SELECT servers.*, (SELECT packs FROM server_pack_assignments a
             WHERE a.server_id = servers.id) AS assigned_packs
         FROM servers WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(e)
    .await
}

pub async fn exists(db: &Db, id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, i64>("SELECT 1 FROM servers WHERE id = ?")
        .bind(id)
        .fetch_optional(&db.read)
        .await
        .map(|r| r.is_some())
}

/// Manual registration. Returns `false` when the id is taken.
pub async fn create(db: &Db, s: &ServerCreate) -> sqlx::Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "INSERT INTO servers (id, hostname, display_name, ip_address, tdp_watts, machine_type,
                              tailscale_hostname, offline_threshold_seconds, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&s.id)
    .bind(&s.hostname)
    .bind(&s.display_name)
    .bind(&s.ip_address)
    .bind(s.tdp_watts)
    .bind(
        s.machine_type
            .as_ref()
            .map_or(MachineType::default().as_str(), Requested::as_str),
    )
    .bind(&s.tailscale_hostname)
    .bind(s.offline_threshold_seconds)
    .bind(now)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Apply the given fields; absent ones stay. Returns `false` if no such id.
pub async fn update(db: &Db, id: &str, u: &ServerUpdate) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE servers SET
            hostname = COALESCE(?, hostname),
            display_name = COALESCE(?, display_name),
            ip_address = COALESCE(?, ip_address),
            tdp_watts = COALESCE(?, tdp_watts),
            machine_category = COALESCE(?, machine_category),
            machine_category_source = COALESCE(?, machine_category_source),
            idle_watts = COALESCE(?, idle_watts),
            ssh_username = COALESCE(?, ssh_username),
            sudo_mode = COALESCE(?, sudo_mode),
            config_user = COALESCE(?, config_user),
            machine_type = COALESCE(?, machine_type),
            tailscale_hostname = COALESCE(?, tailscale_hostname),
            offline_threshold_seconds = COALESCE(?, offline_threshold_seconds),
            drift_detection_enabled = COALESCE(?, drift_detection_enabled),
            updated_at = ?
         WHERE id = ?",
    )
    .bind(&u.hostname)
    .bind(&u.display_name)
    .bind(&u.ip_address)
    .bind(u.tdp_watts)
    .bind(&u.machine_category)
    // A category typed by the operator is never overwritten by detection.
    .bind(
        u.machine_category_source
            .as_ref()
            .map(Requested::as_str)
            .or_else(|| {
                u.machine_category
                    .as_ref()
                    .map(|_| CategorySource::User.as_str())
            }),
    )
    .bind(u.idle_watts)
    .bind(&u.ssh_username)
    .bind(u.sudo_mode.as_ref().map(Requested::as_str))
    .bind(&u.config_user)
    .bind(u.machine_type.as_ref().map(Requested::as_str))
    .bind(&u.tailscale_hostname)
    .bind(u.offline_threshold_seconds)
    .bind(u.drift_detection_enabled)
    .bind(now_ms())
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: &Db, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM servers WHERE id = ?")
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Enter or leave maintenance mode. Returns `false` if no such id.
pub async fn set_paused(db: &Db, id: &str, paused: bool) -> sqlx::Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE servers SET is_paused = ?,
            paused_at = CASE WHEN ? THEN COALESCE(paused_at, ?) ELSE NULL END,
            updated_at = ?
         WHERE id = ?",
    )
    .bind(paused)
    .bind(paused)
    .bind(now)
    .bind(now)
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;

    fn new_server(id: &str) -> ServerCreate {
        ServerCreate {
            id: id.into(),
            hostname: format!("{id}.lan"),
            display_name: None,
            ip_address: None,
            tdp_watts: Some(35),
            machine_type: None,
            tailscale_hostname: None,
            offline_threshold_seconds: None,
        }
    }

    #[tokio::test]
    async fn create_is_idempotent_on_id_and_update_keeps_absent_fields() {
        let (db, _dir) = test_db().await;
        assert!(create(&db, &new_server("nas")).await.unwrap());
        assert!(!create(&db, &new_server("nas")).await.unwrap());
        let u = ServerUpdate {
            display_name: Some("The NAS".into()),
            ..Default::default()
        };
        assert!(update(&db, "nas", &u).await.unwrap());
        let row = get(&db.read, "nas").await.unwrap().unwrap();
        assert_eq!(row.display_name.as_deref(), Some("The NAS"));
        assert_eq!(row.tdp_watts, Some(35));
        assert_eq!(row.machine_type, MachineType::Server);
        assert!(!update(&db, "missing", &u).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_stored_name_is_a_decode_error_naming_it() {
        let (db, _dir) = test_db().await;
        create(&db, &new_server("odd")).await.unwrap();
        sqlx::query("UPDATE servers SET sudo_mode = 'sometimes' WHERE id = 'odd'")
            .execute(&db.write)
            .await
            .unwrap();
        let err = get(&db.read, "odd").await.unwrap_err().to_string();
        assert!(
            err.contains("sudo_mode") && err.contains("'sometimes' is not a SudoMode"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn pause_sets_and_clears_paused_at() {
        let (db, _dir) = test_db().await;
        create(&db, &new_server("pi")).await.unwrap();
        set_paused(&db, "pi", true).await.unwrap();
        let row = get(&db.read, "pi").await.unwrap().unwrap();
        assert!(row.is_paused && row.paused_at.is_some());
        set_paused(&db, "pi", false).await.unwrap();
        let row = get(&db.read, "pi").await.unwrap().unwrap();
        assert!(!row.is_paused && row.paused_at.is_none());
    }
}
