//! Alert rows and pending breaches.

use homelabcmd_protocol::alerts::{AlertStatus, AlertType};
use homelabcmd_protocol::api::MachineType;
use homelabcmd_protocol::names::UnknownName;
use sqlx::{FromRow, Sqlite, Transaction};

use super::Db;
use homelabcmd_core::alerts::engine::{
    ActiveAlert, Condition, MetricType, NewAlert, Pending, Severity,
};

#[derive(Debug, Clone, FromRow)]
pub struct AlertRow {
    pub id: i64,
    pub server_id: String,
    pub condition_key: String,
    #[sqlx(try_from = "super::Name<AlertType>")]
    pub alert_type: AlertType,
    #[sqlx(try_from = "super::Name<Severity>")]
    pub severity: Severity,
    #[sqlx(try_from = "super::Name<AlertStatus>")]
    pub status: AlertStatus,
    pub title: String,
    pub message: Option<String>,
    pub threshold_value: Option<f64>,
    pub actual_value: Option<f64>,
    pub service_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub auto_resolved: bool,
    pub snoozed_until: Option<i64>,
    pub last_notified_at: Option<i64>,
    /// Joined from `servers`: display name, else hostname.
    pub server_name: Option<String>,
}

#[derive(Debug, Default)]
pub struct AlertFilter<'a> {
    pub status: Option<AlertStatus>,
    pub severity: Option<Severity>,
    pub server_id: Option<&'a str>,
}

/// A page of alerts, newest first, and the total matching.
pub async fn list(
    db: &Db,
    f: &AlertFilter<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AlertRow>, i64)> {
    let rows = sqlx::query_as(
        "SELECT a.*, COALESCE(s.display_name, s.hostname) AS server_name
         FROM alerts a LEFT JOIN servers s ON s.id = a.server_id
         WHERE (?1 IS NULL OR a.status = ?1) AND (?2 IS NULL OR a.severity = ?2)
           AND (?3 IS NULL OR a.server_id = ?3)
         ORDER BY a.created_at DESC, a.id DESC LIMIT ?4 OFFSET ?5",
    )
    .bind(f.status.map(AlertStatus::as_str))
    .bind(f.severity.map(Severity::as_str))
    .bind(f.server_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM alerts a
         WHERE (?1 IS NULL OR a.status = ?1) AND (?2 IS NULL OR a.severity = ?2)
           AND (?3 IS NULL OR a.server_id = ?3)",
    )
    .bind(f.status.map(AlertStatus::as_str))
    .bind(f.severity.map(Severity::as_str))
    .bind(f.server_id)
    .fetch_one(&db.read)
    .await?;
    Ok((rows, total))
}

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<AlertRow>> {
    sqlx::query_as(
        "SELECT a.*, COALESCE(s.display_name, s.hostname) AS server_name
         FROM alerts a LEFT JOIN servers s ON s.id = a.server_id WHERE a.id = ?",
    )
    .bind(id)
    .fetch_optional(&db.write)
    .await
}

/// Everything the alert engine needs about one machine, read in one query.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalContext {
    pub server_id: String,
    /// Display name, else hostname.
    pub server_name: String,
    pub machine_type: MachineType,
    pub is_paused: bool,
    pub last_seen: Option<i64>,
    pub offline_threshold_seconds: Option<i64>,
    /// Service states of the newest sample (JSON `[ServiceStatusPayload]`).
    pub reported_services: Option<String>,
    /// The stored `thresholds` settings document, if any (JSON).
    pub thresholds: Option<String>,
    pub overrides: Vec<OverrideRow>,
    /// Enabled expected services: `(name, is_critical)`.
    pub expected_services: Vec<(String, bool)>,
    pub active: Vec<ActiveAlert>,
    pub pending: Vec<Pending>,
}

#[derive(FromRow)]
pub(crate) struct EvalContextRow {
    id: String,
    server_name: String,
    #[sqlx(try_from = "super::Name<MachineType>")]
    machine_type: MachineType,
    is_paused: bool,
    last_seen: Option<i64>,
    offline_threshold_seconds: Option<i64>,
    services: Option<String>,
    thresholds: Option<String>,
    overrides: String,
    expected: String,
    active: String,
    pending: String,
}

