//! Heartbeat payloads built in code (the full sample is a fixture).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// A minimal valid heartbeat for `server_id`, stamped now, with metrics.
pub fn heartbeat(server_id: &str) -> Value {
    heartbeat_at(server_id, Utc::now())
}

/// A minimal valid heartbeat for `server_id` at `ts`.
pub fn heartbeat_at(server_id: &str, ts: DateTime<Utc>) -> Value {
    json!({
        "server_id": server_id,
        "hostname": format!("{server_id}.lan"),
        "timestamp": ts.to_rfc3339(),
        "agent_version": "e2e",
        "metrics": {
            "cpu_percent": 12.5,
            "memory_percent": 40.0,
            "memory_total_mb": 8192,
            "memory_used_mb": 3277,
            "disk_percent": 55.5,
            "disk_total_gb": 100.0,
            "disk_used_gb": 55.5,
            "network_rx_bytes": 1000,
            "network_tx_bytes": 2000,
            "load_1m": 0.5,
            "load_5m": 0.4,
            "load_15m": 0.3,
            "uptime_seconds": 3600
        }
    })
}
