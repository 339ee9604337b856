//! Notifications: what an alert event says (channel-independent), and the
//! seam every channel implements. Events are written to the durable outbox
//! (`db::outbox`) in the same transaction as the alert change that causes
//! them; the delivery worker sends them with retries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Opened,
    Escalated,
    Resolved,
    /// The alert is still active after its severity's cooldown.
    Reminder,
    /// `/config/test-webhook`.
    Test,
}

/// Everything a channel needs to render one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub kind: EventKind,
    pub alert_id: Option<i64>,
    pub server_id: String,
    /// Display name, else hostname.
    pub server_name: String,
    /// Contract alert type (`disk_high`, `server_offline`, ...).
    pub alert_type: String,
    pub severity: String,
    /// Severity before an escalation.
    pub previous_severity: Option<String>,
    pub title: String,
    pub message: String,
    /// `cpu`, `memory`, `disk` for metric alerts.
    pub metric: Option<String>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub at: DateTime<Utc>,
    /// Link to the machine in the dashboard (`HOMELAB_CMD_EXTERNAL_URL`).
    pub link: Option<String>,
    /// True when the condition cleared by itself.
    pub auto_resolved: bool,
}

/// Delivery channels; one outbox row per event and configured channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Slack,
    Discord,
    Ntfy,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Ntfy => "ntfy",
            Self::Webhook => "webhook",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "slack" => Some(Self::Slack),
            "discord" => Some(Self::Discord),
            "ntfy" => Some(Self::Ntfy),
            "webhook" => Some(Self::Webhook),
            _ => None,
        }
    }
}
