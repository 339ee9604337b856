//! Request and response bodies of the hub's v1 REST API, named as in
//! HomelabCmd's OpenAPI contract. Request types for partial updates use
//! `Option` for "not given"; the hub validates ranges and patterns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::names::{Requested, wire_enum};

/// Derive list shared by every API type; kept as a macro so the OpenAPI and
/// TypeScript derives stay in one place.
macro_rules! api_type {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        $item
    )*};
}
pub(crate) use api_type;

wire_enum! {
/// How a machine is expected to be up.
#[derive(Default)]
pub enum MachineType {
    /// Up 24/7: goes `offline` when heartbeats stop, costed around the clock.
    #[default]
    Server = "server",
    /// Up when in use: never `offline`, costed by the hours it was up.
    Workstation = "workstation",
}

/// A machine's status from its last heartbeat.
pub enum MachineStatus {
    /// A heartbeat arrived within the offline threshold.
    Online = "online",
    /// A server without a heartbeat for longer than its threshold.
    Offline = "offline",
    /// Never reported, or a workstation that is simply not up now.
    Unknown = "unknown",
}

/// How the SSH user becomes root for actions that need it.
#[derive(Default)]
pub enum SudoMode {
    /// `sudo -n`: no password asked.
    #[default]
    Passwordless = "passwordless",
    /// `sudo -S` with the stored `sudo_password`.
    Password = "password",
}

/// Who chose a machine's power category.
pub enum CategorySource {
    /// Inferred by the hub from what the agent reported.
    Auto = "auto",
    /// Set by an operator; the hub never overwrites it.
    User = "user",
}

/// The hub's health.
pub enum HealthStatus {
    /// Everything answers.
    Healthy = "healthy",
    /// The database does not answer.
    Degraded = "degraded",
}

/// Whether the hub's database answers.
pub enum DatabaseStatus {
    /// A query succeeded.
    Connected = "connected",
    /// A query failed.
    Error = "error",
}

/// Answer of a save.
pub enum SaveStatus {
    /// Stored.
    Saved = "saved",
}

/// Answer of a reset.
pub enum DeleteStatus {
    /// The saved value is gone; the default applies.
    Deleted = "deleted",
}

/// How the dashboard lays out machine cards.
#[derive(Default)]
pub enum ViewMode {
    /// Cards in a grid.
    #[default]
    Grid = "grid",
    /// One row per machine.
    List = "list",
    /// Small cards.
    Compact = "compact",
}

/// A metric a sparkline can show.
pub enum SparklineMetric {
    /// CPU %.
    CpuPercent = "cpu_percent",
    /// Memory %.
    MemoryPercent = "memory_percent",
    /// Root disk %.
    DiskPercent = "disk_percent",
}

/// Aggregation of `GET /costs/history`.
pub enum AggregationType {
    /// One item per UTC day (`2026-01-31`).
    Daily = "daily",
    /// One item per ISO week (`2026-W05`).
    Weekly = "weekly",
    /// One item per month (`2026-01`).
    Monthly = "monthly",
}

/// How a machine's electricity cost is worked out.
#[derive(Default)]
pub enum CalculationType {
    /// A server: drawing power around the clock.
    #[default]
    AlwaysOn = "24x7",
    /// A workstation: only the hours it was up.
    ActualUsage = "actual_usage",
}
}

impl MachineType {
    /// Whether the machine is expected up around the clock: a server goes
    /// `offline` (and alerts) when heartbeats stop, and is costed 24/7; a
    /// workstation is neither.
    pub const fn always_on(self) -> bool {
        match self {
            Self::Server => true,
            Self::Workstation => false,
        }
    }
}

