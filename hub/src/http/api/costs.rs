//! Electricity cost: `/costs/summary`, `/costs/breakdown` (live estimates
//! from each machine's power settings, load and hours up),
//! `/costs/history`, `/costs/summary/monthly` and
//! `/servers/{id}/costs/history` (daily snapshots written by
//! `costs::snapshots`). The maths is in `homelabcmd_core::costs`.

use std::cmp::Ordering;

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{Datelike, Duration, NaiveDate};
use homelabcmd_protocol::api::{
    AggregationType, CostBreakdownResponse, CostHistoryItem, CostHistoryResponse, CostSettings,
    CostSummaryResponse, CostTotals, ErrorResponse, HttpValidationError, MonthlySummaryResponse,
    ServerCostHistoryResponse, ServerCostItem,
};
use serde::Deserialize;

use crate::costs::service::{MachineCost, fleet, totals};
use crate::db::metrics::DAY_MS;
use crate::db::{self, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::int_param;
use crate::http::validate::Checker;
use crate::state::AppState;
use homelabcmd_core::costs::{self, DayTotal, day_of, day_start_ms, machine_category_label};
use homelabcmd_protocol::api::MachineType;

/// Fleet electricity cost: servers 24/7, workstations by hours up.
#[utoipa::path(get, path = "/costs/summary", tag = "Costs",
    responses((status = 200, body = CostSummaryResponse), (status = 401, body = ErrorResponse)))]
pub async fn get_cost_summary(
    State(state): State<AppState>,
) -> ApiResult<Json<CostSummaryResponse>> {
    let (machines, price) = fleet(&state).await?;
    let t = totals(&machines);
    Ok(Json(CostSummaryResponse {
        daily_cost: t.daily_cost,
        monthly_cost: t.monthly_cost,
        currency_symbol: price.currency_symbol,
        servers_included: t.configured,
        servers_missing_config: t.unconfigured,
        total_estimated_watts: t.total_estimated_watts,
        electricity_rate: price.electricity_rate,
        server_cost_total: t.server_monthly_cost,
        server_count: t.server_count,
        workstation_cost_total: t.workstation_monthly_cost,
        workstation_count: t.workstation_count,
        servers_missing_tdp: t.unconfigured,
        total_tdp_watts: t.total_max_watts,
    }))
}

fn cost_item(m: &MachineCost) -> ServerCostItem {
    let e = m.estimate.as_ref();
    ServerCostItem {
        server_id: m.row.id.clone(),
        hostname: m.row.hostname.clone(),
        machine_type: m.kind,
        machine_category: m.row.machine_category.clone(),
        machine_category_label: machine_category_label(m.row.machine_category.as_deref())
            .map(Into::into),
        machine_category_source: m.row.machine_category_source,
        cpu_model: m.row.cpu_model.clone(),
        idle_watts: e.and_then(|e| e.model.idle_watts()),
        tdp_watts: e.map(|e| e.model.max_watts()),
        estimated_watts: e.map(|e| e.estimated_watts),
        avg_cpu_percent: e.and_then(|e| e.avg_cpu_percent),
        hours_used: match m.kind {
            MachineType::Server => None,
            MachineType::Workstation => Some(costs::round(m.hours, 2)),
        },
        calculation_type: costs::calculation_type(m.kind),
        daily_cost: e.map(|e| e.daily_cost),
        monthly_cost: e.map(|e| e.monthly_cost),
    }
}

/// Per-machine cost: configured machines dearest first, then the
/// unconfigured ones with null costs.
#[utoipa::path(get, path = "/costs/breakdown", tag = "Costs",
    responses((status = 200, body = CostBreakdownResponse), (status = 401, body = ErrorResponse)))]
