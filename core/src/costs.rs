//! Electricity cost maths: pure functions over values, no I/O, so the API,
//! the daily snapshot job and the tests agree on every number.
//!
//! - **Power** of a machine: `idle + (max - idle) × cpu / 100`, where `idle`
//!   and `max` (the TDP) are the machine's own values or, when unset, its
//!   category's defaults ([`POWER_PROFILES`]). With a TDP but no idle power
//!   (and no known category), the TDP alone is the draw. With neither, the
//!   machine is "unconfigured" and costs nothing.
//! - **Servers** run 24/7: `daily = watts × 24 / 1000 × rate`,
//!   `monthly = daily × 30` (both rounded to 2 places, monthly from the
//!   rounded daily, as the peer does, so the two always agree on screen).
//! - **Workstations** cost the hours they were up in the last 30 days:
//!   `monthly = watts × hours / 1000 × rate`, `daily = monthly / 30`.
//! - **Hours up** come from heartbeat times: the time between two
//!   consecutive samples counts when they are at most the machine's offline
//!   threshold apart (it never looked offline in between).
//!
//! Days are UTC calendar days, like every other time in the hub.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime};
use homelabcmd_protocol::api::{
    AggregationType, CalculationType, CostHistoryItem, MachineType, MonthlySummaryItem,
};

/// CPU load assumed when a machine sent no samples in the window (the
/// peer's choice: halfway between idle and max).
pub const DEFAULT_CPU_PERCENT: f64 = 50.0;
/// A "month" in the summaries: 30 days.
pub const DAYS_PER_MONTH: f64 = 30.0;
/// Window over which workstation hours are counted (today included).
pub const USAGE_WINDOW_DAYS: i64 = 30;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Default power draw of a machine category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerProfile {
    /// `machine_category` value.
    pub category: &'static str,
    /// Human-readable name.
    pub label: &'static str,
    /// Watts at idle.
    pub idle_watts: i64,
    /// Watts at full load.
    pub max_watts: i64,
}

/// The peer's categories and defaults, so a category set there costs the
/// same here.
pub const POWER_PROFILES: &[PowerProfile] = &[
    profile("sbc", "Single Board Computer", 2, 6),
    profile("mini_pc", "Mini PC", 10, 25),
    profile("nas", "NAS/Home Server", 15, 35),
    profile("office_desktop", "Office Desktop", 40, 100),
    profile("gaming_desktop", "Gaming Desktop", 75, 300),
    profile("workstation", "Workstation", 100, 350),
    profile("office_laptop", "Office Laptop", 10, 30),
    profile("gaming_laptop", "Gaming Laptop", 30, 100),
    profile("rack_server", "Rack Server", 100, 300),
];

/// Shorter names people type, mapped to a category above.
const ALIASES: &[(&str, &str)] = &[
    ("desktop", "office_desktop"),
    ("laptop", "office_laptop"),
    ("server", "rack_server"),
];

const fn profile(
    category: &'static str,
    label: &'static str,
    idle_watts: i64,
    max_watts: i64,
) -> PowerProfile {
    PowerProfile {
        category,
        label,
        idle_watts,
        max_watts,
    }
}

/// The profile of `category` (case and surrounding spaces ignored).
pub fn power_profile(category: &str) -> Option<&'static PowerProfile> {
    let c = category.trim().to_ascii_lowercase();
    let c = ALIASES
        .iter()
        .find(|(alias, _)| *alias == c)
        .map_or(c.as_str(), |(_, to)| to);
    POWER_PROFILES.iter().find(|p| p.category == c)
}

/// Human-readable label of a category; `None` for unknown ones.
pub fn machine_category_label(category: Option<&str>) -> Option<&'static str> {
    category.and_then(power_profile).map(|p| p.label)
}

/// How a machine's power draw is estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PowerModel {
    /// Draw rises linearly from idle to max with CPU load.
    Load { idle_watts: i64, max_watts: i64 },
    /// Only the TDP is known: it is drawn all the time.
    TdpOnly { tdp_watts: i64 },
}

