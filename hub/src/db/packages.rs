//! Pending package updates per machine (written by heartbeat ingest).

use sqlx::FromRow;

use super::Db;

#[derive(Debug, Clone, FromRow)]
pub struct PackageRow {
    pub name: String,
    pub current_version: String,
    pub new_version: String,
    pub repository: String,
    pub is_security: bool,
    pub detected_at: i64,
    pub updated_at: i64,
}

/// Security updates first, then by name.
pub async fn list(db: &Db, server_id: &str) -> sqlx::Result<Vec<PackageRow>> {
    sqlx::query_as(
        "SELECT name, current_version, new_version, repository, is_security, detected_at, updated_at
         FROM packages WHERE server_id = ? ORDER BY is_security DESC, name",
    )
    .bind(server_id)
    .fetch_all(&db.read)
    .await
}
