//! Scheduled drift detection: a background task that checks every machine
//! against its assigned packs (stored assignment, else the machine-type
//! default) once its newest check of a pack is older than
//! `HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS` (a day; 0 turns it off).
//! Each check goes through `compliance::run_check`, so it is stored and
//! opens or clears the `config_drift` alert like any other (`drift`).
//!
//! Which (machine, pack) pairs are due is the pure [`due`]:
//! - drift detection on for the machine, not paused (maintenance mode is
//!   when an operator changes things on purpose), not inactive;
//! - an address to reach it by (IP or hostname; Tailscale hostname in
//!   `tailscale` mode), and the pack is loaded;
//! - servers whenever due; a workstation only while it is online (a
//!   heartbeat within its offline threshold), so one that slept through
//!   its due time is checked on the first tick after it comes back;
//! - a pair whose last attempt failed (SSH down, no credentials) waits
//!   [`retry_after`] before the next attempt, not a whole tick each time.
//!
//! Drift alerts of packs no longer watched (unassigned, or drift detection
//! turned off for the machine) are resolved on the next tick ([`unwatched`]):
//! no check would ever clear them otherwise.
//!
//! Ticks come every `min(interval, 60 s)`; at most [`CONCURRENCY`] machines
//! are checked at once, a machine's packs one after another, with
//! `Wait::No`: a machine busy with operators' commands is skipped this tick
//! rather than queued in front of them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::compliance::{self, CheckError};
use crate::db::{self, now_ms};
use crate::notify::Outbox;
use crate::remote::executor::{self, ConnectivityMode, ExecError, Wait};
use crate::state::AppState;
use homelabcmd_core::packs::fleet;
use homelabcmd_core::status::machine_status;
use homelabcmd_protocol::api::{MachineStatus, MachineType};

/// Audit actor of scheduled checks.
pub const ACTOR: &str = "drift-scheduler";
/// Machines checked at once.
pub const CONCURRENCY: usize = 4;
/// Longest gap between ticks.
const MAX_TICK: Duration = Duration::from_secs(60);

/// One machine as [`due`] sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub id: String,
    pub machine_type: MachineType,
    /// Assigned packs (or the machine-type default).
    pub packs: Vec<String>,
    pub drift_detection_enabled: bool,
    pub is_paused: bool,
    pub is_inactive: bool,
    /// It has an address in the current connectivity mode.
    pub reachable: bool,
    pub last_seen_ms: Option<i64>,
    pub offline_threshold_seconds: i64,
}

/// Times [`due`] compares against, in ms.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now: i64,
    pub interval: i64,
    pub retry: i64,
}

/// The packs of one machine to check now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub server_id: String,
    pub packs: Vec<String>,
}

/// (machine, pack) → unix ms.
pub type PairTimes = HashMap<(String, String), i64>;

/// How long a failed attempt waits before the next: the interval, at most
/// an hour (an unreachable server is retried hourly, not every tick).
pub fn retry_after(interval_ms: i64) -> i64 {
    interval_ms.min(3_600_000)
}

/// Pure: what to check now. `checked`: newest stored check per pair;
/// `attempted`: newest attempt per pair (this process, successful or not);
/// `loaded`: whether a pack id is loaded.
pub fn due(
    machines: &[Machine],
    checked: &PairTimes,
    attempted: &PairTimes,
    loaded: impl Fn(&str) -> bool,
    clock: Clock,
) -> Vec<Due> {
    let mut out = Vec::new();
    for m in machines {
        if !m.drift_detection_enabled || m.is_paused || m.is_inactive || !m.reachable {
            continue;
        }
        let status = machine_status(
            m.last_seen_ms,
            clock.now,
            m.offline_threshold_seconds,
            m.machine_type,
        );
        // A workstation is only checked while it is up.
        match (m.machine_type, status) {
            (MachineType::Workstation, MachineStatus::Offline | MachineStatus::Unknown) => continue,
            (MachineType::Workstation, MachineStatus::Online) | (MachineType::Server, _) => {}
        }
        let packs: Vec<String> = m
            .packs
            .iter()
            .filter(|p| loaded(p))
            .filter(|p| {
                let key = (m.id.clone(), (*p).clone());
                let stale = checked
                    .get(&key)
                    .is_none_or(|t| clock.now - t >= clock.interval);
                let resting = attempted
                    .get(&key)
                    .is_some_and(|t| clock.now - t < clock.retry);
                stale && !resting
            })
            .cloned()
            .collect();
        if !packs.is_empty() {
            out.push(Due {
                server_id: m.id.clone(),
                packs,
            });
        }
    }
    out
}