impl PowerModel {
    /// Resolve a machine's settings: its own idle/TDP first, then its
    /// category's defaults. `None` means unconfigured (no TDP and no known
    /// category), including an idle power given without any maximum.
    pub fn resolve(
        category: Option<&str>,
        idle_watts: Option<i64>,
        tdp_watts: Option<i64>,
    ) -> Option<Self> {
        let profile = category.and_then(power_profile);
        let idle = idle_watts.or(profile.map(|p| p.idle_watts));
        let max = tdp_watts.or(profile.map(|p| p.max_watts));
        match (idle, max) {
            (Some(idle_watts), Some(max_watts)) => Some(Self::Load {
                idle_watts,
                max_watts,
            }),
            (None, Some(tdp_watts)) => Some(Self::TdpOnly { tdp_watts }),
            (_, None) => None,
        }
    }

    /// Idle watts used, `None` for TDP-only.
    pub fn idle_watts(self) -> Option<i64> {
        match self {
            Self::Load { idle_watts, .. } => Some(idle_watts),
            Self::TdpOnly { .. } => None,
        }
    }

    /// Maximum (TDP) watts used.
    pub fn max_watts(self) -> i64 {
        match self {
            Self::Load { max_watts, .. } => max_watts,
            Self::TdpOnly { tdp_watts } => tdp_watts,
        }
    }

    /// The CPU load this model uses: `None` for TDP-only (load does not
    /// matter), else the average rounded to 0.1, clamped to 0–100, or
    /// [`DEFAULT_CPU_PERCENT`] without samples.
    pub fn cpu_used(self, avg_cpu_percent: Option<f64>) -> Option<f64> {
        match self {
            Self::TdpOnly { .. } => None,
            Self::Load { .. } => Some(
                avg_cpu_percent
                    .filter(|c| c.is_finite())
                    .map_or(DEFAULT_CPU_PERCENT, |c| round(c.clamp(0.0, 100.0), 1)),
            ),
        }
    }

    /// Estimated average draw in watts, rounded to 0.1.
    pub fn watts(self, avg_cpu_percent: Option<f64>) -> f64 {
        match (self, self.cpu_used(avg_cpu_percent)) {
            (
                Self::Load {
                    idle_watts,
                    max_watts,
                },
                Some(cpu),
            ) => {
                let (idle, max) = (idle_watts as f64, max_watts as f64);
                round(idle + (max - idle) * cpu / 100.0, 1)
            }
            (Self::Load { idle_watts, .. }, None) => idle_watts as f64,
            (Self::TdpOnly { tdp_watts }, _) => tdp_watts as f64,
        }
    }
}

/// `calculation_type` in the API for a machine type.
pub fn calculation_type(kind: MachineType) -> CalculationType {
    match kind {
        MachineType::Server => CalculationType::AlwaysOn,
        MachineType::Workstation => CalculationType::ActualUsage,
    }
}

/// `x` rounded to `places` decimals.
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Energy of `watts` drawn for `hours`, kWh.
pub fn kwh(watts: f64, hours: f64) -> f64 {
    watts * hours / 1000.0
}

/// One machine's estimated cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub model: PowerModel,
    /// The CPU load the estimate used (`None` for TDP-only).
    pub avg_cpu_percent: Option<f64>,
    pub estimated_watts: f64,
    /// Hours up in the window (workstations only).
    pub hours_used: Option<f64>,
    pub daily_cost: f64,
    pub monthly_cost: f64,
}

/// A 24/7 server's cost at `rate` per kWh.
pub fn server_estimate(model: PowerModel, avg_cpu_percent: Option<f64>, rate: f64) -> Estimate {
    let watts = model.watts(avg_cpu_percent);
    let daily = round(kwh(watts, 24.0) * rate, 2);
    Estimate {
        model,
        avg_cpu_percent: model.cpu_used(avg_cpu_percent),
        estimated_watts: watts,
        hours_used: None,
        daily_cost: daily,
        monthly_cost: round(daily * DAYS_PER_MONTH, 2),
    }
}

