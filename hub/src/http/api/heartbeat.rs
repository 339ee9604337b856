use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use homelabcmd_protocol::api::{ErrorResponse, HttpValidationError};
use homelabcmd_protocol::heartbeat::{
    CommandResultPayload, FilesystemMetric, HeartbeatRequest, HeartbeatResponse, MetricsPayload,
    NetworkInterfaceMetric, PackageUpdatePayload, ServiceStatusPayload,
};

use crate::db::heartbeat::IngestError;
use crate::error::{ApiError, ApiResult};
use crate::http::validate::{ApiJson, Checker, Validate, is_slug, is_uuid_v4};
use crate::state::AppState;

/// The peer address, when the server was started with connect info.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ci| ci.0.ip().to_string()),
        ))
    }
}

/// Receive a heartbeat from an agent: registers unknown machines, stores the
/// sample at its own timestamp (a repeat is stored once).
#[utoipa::path(post, path = "/agents/heartbeat", tag = "Agents", request_body = HeartbeatRequest,
    responses(
        (status = 200, body = HeartbeatResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 413, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
#[tracing::instrument(skip_all, fields(server_id = %hb.server_id))]
pub async fn receive_heartbeat(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(hb): ApiJson<HeartbeatRequest>,
) -> ApiResult<Json<HeartbeatResponse>> {
    let now = crate::db::now_ms();
    let hb = Arc::new(hb);
    let out = state
        .ingestor
        .ingest(Arc::clone(&hb), now, ip)
        .await
        .map_err(|e| match e {
            IngestError::GuidMismatch(_) => ApiError::Conflict(e.to_string()),
            IngestError::Inactive(_) => ApiError::Forbidden(e.to_string()),
            IngestError::Db(e) => ApiError::Database(e),
            IngestError::Json(e) => ApiError::Internal(e.into()),
        })?;
    if out.sample_stored {
        state.mark_dirty(hb.timestamp.timestamp_millis());
    }
    if out.registered {
        tracing::info!(server_id = %out.server_id, "auto-registered new machine");
    }
    let registered = out.registered;
    crate::alerts::runner::on_heartbeat(&state, out, &hb).await;
    Ok(Json(HeartbeatResponse {
        status: "ok".into(),
        server_registered: registered,
        pending_commands: Vec::new(),
        results_acknowledged: Vec::new(),
    }))
}

impl Validate for HeartbeatRequest {
    fn validate(&self, c: &mut Checker) {
        if let Some(guid) = &self.server_guid {
            c.pattern("server_guid", is_uuid_v4(guid), "UUID v4, lower-case");
        }
        c.len("server_id", &self.server_id, 1, 100);
        c.pattern("server_id", is_slug(&self.server_id), "^[a-z0-9-]+$");
        c.len("hostname", &self.hostname, 1, 255);
        c.opt_len("agent_version", self.agent_version.as_deref(), 20);
        c.one_of(
            "agent_mode",
            self.agent_mode.as_deref(),
            &["readonly", "readwrite"],
        );
        if let Some(os) = &self.os_info {
            c.nested("os_info", |c| {
                c.opt_len("distribution", os.distribution.as_deref(), 100);
                c.opt_len("version", os.version.as_deref(), 100);
                c.opt_len("kernel", os.kernel.as_deref(), 100);
                c.opt_len("architecture", os.architecture.as_deref(), 20);
            });
        }
        if let Some(m) = &self.metrics {
            c.nested("metrics", |c| m.validate(c));
        }
        c.range_i64("updates_available", self.updates_available, 0, None);
        c.range_i64("security_updates", self.security_updates, 0, None);
        c.each("services", self.services.as_deref());
        c.each("packages", self.packages.as_deref());
        c.each("command_results", self.command_results.as_deref());
        if let Some(cpu) = &self.cpu_info {
            c.nested("cpu_info", |c| {
                c.opt_len("cpu_model", cpu.cpu_model.as_deref(), 255);
                c.range_i64("cpu_cores", cpu.cpu_cores, 1, Some(1024));
            });
        }
        c.each("filesystems", self.filesystems.as_deref());
        c.each("network_interfaces", self.network_interfaces.as_deref());
        // Bounded lists: a runaway agent cannot make one heartbeat huge.
        for (field, len, max) in [
            ("services", self.services.as_ref().map(Vec::len), 500),
            ("packages", self.packages.as_ref().map(Vec::len), 10_000),
            ("filesystems", self.filesystems.as_ref().map(Vec::len), 256),
            (
                "network_interfaces",
                self.network_interfaces.as_ref().map(Vec::len),
                256,
            ),
            ("containers", self.containers.as_ref().map(Vec::len), 1_000),
        ] {
            if len.is_some_and(|n| n > max) {
                c.fail(
                    field,
                    format!("List should have at most {max} items"),
                    "too_long",
                );
            }
        }
    }
}

impl Validate for MetricsPayload {
    fn validate(&self, c: &mut Checker) {
        c.range_f64("cpu_percent", self.cpu_percent, 0.0, Some(100.0));
        c.range_f64("memory_percent", self.memory_percent, 0.0, Some(100.0));
        c.range_i64("memory_total_mb", self.memory_total_mb, 0, None);
        c.range_i64("memory_used_mb", self.memory_used_mb, 0, None);
        c.range_f64("disk_percent", self.disk_percent, 0.0, Some(100.0));
        c.range_f64("disk_total_gb", self.disk_total_gb, 0.0, None);
        c.range_f64("disk_used_gb", self.disk_used_gb, 0.0, None);
        c.range_i64("network_rx_bytes", self.network_rx_bytes, 0, None);
        c.range_i64("network_tx_bytes", self.network_tx_bytes, 0, None);
        c.range_f64("load_1m", self.load_1m, 0.0, None);
        c.range_f64("load_5m", self.load_5m, 0.0, None);
        c.range_f64("load_15m", self.load_15m, 0.0, None);
        c.range_i64("uptime_seconds", self.uptime_seconds, 0, None);
    }
}

impl Validate for ServiceStatusPayload {
    fn validate(&self, c: &mut Checker) {
        c.len("name", &self.name, 1, 255);
        c.one_of(
            "status",
            Some(&self.status),
            &["running", "stopped", "failed", "unknown"],
        );
        c.opt_len("status_reason", self.status_reason.as_deref(), 255);
        c.range_i64("pid", self.pid, 0, None);
        c.range_f64("memory_mb", self.memory_mb, 0.0, None);
        c.range_f64("cpu_percent", self.cpu_percent, 0.0, Some(100.0));
    }
}

impl Validate for PackageUpdatePayload {
    fn validate(&self, c: &mut Checker) {
        c.len("name", &self.name, 1, 255);
        c.len("current_version", &self.current_version, 1, 100);
        c.len("new_version", &self.new_version, 1, 100);
        c.len("repository", &self.repository, 1, 255);
    }
}

impl Validate for CommandResultPayload {
    fn validate(&self, c: &mut Checker) {
        c.range_i64("action_id", Some(self.action_id), 1, None);
        c.opt_len("stdout", self.stdout.as_deref(), 10_000);
        c.opt_len("stderr", self.stderr.as_deref(), 10_000);
    }
}

impl Validate for FilesystemMetric {
    fn validate(&self, c: &mut Checker) {
        c.len("mount_point", &self.mount_point, 0, 255);
        c.len("device", &self.device, 0, 255);
        c.len("fs_type", &self.fs_type, 0, 50);
        c.range_i64("total_bytes", Some(self.total_bytes), 0, None);
        c.range_i64("used_bytes", Some(self.used_bytes), 0, None);
        c.range_i64("available_bytes", Some(self.available_bytes), 0, None);
        c.range_f64("percent", Some(self.percent), 0.0, Some(100.0));
    }
}

impl Validate for NetworkInterfaceMetric {
    fn validate(&self, c: &mut Checker) {
        c.len("name", &self.name, 0, 64);
        c.range_i64("rx_bytes", Some(self.rx_bytes), 0, None);
        c.range_i64("tx_bytes", Some(self.tx_bytes), 0, None);
        c.range_i64("rx_packets", Some(self.rx_packets), 0, None);
        c.range_i64("tx_packets", Some(self.tx_packets), 0, None);
    }
}
