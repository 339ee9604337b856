//! The alert decision as a pure function: given what is open, what is
//! pending, the machine's newest state and the rules, say which alerts to
//! open, update (escalate/de-escalate) and resolve, and what stays pending.
//! No I/O here; `alerts::runner` loads the inputs and applies the decision
//! in one transaction together with the notifications it causes.

use std::collections::BTreeMap;

/// How much a metric must fall below its high threshold before its alert
/// clears: without it a disk hovering at 80 % would open and close forever.
pub const HYSTERESIS_PERCENT: f64 = 5.0;

pub use homelabcmd_protocol::alerts::{AlertType, MetricType, Severity};
use homelabcmd_protocol::api::MachineType;

/// `CPU`, `Memory`, `Disk`: how titles and messages name a metric.
fn metric_label(m: MetricType) -> &'static str {
    match m {
        MetricType::Cpu => "CPU",
        MetricType::Memory => "Memory",
        MetricType::Disk => "Disk",
    }
}

/// One condition per machine that can have at most one active alert.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Condition {
    Metric(MetricType),
    Offline,
    ServiceDown(String),
    Rebooted,
    ContainerExited(String),
    SecurityUpdates,
}

impl Condition {
    /// Stable key stored with the alert (`disk`, `service:nginx`, ...).
    pub fn key(&self) -> String {
        match self {
            Self::Metric(m) => m.as_str().to_owned(),
            Self::Offline => "offline".into(),
            Self::ServiceDown(s) => format!("service:{s}"),
            Self::Rebooted => "reboot".into(),
            Self::ContainerExited(c) => format!("container:{c}"),
            Self::SecurityUpdates => "security_updates".into(),
        }
    }
    pub fn parse_key(key: &str) -> Option<Self> {
        Some(match key {
            "offline" => Self::Offline,
            "reboot" => Self::Rebooted,
            "security_updates" => Self::SecurityUpdates,
            k => {
                if let Ok(m) = k.parse() {
                    Self::Metric(m)
                } else if let Some(s) = k.strip_prefix("service:") {
                    Self::ServiceDown(s.to_owned())
                } else if let Some(c) = k.strip_prefix("container:") {
                    Self::ContainerExited(c.to_owned())
                } else {
                    return None;
                }
            }
        })
    }
    /// The metric of a metric condition.
    pub fn metric(&self) -> Option<MetricType> {
        match self {
            Self::Metric(m) => Some(*m),
            Self::Offline
            | Self::ServiceDown(_)
            | Self::Rebooted
            | Self::ContainerExited(_)
            | Self::SecurityUpdates => None,
        }
    }

    /// The contract's `alert_type`.
    pub fn alert_type(&self) -> AlertType {
        match self {
            Self::Metric(MetricType::Cpu) => AlertType::CpuHigh,
            Self::Metric(MetricType::Memory) => AlertType::MemoryHigh,
            Self::Metric(MetricType::Disk) => AlertType::DiskHigh,
            Self::Offline => AlertType::ServerOffline,
            Self::ServiceDown(_) => AlertType::ServiceDown,
            Self::Rebooted => AlertType::RebootDetected,
            Self::ContainerExited(_) => AlertType::ContainerExited,
            Self::SecurityUpdates => AlertType::SecurityUpdates,
        }
    }

    /// One-shot events resolve on their own after a while instead of
    /// waiting for a condition to clear.
    fn is_event(&self) -> bool {
        matches!(self, Self::Rebooted | Self::ContainerExited(_))
    }
}

/// An alert that is open or acknowledged.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveAlert {
    pub id: i64,
    pub condition: Condition,
    pub severity: Severity,
    pub opened_at_ms: i64,
}

/// A metric over its high threshold that has not yet lasted long enough.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub metric: MetricType,
    pub first_breach_ms: i64,
    pub samples: u32,
    pub last_value: f64,
}

