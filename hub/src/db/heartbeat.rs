//! Storing one heartbeat: identify (or register) the machine, keep the
//! sample at its own time, refresh the machine's latest state, and replace
//! the package list only when it changed. One transaction, so a heartbeat is
//! stored whole or not at all.

use homelabcmd_protocol::heartbeat::HeartbeatRequest;
use sha2::{Digest, Sha256};
use sqlx::{FromRow as _, Row as _, Sqlite, Transaction};

use super::alerts::{EvalContext, EvalContextRow};

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
    /// The alert engine's view of the machine after this sample, read in the
    /// same transaction (newest samples only; a replay is not evaluated).
    pub alert_context: Option<EvalContext>,
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

/// The sample's rows: metrics (returning a row only when new), then every
/// filesystem and interface, read from the JSON arrays in ?3 and ?4 (the
/// same text that is kept as the machine's latest state). A replay conflicts
/// on the primary keys and changes nothing.
///
/// Parameters: ?1 server id, ?2 sample time, ?3 filesystems JSON, ?4
/// interfaces JSON, ?5 hub time, ?6 client address, ?7..?19 the metrics
/// columns in order, ?20.. the latest-state columns. Numbered so that each
/// statement skips few numbers below its highest one: sqlx binds a skipped
/// number from a running positional counter shared by the whole script and
/// stops binding once that counter passes the argument count, which would
/// leave later parameters NULL.
macro_rules! store_sample_sql {
    () => {
        "INSERT INTO metrics (server_id, ts, cpu_percent, memory_percent, memory_total_mb,
            memory_used_mb, disk_percent, disk_total_gb, disk_used_gb, network_rx_bytes,
            network_tx_bytes, load_1m, load_5m, load_15m, uptime_seconds)
         VALUES (?1, ?2, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT (server_id, ts) DO NOTHING RETURNING 1;
         INSERT INTO filesystem_metrics (server_id, ts, mount_point, device, fs_type,
            total_bytes, used_bytes, available_bytes, percent)
         SELECT ?1, ?2, value ->> 'mount_point', value ->> 'device', value ->> 'fs_type',
            value ->> 'total_bytes', value ->> 'used_bytes', value ->> 'available_bytes',
            value ->> 'percent'
         FROM json_each(?3) WHERE true
         ON CONFLICT DO NOTHING;
         INSERT INTO interface_metrics (server_id, ts, name, rx_bytes, tx_bytes,
            rx_packets, tx_packets, is_up)
         SELECT ?1, ?2, value ->> 'name', value ->> 'rx_bytes', value ->> 'tx_bytes',
            value ->> 'rx_packets', value ->> 'tx_packets', value ->> 'is_up'
         FROM json_each(?4) WHERE true
         ON CONFLICT DO NOTHING;"
    };
}

/// A replay of older history: its rows, and the machine was seen now.
const STORE_OLDER_SAMPLE: &str = concat!(
    store_sample_sql!(),
    "UPDATE servers SET last_seen = ?5, ip_address = COALESCE(?6, ip_address) WHERE id = ?1;"
);

/// The machine's newest sample: its rows, it becomes the latest state, and
/// the alert context is read back.
/// ?20.. are the state columns; ?35 is the package check time (NULL when the
/// heartbeat carried no package list).
const STORE_NEWEST_SAMPLE: &str = concat!(
    store_sample_sql!(),
    "UPDATE servers SET
        last_seen = ?5,
        ip_address = COALESCE(?6, ip_address),
        hostname = ?20,
        latest_sample_at = ?2,
        latest_metrics = COALESCE(?21, latest_metrics),
        reboot_required = COALESCE(?22, reboot_required),
        filesystems = COALESCE(?3, filesystems),
        network_interfaces = COALESCE(?4, network_interfaces),
        services = COALESCE(?23, services),
        containers = COALESCE(?24, containers),
        os_distribution = COALESCE(?25, os_distribution),
        os_version = COALESCE(?26, os_version),
        kernel_version = COALESCE(?27, kernel_version),
        architecture = COALESCE(?28, architecture),
        cpu_model = COALESCE(?29, cpu_model),
        cpu_cores = COALESCE(?30, cpu_cores),
        agent_version = COALESCE(?31, agent_version),
        agent_mode = COALESCE(?32, agent_mode),
        updates_available = COALESCE(?33, updates_available),
        security_updates = COALESCE(?34, security_updates),
        packages_checked_at = COALESCE(?35, packages_checked_at)
     WHERE id = ?1;",
    // Last, the alert engine's view of the machine, as updated above.
    crate::eval_context_sql!()
);