/// The [`EvalContext`] query for the machine `?1`. A macro so that the
/// heartbeat script can end with it (`db::heartbeat`) and read the context
/// in the same hand-off that stored the sample.
#[macro_export]
#[doc(hidden)]
macro_rules! eval_context_sql {
    () => {
        "SELECT s.id, COALESCE(s.display_name, s.hostname) AS server_name, s.machine_type,
            s.is_paused, s.last_seen, s.offline_threshold_seconds, s.services,
            (SELECT value FROM settings WHERE key = 'thresholds') AS thresholds,
            (SELECT json_group_array(json_array(metric, high_percent, critical_percent,
                sustained_seconds)) FROM threshold_overrides WHERE server_id = s.id) AS overrides,
            (SELECT json_group_array(json_array(service_name, is_critical))
                FROM expected_services WHERE server_id = s.id AND enabled) AS expected,
            (SELECT json_group_array(json_array(id, condition_key, severity, created_at))
                FROM alerts WHERE server_id = s.id AND status != 'resolved') AS active,
            (SELECT json_group_array(json_array(metric, first_breach_at, samples, last_value))
                FROM pending_breaches WHERE server_id = s.id) AS pending
         FROM servers s WHERE s.id = ?1;"
    };
}

/// Load one machine's [`EvalContext`]; `None` if the machine is gone.
///
/// One statement on purpose: the alert runner needs it after every
/// heartbeat, and each sqlx call is a hand-off to a connection thread (the
/// cost that limited ingest, docs/benchmarks.md). The lists come back as
/// JSON arrays.
pub async fn load_context(db: &Db, server_id: &str) -> sqlx::Result<Option<EvalContext>> {
    // The query names the thresholds settings key literally.
    const _: () = assert!(matches!(
        crate::settings::THRESHOLDS_KEY.as_bytes(),
        b"thresholds"
    ));
    let row: Option<EvalContextRow> = sqlx::query_as(eval_context_sql!())
        .bind(server_id)
        .fetch_optional(&db.read)
        .await?;
    row.map(EvalContext::try_from).transpose()
}

impl TryFrom<EvalContextRow> for EvalContext {
    type Error = sqlx::Error;

    fn try_from(r: EvalContextRow) -> sqlx::Result<Self> {
        // SQLite wrote these arrays itself, so they parse; a failure is a
        // schema mismatch worth an error rather than a silently empty list.
        let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
        let unknown = |e: UnknownName| sqlx::Error::Decode(Box::new(e));
        type OverrideTuple = (String, Option<i64>, Option<i64>, Option<i64>);
        let overrides: Vec<OverrideTuple> = serde_json::from_str(&r.overrides).map_err(decode)?;
        let expected: Vec<(String, i64)> = serde_json::from_str(&r.expected).map_err(decode)?;
        let active: Vec<(i64, String, String, i64)> =
            serde_json::from_str(&r.active).map_err(decode)?;
        let pending: Vec<(String, i64, i64, f64)> =
            serde_json::from_str(&r.pending).map_err(decode)?;
        Ok(EvalContext {
            server_id: r.id,
            server_name: r.server_name,
            machine_type: r.machine_type,
            is_paused: r.is_paused,
            last_seen: r.last_seen,
            offline_threshold_seconds: r.offline_threshold_seconds,
            reported_services: r.services,
            thresholds: r.thresholds,
            overrides: overrides
                .into_iter()
                .map(
                    |(metric, high_percent, critical_percent, sustained_seconds)| {
                        Ok(OverrideRow {
                            metric: metric.parse()?,
                            high_percent,
                            critical_percent,
                            sustained_seconds,
                        })
                    },
                )
                .collect::<Result<_, UnknownName>>()
                .map_err(unknown)?,
            expected_services: expected
                .into_iter()
                .map(|(name, critical)| (name, critical != 0))
                .collect(),
            active: active
                .into_iter()
                .map(|(id, key, sev, at)| active_alert(id, &key, &sev, at))
                .filter_map(Result::transpose)
                .collect::<Result<_, _>>()
                .map_err(unknown)?,
            pending: pending
                .into_iter()
                .map(|(metric, first, samples, last)| pending_breach(&metric, first, samples, last))
                .collect::<Result<_, _>>()
                .map_err(unknown)?,
        })
    }
}

