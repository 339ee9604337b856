//! HTTP handlers, one module per resource. Handlers stay thin: parse and
//! validate, call `db`/domain functions, map the result.

pub mod actions;
pub mod alerts;
pub mod audit;
pub mod commands;
pub mod config;
pub mod connectivity;
pub mod costs;
pub mod credentials;
pub mod docs;
pub mod health;
pub mod heartbeat;
pub mod metrics;
pub mod notify;
pub mod overrides;
pub mod packs;
pub mod preferences;
pub mod servers;
pub mod services;
pub mod ssh_settings;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes that need the API key (paths relative to `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(heartbeat::receive_heartbeat))
        .routes(routes!(alerts::list_alerts))
        .routes(routes!(alerts::list_pending))
        .routes(routes!(alerts::get_alert))
        .routes(routes!(alerts::acknowledge_alert))
        .routes(routes!(alerts::resolve_alert))
        .routes(routes!(
            overrides::get_server_thresholds,
            overrides::put_server_thresholds
        ))
        .routes(routes!(servers::list_servers, servers::create_server))
        .routes(routes!(
            servers::get_server,
            servers::update_server,
            servers::delete_server
        ))
        .routes(routes!(servers::pause_server))
        .routes(routes!(servers::unpause_server))
        .routes(routes!(servers::list_packages))
        .routes(routes!(servers::list_server_actions))
        .routes(routes!(actions::list_actions, actions::create_action))
        .routes(routes!(actions::get_action))
        .routes(routes!(actions::approve_action))
        .routes(routes!(actions::reject_action))
        .routes(routes!(actions::cancel_action))
        .routes(routes!(actions::restart_service))
        .routes(routes!(commands::execute_command))
        .routes(routes!(commands::test_server_ssh))
        .routes(routes!(commands::test_scan_connection))
        .routes(routes!(commands::get_host_key))
        .routes(routes!(commands::accept_host_key))
        .routes(routes!(
            connectivity::get_connectivity,
            connectivity::put_connectivity
        ))
        .routes(routes!(connectivity::get_connectivity_status))
        .routes(routes!(metrics::get_metrics_history))
        .routes(routes!(metrics::get_sparkline))
        .routes(routes!(metrics::export_metrics))
        .routes(routes!(services::list_services, services::create_service))
        .routes(routes!(services::update_service, services::delete_service))
        .routes(routes!(
            preferences::get_card_order,
            preferences::put_card_order
        ))
        .routes(routes!(
            preferences::get_section_order,
            preferences::put_section_order
        ))
        .routes(routes!(
            preferences::get_collapsed_sections,
            preferences::put_collapsed_sections
        ))
        .routes(routes!(
            preferences::get_dashboard,
            preferences::put_dashboard
        ))
        .routes(routes!(
            preferences::get_layout,
            preferences::put_layout,
            preferences::delete_layout
        ))
        .routes(routes!(config::get_config))
        .routes(routes!(config::put_thresholds))
        .routes(routes!(config::put_notifications))
        .routes(routes!(notify::test_webhook))
        .routes(routes!(notify::snooze_alert))
        .routes(routes!(config::get_cost, config::put_cost))
        .routes(routes!(costs::get_cost_summary))
        .routes(routes!(costs::get_cost_breakdown))
        .routes(routes!(costs::get_cost_history))
        .routes(routes!(costs::get_monthly_cost_summary))
        .routes(routes!(costs::get_server_cost_history))
        .routes(routes!(
            credentials::list_server_credentials,
            credentials::store_server_credential
        ))
        .routes(routes!(credentials::delete_server_credential))
        .routes(routes!(
            ssh_settings::get_ssh_settings,
            ssh_settings::update_ssh_settings
        ))
        .routes(routes!(
            ssh_settings::list_ssh_keys,
            ssh_settings::create_ssh_key
        ))
        .routes(routes!(ssh_settings::delete_ssh_key))
        .routes(routes!(ssh_settings::set_default_ssh_key))
        .routes(routes!(audit::list_audit))
        .routes(routes!(packs::list_config_packs))
        .routes(routes!(packs::get_config_pack))
        .routes(routes!(
            packs::get_assigned_packs,
            packs::update_assigned_packs
        ))
        .routes(routes!(packs::check_server_compliance))
        .routes(routes!(packs::get_server_compliance_history))
        .routes(routes!(packs::get_config_diff))
        .routes(routes!(packs::get_compliance_summary))
        .routes(routes!(packs::apply_config_pack, packs::remove_config_pack))
        .routes(routes!(packs::get_apply_status))
}

/// Routes open without a key.
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health::health))
}