/// A workstation's cost for `hours` up in the last 30 days. Its draw while
/// up is estimated from its load like a server's (the peer charges the
/// full TDP instead; an idle desktop draws nowhere near it).
pub fn workstation_estimate(
    model: PowerModel,
    avg_cpu_percent: Option<f64>,
    hours: f64,
    rate: f64,
) -> Estimate {
    let watts = model.watts(avg_cpu_percent);
    let hours = hours.max(0.0);
    let monthly = round(kwh(watts, hours) * rate, 2);
    Estimate {
        model,
        avg_cpu_percent: model.cpu_used(avg_cpu_percent),
        estimated_watts: watts,
        hours_used: Some(hours),
        daily_cost: round(monthly / DAYS_PER_MONTH, 2),
        monthly_cost: monthly,
    }
}

/// A machine's estimate, or `None` when it has no power configuration.
pub fn estimate(
    kind: MachineType,
    model: Option<PowerModel>,
    avg_cpu_percent: Option<f64>,
    hours_up: f64,
    rate: f64,
) -> Option<Estimate> {
    let model = model?;
    Some(match kind {
        MachineType::Server => server_estimate(model, avg_cpu_percent, rate),
        MachineType::Workstation => workstation_estimate(model, avg_cpu_percent, hours_up, rate),
    })
}

/// Fleet totals over the machines' estimates (`None` = unconfigured).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    pub configured: i64,
    pub unconfigured: i64,
    /// Rounded to 0.1.
    pub total_estimated_watts: f64,
    /// Sum of the machines' maximum watts.
    pub total_max_watts: i64,
    pub daily_cost: f64,
    pub monthly_cost: f64,
    pub server_count: i64,
    pub server_monthly_cost: f64,
    pub workstation_count: i64,
    pub workstation_monthly_cost: f64,
}

/// Sum the per-machine figures, so the totals equal the sum of the rows
/// shown (costs are summed already rounded, then rounded again).
pub fn totals<'a>(
    machines: impl IntoIterator<Item = (MachineType, Option<&'a Estimate>)>,
) -> Totals {
    let mut t = Totals::default();
    let mut watts = 0.0;
    for (kind, estimate) in machines {
        let Some(e) = estimate else {
            t.unconfigured += 1;
            continue;
        };
        t.configured += 1;
        watts += e.estimated_watts;
        t.total_max_watts += e.model.max_watts();
        t.daily_cost += e.daily_cost;
        t.monthly_cost += e.monthly_cost;
        match kind {
            MachineType::Server => {
                t.server_count += 1;
                t.server_monthly_cost += e.monthly_cost;
            }
            MachineType::Workstation => {
                t.workstation_count += 1;
                t.workstation_monthly_cost += e.monthly_cost;
            }
        }
    }
    t.total_estimated_watts = round(watts, 1);
    t.daily_cost = round(t.daily_cost, 2);
    t.monthly_cost = round(t.monthly_cost, 2);
    t.server_monthly_cost = round(t.server_monthly_cost, 2);
    t.workstation_monthly_cost = round(t.workstation_monthly_cost, 2);
    t
}

/// Milliseconds of `[from, to)` a machine was up, from its sample times
/// (sorted ascending; include samples up to `max_gap_ms` either side of the
/// window so the edges count). The time between consecutive samples counts
/// when they are at most `max_gap_ms` apart: the machine never looked
/// offline in between. A longer gap means it was off (or unreachable).
pub fn uptime_ms(sorted_ts: &[i64], from: i64, to: i64, max_gap_ms: i64) -> i64 {
    sorted_ts
        .windows(2)
        .filter(|w| w[1] > w[0] && w[1] - w[0] <= max_gap_ms)
        .map(|w| (w[1].min(to) - w[0].max(from)).max(0))
        .sum()
}

