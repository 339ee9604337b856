//! Notifications: what an alert event says (channel-independent), and the
//! seam every channel implements. Events are written to the durable outbox
//! (`db::outbox`) in the same transaction as the alert change that causes
//! them; the delivery worker sends them with retries.
//!
//! - [`Notifier`]: one impl per channel (`slack`, `discord`, `ntfy`,
//!   `webhook`): render a [`Message`] to an HTTP request, send it.
//! - [`should_notify`]: the pure mute rules (maintenance, snooze, severity
//!   flags) the alert runner applies before it enqueues.
//! - [`channels`] / [`targets`]: which channels are configured (stored
//!   settings win over the environment).
//! - `worker`: delivers the outbox; `retry`: backoff and `Retry-After`;
//!   `digest`: storm grouping; `reminders`: cooldown reminders.
//!
//! See `docs/notifications.md`.

pub mod discord;
pub mod http;
pub mod ntfy;
pub mod reminders;
pub mod slack;
pub mod webhook;
pub mod worker;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use homelabcmd_protocol::alerts::{MetricType, Severity};
use homelabcmd_protocol::api::NotificationsConfig;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::db::Db;

pub use homelabcmd_core::notify::EventKind;

/// What queueing and delivering notifications needs from the hub: the
/// database, the configuration (channels from the environment, the
/// external URL) and the delivery worker's wake-up. `AppState` converts
/// into it, so this folder does not depend on the hub's state.
#[derive(Clone)]
pub struct Outbox {
    pub db: Db,
    pub config: Arc<Config>,
    /// Wakes the delivery worker as soon as the outbox has new rows.
    pub wake: Arc<tokio::sync::Notify>,
}

/// Everything a channel needs to render one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub kind: EventKind,
    pub alert_id: Option<i64>,
    pub server_id: String,
    /// Display name, else hostname.
    pub server_name: String,
    /// Contract alert type (`disk_high`, `server_offline`, ...), or `test`
    /// for `/config/test-webhook`'s message: hence a string.
    pub alert_type: String,
    pub severity: Severity,
    /// Severity before an escalation.
    pub previous_severity: Option<Severity>,
    pub title: String,
    pub message: String,
    /// `cpu`, `memory`, `disk` for metric alerts.
    pub metric: Option<MetricType>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub at: DateTime<Utc>,
    /// Link to the machine in the dashboard (`HOMELAB_CMD_EXTERNAL_URL`).
    pub link: Option<String>,
    /// True when the condition cleared by itself.
    pub auto_resolved: bool,
}

