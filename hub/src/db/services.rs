//! Services an operator expects on each machine.

use sqlx::FromRow;

use super::{Db, now_ms};

#[derive(Debug, Clone, FromRow)]
pub struct ExpectedServiceRow {
    pub service_name: String,
    pub display_name: Option<String>,
    pub is_critical: bool,
    pub enabled: bool,
}

pub async fn list(db: &Db, server_id: &str) -> sqlx::Result<Vec<ExpectedServiceRow>> {
    sqlx::query_as(
        "SELECT service_name, display_name, is_critical, enabled FROM expected_services
         WHERE server_id = ? ORDER BY service_name",
    )
    .bind(server_id)
    .fetch_all(&db.read)
    .await
}

pub async fn get(db: &Db, server_id: &str, name: &str) -> sqlx::Result<Option<ExpectedServiceRow>> {
    sqlx::query_as(
        "SELECT service_name, display_name, is_critical, enabled FROM expected_services
         WHERE server_id = ? AND service_name = ?",
    )
    .bind(server_id)
    .bind(name)
    .fetch_optional(&db.write)
    .await
}

/// Returns `false` when the service is already expected.
pub async fn create(
    db: &Db,
    server_id: &str,
    name: &str,
    display_name: Option<&str>,
    is_critical: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO expected_services (server_id, service_name, display_name, is_critical, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(server_id)
    .bind(name)
    .bind(display_name)
    .bind(is_critical)
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update(
    db: &Db,
    server_id: &str,
    name: &str,
    display_name: Option<&str>,
    is_critical: Option<bool>,
    enabled: Option<bool>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE expected_services SET display_name = COALESCE(?, display_name),
            is_critical = COALESCE(?, is_critical), enabled = COALESCE(?, enabled)
         WHERE server_id = ? AND service_name = ?",
    )
    .bind(display_name)
    .bind(is_critical)
    .bind(enabled)
    .bind(server_id)
    .bind(name)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: &Db, server_id: &str, name: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query("DELETE FROM expected_services WHERE server_id = ? AND service_name = ?")
            .bind(server_id)
            .bind(name)
            .execute(&db.write)
            .await?;
    Ok(done.rows_affected() == 1)
}