/// Hours up and the CPU load while up, over several spans (days).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    pub hours: f64,
    /// Average CPU weighted by hours up; `None` without any load data.
    pub avg_cpu_percent: Option<f64>,
}

impl Usage {
    /// Combine two spans, weighting their loads by their hours.
    pub fn plus(self, other: Usage) -> Usage {
        let weighted = |u: Usage| u.avg_cpu_percent.map(|c| (c * u.hours, u.hours));
        let avg = match (weighted(self), weighted(other)) {
            (Some((a, ha)), Some((b, hb))) if ha + hb > 0.0 => Some((a + b) / (ha + hb)),
            (Some(_), _) => self.avg_cpu_percent,
            (None, _) => other.avg_cpu_percent,
        };
        Usage {
            hours: self.hours + other.hours,
            avg_cpu_percent: avg,
        }
    }
}

/// One machine-day for the history: what a machine cost on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayCost {
    /// Estimated draw, `None` when unconfigured.
    pub estimated_watts: Option<f64>,
    /// CPU load used (`None` for TDP-only or unconfigured).
    pub avg_cpu_percent: Option<f64>,
    /// Hours charged: the hours of the day so far for a server (it runs
    /// 24/7), the hours up for a workstation.
    pub hours_charged: f64,
    pub kwh: f64,
    pub cost: f64,
}

/// Cost of one machine-day. `hours_in_day` is 24 for a past day and the
/// hours elapsed so far for today; `hours_up` comes from [`uptime_ms`].
/// Not rounded: sums over days are rounded when shown.
pub fn day_cost(
    kind: MachineType,
    model: Option<PowerModel>,
    avg_cpu_percent: Option<f64>,
    hours_up: f64,
    hours_in_day: f64,
    rate: f64,
) -> DayCost {
    let hours_charged = match kind {
        MachineType::Server => hours_in_day,
        MachineType::Workstation => hours_up.clamp(0.0, hours_in_day),
    };
    let Some(model) = model else {
        return DayCost {
            estimated_watts: None,
            avg_cpu_percent: avg_cpu_percent.map(|c| round(c, 1)),
            hours_charged,
            kwh: 0.0,
            cost: 0.0,
        };
    };
    let watts = model.watts(avg_cpu_percent);
    let energy = kwh(watts, hours_charged);
    DayCost {
        estimated_watts: Some(watts),
        avg_cpu_percent: model.cpu_used(avg_cpu_percent),
        hours_charged,
        kwh: energy,
        cost: energy * rate,
    }
}

/// Energy and cost of one UTC day (summed over machines).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayTotal {
    pub day: NaiveDate,
    pub kwh: f64,
    pub cost: f64,
    /// Average of the day's snapshot rates (used when no energy was spent).
    pub avg_rate: f64,
}