/// Thresholds of one metric, in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricRule {
    pub high: f64,
    pub critical: f64,
    pub sustained_seconds: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub cpu: MetricRule,
    pub memory: MetricRule,
    pub disk: MetricRule,
    /// Security updates at or above this count raise a low alert (0 = off).
    pub security_updates_threshold: i64,
    /// How long reboot/container events stay open before they resolve.
    pub event_ttl_ms: i64,
}

impl Rules {
    pub fn metric(&self, m: MetricType) -> MetricRule {
        match m {
            MetricType::Cpu => self.cpu,
            MetricType::Memory => self.memory,
            MetricType::Disk => self.disk,
        }
    }
}

/// A service the operator expects, with what the agent last said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceState {
    pub name: String,
    pub is_critical: bool,
    /// `running`, `stopped`, `failed`, `unknown`; `None` when not reported.
    pub status: Option<String>,
}

/// What a fresh heartbeat adds to the picture.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    pub at_ms: i64,
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub disk: Option<f64>,
    /// Uptime went backwards since the previous sample.
    pub rebooted: bool,
    /// Containers that were running in the previous sample and have exited.
    pub containers_exited: Vec<String>,
    pub security_updates: Option<i64>,
}

impl Sample {
    fn value(&self, m: MetricType) -> Option<f64> {
        match m {
            MetricType::Cpu => self.cpu,
            MetricType::Memory => self.memory,
            MetricType::Disk => self.disk,
        }
    }
}

/// The machine at evaluation time.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub machine_type: MachineType,
    pub is_paused: bool,
    pub last_seen_ms: Option<i64>,
    pub offline_threshold_seconds: i64,
    pub services: Vec<ServiceState>,
    /// Present when evaluating a heartbeat; `None` on the offline timer.
    pub sample: Option<Sample>,
}

/// An alert to open.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub condition: Condition,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub threshold: Option<f64>,
    pub value: Option<f64>,
}

/// A change of severity on an active alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub id: i64,
    pub from: Severity,
    pub to: Severity,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub to_open: Vec<NewAlert>,
    pub to_update: Vec<Escalation>,
    /// Ids of active alerts whose condition cleared.
    pub to_resolve: Vec<i64>,
    /// The pending breaches to keep (replaces the previous set).
    pub pending: Vec<Pending>,
}

fn severity_for(rule: MetricRule, v: f64) -> Option<Severity> {
    if v >= rule.critical {
        Some(Severity::Critical)
    } else if v >= rule.high {
        Some(Severity::High)
    } else {
        None
    }
}

/// The active alerts by condition: what each rule family looks up.
type OpenAlerts<'a> = BTreeMap<&'a Condition, &'a ActiveAlert>;

/// Decide, for one machine, what changes. Pure: same inputs, same answer.
pub fn evaluate(
    active: &[ActiveAlert],
    pending: &[Pending],
    machine: &Machine,
    rules: &Rules,
    now_ms: i64,
) -> Decision {
    let mut d = Decision::default();
    let by_condition: OpenAlerts = active.iter().map(|a| (&a.condition, a)).collect();

    evaluate_offline(machine, &by_condition, now_ms, &mut d);

    let Some(sample) = &machine.sample else {
        // Timer pass: nothing new about metrics; keep what is pending.
        d.pending = pending.to_vec();
        // Events expire on the timer too.
        expire_events(active, rules, now_ms, &mut d);
        return d;
    };

    for &metric in MetricType::ALL {
        evaluate_metric(metric, sample, pending, rules, &by_condition, &mut d);
    }
    evaluate_services(active, machine, &by_condition, &mut d);
    evaluate_events(sample, &by_condition, &mut d);
    evaluate_security_updates(sample, rules, &by_condition, &mut d);
    expire_events(active, rules, now_ms, &mut d);
    d.to_resolve.sort_unstable();
    d.to_resolve.dedup();
    d
}

