//! Storing one heartbeat: identify (or register) the machine, keep the
//! sample at its own time, refresh the machine's latest state, and replace
//! the package list only when it changed. One transaction, so a heartbeat is
//! stored whole or not at all.

use homelabcmd_protocol::heartbeat::HeartbeatRequest;
use sha2::{Digest, Sha256};
use sqlx::{Sqlite, Transaction};

use super::Db;

/// What storing a heartbeat did.
#[derive(Debug, PartialEq)]
pub struct Ingested {
    /// The machine's id (the stored one, if the agent was matched by guid).
    pub server_id: String,
    /// The machine was created by this heartbeat.
    pub registered: bool,
    /// The sample was new (false for a replay the hub already had).
    pub sample_stored: bool,
    /// The package list was rewritten.
    pub packages_written: bool,
    /// The sample is the machine's newest (not a replay of older history).
    pub is_newest: bool,
    /// Uptime went backwards since the previous newest sample.
    pub rebooted: bool,
    /// Containers running in the previous sample that have now exited.
    pub containers_exited: Vec<String>,
}

/// Why a heartbeat was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("Server '{0}' already has a different GUID")]
    GuidMismatch(String),
    #[error(
        "Server '{0}' is inactive (agent removed). Uninstall the agent or re-activate the server."
    )]
    Inactive(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("encoding latest state: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(sqlx::FromRow)]
struct Known {
    id: String,
    guid: Option<String>,
    is_inactive: bool,
    latest_sample_at: Option<i64>,
    packages_hash: Option<String>,
    prev_uptime: Option<i64>,
    containers: Option<String>,
}

macro_rules! known_where {
    ($cond:literal) => {
        concat!(
            "SELECT id, guid, is_inactive, latest_sample_at, packages_hash, \
             json_extract(latest_metrics, '$.uptime_seconds') AS prev_uptime, containers \
             FROM servers WHERE ",
            $cond
        )
    };
}

/// Store `hb`, received at `now_ms` (hub clock) from `client_ip`.
pub async fn ingest(
    db: &Db,
    hb: &HeartbeatRequest,
    now_ms: i64,
    client_ip: Option<&str>,
) -> Result<Ingested, IngestError> {
    let mut tx = db.write.begin().await?;
    let (known, registered) = find_or_register(&mut tx, hb, now_ms).await?;
    if known.is_inactive {
        return Err(IngestError::Inactive(known.id));
    }
    let id = known.id.as_str();
    let ts = hb.timestamp.timestamp_millis();
    // A replayed sample is history: it must not overwrite newer latest state.
    let is_newest = known.latest_sample_at.is_none_or(|latest| ts >= latest);

    let m = hb.metrics.clone().unwrap_or_default();
    let sample_stored = sqlx::query(
        "INSERT INTO metrics (server_id, ts, cpu_percent, memory_percent, memory_total_mb,
            memory_used_mb, disk_percent, disk_total_gb, disk_used_gb, network_rx_bytes,
            network_tx_bytes, load_1m, load_5m, load_15m, uptime_seconds)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (server_id, ts) DO NOTHING",
    )
    .bind(id)
    .bind(ts)
    .bind(m.cpu_percent)
    .bind(m.memory_percent)
    .bind(m.memory_total_mb)
    .bind(m.memory_used_mb)
    .bind(m.disk_percent)
    .bind(m.disk_total_gb)
    .bind(m.disk_used_gb)
    .bind(m.network_rx_bytes)
    .bind(m.network_tx_bytes)
    .bind(m.load_1m)
    .bind(m.load_5m)
    .bind(m.load_15m)
    .bind(m.uptime_seconds)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;

    if sample_stored {
        for fs in hb.filesystems.iter().flatten() {
            sqlx::query(
                "INSERT INTO filesystem_metrics (server_id, ts, mount_point, device, fs_type,
                    total_bytes, used_bytes, available_bytes, percent)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(ts)
            .bind(&fs.mount_point)
            .bind(&fs.device)
            .bind(&fs.fs_type)
            .bind(fs.total_bytes)
            .bind(fs.used_bytes)
            .bind(fs.available_bytes)
            .bind(fs.percent)
            .execute(&mut *tx)
            .await?;
        }
        for nic in hb.network_interfaces.iter().flatten() {
            sqlx::query(
                "INSERT INTO interface_metrics (server_id, ts, name, rx_bytes, tx_bytes,
                    rx_packets, tx_packets, is_up)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(ts)
            .bind(&nic.name)
            .bind(nic.rx_bytes)
            .bind(nic.tx_bytes)
            .bind(nic.rx_packets)
            .bind(nic.tx_packets)
            .bind(nic.is_up)
            .execute(&mut *tx)
            .await?;
        }
    }

    // Seen now, whatever the sample's own time: the agent is alive.
    sqlx::query(
        "UPDATE servers SET last_seen = ?, ip_address = COALESCE(?, ip_address) WHERE id = ?",
    )
    .bind(now_ms)
    .bind(client_ip)
    .bind(id)
    .execute(&mut *tx)
    .await?;

    let mut packages_written = false;
    if is_newest {
        update_latest_state(&mut tx, id, hb, ts).await?;
        if let Some(packages) = &hb.packages {
            packages_written = store_packages(
                &mut tx,
                id,
                packages,
                known.packages_hash.as_deref(),
                now_ms,
            )
            .await?;
        }
    }
    tx.commit().await?;
    let rebooted = is_newest
        && matches!((known.prev_uptime, m.uptime_seconds), (Some(prev), Some(now)) if now < prev);
    let containers_exited = if is_newest {
        exited_containers(known.containers.as_deref(), hb.containers.as_deref())
    } else {
        Vec::new()
    };
    Ok(Ingested {
        server_id: known.id,
        registered,
        sample_stored,
        packages_written,
        is_newest,
        rebooted,
        containers_exited,
    })
}

/// Match by guid first (hostname and id may change), then by id; register
/// when neither matches. Runs on the single writer connection, so two
/// concurrent first heartbeats cannot both insert; `ON CONFLICT DO NOTHING`
/// keeps it safe even so.
async fn find_or_register(
    tx: &mut Transaction<'_, Sqlite>,
    hb: &HeartbeatRequest,
    now_ms: i64,
) -> Result<(Known, bool), IngestError> {
    if let Some(guid) = &hb.server_guid {
        let by_guid: Option<Known> = sqlx::query_as(known_where!("guid = ?"))
            .bind(guid)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(k) = by_guid {
            return Ok((k, false));
        }
    }
    let by_id: Option<Known> = sqlx::query_as(known_where!("id = ?"))
        .bind(&hb.server_id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(mut k) = by_id {
        match (&k.guid, &hb.server_guid) {
            (Some(stored), Some(sent)) if stored != sent => {
                return Err(IngestError::GuidMismatch(k.id));
            }
            // An upgraded agent reports a guid for a machine known by id.
            (None, Some(sent)) => {
                sqlx::query("UPDATE servers SET guid = ? WHERE id = ?")
                    .bind(sent)
                    .bind(&k.id)
                    .execute(&mut **tx)
                    .await?;
                k.guid = Some(sent.clone());
            }
            _ => {}
        }
        return Ok((k, false));
    }
    let inserted = sqlx::query(
        "INSERT INTO servers (id, guid, hostname, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(&hb.server_id)
    .bind(&hb.server_guid)
    .bind(&hb.hostname)
    .bind(now_ms)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    let k: Known = sqlx::query_as(known_where!("id = ?"))
        .bind(&hb.server_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok((k, inserted))
}

async fn update_latest_state(
    tx: &mut Transaction<'_, Sqlite>,
    id: &str,
    hb: &HeartbeatRequest,
    ts: i64,
) -> Result<(), IngestError> {
    let os = hb.os_info.clone().unwrap_or_default();
    let cpu = hb.cpu_info.clone().unwrap_or_default();
    sqlx::query(
        "UPDATE servers SET
            hostname = ?,
            latest_sample_at = ?,
            latest_metrics = COALESCE(?, latest_metrics),
            reboot_required = COALESCE(?, reboot_required),
            filesystems = COALESCE(?, filesystems),
            network_interfaces = COALESCE(?, network_interfaces),
            services = COALESCE(?, services),
            containers = COALESCE(?, containers),
            os_distribution = COALESCE(?, os_distribution),
            os_version = COALESCE(?, os_version),
            kernel_version = COALESCE(?, kernel_version),
            architecture = COALESCE(?, architecture),
            cpu_model = COALESCE(?, cpu_model),
            cpu_cores = COALESCE(?, cpu_cores),
            agent_version = COALESCE(?, agent_version),
            agent_mode = COALESCE(?, agent_mode),
            updates_available = COALESCE(?, updates_available),
            security_updates = COALESCE(?, security_updates)
         WHERE id = ?",
    )
    .bind(&hb.hostname)
    .bind(ts)
    .bind(hb.metrics.as_ref().map(serde_json::to_string).transpose()?)
    .bind(hb.metrics.as_ref().and_then(|m| m.reboot_required))
    .bind(
        hb.filesystems
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?,
    )
    .bind(
        hb.network_interfaces
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?,
    )
    .bind(
        hb.services
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?,
    )
    .bind(
        hb.containers
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?,
    )
    .bind(os.distribution)
    .bind(os.version)
    .bind(os.kernel)
    .bind(os.architecture)
    .bind(cpu.cpu_model)
    .bind(cpu.cpu_cores)
    .bind(&hb.agent_version)
    .bind(&hb.agent_mode)
    .bind(hb.updates_available)
    .bind(hb.security_updates)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Names of containers running before that are now present but not running.
fn exited_containers(
    before: Option<&str>,
    now: Option<&[homelabcmd_protocol::heartbeat::ContainerStatus]>,
) -> Vec<String> {
    let (Some(before), Some(now)) = (before, now) else {
        return Vec::new();
    };
    let before: Vec<homelabcmd_protocol::heartbeat::ContainerStatus> =
        serde_json::from_str(before).unwrap_or_default();
    before
        .iter()
        .filter(|b| b.state == "running")
        .filter(|b| now.iter().any(|n| n.name == b.name && n.state == "exited"))
        .map(|b| b.name.clone())
        .collect()
}

/// Hash of a package list, independent of the order the agent lists it in.
pub fn packages_hash(packages: &[homelabcmd_protocol::heartbeat::PackageUpdatePayload]) -> String {
    let mut lines: Vec<String> = packages
        .iter()
        .map(|p| {
            format!(
                "{}\0{}\0{}\0{}\0{}",
                p.name, p.current_version, p.new_version, p.repository, p.is_security
            )
        })
        .collect();
    lines.sort_unstable();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Replace the stored list when it changed. An update that stays pending
/// keeps its first `detected_at`.
async fn store_packages(
    tx: &mut Transaction<'_, Sqlite>,
    id: &str,
    packages: &[homelabcmd_protocol::heartbeat::PackageUpdatePayload],
    stored_hash: Option<&str>,
    now_ms: i64,
) -> Result<bool, IngestError> {
    let hash = packages_hash(packages);
    sqlx::query("UPDATE servers SET packages_checked_at = ? WHERE id = ?")
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if stored_hash == Some(hash.as_str()) {
        return Ok(false);
    }
    // Mark-and-sweep: rows not re-reported in this list are removed.
    sqlx::query("UPDATE packages SET updated_at = -1 WHERE server_id = ?")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for p in packages {
        sqlx::query(
            "INSERT INTO packages (server_id, name, current_version, new_version, repository,
                is_security, detected_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (server_id, name) DO UPDATE SET
                detected_at = CASE WHEN packages.new_version = excluded.new_version
                                   THEN packages.detected_at ELSE excluded.detected_at END,
                current_version = excluded.current_version,
                new_version = excluded.new_version,
                repository = excluded.repository,
                is_security = excluded.is_security,
                updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(&p.name)
        .bind(&p.current_version)
        .bind(&p.new_version)
        .bind(&p.repository)
        .bind(p.is_security)
        .bind(now_ms)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM packages WHERE server_id = ? AND updated_at = -1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE servers SET packages_hash = ? WHERE id = ?")
        .bind(&hash)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;

    fn sample() -> HeartbeatRequest {
        serde_json::from_str(include_str!(
            "../../../protocol/tests/fixtures/heartbeat-sample.json"
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn first_heartbeat_registers_and_a_repeat_is_stored_once() {
        let (db, _dir) = test_db().await;
        let hb = sample();
        let first = ingest(&db, &hb, 1_000, Some("10.0.0.5")).await.unwrap();
        assert!(first.registered && first.sample_stored && first.packages_written);
        let again = ingest(&db, &hb, 2_000, None).await.unwrap();
        assert!(!again.registered && !again.sample_stored && !again.packages_written);
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM metrics")
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM packages")
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(n, 129);
    }

    #[tokio::test]
    async fn an_unchanged_package_list_is_not_rewritten_and_a_changed_one_is() {
        let (db, _dir) = test_db().await;
        let mut hb = sample();
        ingest(&db, &hb, 1_000, None).await.unwrap();
        hb.timestamp += chrono::Duration::seconds(60);
        hb.packages.as_mut().unwrap().reverse(); // same set, other order
        assert!(
            !ingest(&db, &hb, 2_000, None)
                .await
                .unwrap()
                .packages_written
        );
        hb.timestamp += chrono::Duration::seconds(60);
        hb.packages.as_mut().unwrap().truncate(10);
        assert!(
            ingest(&db, &hb, 3_000, None)
                .await
                .unwrap()
                .packages_written
        );
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM packages")
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(n, 10);
        let kept: i64 = sqlx::query_scalar("SELECT min(detected_at) FROM packages")
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(
            kept, 1_000,
            "still-pending updates keep their first detection time"
        );
    }

    #[tokio::test]
    async fn a_replayed_older_sample_does_not_overwrite_latest_state() {
        let (db, _dir) = test_db().await;
        let mut hb = sample();
        ingest(&db, &hb, 1_000, None).await.unwrap();
        let mut old = hb.clone();
        old.timestamp -= chrono::Duration::seconds(600);
        old.metrics.as_mut().unwrap().cpu_percent = Some(1.0);
        old.hostname = "old-name".into();
        assert!(ingest(&db, &old, 2_000, None).await.unwrap().sample_stored);
        let row = crate::db::servers::get(&db.read, "peer-agent-01")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.hostname, "vm");
        assert_eq!(row.last_seen, Some(2_000));
        hb.timestamp += chrono::Duration::seconds(60);
        hb.server_guid = Some("4f8e2a1c-7b3d-4e9a-8c1f-000000000000".into());
        assert!(matches!(
            ingest(&db, &hb, 3_000, None).await,
            Err(IngestError::GuidMismatch(_))
        ));
    }

    #[tokio::test]
    async fn a_guid_match_wins_over_a_renamed_server_id() {
        let (db, _dir) = test_db().await;
        let mut hb = sample();
        ingest(&db, &hb, 1_000, None).await.unwrap();
        hb.server_id = "renamed".into();
        hb.timestamp += chrono::Duration::seconds(60);
        let out = ingest(&db, &hb, 2_000, None).await.unwrap();
        assert_eq!(out.server_id, "peer-agent-01");
        assert!(!out.registered);
    }
}