pub async fn get_cost_breakdown(
    State(state): State<AppState>,
) -> ApiResult<Json<CostBreakdownResponse>> {
    let (machines, price) = fleet(&state).await?;
    let t = totals(&machines);
    let mut servers: Vec<ServerCostItem> = machines.iter().map(cost_item).collect();
    // Stable: equal costs keep the id order of the listing.
    servers.sort_by(|a, b| match (a.monthly_cost, b.monthly_cost) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
    Ok(Json(CostBreakdownResponse {
        servers,
        totals: CostTotals {
            servers_configured: t.configured,
            servers_unconfigured: t.unconfigured,
            total_estimated_watts: t.total_estimated_watts,
            daily_cost: t.daily_cost,
            monthly_cost: t.monthly_cost,
            servers_with_tdp: t.configured,
            servers_without_tdp: t.unconfigured,
            total_tdp_watts: t.total_max_watts,
        },
        settings: CostSettings {
            electricity_rate: price.electricity_rate,
            currency_symbol: price.currency_symbol,
        },
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    #[param(required = true, value_type = String, format = Date)]
    start_date: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    #[param(required = true, value_type = String, format = Date)]
    end_date: Option<String>,
    /// Only this machine.
    server_id: Option<String>,
    /// `daily` (default), `weekly` (ISO weeks) or `monthly`.
    #[param(value_type = Option<AggregationType>, inline)]
    aggregation: Option<String>,
}

/// Parse a required `YYYY-MM-DD` query parameter, recording a failure.
fn date_param(c: &mut Checker, name: &str, v: Option<&str>) -> Option<NaiveDate> {
    let Some(v) = v else {
        c.fail(name, "Field required", "missing");
        return None;
    };
    let parsed = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    if parsed.is_none() {
        c.fail(
            name,
            "Input should be a valid date in the format YYYY-MM-DD",
            "date_parsing",
        );
    }
    parsed
}

fn aggregation_param(c: &mut Checker, v: Option<&str>) -> Option<AggregationType> {
    let Some(v) = v.map(str::trim) else {
        return Some(AggregationType::Daily);
    };
    let parsed = v.parse().ok();
    if parsed.is_none() {
        c.fail(
            "aggregation",
            "Input should be 'daily', 'weekly' or 'monthly'",
            "enum",
        );
    }
    parsed
}

/// Snapshot sums per day for the days `first..=last`.
async fn day_totals(
    state: &AppState,
    first: NaiveDate,
    last: NaiveDate,
    server_id: Option<&str>,
) -> ApiResult<Vec<DayTotal>> {
    let rows = db::costs::daily_totals(
        &state.db,
        day_start_ms(first),
        day_start_ms(last) + DAY_MS,
        server_id,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DayTotal {
            day: day_of(r.day),
            kwh: r.kwh,
            cost: r.cost,
            avg_rate: r.avg_rate,
        })
        .collect())
}

/// Name the machine in each item, when the history is one machine's.
fn label_items(items: &mut [CostHistoryItem], server: Option<(&str, Option<&str>)>) {
    if let Some((id, hostname)) = server {
        for item in items {
            item.server_id = Some(id.to_owned());
            item.server_hostname = hostname.map(str::to_owned);
        }
    }
}

/// Cost per day, ISO week or month over a date range, from the daily
/// snapshots (today's is at most an hour old).
#[utoipa::path(get, path = "/costs/history", tag = "Costs", params(HistoryQuery),
    responses((status = 200, body = CostHistoryResponse), (status = 401, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn get_cost_history(
    State(state): State<AppState>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<CostHistoryResponse>> {
    let mut c = Checker::with_prefix(&["query"]);
    let start = date_param(&mut c, "start_date", q.start_date.as_deref());
    let end = date_param(&mut c, "end_date", q.end_date.as_deref());
    let aggregation = aggregation_param(&mut c, q.aggregation.as_deref());
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        c.fail(
            "end_date",
            "end_date must not be before start_date",
            "value_error",
        );
    }
    c.finish()?;
    let (Some(start), Some(end), Some(aggregation)) = (start, end, aggregation) else {
        // Unreachable: the checker reported whichever is missing.
        return Err(ApiError::invalid(
            &["query"],
            "invalid query",
            "value_error",
        ));
    };
    let server_id = q
        .server_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let days = day_totals(&state, start, end, server_id).await?;
    let mut items = costs::aggregate(&days, &aggregation);
    if let Some(id) = server_id {
        let hostname = db::servers::get(&state.db.read, id)
            .await?
            .map(|r| r.hostname);
        label_items(&mut items, Some((id, hostname.as_deref())));
    }
    Ok(Json(CostHistoryResponse {
        items,
        aggregation,
        start_date: start.format("%Y-%m-%d").to_string(),
        end_date: end.format("%Y-%m-%d").to_string(),
        currency_symbol: crate::settings::cost(&state.db).await?.currency_symbol,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct MonthlyQuery {
    /// Year (default: the current one, UTC).
    #[param(value_type = Option<i64>)]
    year: Option<String>,
}

/// Cost per month of a year, with the change from the month before and
/// the year-to-date total.
#[utoipa::path(get, path = "/costs/summary/monthly", tag = "Costs", params(MonthlyQuery),
    responses((status = 200, body = MonthlySummaryResponse), (status = 401, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn get_monthly_cost_summary(
    State(state): State<AppState>,
    Query(q): Query<MonthlyQuery>,
) -> ApiResult<Json<MonthlySummaryResponse>> {
    let this_year = i64::from(day_of(now_ms()).year());
    let year = int_param("year", q.year.as_deref(), this_year, 1970, 9999)?;
    // Validated to 1970–9999, so these dates exist; the fallback only keeps
    // a bad date from ever panicking.
    let year_i32 = i32::try_from(year).unwrap_or(1970);
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year_i32 - 1, 12, 1),
        NaiveDate::from_ymd_opt(year_i32, 12, 31),
    ) else {
        return Err(ApiError::invalid(
            &["query", "year"],
            "Invalid year",
            "value_error",
        ));
    };
    // December of the year before gives January its comparison.
    let days = day_totals(&state, first, last, None).await?;
    let (months, year_to_date_cost) = costs::monthly_summary(&days, year_i32);
    Ok(Json(MonthlySummaryResponse {
        months,
        year,
        year_to_date_cost,
        currency_symbol: crate::settings::cost(&state.db).await?.currency_symbol,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ServerHistoryQuery {
    /// `7d`, `30d` (default), `90d` or `12m`: days up to and including today.
    period: Option<String>,
}

/// One machine's cost per day over a period.
#[utoipa::path(get, path = "/servers/{server_id}/costs/history", tag = "Servers",
    params(("server_id" = String, Path), ServerHistoryQuery),
    responses((status = 200, body = ServerCostHistoryResponse), (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = HttpValidationError)))]
pub async fn get_server_cost_history(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    Query(q): Query<ServerHistoryQuery>,
) -> ApiResult<Json<ServerCostHistoryResponse>> {
    let period = q.period.as_deref().map_or("30d", str::trim);
    let days = match period {
        "7d" => 7,
        "30d" => 30,
        "90d" => 90,
        "12m" => 365,
        _ => {
            return Err(ApiError::invalid(
                &["query", "period"],
                "Input should be '7d', '30d', '90d' or '12m'",
                "enum",
            ));
        }
    };
    let row = db::servers::get(&state.db.read, &server_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", &server_id))?;
    let today = day_of(now_ms());
    let first = today - Duration::days(days - 1);
    let totals = day_totals(&state, first, today, Some(&server_id)).await?;
    let mut items = costs::aggregate(&totals, &AggregationType::Daily);
    label_items(&mut items, Some((&row.id, Some(&row.hostname))));
    Ok(Json(ServerCostHistoryResponse {
        server_id: row.id,
        hostname: row.hostname,
        period: period.into(),
        items,
        currency_symbol: crate::settings::cost(&state.db).await?.currency_symbol,
    }))
}