/// Count and up to three titles of active alerts per machine, for cards.
pub async fn active_summaries(db: &Db) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT server_id, title FROM alerts WHERE status != 'resolved'
         ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
                  created_at DESC",
    )
    .fetch_all(&db.read)
    .await
}

/// An active alert the engine manages; `None` for condition keys it does
/// not (the executor's host-key alert, drift).
fn active_alert(
    id: i64,
    key: &str,
    severity: &str,
    created_at: i64,
) -> Result<Option<ActiveAlert>, UnknownName> {
    let Some(condition) = Condition::parse_key(key) else {
        return Ok(None);
    };
    Ok(Some(ActiveAlert {
        id,
        condition,
        severity: severity.parse()?,
        opened_at_ms: created_at,
    }))
}

fn pending_breach(
    metric: &str,
    first: i64,
    samples: i64,
    last: f64,
) -> Result<Pending, UnknownName> {
    Ok(Pending {
        metric: metric.parse()?,
        first_breach_ms: first,
        samples: samples.clamp(0, i64::from(u32::MAX)) as u32,
        last_value: last,
    })
}

#[derive(Debug, Clone, FromRow)]
pub struct PendingRow {
    pub server_id: String,
    pub server_name: Option<String>,
    #[sqlx(try_from = "super::Name<MetricType>")]
    pub metric: MetricType,
    pub first_breach_at: i64,
    pub last_value: f64,
}

pub async fn all_pending(db: &Db) -> sqlx::Result<Vec<PendingRow>> {
    sqlx::query_as(
        "SELECT p.server_id, COALESCE(s.display_name, s.hostname) AS server_name, p.metric,
                p.first_breach_at, p.last_value
         FROM pending_breaches p JOIN servers s ON s.id = p.server_id
         ORDER BY p.first_breach_at",
    )
    .fetch_all(&db.read)
    .await
}

