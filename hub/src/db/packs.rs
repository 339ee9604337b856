//! Pack assignments and compliance check results (migration 0005).

use homelabcmd_protocol::api::MachineType;
use homelabcmd_protocol::packs::ApplyStatus;
use sqlx::SqliteExecutor;

use super::Db;

/// A machine's stored assignment (JSON array of pack ids) and its
/// `servers.drift_detection_enabled`; `None`: no such machine. A `None`
/// assignment means the machine-type default applies.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AssignmentRow {
    #[sqlx(try_from = "super::Name<MachineType>")]
    pub machine_type: MachineType,
    pub packs: Option<String>,
    pub drift_detection_enabled: bool,
}

pub async fn assignment(
    e: impl SqliteExecutor<'_>,
    server_id: &str,
) -> sqlx::Result<Option<AssignmentRow>> {
    sqlx::query_as(
        "SELECT s.machine_type, a.packs, s.drift_detection_enabled
         FROM servers s LEFT JOIN server_pack_assignments a ON a.server_id = s.id
         WHERE s.id = ?",
    )
    .bind(server_id)
    .fetch_optional(e)
    .await
}

/// Store a machine's packs and, when given, its drift-detection flag.
pub async fn set_assignment(
    db: &Db,
    server_id: &str,
    packs: &[String],
    drift_detection_enabled: Option<bool>,
    now_ms: i64,
) -> sqlx::Result<()> {
    let json = serde_json::to_string(packs).unwrap_or_else(|_| "[]".into());
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "INSERT INTO server_pack_assignments (server_id, packs, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(server_id) DO UPDATE SET packs = excluded.packs,
             updated_at = excluded.updated_at",
    )
    .bind(server_id)
    .bind(json)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    if let Some(d) = drift_detection_enabled {
        sqlx::query("UPDATE servers SET drift_detection_enabled = ? WHERE id = ?")
            .bind(d)
            .bind(server_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// A check to store.
#[derive(Debug, Clone)]
pub struct NewCheck<'a> {
    pub server_id: &'a str,
    pub pack_name: &'a str,
    pub checked_at: i64,
    pub is_compliant: bool,
    pub mismatch_count: i64,
    pub total_items: i64,
    pub mismatched_items: i64,
    pub check_duration_ms: i64,
    /// JSON array of `DiffMismatchItem`.
    pub mismatches: String,
}

/// Checks kept per machine and pack; older ones are dropped on insert so
/// the history cannot grow without bound.
pub const KEEP_CHECKS_PER_PACK: i64 = 100;

/// Store a check (dropping the oldest beyond [`KEEP_CHECKS_PER_PACK`]);
/// returns its id.
pub async fn insert_check(db: &Db, c: &NewCheck<'_>) -> sqlx::Result<i64> {
    let mut tx = db.write.begin().await?;
    let id = sqlx::query_scalar(
        "INSERT INTO config_checks (server_id, pack_name, checked_at, is_compliant, mismatch_count,
             total_items, mismatched_items, check_duration_ms, mismatches)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(c.server_id)
    .bind(c.pack_name)
    .bind(c.checked_at)
    .bind(c.is_compliant)
    .bind(c.mismatch_count)
    .bind(c.total_items)
    .bind(c.mismatched_items)
    .bind(c.check_duration_ms)
    .bind(&c.mismatches)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM config_checks WHERE server_id = ?1 AND pack_name = ?2 AND id <=
             (SELECT id FROM config_checks WHERE server_id = ?1 AND pack_name = ?2
              ORDER BY id DESC LIMIT 1 OFFSET ?3)",
    )
    .bind(c.server_id)
    .bind(c.pack_name)
    .bind(KEEP_CHECKS_PER_PACK)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A stored check.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CheckRow {
    pub id: i64,
    pub server_id: String,
    pub pack_name: String,
    pub checked_at: i64,
    pub is_compliant: bool,
    pub mismatch_count: i64,
    pub total_items: i64,
    pub mismatched_items: i64,
    pub check_duration_ms: i64,
    pub mismatches: String,
}

/// A machine's checks, newest first.
pub async fn history(
    e: impl SqliteExecutor<'_>,
    server_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<CheckRow>> {
    sqlx::query_as(
        "SELECT id, server_id, pack_name, checked_at, is_compliant, mismatch_count, total_items,
             mismatched_items, check_duration_ms, mismatches
         FROM config_checks WHERE server_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(server_id)
    .bind(limit)
    .fetch_all(e)
    .await
}

pub async fn count_checks(e: impl SqliteExecutor<'_>, server_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM config_checks WHERE server_id = ?")
        .bind(server_id)
        .fetch_one(e)
        .await
}

/// The newest check of a machine against a pack.
pub async fn latest_check(
    e: impl SqliteExecutor<'_>,
    server_id: &str,
    pack_name: &str,
) -> sqlx::Result<Option<CheckRow>> {
    sqlx::query_as(
        "SELECT id, server_id, pack_name, checked_at, is_compliant, mismatch_count, total_items,
             mismatched_items, check_duration_ms, mismatches
         FROM config_checks WHERE server_id = ? AND pack_name = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(server_id)
    .bind(pack_name)
    .fetch_optional(e)
    .await
}

/// The newest check per (machine, pack), for the fleet summary.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LatestCheck {
    pub server_id: String,
    pub pack_name: String,
    pub is_compliant: bool,
    pub mismatch_count: i64,
    pub checked_at: i64,
}

pub async fn latest_checks(e: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<LatestCheck>> {
    sqlx::query_as(
        "SELECT c.server_id, c.pack_name, c.is_compliant, c.mismatch_count, c.checked_at
         FROM config_checks c
         JOIN (SELECT MAX(id) AS id FROM config_checks GROUP BY server_id, pack_name) l
           ON l.id = c.id
         ORDER BY c.server_id, c.id",
    )
    .fetch_all(e)
    .await
}

/// Every machine, for the fleet summary (never-checked ones included).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MachineName {
    pub id: String,
    pub display_name: Option<String>,
    pub hostname: String,
}

pub async fn machines(e: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<MachineName>> {
    sqlx::query_as("SELECT id, display_name, hostname FROM servers ORDER BY id")
        .fetch_all(e)
        .await
}

/// An apply run (`config_apply_runs`); `items` holds its progress JSON.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApplyRunRow {
    pub id: i64,
    pub server_id: String,
    pub pack_name: String,
    #[sqlx(try_from = "super::Name<ApplyStatus>")]
    pub status: ApplyStatus,
    pub started_at: i64,
    pub completed_at: Option<i64>,
    pub items: Option<String>,
    pub error: Option<String>,
}

/// Start a run unless one is pending or running on the machine (checked in
/// the same statement, on the one writer); `None` if one is.
pub async fn start_apply_run(
    db: &Db,
    server_id: &str,
    pack_name: &str,
    actor: &str,
    items: &str,
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO config_apply_runs (server_id, pack_name, dry_run, status, actor, started_at, items)
         SELECT ?1, ?2, 0, 'running', ?3, ?4, ?5
         WHERE NOT EXISTS (SELECT 1 FROM config_apply_runs
                           WHERE server_id = ?1 AND status IN ('pending', 'running'))
         RETURNING id",
    )
    .bind(server_id)
    .bind(pack_name)
    .bind(actor)
    .bind(now_ms)
    .bind(items)
    .fetch_optional(&db.write)
    .await
}

/// Store a running run's progress.
pub async fn set_apply_progress(db: &Db, id: i64, items: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE config_apply_runs SET items = ? WHERE id = ? AND status = 'running'")
        .bind(items)
        .bind(id)
        .execute(&db.write)
        .await
        .map(|_| ())
}

/// End a run (`completed` or `failed`).
pub async fn finish_apply_run(
    db: &Db,
    id: i64,
    status: ApplyStatus,
    items: &str,
    error: Option<&str>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE config_apply_runs SET status = ?, items = ?, error = ?, completed_at = ?
         WHERE id = ?",
    )
    .bind(status.as_str())
    .bind(items)
    .bind(error)
    .bind(now_ms)
    .bind(id)
    .execute(&db.write)
    .await
    .map(|_| ())
}

pub async fn apply_run(
    e: impl SqliteExecutor<'_>,
    server_id: &str,
    id: i64,
) -> sqlx::Result<Option<ApplyRunRow>> {
    sqlx::query_as(
        "SELECT id, server_id, pack_name, status, started_at, completed_at, items, error
         FROM config_apply_runs WHERE server_id = ? AND id = ?",
    )
    .bind(server_id)
    .bind(id)
    .fetch_optional(e)
    .await
}

/// Runs a stopped hub left unfinished: they cannot resume (the SSH steps
/// are gone), so they fail with a reason. Returns how many.
pub async fn fail_unfinished_apply_runs(db: &Db, now_ms: i64) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE config_apply_runs SET status = 'failed', completed_at = ?,
             error = 'the hub stopped while this apply ran; check the machine and apply again'
         WHERE status IN ('pending', 'running')",
    )
    .bind(now_ms)
    .execute(&db.write)
    .await
    .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;
    use homelabcmd_protocol::api::ServerCreate;

    #[tokio::test]
    async fn one_apply_run_per_machine_and_unfinished_runs_fail_at_start() {
        let (db, _dir) = test_db().await;
        for id in ["nas", "pi"] {
            assert!(
                crate::db::servers::create(
                    &db,
                    &ServerCreate {
                        id: id.into(),
                        hostname: id.into(),
                        display_name: None,
                        ip_address: None,
                        tdp_watts: None,
                        machine_type: None,
                        tailscale_hostname: None,
                        offline_threshold_seconds: None,
                    },
                )
                .await
                .unwrap()
            );
        }
        let first = start_apply_run(&db, "nas", "base", "api", "{}", 1_000)
            .await
            .unwrap()
            .expect("a first run starts");
        // A second run on the same machine is refused while the first runs;
        // another machine is free.
        assert_eq!(
            start_apply_run(&db, "nas", "developer-lite", "api", "{}", 1_001)
                .await
                .unwrap(),
            None
        );
        let other = start_apply_run(&db, "pi", "base", "api", "{}", 1_002)
            .await
            .unwrap()
            .expect("another machine is free");
        set_apply_progress(&db, first, r#"{"items_total":3}"#)
            .await
            .unwrap();
        finish_apply_run(
            &db,
            first,
            ApplyStatus::Completed,
            r#"{"items_total":3}"#,
            None,
            2_000,
        )
        .await
        .unwrap();
        let again = start_apply_run(&db, "nas", "base", "api", "{}", 3_000)
            .await
            .unwrap();
        assert!(again.is_some(), "a finished run frees the machine");
        // A hub stop leaves two runs unfinished: both fail, the finished one
        // is untouched.
        assert_eq!(fail_unfinished_apply_runs(&db, 4_000).await.unwrap(), 2);
        let done = apply_run(&db.read, "nas", first).await.unwrap().unwrap();
        assert_eq!(done.status, ApplyStatus::Completed);
        assert_eq!(done.completed_at, Some(2_000));
        let failed = apply_run(&db.read, "pi", other).await.unwrap().unwrap();
        assert_eq!(failed.status, ApplyStatus::Failed);
        assert!(failed.error.unwrap().contains("hub stopped"));
        // Progress cannot be written into a finished run.
        set_apply_progress(&db, other, r#"{"items_total":9}"#)
            .await
            .unwrap();
        let failed = apply_run(&db.read, "pi", other).await.unwrap().unwrap();
        assert_eq!(failed.items.as_deref(), Some("{}"));
        assert!(apply_run(&db.read, "pi", first).await.unwrap().is_none());
    }
}
