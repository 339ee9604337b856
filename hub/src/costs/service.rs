//! Per-machine electricity costing against stored data: each machine's
//! live estimate (servers from their 24 h load, workstations from their
//! hours up), and the usage of one day from whichever table still holds it.

use homelabcmd_core::costs::{self, Estimate, PowerModel, USAGE_WINDOW_DAYS, Usage, floor_day_ms};
use homelabcmd_protocol::api::MachineType;

use crate::db::metrics::{DAY_MS, Retention};
use crate::db::servers::ServerRow;
use crate::db::{self, Db, now_ms};
use crate::settings::CostSettings;
use crate::state::AppState;

/// One machine with its estimate (`None`: no power configuration).
pub struct MachineCost {
    pub row: ServerRow,
    pub kind: MachineType,
    /// Hours up in the usage window (workstations).
    pub hours: f64,
    pub estimate: Option<Estimate>,
}

/// Every machine's live estimate and the price settings.
pub async fn fleet(state: &AppState) -> sqlx::Result<(Vec<MachineCost>, CostSettings)> {
    let price = crate::settings::cost(&state.db).await?;
    let now = now_ms();
    let rows = db::servers::list(&state.db).await?;
    let cpu_24h = db::costs::avg_cpu_by_server(&state.db, now - DAY_MS, i64::MAX).await?;
    // Workstations: finished days from their snapshots, today live.
    let today = floor_day_ms(now);
    let window_start = today - (USAGE_WINDOW_DAYS - 1) * DAY_MS;
    let past = db::costs::snapshot_usage(&state.db, window_start, today).await?;
    let default_offline = crate::settings::default_offline_seconds(&state.db).await?;
    let raw_from = now - Retention::with_raw_hours(state.config.raw_retention_hours).raw_ms;

    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let kind = row.machine_type;
        let model = PowerModel::resolve(
            row.machine_category.as_deref(),
            row.idle_watts,
            row.tdp_watts,
        );
        let (cpu, hours) = match kind {
            MachineType::Server => (cpu_24h.get(&row.id).copied(), 0.0),
            MachineType::Workstation => {
                let gap_ms = row
                    .offline_threshold_seconds
                    .unwrap_or(default_offline)
                    .saturating_mul(1000);
                let live = usage(&state.db, &row.id, today, now, gap_ms, raw_from)
                    .await?
                    .unwrap_or_default();
                let used = past.get(&row.id).copied().unwrap_or_default().plus(live);
                (used.avg_cpu_percent, used.hours)
            }
        };
        out.push(MachineCost {
            estimate: costs::estimate(kind, model, cpu, hours, price.electricity_rate),
            row,
            kind,
            hours,
        });
    }
    Ok((out, price))
}

pub fn totals(machines: &[MachineCost]) -> costs::Totals {
    costs::totals(machines.iter().map(|m| (m.kind, m.estimate.as_ref())))
}

/// Usage in `[from, to)` from whichever table still holds it: raw samples
/// if they are all still there (`raw_from` is the oldest time the raw
/// window keeps), else hourly rollups.
pub async fn usage(
    db: &Db,
    server_id: &str,
    from: i64,
    to: i64,
    max_gap_ms: i64,
    raw_from: i64,
) -> sqlx::Result<Option<Usage>> {
    if from >= raw_from {
        db::costs::raw_usage(db, server_id, from, to, max_gap_ms).await
    } else {
        db::costs::hourly_usage(db, server_id, from, to).await
    }
}
