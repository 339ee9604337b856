//! Remediations to offer with an alert: pure, from the alert's type.
//!
//! Only what the typed catalog can run as an `/actions` action type: a
//! stopped service is restarted, a full disk gets its journal vacuumed.
//! Everything else (CPU, memory, offline, reboots, updates) has no safe
//! one-click fix, so nothing is suggested rather than something wrong.

use homelabcmd_protocol::alerts::SuggestedAction;

/// The action to offer for an alert, if any. Resolved alerts get none.
pub fn for_alert(
    alert_type: &str,
    service_name: Option<&str>,
    status: &str,
) -> Option<SuggestedAction> {
    if status == "resolved" {
        return None;
    }
    match (alert_type, service_name) {
        ("service_down", Some(service)) => Some(SuggestedAction {
            action_type: "restart_service".into(),
            service_name: Some(service.to_owned()),
            summary: format!("Restart {service}"),
        }),
        ("disk_high", _) => Some(SuggestedAction {
            action_type: "clear_logs".into(),
            service_name: None,
            summary: "Vacuum the systemd journal to free disk space".into(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_service_suggests_restarting_it() {
        let s = for_alert("service_down", Some("nginx"), "open").unwrap();
        assert_eq!(s.action_type, "restart_service");
        assert_eq!(s.service_name.as_deref(), Some("nginx"));
        assert_eq!(s.summary, "Restart nginx");
    }

    #[test]
    fn a_full_disk_suggests_clearing_logs() {
        let s = for_alert("disk_high", None, "acknowledged").unwrap();
        assert_eq!(s.action_type, "clear_logs");
        assert_eq!(s.service_name, None);
    }

    #[test]
    fn nothing_without_a_safe_fix_or_once_resolved() {
        for t in [
            "cpu_high",
            "memory_high",
            "server_offline",
            "reboot_detected",
        ] {
            assert_eq!(for_alert(t, None, "open"), None, "{t}");
        }
        assert_eq!(
            for_alert("service_down", None, "open"),
            None,
            "no service named"
        );
        assert_eq!(for_alert("service_down", Some("nginx"), "resolved"), None);
        assert_eq!(for_alert("disk_high", None, "resolved"), None);
    }
}
