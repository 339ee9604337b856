//! Slack incoming webhooks with Block Kit messages.
//!
//! The blocks are slack-morphism's types with default features off: typed
//! Block Kit (a misspelt field is a compile error, not a silently dropped
//! block) without its HTTP client, whose hyper/rustls stack would add a
//! second rustls crypto provider (a start-up panic unless one is installed
//! as default) and ~23 crates. The post itself is reqwest (`super::http`).

use slack_morphism::api::SlackApiPostWebhookMessageRequest;
use slack_morphism::prelude::*;

use super::http::HttpTarget;
use super::{
    AlertEvent, Channel, EventKind, Message, Notifier, Rendered, SendFuture, capitalised,
    format_value, headline, severity_badge, truncate,
};

/// Slack's limits: header text 150 characters, section text 3000.
const HEADER_MAX: usize = 150;
const FIELD_MAX: usize = 1900;
const DIGEST_LINES: usize = 15;
const DIGEST_LINE_MAX: usize = 180;

pub struct Slack(pub HttpTarget);

impl Notifier for Slack {
    fn channel(&self) -> Channel {
        Channel::Slack
    }

    fn render(&self, message: Message<'_>, _delivery_id: i64) -> Rendered {
        render(message)
    }

    fn send(&self, request: Rendered) -> SendFuture<'_> {
        Box::pin(self.0.post(request))
    }
}

/// The webhook body for `message`.
pub fn render(message: Message<'_>) -> Rendered {
    let content = match message {
        Message::Single(e) => event_content(e),
        Message::Digest(events) => digest_content(events),
    };
    let body = serde_json::to_vec(&SlackApiPostWebhookMessageRequest::new(content))
        .expect("Block Kit types serialise");
    Rendered {
        content_type: "application/json",
        headers: Vec::new(),
        body,
    }
}

/// Slack mrkdwn treats `&`, `<` and `>` as control characters.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A time every reader sees in their own zone, with a UTC fallback.
fn slack_time(at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} {{time_secs}}|{}>",
        at.timestamp(),
        at.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

fn mrkdwn(text: String) -> SlackBlockMarkDownText {
    SlackBlockMarkDownText::new(text)
}

fn plain(text: String) -> SlackBlockPlainText {
    SlackBlockPlainText::new(text)
}

fn field(name: &str, value: &str) -> SlackBlockText {
    SlackBlockText::MarkDown(mrkdwn(format!("*{name}*\n{}", truncate(value, FIELD_MAX))))
}

fn link_button(link: &str, label: &str) -> Option<SlackBlock> {
    let url = reqwest::Url::parse(link).ok()?;
    let button = SlackBlockButtonElement::new(plain(truncate(label, 75)).into())
        .with_action_id("open-machine".into())
        .with_url(url);
    Some(SlackActionsBlock::new(vec![button.into()]).into())
}

fn event_content(e: &AlertEvent) -> SlackMessageContent {
    let emoji = match e.kind {
        EventKind::Resolved => "✅",
        EventKind::Escalated => "⬆️",
        EventKind::Reminder => "🔁",
        EventKind::Test => "🧪",
        EventKind::Opened => severity_badge(e.severity),
    };
    let head = format!("{emoji} {}", headline(e));
    let mut blocks: Vec<SlackBlock> =
        vec![SlackHeaderBlock::new(plain(truncate(&head, HEADER_MAX)).into()).into()];
    if !e.message.is_empty() {
        blocks.push(
            SlackSectionBlock::new()
                .with_text(mrkdwn(escape(&truncate(&e.message, 2900))).into())
                .into(),
        );
    }
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
        fields.push(field("Severity", &severity));
        fields.push(field(
            "Machine",
            &format!("{} (`{}`)", escape(&e.server_name), escape(&e.server_id)),
        ));
        if let Some(metric) = &e.metric {
            fields.push(field("Metric", &escape(metric.as_str())));
        } else {
            fields.push(field("Alert", &escape(&e.alert_type)));
        }
        if let Some(v) = e.value {
            fields.push(field("Value", &format_value(e.metric, v)));
        }
        if let Some(t) = e.threshold {
            fields.push(field("Threshold", &format_value(e.metric, t)));
        }
    }
    fields.push(field("Time", &slack_time(e.at)));
    blocks.push(SlackSectionBlock::new().with_fields(fields).into());
    if e.kind == EventKind::Resolved {
        let how = if e.auto_resolved {
            "The condition cleared by itself."
        } else {
            "Resolved by hand."
        };
        blocks.push(SlackContextBlock::new(vec![mrkdwn(how.to_owned()).into()]).into());
    }
    if let Some(button) = e
        .link
        .as_deref()
        .and_then(|l| link_button(l, &format!("Open {}", e.server_name)))
    {
        blocks.push(button);
    }
    SlackMessageContent::new()
        .with_text(head)
        .with_blocks(blocks)
}