/// Store `hb`, received at `now_ms` (hub clock) from `client_ip`, in its
/// own transaction.
pub async fn ingest(
    db: &Db,
    hb: &HeartbeatRequest,
    now_ms: i64,
    client_ip: Option<&str>,
) -> Result<Ingested, IngestError> {
    let mut tx = db.write.begin().await?;
    let out = ingest_in(
        &mut tx,
        hb,
        now_ms,
        client_ip,
        &mut KnownMachines::default(),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The stored identity rows of the machines in a batch of heartbeats, read
/// in one query before the batch is written ([`KnownMachines::prefetch`]),
/// so that each heartbeat then needs one round trip instead of two. A row is
/// used at most once: a machine's second heartbeat in the same batch, and
/// every unusual case (registration, a guid to record, a mismatch, an
/// inactive machine), take the ordinary lookup in [`find_or_register`].
#[derive(Default)]
pub struct KnownMachines {
    rows: Vec<Known>,
    /// Machines written earlier in this transaction: their prefetched row
    /// is stale.
    touched: Vec<String>,
}

/// A JSON array of strings, for `json_each`.
fn json_list(items: &[&str]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

impl KnownMachines {
    /// Read the rows matching any heartbeat's guid or id.
    pub async fn prefetch<'a>(
        tx: &mut Transaction<'_, Sqlite>,
        batch: impl Iterator<Item = &'a HeartbeatRequest>,
    ) -> sqlx::Result<Self> {
        let (mut guids, mut ids) = (Vec::new(), Vec::new());
        for hb in batch {
            guids.extend(hb.server_guid.as_deref());
            ids.push(hb.server_id.as_str());
        }
        let rows = sqlx::query_as(known_where!(
            "guid IN (SELECT value FROM json_each(?1)) OR id IN (SELECT value FROM json_each(?2))"
        ))
        .bind(json_list(&guids))
        .bind(json_list(&ids))
        .fetch_all(&mut **tx)
        .await?;
        Ok(Self {
            rows,
            touched: Vec::new(),
        })
    }

    /// The prefetched row for `hb` when it can be used as is: the machine
    /// matched exactly as [`find_or_register`] would match it, needs no
    /// write to be identified, is active, and was not written in this batch.
    fn take(&mut self, hb: &HeartbeatRequest) -> Option<Known> {
        let by_guid = hb
            .server_guid
            .as_ref()
            .and_then(|g| self.rows.iter().position(|k| k.guid.as_ref() == Some(g)));
        let at = match by_guid {
            Some(at) => at,
            None => {
                let at = self.rows.iter().position(|k| k.id == hb.server_id)?;
                let k = &self.rows[at];
                // A guid to record, or a mismatch: the ordinary path.
                if hb.server_guid.is_some() && k.guid != hb.server_guid {
                    return None;
                }
                at
            }
        };
        let k = &self.rows[at];
        if k.is_inactive || self.touched.contains(&k.id) {
            return None;
        }
        Some(self.rows.swap_remove(at))
    }
}

/// Store `hb` inside `tx` (the group-commit writer puts many heartbeats in
/// one transaction). A refusal ([`IngestError::GuidMismatch`],
/// [`IngestError::Inactive`]) is decided before anything is written, so the
/// transaction stays usable for the next heartbeat.
pub async fn ingest_in(
    tx: &mut Transaction<'_, Sqlite>,
    hb: &HeartbeatRequest,
    now_ms: i64,
    client_ip: Option<&str>,
    machines: &mut KnownMachines,
) -> Result<Ingested, IngestError> {
    let (known, registered) = match machines.take(hb) {
        Some(k) => (k, false),
        None => find_or_register(tx, hb, now_ms).await?,
    };
    machines.touched.push(known.id.clone());
    if known.is_inactive {
        return Err(IngestError::Inactive(known.id));
    }
    let id = known.id.as_str();
    let ts = hb.timestamp.timestamp_millis();
    // A replayed sample is history: it must not overwrite newer latest state.
    let is_newest = known.latest_sample_at.is_none_or(|latest| ts >= latest);

    let (sample_stored, alert_context) =
        store_sample(tx, hb, id, ts, is_newest, now_ms, client_ip).await?;

    let mut packages_written = false;
    if is_newest && let Some(packages) = &hb.packages {
        packages_written =
            store_packages(tx, id, packages, known.packages_hash.as_deref(), now_ms).await?;
    }
    let uptime = hb.metrics.as_ref().and_then(|m| m.uptime_seconds);
    let rebooted =
        is_newest && matches!((known.prev_uptime, uptime), (Some(prev), Some(now)) if now < prev);
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
        alert_context,
    })
}

