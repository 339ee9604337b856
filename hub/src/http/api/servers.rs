use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use homelabcmd_protocol::api::{
    ActionListResponse, CategorySource, ErrorResponse, FilesystemMetricResponse,
    HttpValidationError, LatestMetrics, MachineType, NetworkInterfaceMetricResponse,
    PackageListResponse, PackageResponse, ServerCreate, ServerListResponse, ServerResponse,
    ServerUpdate, SudoMode,
};
use homelabcmd_protocol::heartbeat::{FilesystemMetric, MetricsPayload, NetworkInterfaceMetric};
use homelabcmd_protocol::names::Requested;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::db::servers::ServerRow;
use crate::db::{self, opt_dt, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::int_param;
use crate::http::validate::{ApiJson, Checker, Validate, is_slug};
use crate::settings;
use crate::state::AppState;
use homelabcmd_core::status::machine_status;

fn parse_stored<T: DeserializeOwned>(text: Option<&str>) -> Option<T> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

/// Active alert titles per machine, most severe first.
async fn alert_titles(state: &AppState) -> ApiResult<HashMap<String, Vec<String>>> {
    let mut by_server: HashMap<String, Vec<String>> = HashMap::new();
    for (server, title) in db::alerts::active_summaries(&state.db).await? {
        by_server.entry(server).or_default().push(title);
    }
    Ok(by_server)
}

pub fn to_response(
    row: ServerRow,
    now_ms: i64,
    default_offline: i64,
    alert_titles: &[String],
) -> ServerResponse {
    let threshold = row.offline_threshold_seconds.unwrap_or(default_offline);
    let status = machine_status(row.last_seen, now_ms, threshold, row.machine_type);
    let latest_metrics =
        parse_stored::<MetricsPayload>(row.latest_metrics.as_deref()).map(|m| LatestMetrics {
            cpu_percent: m.cpu_percent,
            memory_percent: m.memory_percent,
            memory_total_mb: m.memory_total_mb,
            memory_used_mb: m.memory_used_mb,
            disk_percent: m.disk_percent,
            disk_total_gb: m.disk_total_gb,
            disk_used_gb: m.disk_used_gb,
            network_rx_bytes: m.network_rx_bytes,
            network_tx_bytes: m.network_tx_bytes,
            load_1m: m.load_1m,
            load_5m: m.load_5m,
            load_15m: m.load_15m,
            uptime_seconds: m.uptime_seconds,
        });
    let filesystems = parse_stored::<Vec<FilesystemMetric>>(row.filesystems.as_deref()).map(|v| {
        v.into_iter()
            .map(|f| FilesystemMetricResponse {
                mount_point: f.mount_point,
                device: f.device,
                fs_type: f.fs_type,
                total_bytes: f.total_bytes,
                used_bytes: f.used_bytes,
                available_bytes: f.available_bytes,
                percent: f.percent,
            })
            .collect()
    });
    let network_interfaces =
        parse_stored::<Vec<NetworkInterfaceMetric>>(row.network_interfaces.as_deref()).map(|v| {
            v.into_iter()
                .map(|n| NetworkInterfaceMetricResponse {
                    name: n.name,
                    rx_bytes: n.rx_bytes,
                    tx_bytes: n.tx_bytes,
                    rx_packets: n.rx_packets,
                    tx_packets: n.tx_packets,
                    is_up: n.is_up,
                })
                .collect()
        });
    // Stored assignment, else the machine-type default (packs::fleet).
    let assigned_packs = homelabcmd_core::packs::fleet::assigned_packs(
        row.assigned_packs.as_deref(),
        row.machine_type,
    );
    ServerResponse {
        id: row.id,
        guid: row.guid,
        hostname: row.hostname,
        display_name: row.display_name,
        ip_address: row.ip_address,
        status,
        tdp_watts: row.tdp_watts,
        cpu_model: row.cpu_model,
        cpu_cores: row.cpu_cores,
        machine_category: row.machine_category,
        machine_category_source: row.machine_category_source,
        idle_watts: row.idle_watts,
        os_distribution: row.os_distribution,
        os_version: row.os_version,
        kernel_version: row.kernel_version,
        architecture: row.architecture,
        updates_available: row.updates_available,
        security_updates: row.security_updates,
        is_paused: row.is_paused,
        paused_at: opt_dt(row.paused_at),
        agent_version: row.agent_version,
        agent_mode: row.agent_mode,
        is_inactive: row.is_inactive,
        inactive_since: opt_dt(row.inactive_since),
        last_seen: opt_dt(row.last_seen),
        tailscale_hostname: row.tailscale_hostname,
        machine_type: row.machine_type,
        ssh_username: row.ssh_username,
        sudo_mode: row.sudo_mode,
        config_user: row.config_user,
        created_at: to_dt(row.created_at),
        updated_at: to_dt(row.updated_at),
        latest_metrics,
        filesystems,
        network_interfaces,
        active_alert_count: alert_titles.len() as i64,
        active_alert_summaries: alert_titles.iter().take(3).cloned().collect(),
        assigned_packs: Some(assigned_packs),
        drift_detection_enabled: row.drift_detection_enabled,
        offline_threshold_seconds: threshold,
        seconds_since_seen: row.last_seen.map(|s| ((now_ms - s) / 1000).max(0)),
        containers: parse_stored(row.containers.as_deref()),
    }
}

async fn load(state: &AppState, id: &str) -> ApiResult<ServerRow> {
    db::servers::get(&state.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", id))
}

async fn respond(state: &AppState, id: &str) -> ApiResult<Json<ServerResponse>> {
    let row = load(state, id).await?;
    let default_offline = settings::default_offline_seconds(&state.db).await?;
    let titles = alert_titles(state).await?;
    let mine = titles.get(id).map(Vec::as_slice).unwrap_or_default();
    Ok(Json(to_response(row, db::now_ms(), default_offline, mine)))
}

/// List all registered machines.
#[utoipa::path(get, path = "/servers", tag = "Servers",
    responses((status = 200, body = ServerListResponse), (status = 401, body = ErrorResponse)))]
