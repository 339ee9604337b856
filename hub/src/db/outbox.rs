//! The durable notification outbox.

use sqlx::{Sqlite, Transaction};

use crate::notify::{AlertEvent, Channel};

/// Queue `event` once per channel inside the caller's transaction, so the
/// notification exists exactly when the alert change does.
pub async fn enqueue(
    tx: &mut Transaction<'_, Sqlite>,
    channels: &[Channel],
    event: &AlertEvent,
    now_ms: i64,
) -> sqlx::Result<()> {
    let json = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    for channel in channels {
        sqlx::query(
            "INSERT INTO notification_outbox (created_at, channel, event, alert_id, next_attempt_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(now_ms)
        .bind(channel.as_str())
        .bind(&json)
        .bind(event.alert_id)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
