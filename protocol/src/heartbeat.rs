//! The heartbeat an agent pushes to `POST /api/v1/agents/heartbeat`, and the
//! hub's answer. Field for field the body a HomelabCmd agent sends
//! (`shared/api/heartbeat-sample.json`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One heartbeat: identity, a metrics sample and inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HeartbeatRequest {
    /// The agent's permanent UUID v4; survives hostname and IP changes.
    /// Optional for old agents.
    #[serde(default)]
    pub server_guid: Option<String>,
    /// Server slug (`^[a-z0-9-]+$`, 1–100 chars); the machine's id on the hub.
    pub server_id: String,
    /// The machine's hostname (1–255 chars).
    pub hostname: String,
    /// When the sample was taken (ISO 8601). Replayed samples keep their
    /// original time and are stored at it.
    pub timestamp: DateTime<Utc>,
    /// Agent version string, at most 20 chars.
    #[serde(default)]
    pub agent_version: Option<String>,
    /// `readonly` (metrics only) or `readwrite`.
    #[serde(default)]
    pub agent_mode: Option<String>,
    /// Operating system facts.
    #[serde(default)]
    pub os_info: Option<OsInfo>,
    /// The metrics sample; every field optional.
    #[serde(default)]
    pub metrics: Option<MetricsPayload>,
    /// Number of package updates available.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub updates_available: Option<i64>,
    /// Number of those updates that are security updates.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub security_updates: Option<i64>,
    /// Status of the services the agent monitors.
    #[serde(default)]
    pub services: Option<Vec<ServiceStatusPayload>>,
    /// Pending package updates in detail.
    #[serde(default)]
    pub packages: Option<Vec<PackageUpdatePayload>>,
    /// Results of commands the agent ran (legacy agent-side execution; the
    /// hub accepts and acknowledges them).
    #[serde(default)]
    pub command_results: Option<Vec<CommandResultPayload>>,
    /// CPU model and core count, for power estimation.
    #[serde(default)]
    pub cpu_info: Option<CpuInfo>,
    /// Every real mounted filesystem.
    #[serde(default)]
    pub filesystems: Option<Vec<FilesystemMetric>>,
    /// Every network interface with its counters.
    #[serde(default)]
    pub network_interfaces: Option<Vec<NetworkInterfaceMetric>>,
    /// Docker containers, when the agent can reach the Docker socket
    /// (HomelabCmd-rs extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<ContainerStatus>>,
}

/// Operating system facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OsInfo {
    /// Distribution name, e.g. `Debian GNU/Linux` (≤100 chars).
    #[serde(default)]
    pub distribution: Option<String>,
    /// Distribution version, e.g. `12` (≤100 chars).
    #[serde(default)]
    pub version: Option<String>,
    /// Kernel release (≤100 chars).
    #[serde(default)]
    pub kernel: Option<String>,
    /// CPU architecture, e.g. `x86_64` (≤20 chars).
    #[serde(default)]
    pub architecture: Option<String>,
}

/// One metrics sample. Percentages are 0–100; counters are since boot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MetricsPayload {
    /// Whether the OS asks for a reboot (e.g. `/var/run/reboot-required`).
    #[serde(default)]
    pub reboot_required: Option<bool>,
    /// CPU usage, 0–100 %.
    #[serde(default)]
    pub cpu_percent: Option<f64>,
    /// Memory usage, 0–100 %.
    #[serde(default)]
    pub memory_percent: Option<f64>,
    /// Total memory in MB.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub memory_total_mb: Option<i64>,
    /// Used memory in MB.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub memory_used_mb: Option<i64>,
    /// Root filesystem usage, 0–100 %.
    #[serde(default)]
    pub disk_percent: Option<f64>,
    /// Root filesystem size in GB.
    #[serde(default)]
    pub disk_total_gb: Option<f64>,
    /// Root filesystem used space in GB.
    #[serde(default)]
    pub disk_used_gb: Option<f64>,
    /// Bytes received on all non-loopback interfaces since boot.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub network_rx_bytes: Option<i64>,
    /// Bytes sent on all non-loopback interfaces since boot.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub network_tx_bytes: Option<i64>,
    /// 1-minute load average.
    #[serde(default)]
    pub load_1m: Option<f64>,
    /// 5-minute load average.
    #[serde(default)]
    pub load_5m: Option<f64>,
    /// 15-minute load average.
    #[serde(default)]
    pub load_15m: Option<f64>,
    /// Seconds since boot.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub uptime_seconds: Option<i64>,
}