/// Pure: the active drift alerts whose pack is no longer watched on their
/// machine (not assigned, or drift detection off). Paused machines keep
/// theirs: maintenance ends.
pub fn unwatched(machines: &[Machine], alerts: &[db::drift::ActiveDrift]) -> Vec<i64> {
    alerts
        .iter()
        .filter(|a| {
            let Some(m) = machines.iter().find(|m| m.id == a.server_id) else {
                return false;
            };
            let Some(pack) = a
                .condition_key
                .strip_prefix(crate::compliance::drift::ALERT_TYPE.as_str())
                .and_then(|k| k.strip_prefix(':'))
            else {
                return false;
            };
            !m.drift_detection_enabled || !m.packs.iter().any(|p| p == pack)
        })
        .map(|a| a.id)
        .collect()
}

/// Pure: the scheduler's view of a machine row.
pub fn machine_from_row(
    row: db::drift::MachineRow,
    mode: ConnectivityMode,
    default_offline: i64,
) -> Machine {
    let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    let reachable = match mode {
        ConnectivityMode::DirectSsh => filled(&row.ip_address) || !row.hostname.trim().is_empty(),
        ConnectivityMode::Tailscale => filled(&row.tailscale_hostname),
    };
    Machine {
        packs: fleet::assigned_packs(row.packs.as_deref(), row.machine_type),
        machine_type: row.machine_type,
        id: row.id,
        drift_detection_enabled: row.drift_detection_enabled,
        is_paused: row.is_paused,
        is_inactive: row.is_inactive,
        reachable,
        last_seen_ms: row.last_seen,
        offline_threshold_seconds: row.offline_threshold_seconds.unwrap_or(default_offline),
    }
}

/// The task: tick, find what is due, check it. Returns at once when the
/// interval is 0 (off).
pub async fn run(state: AppState) {
    let interval = state.config.drift_check_interval_seconds;
    if interval == 0 {
        tracing::info!(
            "scheduled drift checks are off (HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS=0)"
        );
        return;
    }
    let period = Duration::from_secs(interval).min(MAX_TICK);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut attempted = PairTimes::new();
    loop {
        tick.tick().await;
        if let Err(e) = pass(&state, interval as i64 * 1000, &mut attempted).await {
            tracing::warn!(error = ?e, "drift scheduler pass failed");
        }
    }
}