/// Delivery channels; one outbox row per event and configured channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// What one delivery carries.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// One event.
    Single(&'a AlertEvent),
    /// Several alerts opened within a minute, sent as one message
    /// (storm control, see [`digest`]).
    Digest(&'a [AlertEvent]),
}

/// An HTTP request as a channel renders it; the URL is the channel's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub content_type: &'static str,
    /// Extra headers (ntfy's `Title`, the webhook's idempotency key, ...).
    /// Values are ASCII.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// How one send went.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// 2xx: mark delivered at once.
    Delivered,
    /// Worth retrying (network error, timeout, 408, 429, 5xx). `retry_after`
    /// is the receiver's `Retry-After`, honoured over the backoff.
    Retry {
        error: String,
        retry_after: Option<Duration>,
    },
    /// Will not succeed by repeating it (other 4xx, bad request): dead now.
    Failed(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = SendOutcome> + Send + 'a>>;

/// A delivery channel: renders a message and sends it. The worker holds one
/// per configured channel; tests swap in their own.
pub trait Notifier: Send + Sync {
    fn channel(&self) -> Channel;
    /// Whether storms are folded into one digest message. People want that;
    /// a machine consumer (the generic webhook) wants every event.
    fn digests(&self) -> bool {
        true
    }
    /// Pure: the request for `message`. `delivery_id` is the first outbox
    /// row's id (the webhook's idempotency key).
    fn render(&self, message: Message<'_>, delivery_id: i64) -> Rendered;
    /// One attempt. Errors never contain the channel's URL.
    fn send(&self, request: Rendered) -> SendFuture<'_>;
}

/// The real notifier for `channel`, posting to `url` with `client`.
pub fn notifier_for(channel: Channel, url: &str, client: &reqwest::Client) -> Arc<dyn Notifier> {
    let target = http::HttpTarget::new(client.clone(), url);
    match channel {
        Channel::Slack => Arc::new(slack::Slack(target)),
        Channel::Discord => Arc::new(discord::Discord(target)),
        Channel::Ntfy => Arc::new(ntfy::Ntfy(target)),
        Channel::Webhook => Arc::new(webhook::Webhook(target)),
    }
}

/// Configured channels and their URLs; a stored `/config/notifications`
/// value wins over the environment (`SLACK_WEBHOOK_URL`,
/// `HOMELAB_CMD_DISCORD_WEBHOOK_URL`, `HOMELAB_CMD_NTFY_URL`,
/// `HOMELAB_CMD_WEBHOOK_URL`).
pub fn targets(n: &NotificationsConfig, config: &Config) -> Vec<(Channel, String)> {
    [
        (
            Channel::Slack,
            &n.slack_webhook_url,
            &config.slack_webhook_url,
        ),
        (
            Channel::Discord,
            &n.discord_webhook_url,
            &config.discord_webhook_url,
        ),
        (Channel::Ntfy, &n.ntfy_url, &config.ntfy_url),
        (Channel::Webhook, &n.webhook_url, &config.webhook_url),
    ]
    .into_iter()
    .filter_map(|(channel, stored, env)| {
        let stored = stored.trim();
        let url = if stored.is_empty() {
            env.as_deref().map(str::trim).filter(|u| !u.is_empty())?
        } else {
            stored
        };
        Some((channel, url.to_owned()))
    })
    .collect()
}

/// The channels to enqueue for (see [`targets`]).
pub fn channels(n: &NotificationsConfig, config: &Config) -> Vec<Channel> {
    targets(n, config).into_iter().map(|(c, _)| c).collect()
}

/// The stored notifications document, or the defaults.
pub async fn load_settings(db: &Db) -> sqlx::Result<NotificationsConfig> {
    Ok(
        crate::db::settings::get(db, crate::settings::NOTIFICATIONS_KEY)
            .await?
            .map(|s| s.value)
            .unwrap_or_else(crate::settings::default_notifications),
    )
}

/// Link to a machine in the dashboard, when `HOMELAB_CMD_EXTERNAL_URL` is set.
pub fn machine_link(external_url: Option<&str>, server_id: &str) -> Option<String> {
    external_url.map(|base| format!("{}/servers/{server_id}", base.trim_end_matches('/')))
}

/// Whether `event` should be sent at all. Alerts are recorded either way;
/// this only decides the message:
/// - a test message always goes;
/// - a paused machine (maintenance mode) and a snoozed alert are silent;
/// - critical and high follow `notify_on_critical` / `notify_on_high`;
///   medium and low are shown in the dashboard but never pushed;
/// - an automatic resolve also needs `notify_on_auto_resolve`.
pub fn should_notify(
    n: &NotificationsConfig,
    event: &AlertEvent,
    server_paused: bool,
    snoozed_until_ms: Option<i64>,
    now_ms: i64,
) -> bool {
    if event.kind == EventKind::Test {
        return true;
    }
    if server_paused || snoozed_until_ms.is_some_and(|until| until > now_ms) {
        return false;
    }
    let severity_wanted = match event.severity {
        Severity::Critical => n.notify_on_critical,
        Severity::High => n.notify_on_high,
        Severity::Medium | Severity::Low => false,
    };
    let resolve_wanted =
        event.kind != EventKind::Resolved || !event.auto_resolved || n.notify_on_auto_resolve;
    severity_wanted && resolve_wanted
}

/// Human label of a severity with its colour dot, shared by the renderers.
pub(crate) fn severity_badge(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🔴",
        Severity::High => "🟠",
        Severity::Medium => "🟡",
        Severity::Low => "🔵",
    }
}

/// A metric value as people read it: percent for the percentage metrics.
pub(crate) fn format_value(metric: Option<MetricType>, value: f64) -> String {
    match metric {
        Some(MetricType::Cpu | MetricType::Memory | MetricType::Disk) => format!("{value:.1}%"),
        None if value.fract() == 0.0 => format!("{value:.0}"),
        None => format!("{value:.2}"),
    }
}

/// One-line headline of an event, e.g. `Critical: Disk usage high on nas`.
pub(crate) fn headline(e: &AlertEvent) -> String {
    let sev = capitalised(e.severity.as_str());
    match e.kind {
        EventKind::Opened => format!("{sev}: {} on {}", e.title, e.server_name),
        EventKind::Escalated => format!("Escalated to {sev}: {} on {}", e.title, e.server_name),
        EventKind::Resolved => format!("Resolved: {} on {}", e.title, e.server_name),
        EventKind::Reminder => format!("Still active ({sev}): {} on {}", e.title, e.server_name),
        EventKind::Test => "HomelabCmd test notification".to_owned(),
    }
}

pub(crate) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The event `/config/test-webhook` sends.
pub fn test_event(now: DateTime<Utc>, link: Option<String>) -> AlertEvent {
    AlertEvent {
        kind: EventKind::Test,
        alert_id: None,
        server_id: "homelabcmd".into(),
        server_name: "HomelabCmd".into(),
        alert_type: "test".into(),
        severity: Severity::Low,
        previous_severity: None,
        title: "Test notification".into(),
        message: "If you can read this, HomelabCmd can reach this webhook.".into(),
        metric: None,
        value: None,
        threshold: None,
        at: now,
        link,
        auto_resolved: false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::settings::default_notifications;

    /// A disk alert on `nas`, as the renderers' tests use it.
    pub(crate) fn disk_event(kind: EventKind) -> AlertEvent {
        AlertEvent {
            kind,
            alert_id: Some(7),
            server_id: "nas".into(),
            server_name: "NAS <main>".into(),
            alert_type: "disk_high".into(),
            severity: Severity::Critical,
            previous_severity: (kind == EventKind::Escalated).then_some(Severity::High),
            title: "Disk usage high".into(),
            message: "Disk at 96.5% (threshold 95%)".into(),
            metric: Some(MetricType::Disk),
            value: Some(96.5),
            threshold: Some(95.0),
            at: "2026-03-01T12:34:56Z".parse().unwrap(),
            link: Some("https://homelab.example/servers/nas".into()),
            auto_resolved: kind == EventKind::Resolved,
        }
    }

    #[test]
    fn mute_rules() {
        let n = default_notifications();
        let now = 1_000_000;
        let open = disk_event(EventKind::Opened);
        assert!(should_notify(&n, &open, false, None, now));
        assert!(!should_notify(&n, &open, true, None, now), "maintenance");
        assert!(
            !should_notify(&n, &open, false, Some(now + 1), now),
            "snoozed"
        );
        assert!(
            should_notify(&n, &open, false, Some(now), now),
            "snooze over"
        );

        let mut high = open.clone();
        high.severity = Severity::High;
        let quiet_high = NotificationsConfig {
            notify_on_high: false,
            ..n.clone()
        };
        assert!(should_notify(&n, &high, false, None, now));
        assert!(!should_notify(&quiet_high, &high, false, None, now));
        assert!(should_notify(&quiet_high, &open, false, None, now));
        let quiet_critical = NotificationsConfig {
            notify_on_critical: false,
            ..n.clone()
        };
        assert!(!should_notify(&quiet_critical, &open, false, None, now));

        for sev in [Severity::Medium, Severity::Low] {
            let mut e = open.clone();
            e.severity = sev;
            assert!(
                !should_notify(&n, &e, false, None, now),
                "{sev} is never pushed"
            );
        }

        let resolved = disk_event(EventKind::Resolved);
        assert!(resolved.auto_resolved);
        assert!(should_notify(&n, &resolved, false, None, now));
        let no_auto = NotificationsConfig {
            notify_on_auto_resolve: false,
            ..n.clone()
        };
        assert!(!should_notify(&no_auto, &resolved, false, None, now));
        let mut manual = resolved.clone();
        manual.auto_resolved = false;
        assert!(should_notify(&no_auto, &manual, false, None, now));
        for kind in [EventKind::Escalated, EventKind::Reminder] {
            assert!(should_notify(&n, &disk_event(kind), false, None, now));
            assert!(!should_notify(&n, &disk_event(kind), true, None, now));
        }

        let test = test_event(Utc::now(), None);
        assert!(should_notify(
            &quiet_critical,
            &test,
            true,
            Some(i64::MAX),
            now
        ));
    }

    #[test]
    fn settings_win_over_env_and_empty_means_unset() {
        let mut n = default_notifications();
        let config = Config {
            slack_webhook_url: Some("https://hooks.slack.com/services/env".into()),
            ntfy_url: Some("https://ntfy.sh/env".into()),
            ..Config::default()
        };
        assert_eq!(channels(&n, &config), vec![Channel::Slack, Channel::Ntfy]);
        n.slack_webhook_url = "https://hooks.slack.com/services/stored".into();
        n.webhook_url = "http://127.0.0.1:9/hook".into();
        let t = targets(&n, &config);
        assert_eq!(
            t,
            vec![
                (
                    Channel::Slack,
                    "https://hooks.slack.com/services/stored".into()
                ),
                (Channel::Ntfy, "https://ntfy.sh/env".into()),
                (Channel::Webhook, "http://127.0.0.1:9/hook".into()),
            ]
        );
        assert!(channels(&default_notifications(), &Config::default()).is_empty());
    }

    #[test]
    fn links_and_values_read_well() {
        assert_eq!(
            machine_link(Some("https://h.example/"), "nas").as_deref(),
            Some("https://h.example/servers/nas")
        );
        assert_eq!(machine_link(None, "nas"), None);
        assert_eq!(format_value(Some(MetricType::Disk), 96.456), "96.5%");
        assert_eq!(format_value(None, 12.0), "12");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        for kind in [
            EventKind::Opened,
            EventKind::Escalated,
            EventKind::Resolved,
            EventKind::Reminder,
        ] {
            assert!(headline(&disk_event(kind)).contains("Disk usage high on NAS <main>"));
        }
    }
}