/// Status of one monitored service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ServiceStatusPayload {
    /// Service name, e.g. `nginx` (1–255 chars).
    pub name: String,
    /// One of `running`, `stopped`, `failed`, `unknown`.
    pub status: String,
    /// Why the status is `unknown`, e.g. `systemd not available (container)`.
    #[serde(default)]
    pub status_reason: Option<String>,
    /// Main PID when running.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub pid: Option<i64>,
    /// Resident memory in MB.
    #[serde(default)]
    pub memory_mb: Option<f64>,
    /// CPU usage, 0–100 %.
    #[serde(default)]
    pub cpu_percent: Option<f64>,
}

/// One pending package update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PackageUpdatePayload {
    /// Package name.
    pub name: String,
    /// Installed version.
    pub current_version: String,
    /// Version available.
    pub new_version: String,
    /// Repository (suite) offering the update.
    pub repository: String,
    /// Whether the update comes from a security repository.
    pub is_security: bool,
}

/// Result of a command the agent ran itself (legacy protocol).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommandResultPayload {
    /// The action this result belongs to (≥1).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub action_id: i64,
    /// Exit code, 0 for success.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub exit_code: i64,
    /// Standard output, at most 10 000 chars.
    #[serde(default)]
    pub stdout: Option<String>,
    /// Standard error, at most 10 000 chars.
    #[serde(default)]
    pub stderr: Option<String>,
    /// When execution started.
    pub executed_at: DateTime<Utc>,
    /// When execution finished.
    pub completed_at: DateTime<Utc>,
}

/// CPU facts for power estimation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CpuInfo {
    /// CPU model name (≤255 chars).
    #[serde(default)]
    pub cpu_model: Option<String>,
    /// Logical cores, 1–1024.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cpu_cores: Option<i64>,
}

/// Usage of one mounted filesystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FilesystemMetric {
    /// Mount point, e.g. `/data` (≤255 chars).
    pub mount_point: String,
    /// Block device, e.g. `/dev/sda1` (≤255 chars).
    pub device: String,
    /// Filesystem type, e.g. `ext4` (≤50 chars).
    pub fs_type: String,
    /// Size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: i64,
    /// Used bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub used_bytes: i64,
    /// Bytes available to unprivileged users.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub available_bytes: i64,
    /// Usage, 0–100 %.
    pub percent: f64,
}

/// Counters of one network interface, since boot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NetworkInterfaceMetric {
    /// Interface name, e.g. `eth0` (≤64 chars).
    pub name: String,
    /// Bytes received.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rx_bytes: i64,
    /// Bytes sent.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tx_bytes: i64,
    /// Packets received.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rx_packets: i64,
    /// Packets sent.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tx_packets: i64,
    /// Whether the interface is up.
    pub is_up: bool,
}

/// One Docker container (extension; older hubs ignore it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ContainerStatus {
    /// Container name without the leading slash.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Docker state: `running`, `exited`, `paused`, `restarting`, ...
    pub state: String,
    /// Docker's human status, e.g. `Up 3 hours`.
    #[serde(default)]
    pub status: Option<String>,
}

/// The hub's answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HeartbeatResponse {
    /// Always `ok` on success.
    pub status: String,
    /// True when this heartbeat registered the server.
    #[serde(default)]
    pub server_registered: bool,
    /// Commands for agent-side execution. Always empty: every action goes
    /// hub → SSH; kept for compatibility with HomelabCmd agents.
    #[serde(default)]
    pub pending_commands: Vec<PendingCommand>,
    /// Action ids whose `command_results` the hub recorded.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number[]"))]
    pub results_acknowledged: Vec<i64>,
}

/// A command for agent-side execution (legacy; never sent by this hub).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PendingCommand {
    /// Action id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub action_id: i64,
    /// Action type, e.g. `restart_service`.
    pub action_type: String,
    /// Command line.
    pub command: String,
    /// Action parameters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// Timeout in seconds, 1–600.
    #[serde(default = "default_timeout")]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timeout_seconds: i64,
}

fn default_timeout() -> i64 {
    30
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_agents_sample_heartbeat_parses_and_round_trips() {
        let raw = include_str!("../tests/fixtures/heartbeat-sample.json");
        let hb: HeartbeatRequest = serde_json::from_str(raw).expect("sample parses");
        assert_eq!(hb.server_id, "peer-agent-01");
        assert_eq!(hb.packages.as_ref().map(Vec::len), Some(129));
        assert_eq!(
            hb.metrics.as_ref().and_then(|m| m.uptime_seconds),
            Some(388)
        );
        let again: HeartbeatRequest =
            serde_json::from_str(&serde_json::to_string(&hb).unwrap()).unwrap();
        assert_eq!(hb, again);
    }
}
