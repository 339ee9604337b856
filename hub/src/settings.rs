//! Hub-wide settings documents (thresholds, notifications, cost) with their
//! defaults and pure update rules. Stored as JSON under fixed keys by
//! `db::settings`; the alert engine reads the same documents.

use homelabcmd_protocol::api::{
    CooldownConfig, CostConfigUpdate, MetricThreshold, MetricThresholdUpdate, NotificationsConfig,
    NotificationsUpdate, ThresholdsConfig, ThresholdsUpdate,
};
use serde::{Deserialize, Serialize};

use crate::db::{self, Db};
use crate::http::validate::{Checker, Validate};

pub const THRESHOLDS_KEY: &str = "thresholds";
pub const NOTIFICATIONS_KEY: &str = "notifications";
pub const COST_KEY: &str = "cost";
pub const CARD_ORDER_KEY: &str = "preferences.card_order";
pub const DASHBOARD_KEY: &str = "preferences.dashboard";

/// Shown instead of a stored webhook URL: the path is the secret.
const MASK: &str = "***";

pub fn default_thresholds() -> ThresholdsConfig {
    let metric = |high, critical, sustained| MetricThreshold {
        high_percent: high,
        critical_percent: critical,
        sustained_seconds: sustained,
        sustained_heartbeats: None,
    };
    ThresholdsConfig {
        cpu: metric(85, 95, 180),
        memory: metric(85, 95, 180),
        disk: metric(80, 95, 0),
        server_offline_seconds: homelabcmd_core::status::DEFAULT_OFFLINE_SECONDS,
    }
}

/// The global thresholds (`/config/thresholds`), else the defaults.
pub async fn thresholds(db: &Db) -> sqlx::Result<ThresholdsConfig> {
    Ok(db::settings::get(db, THRESHOLDS_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_else(default_thresholds))
}

/// The global offline threshold in seconds: the gap between heartbeats
/// beyond which a machine without its own threshold counts as offline.
pub async fn default_offline_seconds(db: &Db) -> sqlx::Result<i64> {
    Ok(thresholds(db).await?.server_offline_seconds)
}

/// Price settings in force (the defaults until `/config/cost` is saved).
pub async fn cost(db: &Db) -> sqlx::Result<CostSettings> {
    Ok(db::settings::get::<CostSettings>(db, COST_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_default())
}

pub fn default_notifications() -> NotificationsConfig {
    NotificationsConfig {
        slack_webhook_url: String::new(),
        cooldowns: CooldownConfig {
            critical_minutes: 30,
            high_minutes: 240,
        },
        notify_on_critical: true,
        notify_on_high: true,
        notify_on_remediation: true,
        notify_on_action_failure: true,
        notify_on_action_success: false,
        notify_on_auto_resolve: true,
        discord_webhook_url: String::new(),
        ntfy_url: String::new(),
        webhook_url: String::new(),
    }
}

/// Electricity price settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSettings {
    pub electricity_rate: f64,
    pub currency_symbol: String,
}

impl Default for CostSettings {
    fn default() -> Self {
        Self {
            electricity_rate: 0.24,
            currency_symbol: "£".into(),
        }
    }
}

/// Apply `u` to `t`, returning the names of the fields that changed
/// (`cpu.high_percent`, ...). The deprecated heartbeat count becomes seconds
/// at one heartbeat a minute.
pub fn apply_thresholds(t: &mut ThresholdsConfig, u: &ThresholdsUpdate) -> Vec<String> {
    let mut changed = Vec::new();
    for (name, metric, update) in [
        ("cpu", &mut t.cpu, &u.cpu),
        ("memory", &mut t.memory, &u.memory),
        ("disk", &mut t.disk, &u.disk),
    ] {
        let Some(update) = update else { continue };
        let mut set = |field: &str, slot: &mut i64, value: Option<i64>| {
            if let Some(v) = value
                && *slot != v
            {
                *slot = v;
                changed.push(format!("{name}.{field}"));
            }
        };
        set(
            "high_percent",
            &mut metric.high_percent,
            update.high_percent,
        );
        set(
            "critical_percent",
            &mut metric.critical_percent,
            update.critical_percent,
        );
        let sustained = update
            .sustained_seconds
            .or(update.sustained_heartbeats.map(|h| h * 60));
        set(
            "sustained_seconds",
            &mut metric.sustained_seconds,
            sustained,
        );
    }
    if let Some(v) = u.server_offline_seconds
        && v != t.server_offline_seconds
    {
        t.server_offline_seconds = v;
        changed.push("server_offline_seconds".into());
    }
    changed
}

/// A merged threshold set must keep high below critical.
pub fn check_thresholds(t: &ThresholdsConfig) -> Result<(), crate::error::ApiError> {
    let mut c = Checker::body();
    for (name, m) in [("cpu", &t.cpu), ("memory", &t.memory), ("disk", &t.disk)] {
        if m.high_percent >= m.critical_percent {
            c.nested(name, |c| {
                c.fail(
                    "high_percent",
                    format!(
                        "high_percent ({}) must be below critical_percent ({})",
                        m.high_percent, m.critical_percent
                    ),
                    "value_error",
                )
            });
        }
    }
    c.finish()
}

pub fn apply_notifications(n: &mut NotificationsConfig, u: &NotificationsUpdate) -> Vec<String> {
    let mut changed = Vec::new();
    for (name, slot, value) in [
        (
            "slack_webhook_url",
            &mut n.slack_webhook_url,
            &u.slack_webhook_url,
        ),
        (
            "discord_webhook_url",
            &mut n.discord_webhook_url,
            &u.discord_webhook_url,
        ),
        ("ntfy_url", &mut n.ntfy_url, &u.ntfy_url),
        ("webhook_url", &mut n.webhook_url, &u.webhook_url),
    ] {
        let Some(url) = value else { continue };
        let url = url.trim();
        // A client echoing back the masked value it read means "unchanged".
        if !url.contains(MASK) && url != slot.as_str() {
            *slot = url.to_owned();
            changed.push(name.into());
        }
    }
    if let Some(c) = &u.cooldowns {
        if let Some(v) = c
            .critical_minutes
            .filter(|v| *v != n.cooldowns.critical_minutes)
        {
            n.cooldowns.critical_minutes = v;
            changed.push("cooldowns.critical_minutes".into());
        }
        if let Some(v) = c.high_minutes.filter(|v| *v != n.cooldowns.high_minutes) {
            n.cooldowns.high_minutes = v;
            changed.push("cooldowns.high_minutes".into());
        }
    }
    for (name, slot, value) in [
        (
            "notify_on_critical",
            &mut n.notify_on_critical,
            u.notify_on_critical,
        ),
        ("notify_on_high", &mut n.notify_on_high, u.notify_on_high),
        (
            "notify_on_remediation",
            &mut n.notify_on_remediation,
            u.notify_on_remediation,
        ),
        (
            "notify_on_action_failure",
            &mut n.notify_on_action_failure,
            u.notify_on_action_failure,
        ),
        (
            "notify_on_action_success",
            &mut n.notify_on_action_success,
            u.notify_on_action_success,
        ),
        (
            "notify_on_auto_resolve",
            &mut n.notify_on_auto_resolve,
            u.notify_on_auto_resolve,
        ),
    ] {
        if let Some(v) = value.filter(|v| v != slot) {
            *slot = v;
            changed.push(name.into());
        }
    }
    changed
}

/// The notifications document as the API shows it: webhook URLs are
/// credentials, so only their scheme and host are returned.
pub fn masked(n: &NotificationsConfig) -> NotificationsConfig {
    let mut shown = n.clone();
    for url in [
        &mut shown.slack_webhook_url,
        &mut shown.discord_webhook_url,
        &mut shown.ntfy_url,
        &mut shown.webhook_url,
    ] {
        *url = mask_url(url);
    }
    shown
}

/// `https://user:pw@host:port/secret/path` → `https://host:port/***`; "" stays "".
/// Credentials in the authority (ntfy basic auth) are dropped too.
pub fn mask_url(url: &str) -> String {
    if url.is_empty() {
        return String::new();
    }
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}{host}/{MASK}")
}