/// Offline: servers only, never while paused (maintenance means "expect it
/// down"). Clears as soon as the machine reports again.
fn evaluate_offline(machine: &Machine, by_condition: &OpenAlerts, now_ms: i64, d: &mut Decision) {
    let offline = machine.machine_type.always_on()
        && !machine.is_paused
        && machine
            .last_seen_ms
            .is_some_and(|seen| now_ms - seen > machine.offline_threshold_seconds * 1000);
    match (offline, by_condition.get(&Condition::Offline)) {
        (true, None) => {
            let minutes = machine
                .last_seen_ms
                .map(|s| (now_ms - s) / 60_000)
                .unwrap_or(0);
            d.to_open.push(NewAlert {
                condition: Condition::Offline,
                severity: Severity::Critical,
                title: "Server offline".into(),
                message: format!("No heartbeat for {minutes} min"),
                threshold: Some(machine.offline_threshold_seconds as f64),
                value: None,
            });
        }
        (false, Some(a)) => d.to_resolve.push(a.id),
        // Still offline and alerted, or fine and quiet: nothing changes.
        (true, Some(_)) | (false, None) => {}
    }
}

/// A metric threshold: an open alert escalates, de-escalates or clears
/// (below `high` by the hysteresis); a new breach opens only once it has
/// lasted, and is kept pending until then.
fn evaluate_metric(
    metric: MetricType,
    sample: &Sample,
    pending: &[Pending],
    rules: &Rules,
    by_condition: &OpenAlerts,
    d: &mut Decision,
) {
    let rule = rules.metric(metric);
    let condition = Condition::Metric(metric);
    let open = by_condition.get(&condition);
    let prev = pending.iter().find(|p| p.metric == metric);
    let Some(v) = sample.value(metric) else {
        // No reading this time: change nothing.
        if let Some(p) = prev {
            d.pending.push(p.clone());
        }
        return;
    };
    match (open, severity_for(rule, v)) {
        (Some(a), Some(sev)) => {
            if sev != a.severity {
                d.to_update.push(Escalation {
                    id: a.id,
                    from: a.severity,
                    to: sev,
                    value: Some(v),
                });
            }
        }
        (Some(a), None) => {
            if v < rule.high - HYSTERESIS_PERCENT {
                d.to_resolve.push(a.id);
            }
        }
        (None, Some(sev)) => {
            let p = match prev {
                Some(p) => Pending {
                    samples: p.samples + 1,
                    last_value: v,
                    ..p.clone()
                },
                None => Pending {
                    metric,
                    first_breach_ms: sample.at_ms,
                    samples: 1,
                    last_value: v,
                },
            };
            // Sustained for the window, and never on a lone sample unless
            // the rule says "immediate".
            let lasted = sample.at_ms - p.first_breach_ms >= rule.sustained_seconds * 1000;
            let enough_samples = rule.sustained_seconds == 0 || p.samples >= 2;
            if lasted && enough_samples {
                d.to_open.push(metric_alert(metric, rule, sev, v));
            } else {
                d.pending.push(p);
            }
        }
        (None, None) => {}
    }
}

/// The alert of a metric breach that lasted, naming the threshold it
/// crossed.
fn metric_alert(metric: MetricType, rule: MetricRule, sev: Severity, v: f64) -> NewAlert {
    let threshold = if sev == Severity::Critical {
        rule.critical
    } else {
        rule.high
    };
    NewAlert {
        condition: Condition::Metric(metric),
        severity: sev,
        title: format!("{} usage {}", metric_label(metric), sev_word(sev)),
        message: format!(
            "{} at {v:.1}% (threshold {threshold:.0}%)",
            metric_label(metric)
        ),
        threshold: Some(threshold),
        value: Some(v),
    }
}

