//! Hub-wide settings stored as JSON documents by key, and widget layouts
//! per machine.

use super::{Db, now_ms};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A stored document and when it was saved.
pub struct Stored<T> {
    pub value: T,
    pub updated_at: i64,
}

/// Read `key`; a document that no longer parses (written by another version)
/// is treated as absent and logged, so defaults apply instead of a 500.
pub async fn get<T: DeserializeOwned>(db: &Db, key: &str) -> sqlx::Result<Option<Stored<T>>> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT value, updated_at FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&db.read)
            .await?;
    Ok(
        row.and_then(|(text, updated_at)| match serde_json::from_str(&text) {
            Ok(value) => Some(Stored { value, updated_at }),
            Err(e) => {
                tracing::warn!(key, error = %e, "ignoring unreadable stored setting");
                None
            }
        }),
    )
}

pub async fn put<T: Serialize>(db: &Db, key: &str, value: &T) -> sqlx::Result<i64> {
    let now = now_ms();
    let text = serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(text)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(now)
}

pub async fn get_layout(db: &Db, server_id: &str) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as("SELECT layouts, updated_at FROM widget_layouts WHERE server_id = ?")
        .bind(server_id)
        .fetch_optional(&db.read)
        .await
}

pub async fn put_layout(db: &Db, server_id: &str, layouts_json: &str) -> sqlx::Result<i64> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO widget_layouts (server_id, layouts, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (server_id) DO UPDATE SET layouts = excluded.layouts, updated_at = excluded.updated_at",
    )
    .bind(server_id)
    .bind(layouts_json)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(now)
}

pub async fn delete_layout(db: &Db, server_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM widget_layouts WHERE server_id = ?")
        .bind(server_id)
        .execute(&db.write)
        .await?;
    Ok(())
}
