//! Remediation actions (hub → SSH): rows and their lifecycle
//! (`crate::actions` has the rules). Every status change is one conditional
//! UPDATE, so a racing approve/cancel/execute cannot both win: the loser
//! sees no row and answers 409.

use homelabcmd_protocol::actions::{ActionStatus, ActionType};
use sqlx::FromRow;

use super::{Db, now_ms};
use homelabcmd_core::audit::AuditEntry;

#[derive(Debug, Clone, FromRow)]
pub struct ActionRow {
    pub id: i64,
    pub server_id: String,
    #[sqlx(try_from = "super::Name<ActionType>")]
    pub action_type: ActionType,
    #[sqlx(try_from = "super::Name<ActionStatus>")]
    pub status: ActionStatus,
    pub service_name: Option<String>,
    pub command: String,
    pub alert_id: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
    pub approved_at: Option<i64>,
    pub approved_by: Option<String>,
    pub rejected_at: Option<i64>,
    pub rejected_by: Option<String>,
    pub rejection_reason: Option<String>,
    pub executed_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub exit_code: Option<i64>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

/// A page of a server's actions, newest first, and the total matching.
pub async fn list_actions(
    db: &Db,
    server_id: &str,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ActionRow>, i64)> {
    let rows = sqlx::query_as(
        "SELECT * FROM actions WHERE server_id = ?1 AND (?2 IS NULL OR status = ?2)
         ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4",
    )
    .bind(server_id)
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM actions WHERE server_id = ?1 AND (?2 IS NULL OR status = ?2)",
    )
    .bind(server_id)
    .bind(status)
    .fetch_one(&db.read)
    .await?;
    Ok((rows, total))
}

/// Filters of `GET /actions`.
#[derive(Debug, Default)]
pub struct ActionFilter<'a> {
    pub status: Option<&'a str>,
    pub server_id: Option<&'a str>,
    pub action_type: Option<&'a str>,
}

/// A page of all actions, newest first, and the total matching.
pub async fn list_all(
    db: &Db,
    f: &ActionFilter<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ActionRow>, i64)> {
    let rows = sqlx::query_as(
        "SELECT * FROM actions WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR server_id = ?2)
           AND (?3 IS NULL OR action_type = ?3)
         ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5",
    )
    .bind(f.status)
    .bind(f.server_id)
    .bind(f.action_type)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM actions WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR server_id = ?2)
           AND (?3 IS NULL OR action_type = ?3)",
    )
    .bind(f.status)
    .bind(f.server_id)
    .bind(f.action_type)
    .fetch_one(&db.read)
    .await?;
    Ok((rows, total))
}

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<ActionRow>> {
    sqlx::query_as("SELECT * FROM actions WHERE id = ?")
        .bind(id)
        .fetch_optional(&db.read)
        .await
}

/// A new action. `approved_by` set: created approved (normal machines,
/// `"auto"`); `None`: created pending (machines in maintenance).
#[derive(Debug)]
pub struct NewAction<'a> {
    pub server_id: &'a str,
    pub action_type: ActionType,
    pub service_name: Option<&'a str>,
    pub command: &'a str,
    pub alert_id: Option<i64>,
    pub created_by: &'a str,
    pub approved_by: Option<&'a str>,
}

#[derive(Debug)]
pub enum Inserted {
    Created(Box<ActionRow>),
    /// The same command is already queued or running on that machine.
    Duplicate(i64),
}

/// Insert unless the same command is already pending, approved or
/// executing on the machine; the check and the insert share the writer
/// transaction, so two identical requests cannot both get in. The audit
/// row commits with it.
pub async fn insert(db: &Db, a: &NewAction<'_>, audit: &AuditEntry) -> sqlx::Result<Inserted> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM actions WHERE server_id = ? AND command = ?
           AND status IN ('pending', 'approved', 'executing')
         ORDER BY id LIMIT 1",
    )
    .bind(a.server_id)
    .bind(a.command)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = existing {
        return Ok(Inserted::Duplicate(id));
    }
    let status = if a.approved_by.is_some() {
        ActionStatus::Approved
    } else {
        ActionStatus::Pending
    };
    let row: ActionRow = sqlx::query_as(
        "INSERT INTO actions (server_id, action_type, status, service_name, command, alert_id,
                              created_at, created_by, approved_at, approved_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN ?9 IS NULL THEN NULL ELSE ?7 END, ?9)
         RETURNING *",
    )
    .bind(a.server_id)
    .bind(a.action_type.as_str())
    .bind(status.as_str())
    .bind(a.service_name)
    .bind(a.command)
    .bind(a.alert_id)
    .bind(now)
    .bind(a.created_by)
    .bind(a.approved_by)
    .fetch_one(&mut *tx)
    .await?;
    super::audit::append_in(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(Inserted::Created(Box::new(row)))
}