/// Write the sample's rows (and, for the newest sample, the machine's
/// latest state) in one script. Returns whether the sample was new, and
/// the alert context read back after a newest sample.
async fn store_sample(
    tx: &mut Transaction<'_, Sqlite>,
    hb: &HeartbeatRequest,
    id: &str,
    ts: i64,
    is_newest: bool,
    now_ms: i64,
    client_ip: Option<&str>,
) -> Result<(bool, Option<EvalContext>), IngestError> {
    let m = hb.metrics.clone().unwrap_or_default();
    let filesystems = hb
        .filesystems
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let interfaces = hb
        .network_interfaces
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    // One multi-statement script per heartbeat instead of a statement per
    // row: sqlx runs each call as a hand-off to the connection's thread, and
    // those hand-offs, not SQLite, were the ingest ceiling (docs/benchmarks.md).
    let script = if is_newest {
        STORE_NEWEST_SAMPLE
    } else {
        STORE_OLDER_SAMPLE
    };
    let query = sqlx::query(script)
        .bind(id)
        .bind(ts)
        .bind(filesystems)
        .bind(interfaces)
        .bind(now_ms)
        .bind(client_ip)
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
        .bind(m.uptime_seconds);
    let query = if is_newest {
        bind_latest_state(query, hb, now_ms)?
    } else {
        query
    };
    // Rows come back from the metrics INSERT (one column, only when the
    // sample was new) and, for the newest sample, the alert context.
    let mut sample_stored = false;
    let mut alert_context = None;
    for row in query.fetch_all(&mut **tx).await? {
        if row.columns().len() == 1 {
            sample_stored = true;
        } else {
            alert_context = Some(EvalContext::try_from(EvalContextRow::from_row(&row)?)?);
        }
    }
    Ok((sample_stored, alert_context))
}