pub async fn replace_pending(
    tx: &mut Transaction<'_, Sqlite>,
    server_id: &str,
    pending: &[Pending],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM pending_breaches WHERE server_id = ?")
        .bind(server_id)
        .execute(&mut **tx)
        .await?;
    for p in pending {
        sqlx::query(
            "INSERT INTO pending_breaches (server_id, metric, first_breach_at, samples, last_value)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(server_id)
        .bind(p.metric.as_str())
        .bind(p.first_breach_ms)
        .bind(i64::from(p.samples))
        .bind(p.last_value)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Insert an alert; `None` if one is already active for the condition
/// (the partial unique index makes a race harmless).
pub async fn insert(
    tx: &mut Transaction<'_, Sqlite>,
    server_id: &str,
    a: &NewAlert,
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    let service_name = match &a.condition {
        Condition::ServiceDown(s) => Some(s.as_str()),
        _ => None,
    };
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO alerts (server_id, condition_key, alert_type, severity, status, title, message,
            threshold_value, actual_value, service_name, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(server_id)
    .bind(a.condition.key())
    .bind(a.condition.alert_type().as_str())
    .bind(a.severity.as_str())
    .bind(&a.title)
    .bind(&a.message)
    .bind(a.threshold)
    .bind(a.value)
    .bind(service_name)
    .bind(now_ms)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn set_severity(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    severity: Severity,
    value: Option<f64>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE alerts SET severity = ?, actual_value = COALESCE(?, actual_value), updated_at = ?
         WHERE id = ? AND status != 'resolved'",
    )
    .bind(severity.as_str())
    .bind(value)
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Resolve an active alert. Returns `false` if it was already resolved.
pub async fn resolve(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    auto: bool,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE alerts SET status = 'resolved', resolved_at = ?, auto_resolved = ?, updated_at = ?
         WHERE id = ? AND status != 'resolved'",
    )
    .bind(now_ms)
    .bind(auto)
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Open an alert the engine does not manage (it ignores condition keys it
/// cannot parse), e.g. the SSH executor's `host_key` / `host_key_changed`.
/// `None` if one is already active for `condition_key`.
#[allow(clippy::too_many_arguments)]
pub async fn open_external(
    tx: &mut Transaction<'_, Sqlite>,
    server_id: &str,
    condition_key: &str,
    alert_type: AlertType,
    severity: Severity,
    title: &str,
    message: &str,
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO alerts (server_id, condition_key, alert_type, severity, status, title, message,
            created_at, updated_at)
         VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(server_id)
    .bind(condition_key)
    .bind(alert_type.as_str())
    .bind(severity.as_str())
    .bind(title)
    .bind(message)
    .bind(now_ms)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await
}

/// Resolve the active alert of `condition_key` on a machine, if any
/// (not auto-resolved: an operator acted). Returns its id.
pub async fn resolve_external(
    db: &Db,
    server_id: &str,
    condition_key: &str,
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE alerts SET status = 'resolved', resolved_at = ?1, updated_at = ?1
         WHERE server_id = ?2 AND condition_key = ?3 AND status != 'resolved' RETURNING id",
    )
    .bind(now_ms)
    .bind(server_id)
    .bind(condition_key)
    .fetch_optional(&db.write)
    .await
}

/// Open → acknowledged. Returns `false` unless the alert was open.
pub async fn acknowledge(db: &Db, id: i64, now_ms: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?, updated_at = ?
         WHERE id = ? AND status = 'open'",
    )
    .bind(now_ms)
    .bind(now_ms)
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_notified(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE alerts SET last_notified_at = ? WHERE id = ?")
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Machines with an active offline-able state for the timer pass: every
/// machine, since the offline rule decides itself.
pub async fn all_server_ids(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM servers WHERE is_inactive = 0")
        .fetch_all(&db.read)
        .await
}

/// Like [`get`], inside a transaction (sees its own writes).
pub async fn get_in(tx: &mut Transaction<'_, Sqlite>, id: i64) -> sqlx::Result<Option<AlertRow>> {
    sqlx::query_as(
        "SELECT a.*, COALESCE(s.display_name, s.hostname) AS server_name
         FROM alerts a LEFT JOIN servers s ON s.id = a.server_id WHERE a.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct OverrideRow {
    #[sqlx(try_from = "super::Name<MetricType>")]
    pub metric: MetricType,
    pub high_percent: Option<i64>,
    pub critical_percent: Option<i64>,
    pub sustained_seconds: Option<i64>,
}

pub async fn overrides_for(db: &Db, server_id: &str) -> sqlx::Result<Vec<OverrideRow>> {
    sqlx::query_as(
        "SELECT metric, high_percent, critical_percent, sustained_seconds
         FROM threshold_overrides WHERE server_id = ?",
    )
    .bind(server_id)
    .fetch_all(&db.read)
    .await
}

/// One metric's override: `(metric, high, critical, sustained_seconds)`.
pub type OverrideValues = (MetricType, Option<i64>, Option<i64>, Option<i64>);

/// Replace a machine's overrides.
pub async fn replace_overrides(
    db: &Db,
    server_id: &str,
    rows: &[OverrideValues],
) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    sqlx::query("DELETE FROM threshold_overrides WHERE server_id = ?")
        .bind(server_id)
        .execute(&mut *tx)
        .await?;
    for (metric, high, critical, sustained) in rows {
        sqlx::query(
            "INSERT INTO threshold_overrides (server_id, metric, high_percent, critical_percent, sustained_seconds)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(server_id)
        .bind(metric.as_str())
        .bind(high)
        .bind(critical)
        .bind(sustained)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
