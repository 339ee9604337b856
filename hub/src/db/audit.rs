//! `audit_log`: append inside the writer transaction, filtered listing, and
//! chain verification (see `homelabcmd_core::audit`).

use sqlx::SqliteConnection;

use super::{Db, now_ms};
use homelabcmd_core::audit::{AuditEntry, AuditOutcome, AuditRecord, ChainVerifier, VerifyError};

/// Append `entry` on a connection that is inside a write transaction (the
/// caller's, so an action's status change and its audit row commit
/// together). Reading the head and inserting the next row in the same
/// transaction on the single writer connection keeps the chain linear.
pub async fn append_in(
    conn: &mut SqliteConnection,
    entry: &AuditEntry,
) -> sqlx::Result<AuditRecord> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let r = AuditRecord::next(
        head.as_ref().map(|(id, h)| (*id, h.as_str())),
        now_ms(),
        entry,
    );
    sqlx::query(
        "INSERT INTO audit_log (id, ts, actor, server_id, action, argv, outcome, reason,
                                exit_code, duration_ms, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(r.id)
    .bind(r.ts)
    .bind(&r.actor)
    .bind(&r.server_id)
    .bind(&r.action)
    .bind(&r.argv)
    .bind(&r.outcome)
    .bind(&r.reason)
    .bind(r.exit_code)
    .bind(r.duration_ms)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .execute(&mut *conn)
    .await?;
    Ok(r)
}

/// Append `entry` in its own transaction.
pub async fn append(db: &Db, entry: &AuditEntry) -> sqlx::Result<AuditRecord> {
    let mut tx = db.write.begin().await?;
    let r = append_in(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(r)
}

/// Filters of `GET /audit`; times in ms, both bounds inclusive.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub server_id: Option<String>,
    pub outcome: Option<AuditOutcome>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// An `audit_log` row as stored; [`AuditRecord`] is the same row as the
/// pure chain code sees it.
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    ts: i64,
    actor: String,
    server_id: Option<String>,
    action: String,
    argv: Option<String>,
    outcome: String,
    reason: Option<String>,
    exit_code: Option<i64>,
    duration_ms: Option<i64>,
    prev_hash: String,
    hash: String,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        AuditRecord {
            id: r.id,
            ts: r.ts,
            actor: r.actor,
            server_id: r.server_id,
            action: r.action,
            argv: r.argv,
            outcome: r.outcome,
            reason: r.reason,
            exit_code: r.exit_code,
            duration_ms: r.duration_ms,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Newest first, and the total matching the filter.
pub async fn list(db: &Db, f: &AuditFilter) -> sqlx::Result<(Vec<AuditRecord>, i64)> {
    // One literal per query (sqlx wants &'static str): the WHERE is repeated.
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT * FROM audit_log WHERE (?1 IS NULL OR server_id = ?1) AND (?2 IS NULL OR outcome = ?2)
           AND (?3 IS NULL OR ts >= ?3) AND (?4 IS NULL OR ts <= ?4)
         ORDER BY id DESC LIMIT ?5 OFFSET ?6",
    )
    .bind(&f.server_id)
    .bind(f.outcome.map(AuditOutcome::as_str))
    .bind(f.since)
    .bind(f.until)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(&db.read)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE (?1 IS NULL OR server_id = ?1) AND (?2 IS NULL OR outcome = ?2)
           AND (?3 IS NULL OR ts >= ?3) AND (?4 IS NULL OR ts <= ?4)",
    )
    .bind(&f.server_id)
    .bind(f.outcome.map(AuditOutcome::as_str))
    .bind(f.since)
    .bind(f.until)
    .fetch_one(&db.read)
    .await?;
    Ok((rows.into_iter().map(AuditRecord::from).collect(), total))
}

/// Result of a full verification.
#[derive(Debug)]
pub enum Verified {
    Ok { count: u64, head: Option<String> },
    Broken(VerifyError),
}

/// Walk the whole chain in id order, a page at a time so a long trail is
/// not held in memory.
pub async fn verify(db: &Db) -> sqlx::Result<Verified> {
    let mut v = ChainVerifier::default();
    let mut after = i64::MIN;
    loop {
        let page: Vec<AuditRecord> = sqlx::query_as::<_, AuditRow>(
            "SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT 1000",
        )
        .bind(after)
        .fetch_all(&db.read)
        .await?
        .into_iter()
        .map(AuditRecord::from)
        .collect();
        let Some(last) = page.last() else { break };
        after = last.id;
        for r in &page {
            if let Err(e) = v.push(r) {
                return Ok(Verified::Broken(e));
            }
        }
    }
    let (count, head) = v.finish();
    Ok(Verified::Ok { count, head })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;
    use homelabcmd_core::audit::AuditOutcome;

    #[tokio::test]
    async fn appends_chain_and_the_table_refuses_edits() {
        let (db, _d) = test_db().await;
        for i in 0..3 {
            let mut e = AuditEntry::new(
                "api",
                Some("nas"),
                "service_restart",
                AuditOutcome::Completed,
            );
            e.exit_code = Some(i);
            append(&db, &e).await.unwrap();
        }
        append(
            &db,
            &AuditEntry::new("api", None, "apt_update", AuditOutcome::Rejected),
        )
        .await
        .unwrap();
        match verify(&db).await.unwrap() {
            Verified::Ok { count, head } => {
                assert_eq!(count, 4);
                assert_eq!(head.unwrap().len(), 64);
            }
            Verified::Broken(e) => panic!("{e}"),
        }
        let err = sqlx::query("UPDATE audit_log SET exit_code = 1 WHERE id = 2")
            .execute(&db.write)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        let err = sqlx::query("DELETE FROM audit_log WHERE id = 4")
            .execute(&db.write)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");

        let f = AuditFilter {
            server_id: Some("nas".into()),
            limit: 2,
            ..Default::default()
        };
        let (rows, total) = list(&db, &f).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, 3, "newest first");
        let f = AuditFilter {
            outcome: Some(AuditOutcome::Rejected),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(list(&db, &f).await.unwrap().1, 1);
    }

    #[tokio::test]
    async fn an_attacker_who_drops_the_trigger_is_still_caught() {
        let (db, _d) = test_db().await;
        for _ in 0..3 {
            append(
                &db,
                &AuditEntry::new("api", Some("nas"), "reboot", AuditOutcome::Allowed),
            )
            .await
            .unwrap();
        }
        sqlx::query("DROP TRIGGER audit_log_no_update")
            .execute(&db.write)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET outcome = 'rejected' WHERE id = 2")
            .execute(&db.write)
            .await
            .unwrap();
        match verify(&db).await.unwrap() {
            Verified::Broken(e) => assert_eq!(e.row_id, 2),
            ok => panic!("tampering not detected: {ok:?}"),
        }
    }
}