/// Expected services: one alert per stopped or failed service (critical
/// for a critical service); cleared by a report of `running`, or when the
/// service is no longer expected.
fn evaluate_services(
    active: &[ActiveAlert],
    machine: &Machine,
    by_condition: &OpenAlerts,
    d: &mut Decision,
) {
    for svc in &machine.services {
        let condition = Condition::ServiceDown(svc.name.clone());
        let down = matches!(svc.status.as_deref(), Some("stopped" | "failed"));
        match (down, by_condition.get(&condition)) {
            (true, None) => d.to_open.push(NewAlert {
                severity: if svc.is_critical {
                    Severity::Critical
                } else {
                    Severity::High
                },
                title: format!(
                    "Service {} is {}",
                    svc.name,
                    svc.status.as_deref().unwrap_or("down")
                ),
                message: format!("Expected service '{}' is not running", svc.name),
                threshold: None,
                value: None,
                condition,
            }),
            // Only a report of "running" clears it: "unknown" proves nothing.
            (false, Some(a)) if svc.status.as_deref() == Some("running") => d.to_resolve.push(a.id),
            // Down and alerted, up and quiet, or not known to be running.
            (true, Some(_)) | (false, _) => {}
        }
    }
    // An expected service that was removed from the list: its alert clears.
    for a in active {
        if let Condition::ServiceDown(name) = &a.condition
            && !machine.services.iter().any(|s| &s.name == name)
        {
            d.to_resolve.push(a.id);
        }
    }
}

/// Events (a reboot, an exited container): low alerts, opened once; they
/// resolve on their own in [`expire_events`].
fn evaluate_events(sample: &Sample, by_condition: &OpenAlerts, d: &mut Decision) {
    if sample.rebooted && !by_condition.contains_key(&Condition::Rebooted) {
        d.to_open.push(NewAlert {
            condition: Condition::Rebooted,
            severity: Severity::Low,
            title: "Reboot detected".into(),
            message: "Uptime went backwards: the machine restarted".into(),
            threshold: None,
            value: None,
        });
    }
    for name in &sample.containers_exited {
        let condition = Condition::ContainerExited(name.clone());
        if !by_condition.contains_key(&condition) {
            d.to_open.push(NewAlert {
                title: format!("Container {name} exited"),
                message: format!("Container '{name}' was running and has exited"),
                condition,
                severity: Severity::Low,
                threshold: None,
                value: None,
            });
        }
    }
}

/// Pending security updates at or over the threshold (0: rule off): a
/// low alert, cleared when the count drops below.
fn evaluate_security_updates(
    sample: &Sample,
    rules: &Rules,
    by_condition: &OpenAlerts,
    d: &mut Decision,
) {
    if rules.security_updates_threshold > 0
        && let Some(n) = sample.security_updates
    {
        let over = n >= rules.security_updates_threshold;
        match (over, by_condition.get(&Condition::SecurityUpdates)) {
            (true, None) => d.to_open.push(NewAlert {
                condition: Condition::SecurityUpdates,
                severity: Severity::Low,
                title: format!("{n} security updates pending"),
                message: format!(
                    "{n} security updates pending (threshold {})",
                    rules.security_updates_threshold
                ),
                threshold: Some(rules.security_updates_threshold as f64),
                value: Some(n as f64),
            }),
            (false, Some(a)) => d.to_resolve.push(a.id),
            (true, Some(_)) | (false, None) => {}
        }
    }
}

fn expire_events(active: &[ActiveAlert], rules: &Rules, now_ms: i64, d: &mut Decision) {
    for a in active {
        if a.condition.is_event() && now_ms - a.opened_at_ms >= rules.event_ttl_ms {
            d.to_resolve.push(a.id);
        }
    }
}