/// Whether `url` is the masked form a client read back (see [`masked`]).
pub fn is_masked(url: &str) -> bool {
    url.contains(MASK)
}

pub fn apply_cost(c: &mut CostSettings, u: &CostConfigUpdate) {
    if let Some(rate) = u.electricity_rate {
        c.electricity_rate = rate;
    }
    if let Some(sym) = &u.currency_symbol {
        c.currency_symbol = sym.clone();
    }
}

impl Validate for ThresholdsUpdate {
    fn validate(&self, c: &mut Checker) {
        for (name, m) in [
            ("cpu", &self.cpu),
            ("memory", &self.memory),
            ("disk", &self.disk),
        ] {
            if let Some(m) = m {
                c.nested(name, |c| m.validate(c));
            }
        }
        c.range_i64(
            "server_offline_seconds",
            self.server_offline_seconds,
            30,
            None,
        );
    }
}

impl Validate for MetricThresholdUpdate {
    fn validate(&self, c: &mut Checker) {
        c.range_i64("high_percent", self.high_percent, 0, Some(100));
        c.range_i64("critical_percent", self.critical_percent, 0, Some(100));
        c.range_i64("sustained_seconds", self.sustained_seconds, 0, Some(600));
        c.range_i64(
            "sustained_heartbeats",
            self.sustained_heartbeats,
            0,
            Some(10),
        );
    }
}

