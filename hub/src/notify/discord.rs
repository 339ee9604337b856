//! Discord webhooks: one embed per message.

use serde_json::{Value, json};

use homelabcmd_protocol::alerts::Severity;

use super::http::HttpTarget;
use super::{
    AlertEvent, Channel, EventKind, Message, Notifier, Rendered, SendFuture, capitalised,
    format_value, headline, severity_badge, truncate,
};

/// Discord's limits: title 256, description 4096, field value 1024.
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4000;
const FIELD_MAX: usize = 1024;
const DIGEST_LINES: usize = 25;

pub struct Discord(pub HttpTarget);

impl Notifier for Discord {
    fn channel(&self) -> Channel {
        Channel::Discord
    }

    fn render(&self, message: Message<'_>, _delivery_id: i64) -> Rendered {
        render(message)
    }

    fn send(&self, request: Rendered) -> SendFuture<'_> {
        Box::pin(self.0.post(request))
    }
}

fn colour(e: &AlertEvent) -> u32 {
    match (e.kind, e.severity) {
        (EventKind::Resolved, _) => 0x2E_B6_7D,
        (EventKind::Test, _) => 0x58_65_F2,
        (_, Severity::Critical) => 0xE0_1E_5A,
        (_, Severity::High) => 0xF2_8C_28,
        (_, Severity::Medium) => 0xEC_B2_2E,
        (_, Severity::Low) => 0x36_C5_F0,
    }
}

fn field(name: &str, value: String) -> Value {
    json!({ "name": name, "value": truncate(&value, FIELD_MAX), "inline": true })
}

/// The webhook body for `message`. Mentions are disabled: an alert title
/// must never ping `@everyone`.
pub fn render(message: Message<'_>) -> Rendered {
    let embed = match message {
        Message::Single(e) => event_embed(e),
        Message::Digest(events) => digest_embed(events),
    };
    let body = json!({
        "username": "HomelabCmd",
        "embeds": [embed],
        "allowed_mentions": { "parse": [] },
    });
    Rendered {
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::to_vec(&body).expect("JSON serialises"),
    }
}

fn event_embed(e: &AlertEvent) -> Value {
    let mut fields = Vec::new();
    if e.kind != EventKind::Test {
        let mut severity = format!(
            "{} {}",
            severity_badge(e.severity),
            capitalised(e.severity.as_str())
        );
        if let Some(prev) = &e.previous_severity {
            severity.push_str(&format!(" (was {})", capitalised(prev.as_str())));
        }
        fields.push(field("Severity", severity));
        fields.push(field(
            "Machine",
            format!("{} (`{}`)", e.server_name, e.server_id),
        ));
        fields.push(match &e.metric {
            Some(m) => field("Metric", m.to_string()),
            None => field("Alert", e.alert_type.clone()),
        });
        if let Some(v) = e.value {
            fields.push(field("Value", format_value(e.metric, v)));
        }
        if let Some(t) = e.threshold {
            fields.push(field("Threshold", format_value(e.metric, t)));
        }
    }
    // Discord renders `<t:unix:f>` in the reader's zone.
    fields.push(field("Time", format!("<t:{}:f>", e.at.timestamp())));
    let mut embed = json!({
        "title": truncate(&headline(e), TITLE_MAX),
        "description": truncate(&e.message, DESCRIPTION_MAX),
        "color": colour(e),
        "timestamp": e.at.to_rfc3339(),
        "fields": fields,
        "footer": { "text": "HomelabCmd" },
    });
    if let Some(link) = &e.link {
        embed["url"] = Value::from(link.as_str());
    }
    embed
}

fn digest_embed(events: &[AlertEvent]) -> Value {
    let mut lines: Vec<String> = events
        .iter()
        .take(DIGEST_LINES)
        .map(|e| {
            let mut line = format!(
                "{} **{}** {} on **{}**",
                severity_badge(e.severity),
                capitalised(e.severity.as_str()),
                e.title,
                e.server_name
            );
            if let Some(v) = e.value {
                line.push_str(&format!(" — {}", format_value(e.metric, v)));
            }
            match &e.link {
                Some(link) => format!("• {} ([open]({link}))", truncate(&line, 120)),
                None => format!("• {}", truncate(&line, 120)),
            }
        })
        .collect();
    if events.len() > DIGEST_LINES {
        lines.push(format!("…and {} more", events.len() - DIGEST_LINES));
    }
    let worst = events
        .iter()
        .find(|e| e.severity == Severity::Critical)
        .or(events.first());
    let first = events
        .iter()
        .map(|e| e.at)
        .min()
        .unwrap_or_else(chrono::Utc::now);
    json!({
        "title": format!("🚨 {} alerts opened within a minute", events.len()),
        "description": truncate(&lines.join("\n"), DESCRIPTION_MAX),
        "color": worst.map(colour).unwrap_or(0xE0_1E_5A),
        "timestamp": first.to_rfc3339(),
        "footer": { "text": "HomelabCmd" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::tests::disk_event;

    #[test]
    fn an_alert_is_one_embed_with_fields_and_link() {
        let r = render(Message::Single(&disk_event(EventKind::Opened)));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["username"], "HomelabCmd");
        assert_eq!(v["allowed_mentions"]["parse"], json!([]));
        let embed = &v["embeds"][0];
        assert_eq!(embed["title"], "Critical: Disk usage high on NAS <main>");
        assert_eq!(embed["description"], "Disk at 96.5% (threshold 95%)");
        assert_eq!(embed["color"], 0xE01E5A);
        assert_eq!(embed["url"], "https://homelab.example/servers/nas");
        assert_eq!(embed["timestamp"], "2026-03-01T12:34:56+00:00");
        let names: Vec<&str> = embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "Severity",
                "Machine",
                "Metric",
                "Value",
                "Threshold",
                "Time"
            ]
        );
        assert_eq!(embed["fields"][3]["value"], "96.5%");

        let v: Value =
            serde_json::from_slice(&render(Message::Single(&disk_event(EventKind::Resolved))).body)
                .unwrap();
        assert_eq!(v["embeds"][0]["color"], 0x2EB67D);
    }

    #[test]
    fn a_digest_is_one_embed_listing_the_alerts() {
        let events: Vec<AlertEvent> = (0..6).map(|_| disk_event(EventKind::Opened)).collect();
        let v: Value = serde_json::from_slice(&render(Message::Digest(&events)).body).unwrap();
        assert_eq!(v["embeds"].as_array().unwrap().len(), 1);
        assert_eq!(
            v["embeds"][0]["title"],
            "🚨 6 alerts opened within a minute"
        );
        assert_eq!(
            v["embeds"][0]["description"]
                .as_str()
                .unwrap()
                .lines()
                .count(),
            6
        );
    }
}