/// One tick: every due machine checked (bounded concurrency), attempts
/// remembered.
async fn pass(state: &AppState, interval_ms: i64, attempted: &mut PairTimes) -> anyhow::Result<()> {
    let mode = executor::connectivity(&state.db).await?.effective();
    let default_offline = crate::settings::default_offline_seconds(&state.db).await?;
    let machines: Vec<Machine> = db::drift::machines(&state.db.read)
        .await?
        .into_iter()
        .map(|r| machine_from_row(r, mode, default_offline))
        .collect();
    let checked: PairTimes = db::packs::latest_checks(&state.db.read)
        .await?
        .into_iter()
        .map(|c| ((c.server_id, c.pack_name), c.checked_at))
        .collect();
    let now = now_ms();
    let clock = Clock {
        now,
        interval: interval_ms,
        retry: retry_after(interval_ms),
    };
    let stale = unwatched(
        &machines,
        &db::drift::active_drift_alerts(&state.db.read).await?,
    );
    if !stale.is_empty() {
        let n = db::drift::resolve_all(&state.db, &stale, now_ms()).await?;
        tracing::info!(
            resolved = n,
            "drift alerts of packs no longer watched resolved"
        );
    }
    // Forget machines that are gone.
    let ids: HashSet<&str> = machines.iter().map(|m| m.id.as_str()).collect();
    attempted.retain(|(s, _), _| ids.contains(s.as_str()));
    let work = due(
        &machines,
        &checked,
        attempted,
        |p| state.packs.get(p).is_some(),
        clock,
    );
    if work.is_empty() {
        return Ok(());
    }
    tracing::debug!(machines = work.len(), "drift checks due");
    let state = Arc::new(state.clone());
    let mut queue = work.into_iter();
    let mut running = JoinSet::new();
    loop {
        while running.len() < CONCURRENCY {
            let Some(d) = queue.next() else { break };
            running.spawn(check_machine(state.clone(), d));
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        match done {
            Ok(tried) => {
                for pair in tried {
                    attempted.insert(pair, now);
                }
            }
            Err(e) => tracing::error!(error = %e, "drift check task failed"),
        }
    }
    Ok(())
}

/// Check one machine's due packs in turn; returns the pairs attempted (a
/// busy machine's are not: it is tried again next tick).
async fn check_machine(state: Arc<AppState>, d: Due) -> Vec<(String, String)> {
    let mut tried = Vec::new();
    // No address or credentials: not an attempt worth an audit row.
    if let Err(e) = state.executor.resolve(&d.server_id).await {
        tracing::debug!(server_id = %d.server_id, error = %e, "drift check skipped: machine cannot be reached");
        return d
            .packs
            .into_iter()
            .map(|p| (d.server_id.clone(), p))
            .collect();
    }
    let outbox = Outbox::from(&*state);
    for pack_id in d.packs {
        let Some(pack) = state.packs.get(&pack_id) else {
            continue;
        };
        let r = compliance::run_check(
            &outbox,
            &state.executor,
            &d.server_id,
            pack,
            ACTOR,
            Wait::No,
        )
        .await;
        match r {
            Ok(c) => {
                tried.push((d.server_id.clone(), pack_id));
                tracing::info!(server_id = %d.server_id, pack = %pack.id,
                    compliant = c.verdict.is_compliant(), "scheduled drift check");
            }
            Err(CheckError::Exec(ExecError::Busy(..))) => {
                tracing::debug!(server_id = %d.server_id, "drift check postponed: machine busy");
                break;
            }
            Err(e) => {
                tried.push((d.server_id.clone(), pack_id));
                // Errors carry no secrets (executor and SSH errors never do).
                tracing::warn!(server_id = %d.server_id, pack = %pack.id, error = %e,
                    "scheduled drift check failed");
                if matches!(e, CheckError::Exec(ExecError::Ssh(_))) {
                    // The machine is down: its other packs would fail too.
                    break;
                }
            }
        }
    }
    tried
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MIN;

    fn server(id: &str) -> Machine {
        Machine {
            id: id.into(),
            machine_type: MachineType::Server,
            packs: vec!["base".into()],
            drift_detection_enabled: true,
            is_paused: false,
            is_inactive: false,
            reachable: true,
            last_seen_ms: None,
            offline_threshold_seconds: 180,
        }
    }

    fn workstation(id: &str, last_seen_ms: Option<i64>) -> Machine {
        Machine {
            machine_type: MachineType::Workstation,
            packs: vec!["base".into(), "developer-lite".into()],
            last_seen_ms,
            ..server(id)
        }
    }

    fn clock(now: i64) -> Clock {
        Clock {
            now,
            interval: DAY,
            retry: retry_after(DAY),
        }
    }

    fn times(pairs: &[(&str, &str, i64)]) -> PairTimes {
        pairs
            .iter()
            .map(|(s, p, t)| ((s.to_string(), p.to_string()), *t))
            .collect()
    }

    fn ids(d: &[Due]) -> Vec<(&str, Vec<&str>)> {
        d.iter()
            .map(|d| {
                (
                    d.server_id.as_str(),
                    d.packs.iter().map(String::as_str).collect(),
                )
            })
            .collect()
    }

    fn all(_: &str) -> bool {
        true
    }

    #[test]
    fn never_checked_and_stale_servers_are_due_recent_ones_are_not() {
        let now = 10 * DAY;
        let ms = [server("never"), server("stale"), server("fresh")];
        let checked = times(&[
            ("stale", "base", now - DAY),
            ("fresh", "base", now - DAY + MIN),
        ]);
        let d = due(&ms, &checked, &PairTimes::new(), all, clock(now));
        assert_eq!(ids(&d), [("never", vec!["base"]), ("stale", vec!["base"])]);
    }

    #[test]
    fn servers_are_checked_whether_or_not_they_report() {
        // An agentless or silent server is still checked over SSH.
        let now = 10 * DAY;
        let mut silent = server("silent");
        silent.last_seen_ms = Some(now - DAY);
        let d = due(
            &[silent],
            &PairTimes::new(),
            &PairTimes::new(),
            all,
            clock(now),
        );
        assert_eq!(ids(&d), [("silent", vec!["base"])]);
    }

    #[test]
    fn a_workstation_is_checked_only_while_online() {
        let now = 10 * DAY;
        let asleep = workstation("asleep", Some(now - 181_000));
        let never = workstation("never-seen", None);
        let awake = workstation("awake", Some(now - 10_000));
        // Overdue since yesterday: checked as soon as it is back.
        let checked = times(&[("awake", "base", now - 2 * DAY)]);
        let d = due(
            &[asleep, never, awake],
            &checked,
            &PairTimes::new(),
            all,
            clock(now),
        );
        assert_eq!(ids(&d), [("awake", vec!["base", "developer-lite"])]);
    }

    #[test]
    fn disabled_paused_inactive_and_unreachable_machines_are_skipped() {
        let now = 10 * DAY;
        let mut off = server("off");
        off.drift_detection_enabled = false;
        let mut paused = server("paused");
        paused.is_paused = true;
        let mut gone = server("gone");
        gone.is_inactive = true;
        let mut nowhere = server("nowhere");
        nowhere.reachable = false;
        let d = due(
            &[off, paused, gone, nowhere, server("on")],
            &PairTimes::new(),
            &PairTimes::new(),
            all,
            clock(now),
        );
        assert_eq!(ids(&d), [("on", vec!["base"])]);
    }

    #[test]
    fn only_loaded_packs_and_only_the_stale_ones() {
        let now = 10 * DAY;
        let mut m = server("m");
        m.packs = vec!["base".into(), "gone-pack".into(), "web".into()];
        let checked = times(&[("m", "base", now - MIN)]);
        let d = due(
            &[m],
            &checked,
            &PairTimes::new(),
            |p| p != "gone-pack",
            clock(now),
        );
        assert_eq!(ids(&d), [("m", vec!["web"])]);
    }

    #[test]
    fn a_failed_attempt_rests_before_the_next() {
        let now = 10 * DAY;
        let ms = [server("down")];
        let tried = times(&[("down", "base", now - 30 * MIN)]);
        assert!(due(&ms, &PairTimes::new(), &tried, all, clock(now)).is_empty());
        let tried = times(&[("down", "base", now - 60 * MIN)]);
        assert_eq!(
            ids(&due(&ms, &PairTimes::new(), &tried, all, clock(now))),
            [("down", vec!["base"])]
        );
        // Short intervals retry after the interval itself.
        assert_eq!(retry_after(5_000), 5_000);
        assert_eq!(retry_after(DAY), 60 * MIN);
    }

    #[test]
    fn alerts_of_unwatched_packs_are_listed() {
        let alert = |id, server: &str, key: &str| db::drift::ActiveDrift {
            id,
            server_id: server.into(),
            condition_key: key.into(),
        };
        let mut off = server("off");
        off.drift_detection_enabled = false;
        let mut paused = server("paused");
        paused.is_paused = true;
        let machines = [server("on"), off, paused];
        let alerts = [
            alert(1, "on", "config_drift:base"),
            alert(2, "on", "config_drift:web"),
            alert(3, "off", "config_drift:base"),
            alert(4, "paused", "config_drift:base"),
            alert(5, "gone", "config_drift:base"),
            alert(6, "on", "something-else"),
        ];
        assert_eq!(unwatched(&machines, &alerts), [2, 3]);
    }

    #[test]
    fn rows_become_machines() {
        let row = db::drift::MachineRow {
            id: "ws".into(),
            machine_type: MachineType::Workstation,
            packs: None,
            drift_detection_enabled: true,
            is_paused: false,
            is_inactive: false,
            hostname: "ws".into(),
            ip_address: None,
            tailscale_hostname: Some(" ".into()),
            last_seen: Some(5),
            offline_threshold_seconds: None,
        };
        let m = machine_from_row(row.clone(), ConnectivityMode::DirectSsh, 300);
        assert_eq!(m.packs, ["base", "developer-lite"]);
        assert!(m.machine_type == MachineType::Workstation && m.reachable);
        assert_eq!(m.offline_threshold_seconds, 300);
        assert!(!machine_from_row(row.clone(), ConnectivityMode::Tailscale, 300).reachable);
        let stored = db::drift::MachineRow {
            packs: Some(r#"["base","web"]"#.into()),
            offline_threshold_seconds: Some(60),
            ..row
        };
        let m = machine_from_row(stored, ConnectivityMode::DirectSsh, 300);
        assert_eq!(m.packs, ["base", "web"]);
        assert_eq!(m.offline_threshold_seconds, 60);
    }
}
