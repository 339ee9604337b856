//! ntfy: a plain-text POST to the topic URL, with the title, priority, tags
//! and click-through link as headers.

use base64::Engine as _;

use homelabcmd_protocol::alerts::Severity;

use super::http::HttpTarget;
use super::{
    AlertEvent, Channel, EventKind, Message, Notifier, Rendered, SendFuture, format_value,
    headline, truncate,
};

/// ntfy turns longer bodies into attachments.
const BODY_MAX: usize = 3500;
const DIGEST_LINES: usize = 30;

pub struct Ntfy(pub HttpTarget);

impl Notifier for Ntfy {
    fn channel(&self) -> Channel {
        Channel::Ntfy
    }

    fn render(&self, message: Message<'_>, _delivery_id: i64) -> Rendered {
        render(message)
    }

    fn send(&self, request: Rendered) -> SendFuture<'_> {
        Box::pin(self.0.post(request))
    }
}

/// ntfy priorities: 5 urgent … 1 min.
fn priority(e: &AlertEvent) -> u8 {
    match (e.kind, e.severity) {
        (EventKind::Resolved | EventKind::Test, _) => 3,
        (_, Severity::Critical) => 5,
        (_, Severity::High) => 4,
        (_, Severity::Medium) => 3,
        (_, Severity::Low) => 2,
    }
}

/// Tags; ntfy shows those that are emoji short codes as emojis.
fn tags(e: &AlertEvent) -> String {
    let emoji = match (e.kind, e.severity) {
        (EventKind::Resolved, _) => "white_check_mark",
        (EventKind::Escalated, _) => "arrow_up",
        (EventKind::Reminder, _) => "repeat",
        (EventKind::Test, _) => "test_tube",
        (EventKind::Opened, Severity::Critical) => "rotating_light",
        (EventKind::Opened, Severity::High | Severity::Medium | Severity::Low) => "warning",
    };
    let kind = match e.kind {
        EventKind::Opened => "opened",
        EventKind::Escalated => "escalated",
        EventKind::Resolved => "resolved",
        EventKind::Reminder => "reminder",
        EventKind::Test => "test",
    };
    let mut tags = vec![emoji.to_owned(), e.severity.to_string(), kind.to_owned()];
    if e.kind != EventKind::Test {
        tags.push(e.alert_type.clone());
    }
    tags.into_iter()
        .map(|t| t.replace([',', '\r', '\n'], " "))
        .collect::<Vec<_>>()
        .join(",")
}

/// Header values must be ASCII; ntfy decodes RFC 2047 encoded words, so a
/// title with `é` or an emoji goes as `=?UTF-8?B?...?=`.
fn header_text(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean.is_ascii() {
        clean
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(clean)
        )
    }
}

pub fn render(message: Message<'_>) -> Rendered {
    let (title, priority, tags, click, body) = match message {
        Message::Single(e) => {
            let mut body = e.message.clone();
            let mut details = Vec::new();
            if e.kind != EventKind::Test {
                details.push(format!("Machine: {} ({})", e.server_name, e.server_id));
                if let Some(metric) = &e.metric {
                    details.push(format!("Metric: {metric}"));
                }
                if let Some(v) = e.value {
                    details.push(format!("Value: {}", format_value(e.metric, v)));
                }
                if let Some(t) = e.threshold {
                    details.push(format!("Threshold: {}", format_value(e.metric, t)));
                }
            }
            details.push(format!("Time: {}", e.at.format("%Y-%m-%d %H:%M:%S UTC")));
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(&details.join("\n"));
            (headline(e), priority(e), tags(e), e.link.clone(), body)
        }
        Message::Digest(events) => {
            let mut lines: Vec<String> = events
                .iter()
                .take(DIGEST_LINES)
                .map(|e| format!("• [{}] {} on {}", e.severity, e.title, e.server_name))
                .collect();
            if events.len() > DIGEST_LINES {
                lines.push(format!("…and {} more", events.len() - DIGEST_LINES));
            }
            let top = events.iter().map(priority).max().unwrap_or(3);
            (
                format!("{} alerts opened within a minute", events.len()),
                top,
                "rotating_light,digest".to_owned(),
                None,
                lines.join("\n"),
            )
        }
    };
    let mut headers = vec![
        ("Title", header_text(&truncate(&title, 250))),
        ("Priority", priority.to_string()),
        ("Tags", header_text(&tags)),
    ];
    if let Some(link) = click {
        headers.push(("Click", header_text(&link)));
    }
    Rendered {
        content_type: "text/plain; charset=utf-8",
        headers,
        body: truncate(&body, BODY_MAX).into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::tests::disk_event;

    fn header<'a>(r: &'a Rendered, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn headers_carry_title_priority_tags_and_click() {
        let r = render(Message::Single(&disk_event(EventKind::Opened)));
        assert_eq!(r.content_type, "text/plain; charset=utf-8");
        assert_eq!(
            header(&r, "Title"),
            Some("Critical: Disk usage high on NAS <main>")
        );
        assert_eq!(header(&r, "Priority"), Some("5"));
        assert_eq!(
            header(&r, "Tags"),
            Some("rotating_light,critical,opened,disk_high")
        );
        assert_eq!(
            header(&r, "Click"),
            Some("https://homelab.example/servers/nas")
        );
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.starts_with("Disk at 96.5% (threshold 95%)"));
        for line in [
            "Machine: NAS <main> (nas)",
            "Metric: disk",
            "Value: 96.5%",
            "Threshold: 95.0%",
            "Time: 2026-03-01 12:34:56 UTC",
        ] {
            assert!(body.contains(line), "{line} missing from {body}");
        }

        let r = render(Message::Single(&disk_event(EventKind::Resolved)));
        assert_eq!(header(&r, "Priority"), Some("3"));
        assert!(header(&r, "Tags").unwrap().starts_with("white_check_mark,"));
    }

    #[test]
    fn non_ascii_titles_are_encoded_words() {
        let mut e = disk_event(EventKind::Opened);
        e.server_name = "Küche\r\nX-Injected: 1".into();
        let r = render(Message::Single(&e));
        let title = header(&r, "Title").unwrap();
        assert!(
            title.starts_with("=?UTF-8?B?") && title.is_ascii(),
            "{title}"
        );
        let encoded = title
            .trim_start_matches("=?UTF-8?B?")
            .trim_end_matches("?=");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "Critical: Disk usage high on KücheX-Injected: 1"
        );
    }

    #[test]
    fn a_digest_is_one_post() {
        let mut events: Vec<AlertEvent> = (0..5).map(|_| disk_event(EventKind::Opened)).collect();
        events[0].severity = Severity::High;
        let r = render(Message::Digest(&events));
        assert_eq!(header(&r, "Title"), Some("5 alerts opened within a minute"));
        assert_eq!(header(&r, "Priority"), Some("5"));
        assert_eq!(String::from_utf8(r.body).unwrap().lines().count(), 5);
    }
}