fn sev_word(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "elevated",
        Severity::Low => "notice",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn rules() -> Rules {
        Rules {
            cpu: MetricRule {
                high: 85.0,
                critical: 95.0,
                sustained_seconds: 180,
            },
            memory: MetricRule {
                high: 85.0,
                critical: 95.0,
                sustained_seconds: 180,
            },
            disk: MetricRule {
                high: 80.0,
                critical: 90.0,
                sustained_seconds: 0,
            },
            security_updates_threshold: 10,
            event_ttl_ms: 60 * MIN,
        }
    }

    fn machine(sample: Option<Sample>) -> Machine {
        Machine {
            machine_type: MachineType::Server,
            is_paused: false,
            last_seen_ms: Some(sample.as_ref().map(|s| s.at_ms).unwrap_or(0)),
            offline_threshold_seconds: 180,
            services: vec![],
            sample,
        }
    }

    fn cpu(at: i64, v: f64) -> Sample {
        Sample {
            at_ms: at,
            cpu: Some(v),
            ..Default::default()
        }
    }

    fn active(id: i64, condition: Condition, severity: Severity) -> ActiveAlert {
        ActiveAlert {
            id,
            condition,
            severity,
            opened_at_ms: 0,
        }
    }

    /// Feed samples through the engine as the runner would, returning every decision.
    fn run(samples: Vec<Sample>) -> Vec<Decision> {
        let (mut act, mut pend, mut out) = (Vec::<ActiveAlert>::new(), Vec::new(), Vec::new());
        for (i, s) in samples.into_iter().enumerate() {
            let now = s.at_ms;
            let d = evaluate(&act, &pend, &machine(Some(s)), &rules(), now);
            act.retain(|a| !d.to_resolve.contains(&a.id));
            for (j, n) in d.to_open.iter().enumerate() {
                act.push(ActiveAlert {
                    id: (i * 10 + j) as i64,
                    condition: n.condition.clone(),
                    severity: n.severity,
                    opened_at_ms: now,
                });
            }
            for u in &d.to_update {
                act.iter_mut().find(|a| a.id == u.id).unwrap().severity = u.to;
            }
            pend = d.pending.clone();
            out.push(d);
        }
        out
    }

    #[test]
    fn a_single_cpu_spike_opens_nothing() {
        let ds = run(vec![cpu(0, 99.0), cpu(MIN, 20.0), cpu(2 * MIN, 20.0)]);
        assert!(ds.iter().all(|d| d.to_open.is_empty()));
        assert!(
            ds.last().unwrap().pending.is_empty(),
            "the breach is forgotten once it clears"
        );
    }

    #[test]
    fn a_sustained_cpu_breach_opens_once_after_the_window() {
        let ds = run((0..6).map(|i| cpu(i * MIN, 90.0)).collect());
        let opened: Vec<usize> = ds
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.to_open.is_empty())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            opened,
            vec![3],
            "opens when 180 s have passed, then stays open"
        );
        assert_eq!(ds[3].to_open[0].severity, Severity::High);
        assert_eq!(
            ds[3].to_open[0].condition,
            Condition::Metric(MetricType::Cpu)
        );
    }

    #[test]
    fn disk_is_immediate_escalates_and_clears_with_hysteresis() {
        let disk = |at, v| Sample {
            at_ms: at,
            disk: Some(v),
            ..Default::default()
        };
        let ds = run(vec![
            disk(0, 82.0),
            disk(MIN, 95.0),
            disk(2 * MIN, 78.0),
            disk(3 * MIN, 74.0),
        ]);
        assert_eq!(ds[0].to_open.len(), 1);
        assert_eq!(
            ds[1].to_update,
            vec![Escalation {
                id: 0,
                from: Severity::High,
                to: Severity::Critical,
                value: Some(95.0)
            }]
        );
        assert!(
            ds[2].to_update.is_empty(),
            "inside the band nothing changes"
        );
        assert!(
            ds[2].to_resolve.is_empty(),
            "78 % is within the hysteresis band"
        );
        assert_eq!(ds[3].to_resolve, vec![0]);
    }

    #[test]
    fn a_flapping_metric_does_not_storm() {
        // Disk bouncing 79/81 around the 80 % line: one alert, never cleared.
        let disk = |at, v| Sample {
            at_ms: at,
            disk: Some(v),
            ..Default::default()
        };
        let ds = run((0..20)
            .map(|i| disk(i * MIN, if i % 2 == 0 { 81.0 } else { 79.0 }))
            .collect());
        let opens: usize = ds.iter().map(|d| d.to_open.len()).sum();
        let resolves: usize = ds.iter().map(|d| d.to_resolve.len()).sum();
        assert_eq!((opens, resolves), (1, 0));
    }

    #[test]
    fn offline_only_for_servers_that_are_not_paused() {
        let mut m = machine(None);
        m.last_seen_ms = Some(0);
        let d = evaluate(&[], &[], &m, &rules(), 181_000);
        assert_eq!(d.to_open[0].condition, Condition::Offline);
        m.machine_type = MachineType::Workstation;
        assert!(
            evaluate(&[], &[], &m, &rules(), 10_000_000)
                .to_open
                .is_empty()
        );
        m.machine_type = MachineType::Server;
        m.is_paused = true;
        assert!(
            evaluate(&[], &[], &m, &rules(), 10_000_000)
                .to_open
                .is_empty()
        );
        // Back online: the alert resolves.
        m.is_paused = false;
        m.last_seen_ms = Some(10_000_000);
        let d = evaluate(
            &[active(7, Condition::Offline, Severity::Critical)],
            &[],
            &m,
            &rules(),
            10_000_000,
        );
        assert_eq!(d.to_resolve, vec![7]);
    }

    #[test]
    fn stopped_services_alert_by_criticality_and_clear_only_when_running() {
        let mut m = machine(Some(Sample {
            at_ms: 0,
            ..Default::default()
        }));
        m.services = vec![
            ServiceState {
                name: "nginx".into(),
                is_critical: true,
                status: Some("failed".into()),
            },
            ServiceState {
                name: "plex".into(),
                is_critical: false,
                status: Some("stopped".into()),
            },
            ServiceState {
                name: "ssh".into(),
                is_critical: false,
                status: Some("unknown".into()),
            },
        ];
        let d = evaluate(&[], &[], &m, &rules(), 0);
        let sev: Vec<_> = d
            .to_open
            .iter()
            .map(|a| (a.condition.key(), a.severity))
            .collect();
        assert_eq!(
            sev,
            vec![
                ("service:nginx".into(), Severity::Critical),
                ("service:plex".into(), Severity::High)
            ]
        );
        let act = [active(
            1,
            Condition::ServiceDown("nginx".into()),
            Severity::Critical,
        )];
        m.services[0].status = Some("unknown".into());
        assert!(evaluate(&act, &[], &m, &rules(), 0).to_resolve.is_empty());
        m.services[0].status = Some("running".into());
        assert_eq!(evaluate(&act, &[], &m, &rules(), 0).to_resolve, vec![1]);
    }

    #[test]
    fn reboots_containers_and_updates_are_low_and_events_expire() {
        let s = Sample {
            at_ms: 0,
            rebooted: true,
            containers_exited: vec!["db".into()],
            security_updates: Some(12),
            ..Default::default()
        };
        let d = evaluate(&[], &[], &machine(Some(s)), &rules(), 0);
        let got: Vec<_> = d
            .to_open
            .iter()
            .map(|a| (a.condition.alert_type(), a.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                (AlertType::RebootDetected, Severity::Low),
                (AlertType::ContainerExited, Severity::Low),
                (AlertType::SecurityUpdates, Severity::Low)
            ]
        );
        let act = [active(3, Condition::Rebooted, Severity::Low)];
        let d = evaluate(&act, &[], &machine(None), &rules(), 61 * MIN);
        assert_eq!(d.to_resolve, vec![3]);
    }

    #[test]
    fn condition_keys_round_trip() {
        for c in [
            Condition::Metric(MetricType::Disk),
            Condition::Offline,
            Condition::ServiceDown("a@b.service".into()),
            Condition::ContainerExited("x".into()),
            Condition::Rebooted,
            Condition::SecurityUpdates,
        ] {
            assert_eq!(Condition::parse_key(&c.key()), Some(c));
        }
    }
}