fn period_label(day: NaiveDate, aggregation: &AggregationType) -> String {
    match aggregation {
        AggregationType::Daily => day.format("%Y-%m-%d").to_string(),
        AggregationType::Weekly => {
            let w = day.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        AggregationType::Monthly => day.format("%Y-%m").to_string(),
    }
}

/// Group days (sorted ascending) into periods: kWh rounded to 3 places,
/// cost to 2, rate (cost per kWh, i.e. kWh-weighted) to 4.
pub fn aggregate(days: &[DayTotal], aggregation: &AggregationType) -> Vec<CostHistoryItem> {
    let mut items: Vec<CostHistoryItem> = Vec::new();
    let mut groups: Vec<(String, f64, f64, f64, u32)> = Vec::new();
    for d in days {
        let label = period_label(d.day, aggregation);
        match groups.last_mut() {
            Some(g) if g.0 == label => {
                g.1 += d.kwh;
                g.2 += d.cost;
                g.3 += d.avg_rate;
                g.4 += 1;
            }
            _ => groups.push((label, d.kwh, d.cost, d.avg_rate, 1)),
        }
    }
    for (label, kwh, cost, rate_sum, n) in groups {
        let rate = if kwh > 0.0 {
            cost / kwh
        } else {
            rate_sum / f64::from(n)
        };
        items.push(CostHistoryItem {
            date: label,
            estimated_kwh: round(kwh, 3),
            estimated_cost: round(cost, 2),
            electricity_rate: round(rate, 4),
            server_id: None,
            server_hostname: None,
        });
    }
    items
}

/// Months of `year` with data, each with the calendar month before
/// (December of the year before for January) and the change from it.
/// `days` may include the previous December. Returns the months and the
/// year-to-date cost (the sum of the rounded monthly costs).
pub fn monthly_summary(days: &[DayTotal], year: i32) -> (Vec<MonthlySummaryItem>, f64) {
    let mut months: BTreeMap<(i32, u32), (f64, f64)> = BTreeMap::new();
    for d in days {
        let m = months.entry((d.day.year(), d.day.month())).or_default();
        m.0 += d.cost;
        m.1 += d.kwh;
    }
    let mut out = Vec::new();
    let mut ytd = 0.0;
    for (&(y, m), &(cost, kwh)) in months.iter().filter(|((y, _), _)| *y == year) {
        let prev_key = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        let total_cost = round(cost, 2);
        let previous = months.get(&prev_key).map(|(c, _)| round(*c, 2));
        let change = previous
            .filter(|p| *p > 0.0)
            .map(|p| round((total_cost - p) / p * 100.0, 1));
        ytd += total_cost;
        out.push(MonthlySummaryItem {
            year_month: format!("{y:04}-{m:02}"),
            total_cost,
            total_kwh: round(kwh, 3),
            previous_month_cost: previous,
            change_percent: change,
        });
    }
    (out, round(ytd, 2))
}

/// UTC midnight starting `day`, in ms.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
}

/// The UTC day containing `ms`.
pub fn day_of(ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive()
}

