//! CPU usage, load averages and the CPU model, from sysinfo.

use homelabcmd_protocol::heartbeat::CpuInfo;
use sysinfo::System;

/// CPU usage since the previous call. The `System` keeps the last
/// `/proc/stat` counters, so on a long-lived collector this is the average
/// over the whole heartbeat interval, not a snapshot of the last 200 ms.
pub fn usage_since_last_call(system: &mut System) -> Option<f64> {
    system.refresh_cpu_usage();
    percent(system.global_cpu_usage())
}

fn percent(raw: f32) -> Option<f64> {
    raw.is_finite()
        .then(|| round_to(f64::from(raw).clamp(0.0, 100.0), 1))
}

/// Model and logical core count. Needs a prior CPU refresh, which is when
/// sysinfo reads `/proc/cpuinfo` for the brand.
pub fn info(system: &System) -> CpuInfo {
    let cpus = system.cpus();
    CpuInfo {
        cpu_model: cpus
            .first()
            .map(|c| c.brand().trim())
            .filter(|b| !b.is_empty())
            .map(str::to_owned),
        cpu_cores: core_count(cpus.len()),
    }
}

/// The hub accepts 1–1024 logical cores.
fn core_count(n: usize) -> Option<i64> {
    i64::try_from(n).ok().filter(|n| (1..=1024).contains(n))
}

/// Load averages rounded like the Python agent's (2 decimals).
pub fn load_average() -> Option<(f64, f64, f64)> {
    let l = System::load_average().ok()?;
    Some((
        round_to(l.one, 2),
        round_to(l.five, 2),
        round_to(l.fifteen, 2),
    ))
}

pub fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_rounded_and_clamped() {
        assert_eq!(percent(12.345), Some(12.3));
        assert_eq!(percent(100.0001), Some(100.0));
        assert_eq!(percent(f32::NAN), None);
    }

    #[test]
    fn core_count_respects_the_hub_range() {
        assert_eq!(core_count(0), None);
        assert_eq!(core_count(2), Some(2));
        assert_eq!(core_count(4096), None);
    }

    #[test]
    fn rounding_matches_python_output() {
        assert_eq!(round_to(4.499_999, 2), 4.5);
        assert_eq!(round_to(1.724, 2), 1.72);
        assert_eq!(round_to(251.974_3, 2), 251.97);
    }

    #[test]
    fn a_live_system_reports_a_model_and_cores() {
        let mut system = System::new().unwrap();
        let _ = usage_since_last_call(&mut system);
        let info = info(&system);
        assert!(info.cpu_cores.unwrap_or(0) >= 1);
    }
}
