//! Alert API bodies (`/api/v1/alerts`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::ActionType;
use crate::api::api_type;
use crate::names::wire_enum;

wire_enum! {
/// Where an alert is in its life.
pub enum AlertStatus {
    /// Active and not yet seen to.
    Open = "open",
    /// Active; an operator has seen it.
    Acknowledged = "acknowledged",
    /// Over: the condition cleared or an operator closed it.
    Resolved = "resolved",
}

/// How bad an alert is, worst first.
pub enum Severity {
    /// Needs attention now (critical threshold, offline server, critical
    /// service down).
    Critical = "critical",
    /// Needs attention soon (high threshold, service down, drift).
    High = "high",
    /// Worth a look.
    Medium = "medium",
    /// For the record (reboots, exited containers, security updates).
    Low = "low",
}

/// What an alert is about.
pub enum AlertType {
    /// CPU over its threshold.
    CpuHigh = "cpu_high",
    /// Memory over its threshold.
    MemoryHigh = "memory_high",
    /// Root disk over its threshold.
    DiskHigh = "disk_high",
    /// No heartbeat for longer than the offline threshold.
    ServerOffline = "server_offline",
    /// An expected service is stopped or failed.
    ServiceDown = "service_down",
    /// Uptime went backwards.
    RebootDetected = "reboot_detected",
    /// A running container exited.
    ContainerExited = "container_exited",
    /// Pending security updates at or over their threshold.
    SecurityUpdates = "security_updates",
    /// (extension) The newest compliance check found drift.
    ConfigDrift = "config_drift",
    /// (extension) A host presented an SSH host key other than the pinned one.
    HostKeyChanged = "host_key_changed",
}

/// A metric with alert thresholds.
#[derive(PartialOrd, Ord)]
pub enum MetricType {
    /// CPU %.
    Cpu = "cpu",
    /// Memory %.
    Memory = "memory",
    /// Root disk %.
    Disk = "disk",
}
}

impl Severity {
    /// Rank for comparisons: low 0 … critical 3.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Low => 0,
            Self::Medium => 1,
            Self::High => 2,
            Self::Critical => 3,
        }
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Low < Medium < High < Critical.
impl Ord for Severity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

api_type! {
/// `GET /api/v1/alerts`.
pub struct AlertListResponse {
    /// Alerts, newest first.
    pub alerts: Vec<AlertResponse>,
    /// Matching alerts in all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
    /// Page size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub limit: i64,
    /// Page offset.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: i64,
}

/// One alert.
pub struct AlertResponse {
    /// Alert id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Machine.
    pub server_id: String,
    /// Machine display name, else hostname.
    pub server_name: Option<String>,
    /// `cpu_high`, `memory_high`, `disk_high`, `server_offline`, `service_down`,
    /// `reboot_detected`, `container_exited`, `security_updates`; extensions:
    /// `config_drift`, `host_key_changed`.
    pub alert_type: AlertType,
    /// `critical`, `high`, `medium` or `low`.
    pub severity: Severity,
    /// `open`, `acknowledged` or `resolved`.
    pub status: AlertStatus,
    /// Short title.
    pub title: String,
    /// Details.
    pub message: Option<String>,
    /// Threshold that was crossed.
    pub threshold_value: Option<f64>,
    /// Value that crossed it.
    pub actual_value: Option<f64>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Resolved because the condition cleared.
    pub auto_resolved: bool,
    /// False while a service alert's service is still down.
    pub can_acknowledge: bool,
    /// Service for service alerts.
    pub service_name: Option<String>,
    /// False while a service alert's service is still down.
    pub can_resolve: bool,
    /// Notifications silenced until then (extension).
    #[serde(default)]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// A remediation the hub can run for this alert, to offer as a button
    /// (extension; create it with `POST /api/v1/actions` and this alert's
    /// id). Absent for resolved alerts and alerts without one.
    #[serde(default)]
    pub suggested_action: Option<SuggestedAction>,
}

/// A remediation suggested for an alert (extension).
pub struct SuggestedAction {
    /// `action_type` for `POST /api/v1/actions`: `restart_service` or
    /// `clear_logs`.
    pub action_type: ActionType,
    /// The service to restart, for `restart_service`.
    pub service_name: Option<String>,
    /// What it does, in words fit for a button or a message.
    pub summary: String,
}

/// `GET /api/v1/alerts/pending`.
pub struct PendingBreachListResponse {
    /// Breaches waiting out their sustained window.
    pub pending: Vec<PendingBreachResponse>,
    /// Count.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// A metric over threshold that has not lasted long enough to alert.
pub struct PendingBreachResponse {
    /// Machine.
    pub server_id: String,
    /// Machine display name.
    pub server_name: Option<String>,
    /// `cpu`, `memory` or `disk`.
    pub metric_type: MetricType,
    /// Newest value.
    pub current_value: Option<f64>,
    /// Threshold crossed.
    pub threshold_value: f64,
    /// Severity if it fires.
    pub severity: Severity,
    /// When the breach started.
    pub first_breach_at: DateTime<Utc>,
    /// Required duration.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sustained_seconds: i64,
    /// Elapsed so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed_seconds: i64,
    /// Seconds until it fires (≤0: on the next sample).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time_until_alert: i64,
}

/// `POST /alerts/{id}/acknowledge`.
pub struct AlertAcknowledgeResponse {
    /// Alert id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// `acknowledged`.
    pub status: AlertStatus,
    /// When.
    pub acknowledged_at: DateTime<Utc>,
}

/// `POST /alerts/{id}/resolve`.
pub struct AlertResolveResponse {
    /// Alert id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// `resolved`.
    pub status: AlertStatus,
    /// When.
    pub resolved_at: DateTime<Utc>,
    /// False: resolved by hand.
    pub auto_resolved: bool,
}
}

api_type! {
/// `GET/PUT /api/v1/servers/{server_id}/thresholds` (extension): one
/// machine's threshold overrides; a metric left out uses `/config/thresholds`.
#[derive(Default)]
pub struct ServerThresholdOverrides {
    /// CPU override.
    #[serde(default)]
    pub cpu: Option<crate::api::MetricThresholdUpdate>,
    /// Memory override.
    #[serde(default)]
    pub memory: Option<crate::api::MetricThresholdUpdate>,
    /// Disk override.
    #[serde(default)]
    pub disk: Option<crate::api::MetricThresholdUpdate>,
}

/// A machine's overrides and the thresholds in force for it.
pub struct ServerThresholdsResponse {
    /// Machine.
    pub server_id: String,
    /// What the machine overrides.
    pub overrides: ServerThresholdOverrides,
    /// Global thresholds with the overrides applied.
    pub effective: crate::api::ThresholdsConfig,
}
}
