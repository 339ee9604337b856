//! States of the monitored systemd services, from one `systemctl show` call
//! per heartbeat for all of them.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use homelabcmd_protocol::heartbeat::ServiceStatusPayload;

use super::cpu::round_to;

const PROPERTIES: &str = "--property=LoadState,ActiveState,MainPID,MemoryCurrent,CPUUsageNSec";
const TIMEOUT: Duration = Duration::from_secs(5);

/// The properties of one unit that matter here.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UnitProps {
    pub load_state: String,
    pub active_state: String,
    pub main_pid: Option<i64>,
    pub memory_bytes: Option<u64>,
    pub cpu_nsec: Option<u64>,
}

/// Parses `systemctl show` output for several units: one `Key=Value` block
/// per unit, in argument order, blocks separated by a blank line.
pub fn parse_show(text: &str) -> Vec<UnitProps> {
    let mut units = Vec::new();
    let mut current: Option<UnitProps> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            units.extend(current.take());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let unit = current.get_or_insert_with(UnitProps::default);
        match key {
            "LoadState" => unit.load_state = value.to_owned(),
            "ActiveState" => unit.active_state = value.to_owned(),
            "MainPID" => unit.main_pid = value.parse().ok().filter(|p| *p > 0),
            "MemoryCurrent" => unit.memory_bytes = set_number(value),
            "CPUUsageNSec" => unit.cpu_nsec = set_number(value),
            _ => {}
        }
    }
    units.extend(current);
    units
}

/// systemd prints `[not set]`, or on older versions u64::MAX, when it does not
/// account a value.
fn set_number(value: &str) -> Option<u64> {
    value.parse().ok().filter(|v| *v != u64::MAX)
}

/// Maps systemd's states onto the hub's `running`/`stopped`/`failed`/`unknown`.
pub fn status_of(unit: &UnitProps) -> (&'static str, Option<String>) {
    if unit.load_state == "not-found" {
        return ("unknown", Some("unit not found".to_owned()));
    }
    match unit.active_state.as_str() {
        "active" | "activating" | "reloading" | "refreshing" => ("running", None),
        "inactive" | "deactivating" => ("stopped", None),
        "failed" => ("failed", None),
        other => ("unknown", Some(format!("ActiveState={other}"))),
    }
}

fn unknown(name: &str, reason: &str) -> ServiceStatusPayload {
    ServiceStatusPayload {
        name: name.to_owned(),
        status: "unknown".to_owned(),
        status_reason: Some(reason.to_owned()),
        pid: None,
        memory_mb: None,
        cpu_percent: None,
    }
}

/// Remembers each unit's CPU counter, so usage is the average over the last
/// interval rather than a momentary sample.
#[derive(Debug)]
pub struct ServiceCollector {
    names: Vec<String>,
    previous: Vec<Option<(u64, Instant)>>,
    cores: f64,
}

impl ServiceCollector {
    pub fn new(names: Vec<String>, cores: usize) -> ServiceCollector {
        ServiceCollector {
            previous: vec![None; names.len()],
            names,
            cores: cores.max(1) as f64,
        }
    }

    pub async fn collect(&mut self) -> Option<Vec<ServiceStatusPayload>> {
        if self.names.is_empty() {
            return None;
        }
        // sd_booted(): systemctl without a running systemd only errors slowly.
        if !Path::new("/run/systemd/system").exists() {
            let reason = if super::os::in_container() {
                "systemd not available (container)"
            } else {
                "systemd not available"
            };
            return Some(self.names.iter().map(|n| unknown(n, reason)).collect());
        }
        let output = match self.run_systemctl().await {
            Ok(o) => o,
            Err(reason) => {
                tracing::warn!("cannot query services: {reason}");
                return Some(self.names.iter().map(|n| unknown(n, &reason)).collect());
            }
        };
        let units = parse_show(&output);
        if units.len() != self.names.len() {
            let reason = "unexpected systemctl output";
            tracing::warn!(expected = self.names.len(), got = units.len(), "{reason}");
            return Some(self.names.iter().map(|n| unknown(n, reason)).collect());
        }
        let now = Instant::now();
        let statuses = self
            .names
            .iter()
            .zip(&units)
            .zip(&mut self.previous)
            .map(|((name, unit), previous)| {
                let (status, status_reason) = status_of(unit);
                let cpu_percent = match (unit.cpu_nsec, *previous) {
                    (Some(now_ns), Some((then_ns, then))) => {
                        cpu_share(now_ns.saturating_sub(then_ns), now - then, self.cores)
                    }
                    _ => None,
                };
                *previous = unit.cpu_nsec.map(|ns| (ns, now));
                ServiceStatusPayload {
                    name: name.clone(),
                    status: status.to_owned(),
                    status_reason,
                    pid: unit.main_pid,
                    memory_mb: unit
                        .memory_bytes
                        .map(|b| round_to(b as f64 / (1024.0 * 1024.0), 2)),
                    cpu_percent,
                }
            })
            .collect();
        Some(statuses)
    }

    async fn run_systemctl(&self) -> Result<String, String> {
        let child = tokio::process::Command::new("systemctl")
            .args(["show", "--no-pager", PROPERTIES, "--"])
            .args(&self.names)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(TIMEOUT, child)
            .await
            .map_err(|_| "systemctl timed out".to_owned())?
            .map_err(|e| format!("cannot run systemctl: {e}"))?;
        if !out.status.success() {
            return Err(format!("systemctl exited with {}", out.status));
        }
        String::from_utf8(out.stdout).map_err(|_| "systemctl output is not UTF-8".to_owned())
    }
}

/// CPU time over wall time, as a share of the whole machine (0–100 %, as the
/// hub expects), not of one core.
fn cpu_share(cpu: u64, wall: Duration, cores: f64) -> Option<f64> {
    let wall = wall.as_nanos() as f64;
    (wall > 0.0).then(|| round_to((cpu as f64 / wall / cores * 100.0).clamp(0.0, 100.0), 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOW: &str = include_str!("../../tests/fixtures/systemctl-show.txt");

    #[test]
    fn parses_one_block_per_unit() {
        let units = parse_show(SHOW);
        assert_eq!(units.len(), 4);
        assert_eq!(
            units[0],
            UnitProps {
                load_state: "loaded".into(),
                active_state: "active".into(),
                main_pid: Some(812),
                memory_bytes: Some(5_242_880),
                cpu_nsec: Some(1_500_000_000),
            }
        );
        assert_eq!(units[1].main_pid, None);
        assert_eq!(units[1].memory_bytes, None);
        assert_eq!(units[3].memory_bytes, None);
    }

    #[test]
    fn states_map_to_hub_statuses() {
        let statuses: Vec<_> = parse_show(SHOW).iter().map(status_of).collect();
        assert_eq!(
            statuses,
            [
                ("running", None),
                ("stopped", None),
                ("failed", None),
                ("unknown", Some("unit not found".to_owned())),
            ]
        );
    }

    #[test]
    fn cpu_share_is_of_the_whole_machine() {
        // 1 s of CPU in 2 s on 2 cores: a quarter of the machine.
        assert_eq!(
            cpu_share(1_000_000_000, Duration::from_secs(2), 2.0),
            Some(25.0)
        );
        assert_eq!(cpu_share(5, Duration::ZERO, 2.0), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn no_services_configured_reports_none() {
        assert_eq!(ServiceCollector::new(vec![], 1).collect().await, None);
    }
}