/// One lifecycle step: `update` (a conditional `UPDATE ... RETURNING *`)
/// and, if it matched, its audit entry, in one transaction. `None`: the row
/// was not in a state the step starts from.
async fn transition<'q>(
    db: &Db,
    update: sqlx::query::QueryAs<'q, sqlx::Sqlite, ActionRow, sqlx::sqlite::SqliteArguments>,
    audit: &AuditEntry,
) -> sqlx::Result<Option<ActionRow>> {
    let mut tx = db.write.begin().await?;
    let row = update.fetch_optional(&mut *tx).await?;
    if row.is_some() {
        super::audit::append_in(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// pending → approved. `None`: not found or not pending.
pub async fn approve(
    db: &Db,
    id: i64,
    by: &str,
    audit: &AuditEntry,
) -> sqlx::Result<Option<ActionRow>> {
    transition(
        db,
        sqlx::query_as(
            "UPDATE actions SET status = 'approved', approved_at = ?, approved_by = ?
         WHERE id = ? AND status = 'pending' RETURNING *",
        )
        .bind(now_ms())
        .bind(by)
        .bind(id),
        audit,
    )
    .await
}

/// pending → rejected. `None`: not found or not pending.
pub async fn reject(
    db: &Db,
    id: i64,
    by: &str,
    reason: &str,
    audit: &AuditEntry,
) -> sqlx::Result<Option<ActionRow>> {
    transition(
        db,
        sqlx::query_as(
            "UPDATE actions SET status = 'rejected', rejected_at = ?, rejected_by = ?,
                rejection_reason = ?
         WHERE id = ? AND status = 'pending' RETURNING *",
        )
        .bind(now_ms())
        .bind(by)
        .bind(reason)
        .bind(id),
        audit,
    )
    .await
}

/// pending or approved (not yet started) → cancelled. `None`: not found or
/// already started/finished.
pub async fn cancel(
    db: &Db,
    id: i64,
    by: &str,
    audit: &AuditEntry,
) -> sqlx::Result<Option<ActionRow>> {
    transition(
        db,
        sqlx::query_as(
            "UPDATE actions SET status = 'cancelled', completed_at = ?1,
                stderr = 'cancelled by ' || ?2 || ' before it ran'
         WHERE id = ?3 AND status IN ('pending', 'approved') RETURNING *",
        )
        .bind(now_ms())
        .bind(by)
        .bind(id),
        audit,
    )
    .await
}

/// approved → executing. `None` when it is no longer approved (cancelled
/// in the meantime): the caller must not run it.
pub async fn start(db: &Db, id: i64) -> sqlx::Result<Option<ActionRow>> {
    sqlx::query_as(
        "UPDATE actions SET status = 'executing', executed_at = ?
         WHERE id = ? AND status = 'approved' RETURNING *",
    )
    .bind(now_ms())
    .bind(id)
    .fetch_optional(&db.write)
    .await
}

/// How an execution ended.
#[derive(Debug)]
pub struct Finished<'a> {
    /// `completed` (exit 0) or `failed`.
    pub status: ActionStatus,
    pub exit_code: Option<i64>,
    pub stdout: &'a str,
    pub stderr: &'a str,
}

/// executing → completed / failed.
pub async fn finish(db: &Db, id: i64, f: &Finished<'_>) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE actions SET status = ?, completed_at = ?, exit_code = ?, stdout = ?, stderr = ?
         WHERE id = ? AND status = 'executing'",
    )
    .bind(f.status.as_str())
    .bind(now_ms())
    .bind(f.exit_code)
    .bind(f.stdout)
    .bind(f.stderr)
    .bind(id)
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// At start-up: actions left `executing` by a hub that stopped mid-run are
/// marked failed (whether the command finished is unknown); returns the ids
/// still `approved`, to be run now.
pub async fn recover(db: &Db) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "UPDATE actions SET status = 'failed', completed_at = ?,
                stderr = 'the hub stopped while this action was running; its outcome is unknown'
         WHERE status = 'executing'",
    )
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    sqlx::query_scalar("SELECT id FROM actions WHERE status = 'approved' ORDER BY id")
        .fetch_all(&db.write)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;
    use homelabcmd_core::audit::AuditOutcome;

    fn audit() -> AuditEntry {
        AuditEntry::new("test", Some("nas"), "action_create", AuditOutcome::Allowed)
    }

    async fn seeded() -> (Db, tempfile::TempDir) {
        let (db, d) = test_db().await;
        sqlx::query(
            "INSERT INTO servers (id, hostname, created_at, updated_at) VALUES ('nas', 'nas', 0, 0)",
        )
        .execute(&db.write)
        .await
        .unwrap();
        (db, d)
    }

    fn new<'a>(command: &'a str, approved_by: Option<&'a str>) -> NewAction<'a> {
        NewAction {
            server_id: "nas",
            action_type: ActionType::RestartService,
            service_name: Some("nginx"),
            command,
            alert_id: None,
            created_by: "dashboard",
            approved_by,
        }
    }

    fn created(i: Inserted) -> ActionRow {
        match i {
            Inserted::Created(r) => *r,
            Inserted::Duplicate(id) => panic!("duplicate of {id}"),
        }
    }

    #[tokio::test]
    async fn lifecycle_transitions_are_conditional() {
        let (db, _d) = seeded().await;
        let a = created(
            insert(&db, &new("systemctl restart nginx", None), &audit())
                .await
                .unwrap(),
        );
        assert_eq!(a.status, ActionStatus::Pending);
        assert!(a.approved_at.is_none());
        // Same command while queued: duplicate.
        assert!(matches!(
            insert(&db, &new("systemctl restart nginx", None), &audit()).await.unwrap(),
            Inserted::Duplicate(id) if id == a.id
        ));
        // Not approved yet: cannot start.
        assert!(start(&db, a.id).await.unwrap().is_none());
        let a = approve(&db, a.id, "dashboard", &audit())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (a.status, a.approved_by.as_deref()),
            (ActionStatus::Approved, Some("dashboard"))
        );
        assert!(
            approve(&db, a.id, "dashboard", &audit())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            reject(&db, a.id, "x", "no", &audit())
                .await
                .unwrap()
                .is_none()
        );
        let a = start(&db, a.id).await.unwrap().unwrap();
        assert_eq!(a.status, ActionStatus::Executing);
        assert!(cancel(&db, a.id, "x", &audit()).await.unwrap().is_none());
        let f = Finished {
            status: ActionStatus::Failed,
            exit_code: Some(1),
            stdout: "",
            stderr: "boom",
        };
        assert!(finish(&db, a.id, &f).await.unwrap());
        assert!(!finish(&db, a.id, &f).await.unwrap(), "only once");
        let a = get(&db, a.id).await.unwrap().unwrap();
        assert_eq!((a.status, a.exit_code), (ActionStatus::Failed, Some(1)));
        // Finished: a new identical request is no duplicate.
        let b = created(
            insert(&db, &new("systemctl restart nginx", Some("auto")), &audit())
                .await
                .unwrap(),
        );
        assert_eq!(
            (b.status, b.approved_by.as_deref()),
            (ActionStatus::Approved, Some("auto"))
        );
        assert_eq!(b.approved_at, Some(b.created_at));
        let b = cancel(&db, b.id, "dashboard", &audit())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(b.status, ActionStatus::Cancelled);
        assert!(
            start(&db, b.id).await.unwrap().is_none(),
            "cancelled never runs"
        );
        let c = created(
            insert(&db, &new("systemctl restart cron", None), &audit())
                .await
                .unwrap(),
        );
        let c = reject(&db, c.id, "dashboard", "not now", &audit())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.status, c.rejection_reason.as_deref()),
            (ActionStatus::Rejected, Some("not now"))
        );
        let (all, total) = list_all(
            &db,
            &ActionFilter {
                status: Some("rejected"),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
        assert_eq!((all.len(), total), (1, 1));
        assert_eq!(
            crate::db::audit::list(&db, &Default::default())
                .await
                .unwrap()
                .1,
            6
        );
    }

    #[tokio::test]
    async fn recovery_fails_interrupted_runs_and_returns_approved_ones() {
        let (db, _d) = seeded().await;
        let a = created(
            insert(&db, &new("a", Some("auto")), &audit())
                .await
                .unwrap(),
        );
        let b = created(
            insert(&db, &new("b", Some("auto")), &audit())
                .await
                .unwrap(),
        );
        start(&db, a.id).await.unwrap().unwrap();
        assert_eq!(recover(&db).await.unwrap(), vec![b.id]);
        let a = get(&db, a.id).await.unwrap().unwrap();
        assert_eq!(a.status, ActionStatus::Failed);
        assert!(a.stderr.unwrap().contains("outcome is unknown"));
    }
}