/// Start (ms) of the UTC day containing `ms`.
pub fn floor_day_ms(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// First day of the workstation usage window ending today.
pub fn usage_window_start(today: NaiveDate) -> NaiveDate {
    today - Duration::days(USAGE_WINDOW_DAYS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn power_resolves_own_values_then_category_defaults() {
        // Own idle and TDP win over the category.
        assert_eq!(
            PowerModel::resolve(Some("mini_pc"), Some(8), Some(40)),
            Some(PowerModel::Load {
                idle_watts: 8,
                max_watts: 40
            })
        );
        // Category fills what is unset: mini_pc is 10–25 W.
        assert_eq!(
            PowerModel::resolve(Some("mini_pc"), None, Some(30)),
            Some(PowerModel::Load {
                idle_watts: 10,
                max_watts: 30
            })
        );
        assert_eq!(
            PowerModel::resolve(Some(" NAS "), None, None),
            Some(PowerModel::Load {
                idle_watts: 15,
                max_watts: 35
            })
        );
        // Aliases: "server" is a rack server (100–300 W).
        assert_eq!(
            PowerModel::resolve(Some("server"), None, None)
                .unwrap()
                .max_watts(),
            300
        );
        // TDP without idle or a known category: TDP alone.
        assert_eq!(
            PowerModel::resolve(Some("toaster"), None, Some(65)),
            Some(PowerModel::TdpOnly { tdp_watts: 65 })
        );
        // Nothing to go on, or idle without any maximum: unconfigured.
        assert_eq!(PowerModel::resolve(None, None, None), None);
        assert_eq!(PowerModel::resolve(None, Some(20), None), None);
    }

    #[test]
    fn labels() {
        assert_eq!(
            machine_category_label(Some("sbc")),
            Some("Single Board Computer")
        );
        assert_eq!(
            machine_category_label(Some("desktop")),
            Some("Office Desktop")
        );
        assert_eq!(machine_category_label(Some("toaster")), None);
        assert_eq!(machine_category_label(None), None);
    }

    #[test]
    fn watts_interpolate_between_idle_and_max_by_load() {
        let m = PowerModel::Load {
            idle_watts: 20,
            max_watts: 100,
        };
        // 20 + (100 - 20) × 25 / 100 = 20 + 20 = 40 W
        assert_eq!(m.watts(Some(25.0)), 40.0);
        // Load is clamped: 150 % counts as 100 % → 100 W; -5 % as 0 % → 20 W.
        assert_eq!(m.watts(Some(150.0)), 100.0);
        assert_eq!(m.watts(Some(-5.0)), 20.0);
        // No samples: 50 % → 20 + 80 × 0.5 = 60 W.
        assert_eq!(m.watts(None), 60.0);
        assert_eq!(m.watts(Some(f64::NAN)), 60.0);
        // The load is rounded to 0.1 first: 33.333 → 33.3 %;
        // 20 + 80 × 0.333 = 46.64 → 46.6 W.
        assert_eq!(m.cpu_used(Some(100.0 / 3.0)), Some(33.3));
        assert_eq!(m.watts(Some(100.0 / 3.0)), 46.6);
        // TDP-only ignores load.
        assert_eq!(PowerModel::TdpOnly { tdp_watts: 65 }.watts(Some(3.0)), 65.0);
    }

    #[test]
    fn server_cost_is_24_hours_a_day_and_30_days_a_month() {
        // mini_pc 10–25 W at 40 %: 10 + 15 × 0.4 = 16 W.
        // 16 W × 24 h = 384 Wh = 0.384 kWh; × £0.24 = £0.09216 → 0.09 a day.
        // Month = 0.09 × 30 = 2.70.
        let m = PowerModel::resolve(Some("mini_pc"), None, None).unwrap();
        let e = server_estimate(m, Some(40.0), 0.24);
        assert_eq!(e.estimated_watts, 16.0);
        assert_eq!(e.avg_cpu_percent, Some(40.0));
        assert_eq!(e.daily_cost, 0.09);
        assert_eq!(e.monthly_cost, 2.70);
        assert_eq!(e.hours_used, None);

        // TDP-only 65 W: 65 × 24 = 1.56 kWh × 0.24 = 0.3744 → 0.37; × 30 = 11.10.
        let e = server_estimate(PowerModel::TdpOnly { tdp_watts: 65 }, Some(90.0), 0.24);
        assert_eq!(e.estimated_watts, 65.0);
        assert_eq!(e.avg_cpu_percent, None);
        assert_eq!((e.daily_cost, e.monthly_cost), (0.37, 11.10));
    }

    #[test]
    fn workstation_cost_is_the_hours_it_was_up() {
        // 50–150 W at 20 %: 50 + 100 × 0.2 = 70 W.
        // 40 h × 70 W = 2.8 kWh × £0.25 = £0.70 for the 30 days;
        // a day is 0.70 / 30 = 0.0233 → 0.02.
        let m = PowerModel::Load {
            idle_watts: 50,
            max_watts: 150,
        };
        let e = workstation_estimate(m, Some(20.0), 40.0, 0.25);
        assert_eq!(e.estimated_watts, 70.0);
        assert_eq!(e.hours_used, Some(40.0));
        assert_eq!(e.monthly_cost, 0.70);
        assert_eq!(e.daily_cost, 0.02);
        // Never up: costs nothing.
        let e = workstation_estimate(m, None, 0.0, 0.25);
        assert_eq!((e.daily_cost, e.monthly_cost), (0.0, 0.0));
    }

    #[test]
    fn totals_sum_the_rows() {
        let m = PowerModel::resolve(Some("mini_pc"), None, None).unwrap();
        let s = server_estimate(m, Some(40.0), 0.24); // 16 W, 0.09/day, 2.70/month
        let t65 = server_estimate(PowerModel::TdpOnly { tdp_watts: 65 }, None, 0.24); // 0.37, 11.10
        let w = workstation_estimate(
            PowerModel::Load {
                idle_watts: 50,
                max_watts: 150,
            },
            Some(20.0),
            40.0,
            0.24,
        ); // 70 W × 40 h = 2.8 kWh × 0.24 = 0.672 → 0.67/month, 0.02/day
        let t = totals([
            (MachineType::Server, Some(&s)),
            (MachineType::Server, Some(&t65)),
            (MachineType::Workstation, Some(&w)),
            (MachineType::Server, None),
        ]);
        assert_eq!((t.configured, t.unconfigured), (3, 1));
        assert_eq!(t.total_estimated_watts, 151.0); // 16 + 65 + 70
        assert_eq!(t.total_max_watts, 25 + 65 + 150);
        assert_eq!(t.daily_cost, 0.48); // 0.09 + 0.37 + 0.02
        assert_eq!(t.monthly_cost, 14.47); // 2.70 + 11.10 + 0.67
        assert_eq!((t.server_count, t.server_monthly_cost), (2, 13.80));
        assert_eq!((t.workstation_count, t.workstation_monthly_cost), (1, 0.67));
    }

    #[test]
    fn uptime_counts_gaps_no_longer_than_the_threshold() {
        let min = 60_000;
        // Up 0–2 min (samples each minute), off, up again 10–11 min.
        let ts = [0, min, 2 * min, 10 * min, 11 * min];
        // 3-minute threshold: 1 + 1 + (8 min gap: off) + 1 = 3 min.
        assert_eq!(uptime_ms(&ts, 0, 60 * min, 3 * min), 3 * min);
        // A 10-minute threshold bridges the 8-minute gap: 11 min.
        assert_eq!(uptime_ms(&ts, 0, 60 * min, 10 * min), 11 * min);
        // Clipped to the window [1.5 min, 10.5 min): 0.5 + 0.5 = 1 min.
        assert_eq!(uptime_ms(&ts, 90_000, 630_000, 3 * min), min);
        assert_eq!(uptime_ms(&[], 0, 1, 1), 0);
        assert_eq!(uptime_ms(&[5], 0, 10, 10), 0);
    }

    #[test]
    fn usage_weights_load_by_hours() {
        let a = Usage {
            hours: 3.0,
            avg_cpu_percent: Some(10.0),
        };
        let b = Usage {
            hours: 1.0,
            avg_cpu_percent: Some(50.0),
        };
        // (3 × 10 + 1 × 50) / 4 = 20 %.
        assert_eq!(
            a.plus(b),
            Usage {
                hours: 4.0,
                avg_cpu_percent: Some(20.0)
            }
        );
        assert_eq!(Usage::default().plus(b), b);
        assert_eq!(a.plus(Usage::default()), a);
    }

    #[test]
    fn day_cost_charges_servers_the_day_and_workstations_their_hours() {
        let m = PowerModel::Load {
            idle_watts: 20,
            max_watts: 100,
        };
        // Server at 25 %: 40 W × 24 h = 0.96 kWh × 0.30 = 0.288.
        let d = day_cost(MachineType::Server, Some(m), Some(25.0), 3.0, 24.0, 0.30);
        assert_eq!(d.hours_charged, 24.0);
        assert!((d.kwh - 0.96).abs() < 1e-12);
        assert!((d.cost - 0.288).abs() < 1e-12);
        // Today at 06:00: 6 h so far → 40 × 6 = 0.24 kWh.
        let d = day_cost(MachineType::Server, Some(m), Some(25.0), 3.0, 6.0, 0.30);
        assert!((d.kwh - 0.24).abs() < 1e-12);
        // Workstation up 3 h: 40 W × 3 h = 0.12 kWh × 0.30 = 0.036.
        let d = day_cost(
            MachineType::Workstation,
            Some(m),
            Some(25.0),
            3.0,
            24.0,
            0.30,
        );
        assert_eq!(d.hours_charged, 3.0);
        assert!((d.cost - 0.036).abs() < 1e-12);
        // Unconfigured: recorded, free.
        let d = day_cost(MachineType::Server, None, Some(12.34), 24.0, 24.0, 0.30);
        assert_eq!((d.kwh, d.cost, d.estimated_watts), (0.0, 0.0, None));
        assert_eq!(d.avg_cpu_percent, Some(12.3));
    }

    fn day(d: NaiveDate, kwh: f64, cost: f64, rate: f64) -> DayTotal {
        DayTotal {
            day: d,
            kwh,
            cost,
            avg_rate: rate,
        }
    }

    #[test]
    fn history_groups_days_into_weeks_and_months() {
        let days = [
            day(date(2025, 12, 28), 1.0, 0.20, 0.20), // Sunday, ISO 2025-W52
            day(date(2025, 12, 29), 1.0, 0.20, 0.20), // Monday, ISO 2026-W01
            day(date(2026, 1, 1), 2.0, 0.60, 0.30),   // rate changed
            day(date(2026, 1, 2), 0.0, 0.0, 0.30),
        ];
        let daily = aggregate(&days, &AggregationType::Daily);
        assert_eq!(daily.len(), 4);
        assert_eq!(daily[0].date, "2025-12-28");
        let weekly = aggregate(&days, &AggregationType::Weekly);
        let labels: Vec<_> = weekly.iter().map(|i| i.date.as_str()).collect();
        assert_eq!(labels, ["2025-W52", "2026-W01"]);
        // W01: 1 + 2 + 0 = 3 kWh, 0.20 + 0.60 = 0.80; rate 0.80 / 3 = 0.2667.
        assert_eq!(weekly[1].estimated_kwh, 3.0);
        assert_eq!(weekly[1].estimated_cost, 0.80);
        assert_eq!(weekly[1].electricity_rate, 0.2667);
        let monthly = aggregate(&days, &AggregationType::Monthly);
        assert_eq!(monthly[0].date, "2025-12");
        assert_eq!(monthly[0].estimated_cost, 0.40);
        // No energy in the period: the plain average rate.
        let idle = aggregate(&days[3..], &AggregationType::Daily);
        assert_eq!(idle[0].electricity_rate, 0.30);
    }

    #[test]
    fn monthly_summary_compares_with_the_calendar_month_before() {
        let days = [
            day(date(2025, 12, 31), 10.0, 2.00, 0.2),
            day(date(2026, 1, 15), 10.0, 2.50, 0.25),
            day(date(2026, 1, 16), 1.0, 0.25, 0.25),
            day(date(2026, 3, 1), 5.0, 1.10, 0.22),
        ];
        let (months, ytd) = monthly_summary(&days, 2026);
        assert_eq!(months.len(), 2);
        // January: 2.75 against December's 2.00: +37.5 %.
        assert_eq!(months[0].year_month, "2026-01");
        assert_eq!(months[0].total_cost, 2.75);
        assert_eq!(months[0].total_kwh, 11.0);
        assert_eq!(months[0].previous_month_cost, Some(2.00));
        assert_eq!(months[0].change_percent, Some(37.5));
        // March: February has no data.
        assert_eq!(months[1].previous_month_cost, None);
        assert_eq!(months[1].change_percent, None);
        // YTD 2.75 + 1.10.
        assert_eq!(ytd, 3.85);
    }

    #[test]
    fn utc_days() {
        let d = date(2026, 1, 2);
        let start = day_start_ms(d);
        assert_eq!(start % DAY_MS, 0);
        assert_eq!(day_of(start + DAY_MS - 1), d);
        assert_eq!(floor_day_ms(start + 5), start);
        assert_eq!(usage_window_start(date(2026, 1, 30)), date(2026, 1, 1));
    }
}
