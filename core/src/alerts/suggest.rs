//! Remediations to offer with an alert: pure, from the alert's type.
//!
//! Only what the typed catalog can run as an `/actions` action type: a
//! stopped service is restarted, a full disk gets its journal vacuumed.
//! Everything else (CPU, memory, offline, reboots, updates) has no safe
//! one-click fix, so nothing is suggested rather than something wrong.

use homelabcmd_protocol::actions::ActionType;
use homelabcmd_protocol::alerts::{AlertStatus, AlertType, SuggestedAction};

/// The action to offer for an alert, if any. Resolved alerts get none.
pub fn for_alert(
    alert_type: AlertType,
    service_name: Option<&str>,
    status: AlertStatus,
) -> Option<SuggestedAction> {
    match status {
        AlertStatus::Resolved => return None,
        AlertStatus::Open | AlertStatus::Acknowledged => {}
    }
    match alert_type {
        AlertType::ServiceDown => service_name.map(|service| SuggestedAction {
            action_type: ActionType::RestartService,
            service_name: Some(service.to_owned()),
            summary: format!("Restart {service}"),
        }),
        AlertType::DiskHigh => Some(SuggestedAction {
            action_type: ActionType::ClearLogs,
            service_name: None,
            summary: "Vacuum the systemd journal to free disk space".into(),
        }),
        AlertType::CpuHigh
        | AlertType::MemoryHigh
        | AlertType::ServerOffline
        | AlertType::RebootDetected
        | AlertType::ContainerExited
        | AlertType::SecurityUpdates
        | AlertType::ConfigDrift
        | AlertType::HostKeyChanged => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_service_suggests_restarting_it() {
        let s = for_alert(AlertType::ServiceDown, Some("nginx"), AlertStatus::Open).unwrap();
        assert_eq!(s.action_type, ActionType::RestartService);
        assert_eq!(s.service_name.as_deref(), Some("nginx"));
        assert_eq!(s.summary, "Restart nginx");
    }

    #[test]
    fn a_full_disk_suggests_clearing_logs() {
        let s = for_alert(AlertType::DiskHigh, None, AlertStatus::Acknowledged).unwrap();
        assert_eq!(s.action_type, ActionType::ClearLogs);
        assert_eq!(s.service_name, None);
    }

    #[test]
    fn nothing_without_a_safe_fix_or_once_resolved() {
        for t in [
            AlertType::CpuHigh,
            AlertType::MemoryHigh,
            AlertType::ServerOffline,
            AlertType::RebootDetected,
        ] {
            assert_eq!(for_alert(t, None, AlertStatus::Open), None, "{t}");
        }
        assert_eq!(
            for_alert(AlertType::ServiceDown, None, AlertStatus::Open),
            None,
            "no service named"
        );
        assert_eq!(
            for_alert(AlertType::ServiceDown, Some("nginx"), AlertStatus::Resolved),
            None
        );
        assert_eq!(
            for_alert(AlertType::DiskHigh, None, AlertStatus::Resolved),
            None
        );
    }
}