impl Validate for NotificationsUpdate {
    fn validate(&self, c: &mut Checker) {
        for (name, url) in [
            ("slack_webhook_url", &self.slack_webhook_url),
            ("discord_webhook_url", &self.discord_webhook_url),
            ("ntfy_url", &self.ntfy_url),
            ("webhook_url", &self.webhook_url),
        ] {
            if let Some(url) = url
                && !url.contains(MASK)
                && !is_http_url_or_empty(url)
            {
                c.fail(name, "must be an http(s) URL or empty", "url_parsing");
            }
        }
        if let Some(cd) = &self.cooldowns {
            c.nested("cooldowns", |c| {
                c.range_i64("critical_minutes", cd.critical_minutes, 5, Some(1440));
                c.range_i64("high_minutes", cd.high_minutes, 15, Some(1440));
            });
        }
    }
}

/// "" (unset) or an absolute http(s) URL with a host.
pub fn is_http_url_or_empty(url: &str) -> bool {
    let url = url.trim();
    if url.is_empty() {
        return true;
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or("");
            !host.is_empty() && !url.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

impl Validate for CostConfigUpdate {
    fn validate(&self, c: &mut Checker) {
        c.range_f64("electricity_rate", self.electricity_rate, 0.0, None);
        c.opt_len("currency_symbol", self.currency_symbol.as_deref(), 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_updates_report_what_changed_and_convert_heartbeats() {
        let mut t = default_thresholds();
        let u = ThresholdsUpdate {
            disk: Some(MetricThresholdUpdate {
                high_percent: Some(70),
                critical_percent: Some(95), // unchanged
                sustained_heartbeats: Some(2),
                ..Default::default()
            }),
            ..Default::default()
        };
        let changed = apply_thresholds(&mut t, &u);
        assert_eq!(changed, vec!["disk.high_percent", "disk.sustained_seconds"]);
        assert_eq!(t.disk.sustained_seconds, 120);
        assert!(check_thresholds(&t).is_ok());
        t.cpu.high_percent = 96;
        assert!(check_thresholds(&t).is_err());
    }

    #[test]
    fn webhook_urls_are_masked_and_an_echoed_mask_changes_nothing() {
        let mut n = default_notifications();
        let u = NotificationsUpdate {
            slack_webhook_url: Some("https://hooks.slack.com/services/T0/B0/secret".into()),
            ..Default::default()
        };
        assert_eq!(apply_notifications(&mut n, &u), vec!["slack_webhook_url"]);
        let shown = masked(&n);
        assert_eq!(shown.slack_webhook_url, "https://hooks.slack.com/***");
        let echo = NotificationsUpdate {
            slack_webhook_url: Some(shown.slack_webhook_url.clone()),
            ..Default::default()
        };
        assert!(apply_notifications(&mut n, &echo).is_empty());
        assert!(n.slack_webhook_url.ends_with("secret"));
    }

    #[test]
    fn every_channel_url_is_masked_validated_and_cleared_with_empty() {
        let mut n = default_notifications();
        let u = NotificationsUpdate {
            discord_webhook_url: Some("https://discord.com/api/webhooks/1/tok".into()),
            ntfy_url: Some(" https://user:pw@ntfy.example:8443/alerts-x7 ".into()),
            webhook_url: Some("http://10.0.0.5:9000/hook?key=s3cret".into()),
            ..Default::default()
        };
        assert_eq!(
            apply_notifications(&mut n, &u),
            vec!["discord_webhook_url", "ntfy_url", "webhook_url"]
        );
        assert_eq!(n.ntfy_url, "https://user:pw@ntfy.example:8443/alerts-x7");
        let shown = masked(&n);
        assert_eq!(shown.discord_webhook_url, "https://discord.com/***");
        assert_eq!(shown.ntfy_url, "https://ntfy.example:8443/***");
        assert_eq!(shown.webhook_url, "http://10.0.0.5:9000/***");
        assert_eq!(shown.slack_webhook_url, "");
        let text = serde_json::to_string(&shown).unwrap();
        for secret in ["tok", "pw", "alerts-x7", "s3cret"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let clear = NotificationsUpdate {
            ntfy_url: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(apply_notifications(&mut n, &clear), vec!["ntfy_url"]);
        assert_eq!(n.ntfy_url, "");

        let bad = NotificationsUpdate {
            discord_webhook_url: Some("discord.com/api/webhooks/1".into()),
            webhook_url: Some("https://".into()),
            ntfy_url: Some("https://ntfy.example/***".into()), // echoed mask: fine
            ..Default::default()
        };
        let mut c = Checker::body();
        bad.validate(&mut c);
        let Err(crate::error::ApiError::Validation(errors)) = c.finish() else {
            panic!("expected validation errors");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.loc[1].clone()).collect();
        assert_eq!(fields, vec!["discord_webhook_url", "webhook_url"]);
    }

    #[test]
    fn stored_documents_without_the_new_urls_still_load() {
        let mut old = serde_json::to_value(default_notifications()).unwrap();
        for k in ["discord_webhook_url", "ntfy_url", "webhook_url"] {
            old.as_object_mut().unwrap().remove(k);
        }
        let n: NotificationsConfig = serde_json::from_value(old).unwrap();
        assert_eq!(n, default_notifications());
    }
}
