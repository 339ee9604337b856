//! Remediation actions (hub → SSH), listed per server.

use sqlx::FromRow;

use super::Db;

#[derive(Debug, Clone, FromRow)]
pub struct ActionRow {
    pub id: i64,
    pub server_id: String,
    pub action_type: String,
    pub status: String,
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