fn digest_content(events: &[AlertEvent]) -> SlackMessageContent {
    let head = format!("🚨 {} alerts opened within a minute", events.len());
    let mut lines: Vec<String> = events
        .iter()
        .take(DIGEST_LINES)
        .map(|e| {
            let mut line = format!(
                "{} *{}* {} on *{}*",
                severity_badge(e.severity),
                capitalised(e.severity.as_str()),
                escape(&e.title),
                escape(&e.server_name)
            );
            if let Some(v) = e.value {
                line.push_str(&format!(" — {}", format_value(e.metric, v)));
                if let Some(t) = e.threshold {
                    line.push_str(&format!(" (threshold {})", format_value(e.metric, t)));
                }
            }
            let line = truncate(&line, DIGEST_LINE_MAX);
            match &e.link {
                Some(link) => format!("• {line} <{link}|open>"),
                None => format!("• {line}"),
            }
        })
        .collect();
    if events.len() > DIGEST_LINES {
        lines.push(format!("…and {} more", events.len() - DIGEST_LINES));
    }
    let first = events
        .iter()
        .map(|e| e.at)
        .min()
        .unwrap_or_else(chrono::Utc::now);
    SlackMessageContent::new()
        .with_text(head.clone())
        .with_blocks(vec![
            SlackHeaderBlock::new(plain(truncate(&head, HEADER_MAX)).into()).into(),
            SlackSectionBlock::new()
                .with_text(mrkdwn(lines.join("\n")).into())
                .into(),
            SlackContextBlock::new(vec![
                mrkdwn(format!("First at {}", slack_time(first))).into(),
            ])
            .into(),
        ])
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::notify::tests::disk_event;

    fn json(r: &Rendered) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn an_opened_alert_names_everything_a_reader_needs() {
        let r = render(Message::Single(&disk_event(EventKind::Opened)));
        assert_eq!(r.content_type, "application/json");
        let v = json(&r);
        let text = v.to_string();
        assert_eq!(v["blocks"][0]["type"], "header");
        assert_eq!(v["blocks"][0]["text"]["type"], "plain_text");
        assert_eq!(
            v["blocks"][0]["text"]["text"],
            "🔴 Critical: Disk usage high on NAS <main>"
        );
        assert!(v["text"].as_str().unwrap().contains("Disk usage high"));
        let fields: Vec<&str> = v["blocks"][2]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["type"], "mrkdwn");
                f["text"].as_str().unwrap()
            })
            .collect();
        assert_eq!(
            fields,
            [
                "*Severity*\n🔴 Critical",
                "*Machine*\nNAS &lt;main&gt; (`nas`)",
                "*Metric*\ndisk",
                "*Value*\n96.5%",
                "*Threshold*\n95.0%",
                "*Time*\n<!date^1772368496^{date_short_pretty} {time_secs}|2026-03-01 12:34:56 UTC>",
            ]
        );
        assert_eq!(v["blocks"][3]["type"], "actions");
        assert_eq!(
            v["blocks"][3]["elements"][0]["url"],
            "https://homelab.example/servers/nas"
        );
        assert!(text.contains("Disk at 96.5%"));
    }

    #[test]
    fn escalation_resolve_and_reminder_say_so() {
        let v = json(&render(Message::Single(&disk_event(EventKind::Escalated))));
        assert!(
            v["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with("⬆️ Escalated to Critical")
        );
        assert_eq!(
            v["blocks"][2]["fields"][0]["text"],
            "*Severity*\n🔴 Critical (was High)"
        );
        let v = json(&render(Message::Single(&disk_event(EventKind::Resolved))));
        assert!(
            v["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with("✅ Resolved")
        );
        assert!(v.to_string().contains("cleared by itself"));
        let v = json(&render(Message::Single(&disk_event(EventKind::Reminder))));
        assert!(
            v["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with("🔁 Still active")
        );
    }

    #[test]
    fn a_digest_lists_every_alert_in_one_message() {
        let events: Vec<AlertEvent> = (0..20)
            .map(|i| {
                let mut e = disk_event(EventKind::Opened);
                e.server_name = format!("host-{i}");
                e
            })
            .collect();
        let v = json(&render(Message::Digest(&events)));
        assert_eq!(
            v["blocks"][0]["text"]["text"],
            "🚨 20 alerts opened within a minute"
        );
        let list = v["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(list.contains("host-0") && list.contains("host-14"));
        assert!(list.ends_with("…and 5 more"));
        assert!(list.chars().count() < 3000);
    }

    #[test]
    fn the_test_message_is_plain() {
        let e = crate::notify::test_event("2026-03-01T00:00:00Z".parse().unwrap(), None);
        let v = json(&render(Message::Single(&e)));
        assert_eq!(
            v["blocks"][0]["text"]["text"],
            "🧪 HomelabCmd test notification"
        );
        assert_eq!(v["blocks"].as_array().unwrap().len(), 3);
    }
}
