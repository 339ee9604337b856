use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use homelabcmd_protocol::api::{
    ErrorResponse, HttpValidationError, MetricPoint, MetricsHistoryResponse, SparklineMetric,
    SparklinePoint, SparklineResponse,
};
use serde::Deserialize;

use crate::db::metrics::{self as store, DAY_MS, HOUR_MS};
use crate::db::{self, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Which tier answers a range: 24h from raw samples, 7d and 30d from hourly
/// buckets, 12m from daily buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    Day,
    Week,
    Month,
    Year,
}

impl Range {
    fn parse(v: Option<&str>, default: Option<Range>) -> ApiResult<Self> {
        match v.map(str::trim) {
            Some("24h") => Ok(Self::Day),
            Some("7d") => Ok(Self::Week),
            Some("30d") => Ok(Self::Month),
            Some("12m") => Ok(Self::Year),
            None => default
                .ok_or_else(|| ApiError::invalid(&["query", "range"], "Field required", "missing")),
            Some(_) => Err(ApiError::invalid(
                &["query", "range"],
                "Input should be '24h', '7d', '30d' or '12m'",
                "enum",
            )),
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
            Self::Year => "12m",
        }
    }
    fn span_ms(self) -> i64 {
        match self {
            Self::Day => DAY_MS,
            Self::Week => 7 * DAY_MS,
            Self::Month => 30 * DAY_MS,
            Self::Year => 365 * DAY_MS,
        }
    }
    /// `None` for raw samples.
    fn tier_ms(self) -> Option<i64> {
        match self {
            Self::Day => None,
            Self::Week | Self::Month => Some(HOUR_MS),
            Self::Year => Some(DAY_MS),
        }
    }
    fn resolution(self) -> &'static str {
        match self.tier_ms() {
            None => "1m",
            Some(HOUR_MS) => "1h",
            Some(_) => "1d",
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// `24h` (default), `7d`, `30d` or `12m`.
    range: Option<String>,
}

async fn ensure_server(state: &AppState, id: &str) -> ApiResult<()> {
    if db::servers::exists(&state.db, id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("Server", id))
    }
}