pub async fn list_servers(State(state): State<AppState>) -> ApiResult<Json<ServerListResponse>> {
    let rows = db::servers::list(&state.db).await?;
    let default_offline = settings::default_offline_seconds(&state.db).await?;
    let now = db::now_ms();
    let titles = alert_titles(&state).await?;
    let servers: Vec<ServerResponse> = rows
        .into_iter()
        .map(|r| {
            let mine = titles.get(&r.id).map(Vec::as_slice).unwrap_or_default();
            to_response(r, now, default_offline, mine)
        })
        .collect();
    Ok(Json(ServerListResponse {
        total: servers.len() as i64,
        servers,
    }))
}

/// Register a machine by hand.
#[utoipa::path(post, path = "/servers", tag = "Servers", request_body = ServerCreate,
    responses((status = 201, body = ServerResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn create_server(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ServerCreate>,
) -> ApiResult<(StatusCode, Json<ServerResponse>)> {
    if !db::servers::create(&state.db, &body).await? {
        return Err(ApiError::Conflict(format!(
            "Server '{}' already exists",
            body.id
        )));
    }
    Ok((StatusCode::CREATED, respond(&state, &body.id).await?))
}

/// Get one machine.
#[utoipa::path(get, path = "/servers/{server_id}", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = ServerResponse), (status = 404, body = ErrorResponse)))]
pub async fn get_server(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<ServerResponse>> {
    respond(&state, &server_id).await
}

/// Update a machine's settings; absent fields stay as they are.
#[utoipa::path(put, path = "/servers/{server_id}", tag = "Servers", request_body = ServerUpdate,
    params(("server_id" = String, Path)),
    responses((status = 200, body = ServerResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn update_server(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    ApiJson(body): ApiJson<ServerUpdate>,
) -> ApiResult<Json<ServerResponse>> {
    if !db::servers::update(&state.db, &server_id, &body).await? {
        return Err(ApiError::not_found("Server", &server_id));
    }
    respond(&state, &server_id).await
}

/// Delete a machine and all its history.
#[utoipa::path(delete, path = "/servers/{server_id}", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorResponse)))]
pub async fn delete_server(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<StatusCode> {
    if !db::servers::delete(&state.db, &server_id).await? {
        return Err(ApiError::not_found("Server", &server_id));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn set_maintenance(
    state: &AppState,
    id: &str,
    paused: bool,
) -> ApiResult<Json<ServerResponse>> {
    if !db::servers::set_paused(&state.db, id, paused).await? {
        return Err(ApiError::not_found("Server", id));
    }
    respond(state, id).await
}

/// Enter maintenance mode (alerts recorded, notifications silenced).
#[utoipa::path(put, path = "/servers/{server_id}/pause", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = ServerResponse), (status = 404, body = ErrorResponse)))]
pub async fn pause_server(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<ServerResponse>> {
    set_maintenance(&state, &server_id, true).await
}

/// Leave maintenance mode.
#[utoipa::path(put, path = "/servers/{server_id}/unpause", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = ServerResponse), (status = 404, body = ErrorResponse)))]
pub async fn unpause_server(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<ServerResponse>> {
    set_maintenance(&state, &server_id, false).await
}

/// Pending package updates, security first.
#[utoipa::path(get, path = "/servers/{server_id}/packages", tag = "Servers",
    params(("server_id" = String, Path)),
    responses((status = 200, body = PackageListResponse), (status = 404, body = ErrorResponse)))]
pub async fn list_packages(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
) -> ApiResult<Json<PackageListResponse>> {
    let row = load(&state, &server_id).await?;
    let packages: Vec<PackageResponse> = db::packages::list(&state.db, &server_id)
        .await?
        .into_iter()
        .map(|p| PackageResponse {
            name: p.name,
            current_version: p.current_version,
            new_version: p.new_version,
            repository: p.repository,
            is_security: p.is_security,
            detected_at: to_dt(p.detected_at),
            updated_at: to_dt(p.updated_at),
        })
        .collect();
    Ok(Json(PackageListResponse {
        server_id,
        last_checked: opt_dt(row.packages_checked_at),
        total_count: packages.len() as i64,
        security_count: packages.iter().filter(|p| p.is_security).count() as i64,
        packages,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ActionQuery {
    /// Filter by status.
    status: Option<String>,
    /// Page size, 1–100 (default 50).
    limit: Option<String>,
    /// Results to skip (default 0).
    offset: Option<String>,
}

/// Remediation actions of one machine, newest first.
#[utoipa::path(get, path = "/servers/{server_id}/actions", tag = "Actions",
    params(("server_id" = String, Path), ActionQuery),
    responses((status = 200, body = ActionListResponse), (status = 404, body = ErrorResponse)))]
pub async fn list_server_actions(
    State(state): State<AppState>,
    Path(server_id): Path<String>,
    Query(q): Query<ActionQuery>,
) -> ApiResult<Json<ActionListResponse>> {
    let limit = int_param("limit", q.limit.as_deref(), 50, 1, 100)?;
    let offset = int_param("offset", q.offset.as_deref(), 0, 0, i64::MAX)?;
    load(&state, &server_id).await?;
    let (rows, total) =
        db::actions::list_actions(&state.db, &server_id, q.status.as_deref(), limit, offset)
            .await?;
    let actions = rows.into_iter().map(crate::actions::to_response).collect();
    Ok(Json(ActionListResponse {
        actions,
        total,
        limit,
        offset,
    }))
}

fn check_machine_type(c: &mut Checker, v: Option<&Requested<MachineType>>) {
    c.known("machine_type", v, MachineType::ALL);
}

impl Validate for ServerCreate {
    fn validate(&self, c: &mut Checker) {
        c.len("id", &self.id, 1, 100);
        c.pattern("id", is_slug(&self.id), "^[a-z0-9-]+$");
        c.len("hostname", &self.hostname, 1, 255);
        c.opt_len("display_name", self.display_name.as_deref(), 255);
        c.opt_len("ip_address", self.ip_address.as_deref(), 45);
        c.range_i64("tdp_watts", self.tdp_watts, 0, Some(10_000));
        check_machine_type(c, self.machine_type.as_ref());
        c.opt_len(
            "tailscale_hostname",
            self.tailscale_hostname.as_deref(),
            255,
        );
        c.range_i64(
            "offline_threshold_seconds",
            self.offline_threshold_seconds,
            5,
            Some(86_400 * 30),
        );
    }
}

impl Validate for ServerUpdate {
    fn validate(&self, c: &mut Checker) {
        if let Some(h) = &self.hostname {
            c.len("hostname", h, 1, 255);
        }
        c.opt_len("display_name", self.display_name.as_deref(), 255);
        c.opt_len("ip_address", self.ip_address.as_deref(), 45);
        c.range_i64("tdp_watts", self.tdp_watts, 0, Some(10_000));
        c.opt_len("machine_category", self.machine_category.as_deref(), 50);
        c.known(
            "machine_category_source",
            self.machine_category_source.as_ref(),
            CategorySource::ALL,
        );
        c.range_i64("idle_watts", self.idle_watts, 0, Some(10_000));
        c.opt_len("ssh_username", self.ssh_username.as_deref(), 255);
        c.known("sudo_mode", self.sudo_mode.as_ref(), SudoMode::ALL);
        c.opt_len("config_user", self.config_user.as_deref(), 255);
        check_machine_type(c, self.machine_type.as_ref());
        c.opt_len(
            "tailscale_hostname",
            self.tailscale_hostname.as_deref(),
            255,
        );
        c.range_i64(
            "offline_threshold_seconds",
            self.offline_threshold_seconds,
            5,
            Some(86_400 * 30),
        );
    }
}