/// The latest-state parameters (?20..?35) of [`STORE_NEWEST_SAMPLE`].
fn bind_latest_state<'q>(
    query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    hb: &'q HeartbeatRequest,
    now_ms: i64,
) -> Result<sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>, serde_json::Error> {
    let os = hb.os_info.clone().unwrap_or_default();
    let cpu = hb.cpu_info.clone().unwrap_or_default();
    Ok(query
        .bind(&hb.hostname)
        .bind(hb.metrics.as_ref().map(serde_json::to_string).transpose()?)
        .bind(hb.metrics.as_ref().and_then(|m| m.reboot_required))
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
        .bind(hb.packages.as_ref().map(|_| now_ms)))
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
        if k.is_inactive {
            return Err(IngestError::Inactive(k.id));
        }
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

/// Hash of a package list, independent of the order the agent lists it in:
/// sha256 over the sorted lines `name\0current\0new\0repository\0is_security\n`.
/// Sorted by field tuples, which orders like the lines themselves (`\0` is
/// below every other byte), and fed field by field: no line is built, since
/// this runs on every heartbeat.
pub fn packages_hash(packages: &[homelabcmd_protocol::heartbeat::PackageUpdatePayload]) -> String {
    let mut sorted: Vec<_> = packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.current_version.as_str(),
                p.new_version.as_str(),
                p.repository.as_str(),
                if p.is_security { "true" } else { "false" },
            )
        })
        .collect();
    sorted.sort_unstable();
    let mut h = Sha256::new();
    for (name, current, new, repository, security) in sorted {
        for field in [
            name, "\0", current, "\0", new, "\0", repository, "\0", security, "\n",
        ] {
            h.update(field.as_bytes());
        }
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
    if stored_hash == Some(hash.as_str()) {
        return Ok(false);
    }
    // Mark-and-sweep in one script: rows not re-reported in this list are
    // removed; the list is read from its JSON with json_each.
    sqlx::query(
        "UPDATE packages SET updated_at = -1 WHERE server_id = ?1;
         INSERT INTO packages (server_id, name, current_version, new_version, repository,
            is_security, detected_at, updated_at)
         SELECT ?1, value ->> 'name', value ->> 'current_version', value ->> 'new_version',
            value ->> 'repository', value ->> 'is_security', ?2, ?2
         FROM json_each(?3) WHERE true
         ON CONFLICT (server_id, name) DO UPDATE SET
            detected_at = CASE WHEN packages.new_version = excluded.new_version
                               THEN packages.detected_at ELSE excluded.detected_at END,
            current_version = excluded.current_version,
            new_version = excluded.new_version,
            repository = excluded.repository,
            is_security = excluded.is_security,
            updated_at = excluded.updated_at;
         DELETE FROM packages WHERE server_id = ?1 AND updated_at = -1;
         UPDATE servers SET packages_hash = ?4 WHERE id = ?1;",
    )
    .bind(id)
    .bind(now_ms)
    .bind(serde_json::to_string(packages)?)
    .bind(&hash)
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

    #[test]
    fn the_package_hash_is_the_hash_of_the_sorted_lines() {
        let mut packages = sample().packages.unwrap();
        let mut lines: Vec<String> = packages
            .iter()
            .map(|p| {
                format!(
                    "{}\0{}\0{}\0{}\0{}\n",
                    p.name, p.current_version, p.new_version, p.repository, p.is_security
                )
            })
            .collect();
        lines.sort_unstable();
        let want = hex::encode(Sha256::digest(lines.concat().as_bytes()));
        assert_eq!(packages_hash(&packages), want);
        packages.reverse();
        assert_eq!(packages_hash(&packages), want, "order does not matter");
        packages[0].is_security = !packages[0].is_security;
        assert_ne!(packages_hash(&packages), want);
    }

    #[tokio::test]
    async fn every_part_of_the_sample_lands_in_its_columns() {
        let (db, _dir) = test_db().await;
        let hb = sample();
        ingest(&db, &hb, 1_000, Some("10.0.0.5")).await.unwrap();
        let ts = hb.timestamp.timestamp_millis();
        let m = hb.metrics.as_ref().unwrap();
        let (cpu, uptime, load15): (Option<f64>, Option<i64>, Option<f64>) = sqlx::query_as(
            "SELECT cpu_percent, uptime_seconds, load_15m FROM metrics WHERE ts = ?",
        )
        .bind(ts)
        .fetch_one(&db.read)
        .await
        .unwrap();
        assert_eq!(
            (cpu, uptime, load15),
            (m.cpu_percent, m.uptime_seconds, m.load_15m)
        );

        let fs = hb.filesystems.as_ref().unwrap();
        let rows: Vec<(String, String, i64, f64)> = sqlx::query_as(
            "SELECT mount_point, fs_type, used_bytes, percent FROM filesystem_metrics
             WHERE ts = ? ORDER BY mount_point",
        )
        .bind(ts)
        .fetch_all(&db.read)
        .await
        .unwrap();
        let mut want: Vec<_> = fs
            .iter()
            .map(|f| {
                (
                    f.mount_point.clone(),
                    f.fs_type.clone(),
                    f.used_bytes,
                    f.percent,
                )
            })
            .collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(rows, want);

        let nics = hb.network_interfaces.as_ref().unwrap();
        let rows: Vec<(String, i64, i64, bool)> = sqlx::query_as(
            "SELECT name, rx_bytes, tx_packets, is_up FROM interface_metrics
             WHERE ts = ? ORDER BY name",
        )
        .bind(ts)
        .fetch_all(&db.read)
        .await
        .unwrap();
        let mut want: Vec<_> = nics
            .iter()
            .map(|n| (n.name.clone(), n.rx_bytes, n.tx_packets, n.is_up))
            .collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(rows, want);

        let row = crate::db::servers::get(&db.read, "peer-agent-01")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.hostname, hb.hostname);
        assert_eq!(row.latest_sample_at, Some(ts));
        assert_eq!(row.last_seen, Some(1_000));
        assert_eq!(row.ip_address.as_deref(), Some("10.0.0.5"));
        assert_eq!(row.kernel_version, hb.os_info.as_ref().unwrap().kernel);
        assert_eq!(row.cpu_cores, hb.cpu_info.as_ref().unwrap().cpu_cores);
        assert_eq!(row.security_updates, hb.security_updates);
        assert_eq!(row.packages_checked_at, Some(1_000));
        let stored: Vec<homelabcmd_protocol::heartbeat::FilesystemMetric> =
            serde_json::from_str(row.filesystems.as_deref().unwrap()).unwrap();
        assert_eq!(stored.len(), fs.len());
    }

    #[tokio::test]
    async fn the_newest_sample_reads_back_the_alert_context_and_a_replay_does_not() {
        let (db, _dir) = test_db().await;
        let mut hb = sample();
        ingest(&db, &hb, 1_000, None).await.unwrap();
        sqlx::query(
            "INSERT INTO expected_services (server_id, service_name, is_critical, enabled,
                created_at) VALUES ('peer-agent-01', 'sshd', 1, 1, 0)",
        )
        .execute(&db.write)
        .await
        .unwrap();
        hb.timestamp += chrono::Duration::seconds(60);
        let out = ingest(&db, &hb, 2_000, None).await.unwrap();
        let ctx = out.alert_context.expect("context for the newest sample");
        assert_eq!(
            ctx.last_seen,
            Some(2_000),
            "read after this heartbeat's update"
        );
        assert_eq!(ctx.expected_services, vec![("sshd".to_owned(), true)]);
        let standalone = crate::db::alerts::load_context(&db, "peer-agent-01")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ctx, standalone);

        let mut old = hb.clone();
        old.timestamp -= chrono::Duration::seconds(600);
        let replay = ingest(&db, &old, 3_000, None).await.unwrap();
        assert!(replay.sample_stored && replay.alert_context.is_none());
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