api_type! {
/// `GET /api/v1/system/health`.
pub struct HealthResponse {
    /// `healthy`, or `degraded` when the database does not answer.
    pub status: HealthStatus,
    /// Hub version.
    pub version: String,
    /// Seconds since the hub started.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uptime_seconds: i64,
    /// `connected` or `error`.
    pub database: DatabaseStatus,
    /// Current server time.
    pub timestamp: DateTime<Utc>,
}

/// Error body for 401/403/404/409: `{"detail": {"code", "message"}}`.
pub struct ErrorResponse {
    /// The error.
    pub detail: ErrorDetail,
}

/// Machine-readable code plus a human message.
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `NOT_FOUND`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// 422 body: `{"detail": [ValidationError]}` as FastAPI sends it.
pub struct HttpValidationError {
    /// One entry per offending field.
    pub detail: Vec<ValidationError>,
}

/// One validation failure.
pub struct ValidationError {
    /// Path to the field, e.g. `["body", "metrics", "cpu_percent"]`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    #[cfg_attr(feature = "ts", ts(type = "(string | number)[]"))]
    pub loc: Vec<serde_json::Value>,
    /// What is wrong.
    pub msg: String,
    /// Error kind, e.g. `missing`, `less_than_equal`, `string_pattern_mismatch`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `GET /api/v1/servers`.
pub struct ServerListResponse {
    /// Every registered machine.
    pub servers: Vec<ServerResponse>,
    /// Number of machines.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// A machine as the API shows it.
pub struct ServerResponse {
    /// Server slug.
    pub id: String,
    /// The agent's permanent UUID, once an agent reported one.
    pub guid: Option<String>,
    /// Hostname.
    pub hostname: String,
    /// Display name.
    pub display_name: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// `online`, `offline` or `unknown` (never reported, or a workstation
    /// that is simply not up: workstations are never `offline`).
    pub status: MachineStatus,
    /// Typical (maximum) power draw in watts.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub tdp_watts: Option<i64>,
    /// CPU model from the agent.
    pub cpu_model: Option<String>,
    /// Logical cores from the agent.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cpu_cores: Option<i64>,
    /// Machine category for power estimation (sbc, mini_pc, nas, ...).
    pub machine_category: Option<String>,
    /// `auto` or `user`.
    pub machine_category_source: Option<CategorySource>,
    /// Idle power in watts.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub idle_watts: Option<i64>,
    /// OS distribution.
    pub os_distribution: Option<String>,
    /// OS version.
    pub os_version: Option<String>,
    /// Kernel release.
    pub kernel_version: Option<String>,
    /// CPU architecture.
    pub architecture: Option<String>,
    /// Pending package updates.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub updates_available: Option<i64>,
    /// Pending security updates.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub security_updates: Option<i64>,
    /// Maintenance mode.
    pub is_paused: bool,
    /// When maintenance mode started.
    pub paused_at: Option<DateTime<Utc>>,
    /// Agent version.
    pub agent_version: Option<String>,
    /// `readonly` or `readwrite`.
    pub agent_mode: Option<String>,
    /// Whether the agent was removed.
    pub is_inactive: bool,
    /// When the agent was removed.
    pub inactive_since: Option<DateTime<Utc>>,
    /// Time of the newest heartbeat.
    pub last_seen: Option<DateTime<Utc>>,
    /// Tailscale MagicDNS name for SSH.
    pub tailscale_hostname: Option<String>,
    /// `server` (24/7) or `workstation` (intermittent).
    pub machine_type: MachineType,
    /// Per-server SSH user.
    pub ssh_username: Option<String>,
    /// `passwordless` or `password`.
    pub sudo_mode: SudoMode,
    /// User whose home is checked for compliance.
    pub config_user: Option<String>,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last change to this record.
    pub updated_at: DateTime<Utc>,
    /// Newest metrics sample.
    pub latest_metrics: Option<LatestMetrics>,
    /// Newest per-filesystem usage.
    pub filesystems: Option<Vec<FilesystemMetricResponse>>,
    /// Newest per-interface counters.
    pub network_interfaces: Option<Vec<NetworkInterfaceMetricResponse>>,
    /// Open alerts on this machine.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub active_alert_count: i64,
    /// Titles of up to three open alerts.
    pub active_alert_summaries: Vec<String>,
    /// Assigned configuration packs.
    pub assigned_packs: Option<Vec<String>>,
    /// Whether drift detection runs for this machine.
    pub drift_detection_enabled: bool,
    /// Seconds without a heartbeat before a server counts as offline
    /// (extension; default 180).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offline_threshold_seconds: i64,
    /// Seconds since the newest heartbeat, when there is one (extension).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub seconds_since_seen: Option<i64>,
    /// Docker containers as the newest heartbeat reported them; null when the
    /// agent never reported any (no Docker access) (extension).
    #[serde(default)]
    pub containers: Option<Vec<crate::heartbeat::ContainerStatus>>,
}

/// Newest metrics of a machine.
pub struct LatestMetrics {
    /// CPU %.
    pub cpu_percent: Option<f64>,
    /// Memory %.
    pub memory_percent: Option<f64>,
    /// Total memory, MB.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub memory_total_mb: Option<i64>,
    /// Used memory, MB.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub memory_used_mb: Option<i64>,
    /// Root disk %.
    pub disk_percent: Option<f64>,
    /// Root disk size, GB.
    pub disk_total_gb: Option<f64>,
    /// Root disk used, GB.
    pub disk_used_gb: Option<f64>,
    /// Bytes received since boot.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub network_rx_bytes: Option<i64>,
    /// Bytes sent since boot.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub network_tx_bytes: Option<i64>,
    /// 1-minute load.
    pub load_1m: Option<f64>,
    /// 5-minute load.
    pub load_5m: Option<f64>,
    /// 15-minute load.
    pub load_15m: Option<f64>,
    /// Seconds since boot.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub uptime_seconds: Option<i64>,
}

/// One filesystem's usage.
pub struct FilesystemMetricResponse {
    /// Mount point.
    pub mount_point: String,
    /// Block device.
    pub device: String,
    /// Filesystem type.
    pub fs_type: String,
    /// Size, bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: i64,
    /// Used, bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub used_bytes: i64,
    /// Available, bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub available_bytes: i64,
    /// Usage %.
    pub percent: f64,
}

/// One interface's counters.
pub struct NetworkInterfaceMetricResponse {
    /// Interface name.
    pub name: String,
    /// Bytes received since boot.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rx_bytes: i64,
    /// Bytes sent since boot.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tx_bytes: i64,
    /// Packets received since boot.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rx_packets: i64,
    /// Packets sent since boot.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tx_packets: i64,
    /// Whether the interface is up.
    pub is_up: bool,
}

/// `POST /api/v1/servers`: manual registration.
pub struct ServerCreate {
    /// Slug, `^[a-z0-9-]+$`, 1–100 chars.
    pub id: String,
    /// Hostname or FQDN, 1–255 chars.
    pub hostname: String,
    /// Display name, ≤255 chars.
    #[serde(default)]
    pub display_name: Option<String>,
    /// IPv4/IPv6 address, ≤45 chars.
    #[serde(default)]
    pub ip_address: Option<String>,
    /// Typical power draw, 0–10000 W.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub tdp_watts: Option<i64>,
    /// `server` (default) or `workstation`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<MachineType>))]
    #[cfg_attr(feature = "ts", ts(as = "Option<MachineType>"))]
    pub machine_type: Option<Requested<MachineType>>,
    /// Tailscale MagicDNS name (extension).
    #[serde(default)]
    pub tailscale_hostname: Option<String>,
    /// Offline threshold in seconds, ≥5 (extension).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub offline_threshold_seconds: Option<i64>,
}

/// `PUT /api/v1/servers/{id}`: every field optional; `null` or absent
/// leaves the stored value unchanged.
#[derive(Default)]
pub struct ServerUpdate {
    /// Hostname, 1–255 chars.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Display name, ≤255 chars.
    #[serde(default)]
    pub display_name: Option<String>,
    /// IP address, ≤45 chars.
    #[serde(default)]
    pub ip_address: Option<String>,
    /// Max power, 0–10000 W.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub tdp_watts: Option<i64>,
    /// Category, ≤50 chars.
    #[serde(default)]
    pub machine_category: Option<String>,
    /// `auto` or `user`, ≤10 chars.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CategorySource>))]
    #[cfg_attr(feature = "ts", ts(as = "Option<CategorySource>"))]
    pub machine_category_source: Option<Requested<CategorySource>>,
    /// Idle power, 0–10000 W.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub idle_watts: Option<i64>,
    /// SSH user, ≤255 chars.
    #[serde(default)]
    pub ssh_username: Option<String>,
    /// `passwordless` or `password`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SudoMode>))]
    #[cfg_attr(feature = "ts", ts(as = "Option<SudoMode>"))]
    pub sudo_mode: Option<Requested<SudoMode>>,
    /// Compliance user, ≤255 chars.
    #[serde(default)]
    pub config_user: Option<String>,
    /// `server` or `workstation`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<MachineType>))]
    #[cfg_attr(feature = "ts", ts(as = "Option<MachineType>"))]
    pub machine_type: Option<Requested<MachineType>>,
    /// Tailscale MagicDNS name (extension).
    #[serde(default)]
    pub tailscale_hostname: Option<String>,
    /// Offline threshold in seconds, ≥5 (extension).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub offline_threshold_seconds: Option<i64>,
    /// Whether drift detection runs (extension).
    #[serde(default)]
    pub drift_detection_enabled: Option<bool>,
}

/// `GET /servers/{id}/metrics`.
pub struct MetricsHistoryResponse {
    /// Server slug.
    pub server_id: String,
    /// `24h`, `7d`, `30d` or `12m`.
    pub range: String,
    /// Bucket size of the points: `1m`, `10m`, `1h` or `1d`.
    pub resolution: String,
    /// Points, oldest first.
    pub data_points: Vec<MetricPoint>,
    /// Number of points.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_points: i64,
}

/// One point of metrics history (bucket averages for rolled-up tiers).
pub struct MetricPoint {
    /// Sample time, or bucket start.
    pub timestamp: DateTime<Utc>,
    /// CPU %.
    pub cpu_percent: Option<f64>,
    /// Memory %.
    pub memory_percent: Option<f64>,
    /// Root disk %.
    pub disk_percent: Option<f64>,
    /// Highest CPU % within the bucket (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_max: Option<f64>,
    /// Highest memory % within the bucket (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_max: Option<f64>,
    /// 1-minute load (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_1m: Option<f64>,
}

/// `GET /servers/{id}/metrics/sparkline`.
pub struct SparklineResponse {
    /// Server slug.
    pub server_id: String,
    /// `cpu_percent`, `memory_percent` or `disk_percent`.
    pub metric: SparklineMetric,
    /// `30m`, `1h` or `6h`.
    pub period: String,
    /// Points, oldest first.
    pub data: Vec<SparklinePoint>,
}

/// One sparkline point.
pub struct SparklinePoint {
    /// Sample time.
    pub timestamp: DateTime<Utc>,
    /// Value.
    pub value: Option<f64>,
}

/// `GET /servers/{id}/services`.
pub struct ExpectedServiceListResponse {
    /// Expected services.
    pub services: Vec<ExpectedServiceResponse>,
    /// Count.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// A service expected to run on a machine.
pub struct ExpectedServiceResponse {
    /// systemd unit name.
    pub service_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Critical services raise critical alerts when down.
    pub is_critical: bool,
    /// Whether it is monitored.
    pub enabled: bool,
    /// Newest status the agent reported, if any.
    pub current_status: Option<ServiceCurrentStatus>,
}

/// Newest reported status of a service.
pub struct ServiceCurrentStatus {
    /// `running`, `stopped`, `failed` or `unknown`.
    pub status: String,
    /// Why the status is unknown.
    pub status_reason: Option<String>,
    /// PID.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub pid: Option<i64>,
    /// Memory, MB.
    pub memory_mb: Option<f64>,
    /// CPU %.
    pub cpu_percent: Option<f64>,
    /// When it was reported.
    pub last_seen: DateTime<Utc>,
}

/// `POST /servers/{id}/services`.
pub struct ExpectedServiceCreate {
    /// Unit name, `^[a-z0-9@._-]+$`, 1–255 chars.
    pub service_name: String,
    /// Display name, ≤255 chars.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Critical service (default false).
    #[serde(default)]
    pub is_critical: bool,
}

/// `PUT /servers/{id}/services/{name}`.
#[derive(Default)]
pub struct ExpectedServiceUpdate {
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Critical service.
    #[serde(default)]
    pub is_critical: Option<bool>,
    /// Monitoring on or off.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `GET /servers/{id}/packages`.
pub struct PackageListResponse {
    /// Server slug.
    pub server_id: String,
    /// Heartbeat time the list was last reported.
    pub last_checked: Option<DateTime<Utc>>,
    /// Pending updates.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_count: i64,
    /// Pending security updates.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub security_count: i64,
    /// The updates.
    pub packages: Vec<PackageResponse>,
}

/// One pending update.
pub struct PackageResponse {
    /// Package.
    pub name: String,
    /// Installed version.
    pub current_version: String,
    /// Available version.
    pub new_version: String,
    /// Repository.
    pub repository: String,
    /// From a security repository.
    pub is_security: bool,
    /// First reported.
    pub detected_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// `GET /preferences/card-order`.
pub struct CardOrderLoadResponse {
    /// Server ids in display order.
    pub order: Vec<String>,
}

/// `PUT /preferences/card-order`.
pub struct CardOrderRequest {
    /// Server ids in display order.
    pub order: Vec<String>,
}

/// Answer to a preference save.
pub struct CardOrderSaveResponse {
    /// `saved`.
    pub status: SaveStatus,
    /// Save time.
    pub timestamp: DateTime<Utc>,
}

/// Card order per dashboard section.
#[derive(Default)]
pub struct SectionCardOrder {
    /// Server ids in order.
    #[serde(default)]
    pub servers: Vec<String>,
    /// Workstation ids in order.
    #[serde(default)]
    pub workstations: Vec<String>,
}

/// Collapsed dashboard sections.
#[derive(Default)]
pub struct CollapsedSections {
    /// Section names.
    #[serde(default)]
    pub collapsed: Vec<String>,
}

/// All dashboard preferences at once.
pub struct DashboardPreferences {
    /// Card order per section.
    #[serde(default)]
    pub card_order: SectionCardOrder,
    /// Collapsed sections.
    #[serde(default)]
    pub collapsed_sections: Vec<String>,
    /// `grid`, `list` or `compact`.
    #[serde(default = "default_view_mode")]
    #[cfg_attr(feature = "openapi", schema(value_type = ViewMode))]
    #[cfg_attr(feature = "ts", ts(as = "ViewMode"))]
    pub view_mode: Requested<ViewMode>,
    /// Last save (responses only; null if never saved).
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Answer to a dashboard/layout save.
pub struct SavedAtResponse {
    /// `saved`.
    pub status: SaveStatus,
    /// Save time.
    pub updated_at: DateTime<Utc>,
}

/// Answer to a layout reset.
pub struct StatusResponse {
    /// `deleted`.
    pub status: DeleteStatus,
}

/// `GET /machines/{id}/layout`.
pub struct WidgetLayoutResponse {
    /// Saved layout, or null for the default.
    pub layouts: Option<WidgetLayouts>,
    /// Last save, or null.
    pub updated_at: Option<DateTime<Utc>>,
}

/// `PUT /machines/{id}/layout`.
pub struct WidgetLayoutRequest {
    /// The layout.
    pub layouts: WidgetLayouts,
}

/// Widget positions per breakpoint.
#[derive(Default)]
pub struct WidgetLayouts {
    /// ≥1200 px.
    #[serde(default)]
    pub lg: Vec<LayoutItem>,
    /// ≥996 px.
    #[serde(default)]
    pub md: Vec<LayoutItem>,
    /// ≥768 px.
    #[serde(default)]
    pub sm: Vec<LayoutItem>,
    /// <768 px.
    #[serde(default)]
    pub xs: Vec<LayoutItem>,
}

/// One widget's grid position.
pub struct LayoutItem {
    /// Widget id.
    pub i: String,
    /// Column, ≥0.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub x: i64,
    /// Row, ≥0.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub y: i64,
    /// Width, ≥1.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub w: i64,
    /// Height, ≥1.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub h: i64,
    /// Minimum width.
    #[serde(default, rename = "minW", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub min_w: Option<i64>,
    /// Minimum height.
    #[serde(default, rename = "minH", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub min_h: Option<i64>,
    /// Maximum width.
    #[serde(default, rename = "maxW", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub max_w: Option<i64>,
    /// Maximum height.
    #[serde(default, rename = "maxH", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub max_h: Option<i64>,
}

/// `GET /config`.
pub struct ConfigResponse {
    /// Alert thresholds.
    pub thresholds: ThresholdsConfig,
    /// Notification settings.
    pub notifications: NotificationsConfig,
}

/// Alert thresholds.
pub struct ThresholdsConfig {
    /// CPU (default 85 % high, 95 % critical, 180 s sustained).
    pub cpu: MetricThreshold,
    /// Memory (default 85 % / 95 %, 180 s).
    pub memory: MetricThreshold,
    /// Root disk (default 80 % / 95 %, immediate).
    pub disk: MetricThreshold,
    /// Seconds without heartbeat before a server is offline (≥30, default 180).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub server_offline_seconds: i64,
}

/// Threshold of one metric.
pub struct MetricThreshold {
    /// HIGH alert at or above this %.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub high_percent: i64,
    /// CRITICAL alert at or above this %.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub critical_percent: i64,
    /// How long a breach must last before it alerts, 0–600 s.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sustained_seconds: i64,
    /// Deprecated heartbeat count; converted to seconds on update.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub sustained_heartbeats: Option<i64>,
}

/// `PUT /config/thresholds`: every field optional.
#[derive(Default)]
pub struct ThresholdsUpdate {
    /// CPU changes.
    #[serde(default)]
    pub cpu: Option<MetricThresholdUpdate>,
    /// Memory changes.
    #[serde(default)]
    pub memory: Option<MetricThresholdUpdate>,
    /// Disk changes.
    #[serde(default)]
    pub disk: Option<MetricThresholdUpdate>,
    /// New offline timeout, ≥30 s.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub server_offline_seconds: Option<i64>,
}

/// Changes to one metric threshold.
#[derive(Default)]
pub struct MetricThresholdUpdate {
    /// 0–100.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub high_percent: Option<i64>,
    /// 0–100.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub critical_percent: Option<i64>,
    /// 0–600.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub sustained_seconds: Option<i64>,
    /// 0–10, deprecated.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub sustained_heartbeats: Option<i64>,
}

/// `PUT /config/thresholds` answer.
pub struct ThresholdsResponse {
    /// Names of the fields that changed.
    pub updated: Vec<String>,
    /// The thresholds now in force.
    pub thresholds: ThresholdsConfig,
}

/// Notification settings.
pub struct NotificationsConfig {
    /// Slack incoming webhook URL ("" when unset). Returned masked: the
    /// scheme and host only, never the secret path.
    pub slack_webhook_url: String,
    /// Reminder intervals.
    pub cooldowns: CooldownConfig,
    /// Notify on critical alerts.
    pub notify_on_critical: bool,
    /// Notify on high alerts.
    pub notify_on_high: bool,
    /// Notify on remediation actions.
    pub notify_on_remediation: bool,
    /// Notify when an action fails.
    pub notify_on_action_failure: bool,
    /// Notify when an action succeeds.
    pub notify_on_action_success: bool,
    /// Notify when an alert resolves by itself.
    pub notify_on_auto_resolve: bool,
    /// Extension: Discord webhook URL ("" when unset); masked like the Slack URL.
    #[serde(default)]
    pub discord_webhook_url: String,
    /// Extension: ntfy topic URL, e.g. `https://ntfy.sh/mytopic` ("" when
    /// unset); masked like the Slack URL.
    #[serde(default)]
    pub ntfy_url: String,
    /// Extension: generic JSON webhook URL ("" when unset); masked like the
    /// Slack URL.
    #[serde(default)]
    pub webhook_url: String,
}

/// Reminder intervals per severity.
pub struct CooldownConfig {
    /// Critical reminders, 5–1440 min (default 30).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub critical_minutes: i64,
    /// High reminders, 15–1440 min (default 240).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub high_minutes: i64,
}

/// `PUT /config/notifications`: every field optional.
#[derive(Default)]
pub struct NotificationsUpdate {
    /// Slack webhook URL; "" clears it.
    #[serde(default)]
    pub slack_webhook_url: Option<String>,
    /// Cooldown changes.
    #[serde(default)]
    pub cooldowns: Option<CooldownConfigUpdate>,
    /// See [`NotificationsConfig`].
    #[serde(default)]
    pub notify_on_critical: Option<bool>,
    /// See [`NotificationsConfig`].
    #[serde(default)]
    pub notify_on_high: Option<bool>,
    /// See [`NotificationsConfig`].
    #[serde(default)]
    pub notify_on_remediation: Option<bool>,
    /// See [`NotificationsConfig`].
    #[serde(default)]
    pub notify_on_action_failure: Option<bool>,
    /// See [`NotificationsConfig`].
    #[serde(default)]
    pub notify_on_action_success: Option<bool>,
    /// See [`NotificationsConfig`].
    #[serde(default)]
    pub notify_on_auto_resolve: Option<bool>,
    /// Extension: Discord webhook URL; "" clears it.
    #[serde(default)]
    pub discord_webhook_url: Option<String>,
    /// Extension: ntfy topic URL; "" clears it.
    #[serde(default)]
    pub ntfy_url: Option<String>,
    /// Extension: generic JSON webhook URL; "" clears it.
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// Cooldown changes.
#[derive(Default)]
pub struct CooldownConfigUpdate {
    /// 5–1440.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub critical_minutes: Option<i64>,
    /// 15–1440.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub high_minutes: Option<i64>,
}

/// `PUT /config/notifications` answer.
pub struct NotificationsResponse {
    /// Names of the fields that changed.
    pub updated: Vec<String>,
    /// Settings now in force.
    pub notifications: NotificationsConfig,
}

/// `POST /config/test-webhook`.
pub struct TestWebhookRequest {
    /// Slack incoming webhook URL to send a test message to. The masked
    /// value (`https://host/***`) tests the stored URL.
    pub webhook_url: String,
}

/// `POST /config/test-webhook` answer.
pub struct TestWebhookResponse {
    /// Whether Slack accepted the message.
    pub success: bool,
    /// What happened, on success.
    pub message: Option<String>,
    /// Why it failed (never contains the URL).
    pub error: Option<String>,
}

/// Extension: `POST /api/v1/alerts/{alert_id}/snooze`.
pub struct AlertSnoozeRequest {
    /// Silence the alert's notifications for this many minutes, 0–10080
    /// (a week); 0 ends a snooze. The alert itself stays active.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub minutes: i64,
}

/// Extension: `POST /api/v1/alerts/{alert_id}/snooze` answer.
pub struct AlertSnoozeResponse {
    /// Alert id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Notifications are silent until then; null when not snoozed.
    pub snoozed_until: Option<DateTime<Utc>>,
}

/// `GET/PUT /config/cost` answer.
pub struct CostConfigResponse {
    /// Price per kWh.
    pub electricity_rate: f64,
    /// Currency symbol, e.g. `£`.
    pub currency_symbol: String,
    /// Last change (ISO 8601), null if never changed.
    pub updated_at: Option<String>,
}

/// `PUT /config/cost`.
#[derive(Default)]
pub struct CostConfigUpdate {
    /// Price per kWh, ≥0.
    #[serde(default)]
    pub electricity_rate: Option<f64>,
    /// Currency symbol, ≤10 chars.
    #[serde(default)]
    pub currency_symbol: Option<String>,
}

/// Paginated remediation actions (`GET /servers/{id}/actions`).
pub struct ActionListResponse {
    /// Actions, newest first.
    pub actions: Vec<ActionResponse>,
    /// Matching actions in all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
    /// Page size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub limit: i64,
    /// Page offset.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: i64,
}

/// A remediation action.
pub struct ActionResponse {
    /// Action id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Server slug.
    pub server_id: String,
    /// `restart_service`, `clear_logs`, `custom`, ...
    pub action_type: crate::actions::ActionType,
    /// `pending`, `approved`, `executing`, `completed`, `failed`, `rejected`, `cancelled`.
    pub status: crate::actions::ActionStatus,
    /// Service for restarts.
    pub service_name: Option<String>,
    /// Command that runs.
    pub command: String,
    /// Alert that suggested it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub alert_id: Option<i64>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Creator.
    pub created_by: String,
    /// Approval time.
    pub approved_at: Option<DateTime<Utc>>,
    /// Approver (`auto` for normal servers).
    pub approved_by: Option<String>,
    /// Rejection time.
    pub rejected_at: Option<DateTime<Utc>>,
    /// Who rejected.
    pub rejected_by: Option<String>,
    /// Why.
    pub rejection_reason: Option<String>,
    /// Execution start.
    pub executed_at: Option<DateTime<Utc>>,
    /// Completion.
    pub completed_at: Option<DateTime<Utc>>,
    /// Exit code.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub exit_code: Option<i64>,
    /// Standard output.
    pub stdout: Option<String>,
    /// Standard error.
    pub stderr: Option<String>,
}
}

fn default_view_mode() -> Requested<ViewMode> {
    ViewMode::Grid.into()
}

// Electricity cost (`/costs/*`, `/servers/{id}/costs/history`).
api_type! {
/// `GET /costs/summary`: fleet electricity cost. Servers are costed 24/7,
/// workstations by the hours they were up.
pub struct CostSummaryResponse {
    /// Estimated cost per day, all configured machines.
    pub daily_cost: f64,
    /// Estimated cost per 30 days, all configured machines.
    pub monthly_cost: f64,
    /// Currency symbol, e.g. `£`.
    pub currency_symbol: String,
    /// Machines with a power configuration (category, TDP or both).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub servers_included: i64,
    /// Machines without a power configuration (no category, no TDP).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub servers_missing_config: i64,
    /// Sum of the estimated power draws, watts.
    pub total_estimated_watts: f64,
    /// Price per kWh.
    pub electricity_rate: f64,
    /// Monthly cost of the 24/7 servers.
    #[serde(default)]
    pub server_cost_total: f64,
    /// Servers (24/7) with a power configuration.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub server_count: i64,
    /// Monthly cost of the workstations (hours actually up).
    #[serde(default)]
    pub workstation_cost_total: f64,
    /// Workstations with a power configuration.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub workstation_count: i64,
    /// Deprecated: same as `servers_missing_config`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub servers_missing_tdp: i64,
    /// Deprecated: sum of the maximum (TDP) watts of configured machines.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_tdp_watts: i64,
}

/// One machine in `GET /costs/breakdown`.
pub struct ServerCostItem {
    /// Server slug.
    pub server_id: String,
    /// Hostname.
    pub hostname: String,
    /// `server` (24/7) or `workstation` (hours up).
    #[serde(default)]
    pub machine_type: MachineType,
    /// Machine category (`sbc`, `mini_pc`, `nas`, ...).
    pub machine_category: Option<String>,
    /// Human-readable category, e.g. `Mini PC`.
    pub machine_category_label: Option<String>,
    /// `auto` or `user`.
    pub machine_category_source: Option<CategorySource>,
    /// CPU model from the agent.
    pub cpu_model: Option<String>,
    /// Idle power used for the estimate (set, or the category's default);
    /// null when only the TDP is known.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub idle_watts: Option<i64>,
    /// Maximum power / TDP used for the estimate.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub tdp_watts: Option<i64>,
    /// Estimated average draw, watts: `idle + (tdp - idle) × cpu / 100`,
    /// or the TDP when idle power is unknown.
    pub estimated_watts: Option<f64>,
    /// CPU load the estimate used: servers the last 24 h, workstations their
    /// hours up in the last 30 days (50 when there are no samples).
    pub avg_cpu_percent: Option<f64>,
    /// Hours up in the last 30 days (workstations only).
    pub hours_used: Option<f64>,
    /// `24x7` for servers, `actual_usage` for workstations.
    #[serde(default)]
    pub calculation_type: CalculationType,
    /// Cost per day; null without a power configuration.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub daily_cost: Option<f64>,
    /// Cost per 30 days; null without a power configuration.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub monthly_cost: Option<f64>,
}

/// Totals of `GET /costs/breakdown`.
pub struct CostTotals {
    /// Machines with a power configuration.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub servers_configured: i64,
    /// Machines without a power configuration.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub servers_unconfigured: i64,
    /// Sum of the estimated draws, watts.
    pub total_estimated_watts: f64,
    /// Cost per day.
    pub daily_cost: f64,
    /// Cost per 30 days.
    pub monthly_cost: f64,
    /// Deprecated: same as `servers_configured`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub servers_with_tdp: i64,
    /// Deprecated: same as `servers_unconfigured`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub servers_without_tdp: i64,
    /// Deprecated: sum of the maximum (TDP) watts.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_tdp_watts: i64,
}

/// Price settings echoed by `GET /costs/breakdown`.
pub struct CostSettings {
    /// Price per kWh.
    pub electricity_rate: f64,
    /// Currency symbol.
    pub currency_symbol: String,
}

/// `GET /costs/breakdown`: configured machines first, dearest first, then
/// the unconfigured ones with null costs.
pub struct CostBreakdownResponse {
    /// One entry per machine.
    pub servers: Vec<ServerCostItem>,
    /// Totals over the configured machines.
    pub totals: CostTotals,
    /// Price settings in force.
    pub settings: CostSettings,
}

/// One period of cost history.
pub struct CostHistoryItem {
    /// `YYYY-MM-DD`, `YYYY-Www` (ISO week) or `YYYY-MM`.
    pub date: String,
    /// Energy in the period, kWh.
    pub estimated_kwh: f64,
    /// Cost in the period.
    pub estimated_cost: f64,
    /// Price per kWh the period was costed at (kWh-weighted when it changed).
    pub electricity_rate: f64,
    /// Server slug, when filtered to one machine.
    #[serde(default)]
    pub server_id: Option<String>,
    /// Hostname, when filtered to one machine.
    #[serde(default)]
    pub server_hostname: Option<String>,
}

/// `GET /costs/history`.
pub struct CostHistoryResponse {
    /// Periods with data, oldest first.
    pub items: Vec<CostHistoryItem>,
    /// `daily`, `weekly` or `monthly`.
    pub aggregation: AggregationType,
    /// First day (`YYYY-MM-DD`), inclusive.
    pub start_date: String,
    /// Last day (`YYYY-MM-DD`), inclusive.
    pub end_date: String,
    /// Currency symbol.
    pub currency_symbol: String,
}

/// One month of `GET /costs/summary/monthly`.
pub struct MonthlySummaryItem {
    /// `YYYY-MM`.
    pub year_month: String,
    /// Cost in the month.
    pub total_cost: f64,
    /// Energy in the month, kWh.
    pub total_kwh: f64,
    /// Cost of the calendar month before, null when it has no data.
    #[serde(default)]
    pub previous_month_cost: Option<f64>,
    /// Change from the month before, percent; null without one.
    #[serde(default)]
    pub change_percent: Option<f64>,
}

/// `GET /costs/summary/monthly`.
pub struct MonthlySummaryResponse {
    /// Months of the year with data, oldest first.
    pub months: Vec<MonthlySummaryItem>,
    /// The year.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub year: i64,
    /// Sum of the months' costs.
    pub year_to_date_cost: f64,
    /// Currency symbol.
    pub currency_symbol: String,
}

/// `GET /servers/{server_id}/costs/history`: one machine's daily costs.
pub struct ServerCostHistoryResponse {
    /// Server slug.
    pub server_id: String,
    /// Hostname.
    pub hostname: String,
    /// `7d`, `30d`, `90d` or `12m`.
    pub period: String,
    /// One item per day with data, oldest first.
    pub items: Vec<CostHistoryItem>,
    /// Currency symbol.
    pub currency_symbol: String,
}
}