/// Metrics history of one machine.
#[utoipa::path(get, path = "/servers/{server_id}/metrics", tag = "Metrics",
    params(("server_id" = String, Path), HistoryQuery),
    responses((status = 200, body = MetricsHistoryResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn get_metrics_history(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<MetricsHistoryResponse>> {
    let range = Range::parse(q.range.as_deref(), Some(Range::Day))?;
    ensure_server(&state, &server_id).await?;
    let since = db::now_ms() - range.span_ms();
    let data_points: Vec<MetricPoint> = match range.tier_ms() {
        None => store::raw_since(&state.db, &server_id, since)
            .await?
            .into_iter()
            .map(|s| MetricPoint {
                timestamp: to_dt(s.ts),
                cpu_percent: s.cpu_percent,
                memory_percent: s.memory_percent,
                disk_percent: s.disk_percent,
                cpu_max: None,
                memory_max: None,
                load_1m: s.load_1m,
            })
            .collect(),
        Some(tier) => store::buckets_since(&state.db, &server_id, tier, since)
            .await?
            .into_iter()
            .map(|b| MetricPoint {
                timestamp: to_dt(b.bucket),
                cpu_percent: b.cpu_avg.map(round2),
                memory_percent: b.memory_avg.map(round2),
                disk_percent: b.disk_avg.map(round2),
                cpu_max: b.cpu_max,
                memory_max: b.memory_max,
                load_1m: b.load_1m_avg.map(round2),
            })
            .collect(),
    };
    Ok(Json(MetricsHistoryResponse {
        server_id,
        range: range.label().into(),
        resolution: range.resolution().into(),
        total_points: data_points.len() as i64,
        data_points,
    }))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SparklineQuery {
    /// `cpu_percent` (default), `memory_percent` or `disk_percent`.
    metric: Option<String>,
    /// `30m` (default), `1h` or `6h`.
    period: Option<String>,
}

/// Evenly pick at most `target` points, keeping the newest.
fn downsample<T: Clone>(points: &[T], target: usize) -> Vec<T> {
    if points.len() <= target || target == 0 {
        return points.to_vec();
    }
    let step = points.len() as f64 / target as f64;
    let mut out: Vec<T> = (0..target)
        .map(|i| points[(i as f64 * step) as usize].clone())
        .collect();
    if let (Some(last_out), Some(last)) = (out.last_mut(), points.last()) {
        *last_out = last.clone();
    }
    out
}

/// A small series for a card's inline chart (about 30 points).
#[utoipa::path(get, path = "/servers/{server_id}/metrics/sparkline", tag = "Metrics",
    params(("server_id" = String, Path), SparklineQuery),
    responses((status = 200, body = SparklineResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn get_sparkline(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    Query(q): Query<SparklineQuery>,
) -> ApiResult<Json<SparklineResponse>> {
    let metric: SparklineMetric = match q.metric.as_deref() {
        None => SparklineMetric::CpuPercent,
        Some(m) => m.parse().map_err(|_| {
            ApiError::invalid(
                &["query", "metric"],
                "Input should be 'cpu_percent', 'memory_percent' or 'disk_percent'",
                "enum",
            )
        })?,
    };
    let period = q.period.unwrap_or_else(|| "30m".into());
    let (minutes, target) = match period.as_str() {
        "30m" => (30, 30),
        "1h" => (60, 30),
        "6h" => (360, 36),
        _ => {
            return Err(ApiError::invalid(
                &["query", "period"],
                "Input should be '30m', '1h' or '6h'",
                "enum",
            ));
        }
    };
    ensure_server(&state, &server_id).await?;
    let since = db::now_ms() - minutes * 60_000;
    let points: Vec<SparklinePoint> = store::raw_column_since(&state.db, &server_id, metric, since)
        .await?
        .into_iter()
        .map(|(ts, value)| SparklinePoint {
            timestamp: to_dt(ts),
            value,
        })
        .collect();
    Ok(Json(SparklineResponse {
        server_id,
        metric,
        period,
        data: downsample(&points, target),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `24h`, `7d`, `30d` or `12m` (required).
    range: Option<String>,
    /// `csv` (default) or `json`.
    format: Option<String>,
}

/// Export history as CSV or JSON: every raw column for 24h, min/avg/max
/// per bucket for longer ranges.
#[utoipa::path(get, path = "/servers/{server_id}/metrics/export", tag = "Metrics",
    params(("server_id" = String, Path), ExportQuery),
    responses((status = 200, description = "CSV or JSON file"), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn export_metrics(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let range = Range::parse(q.range.as_deref(), None)?;
    let json = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "json" => true,
        _ => {
            return Err(ApiError::invalid(
                &["query", "format"],
                "Input should be 'csv' or 'json'",
                "enum",
            ));
        }
    };
    let server = db::servers::get(&state.db.read, &server_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", &server_id))?;
    let since = db::now_ms() - range.span_ms();
    let rows: Vec<serde_json::Value> = match range.tier_ms() {
        None => store::raw_since(&state.db, &server_id, since)
            .await?
            .into_iter()
            .map(|s| export_row(s.ts, &s))
            .collect(),
        Some(tier) => store::buckets_since(&state.db, &server_id, tier, since)
            .await?
            .into_iter()
            .map(|b| export_row(b.bucket, &b))
            .collect(),
    };
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let filename = format!("{server_id}-metrics-{}-{stamp}", range.label());
    let (body, mime, ext) = if json {
        let doc = serde_json::json!({
            "server_id": server_id,
            "server_name": server.display_name.unwrap_or(server.hostname),
            "range": range.label(),
            "resolution": range.resolution(),
            "exported_at": chrono::Utc::now(),
            "data_points": rows,
        });
        (doc.to_string(), "application/json", "json")
    } else {
        (to_csv(&rows), "text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A row as JSON with `timestamp` first and the internal `ts`/`bucket` dropped.
fn export_row<T: serde::Serialize>(ts: i64, row: &T) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("timestamp".into(), serde_json::json!(to_dt(ts)));
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(row) {
        for (k, v) in fields {
            if k != "ts" && k != "bucket" {
                map.insert(k, v);
            }
        }
    }
    serde_json::Value::Object(map)
}

fn to_csv(rows: &[serde_json::Value]) -> String {
    let Some(serde_json::Value::Object(first)) = rows.first() else {
        return "timestamp,cpu_percent,memory_percent,disk_percent\n".into();
    };
    // serde_json maps are sorted; the timestamp still goes first.
    let columns: Vec<&String> = first
        .keys()
        .filter(|k| *k == "timestamp")
        .chain(first.keys().filter(|k| *k != "timestamp"))
        .collect();
    let mut out = columns
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match &row[c.as_str()] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsample_keeps_the_newest_point_and_the_count() {
        let pts: Vec<i32> = (0..100).collect();
        let out = downsample(&pts, 30);
        assert_eq!(out.len(), 30);
        assert_eq!(out[0], 0);
        assert_eq!(*out.last().unwrap(), 99);
        assert_eq!(downsample(&pts[..10], 30).len(), 10);
    }

    #[test]
    fn ranges_map_to_tiers() {
        assert_eq!(
            Range::parse(None, Some(Range::Day)).unwrap().resolution(),
            "1m"
        );
        assert_eq!(Range::parse(Some("7d"), None).unwrap().resolution(), "1h");
        assert_eq!(Range::parse(Some("12m"), None).unwrap().resolution(), "1d");
        assert!(Range::parse(Some("2d"), None).is_err());
        assert!(Range::parse(None, None).is_err());
    }
}
