//! Generic JSON webhook for machines (Home Assistant, n8n, a script): the
//! event as JSON, one POST per event (no digests), with the outbox id as an
//! idempotency key so a receiver can drop the rare duplicate (a send whose
//! 2xx was lost to a crash is sent again after restart).

use serde::Serialize;

use super::http::HttpTarget;
use super::{AlertEvent, Channel, Message, Notifier, Rendered, SendFuture};

/// Version of the body below; bumped on incompatible changes.
pub const PAYLOAD_VERSION: u32 = 1;

/// What the receiver gets.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub version: u32,
    pub source: &'static str,
    /// Outbox id: unique per notification, the same on every retry.
    pub id: i64,
    /// The event (`kind`: opened, escalated, resolved, reminder, test).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'a AlertEvent>,
    /// Only if a digest is ever rendered for this channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<&'a [AlertEvent]>,
}

pub struct Webhook(pub HttpTarget);

impl Notifier for Webhook {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    fn digests(&self) -> bool {
        false
    }

    fn render(&self, message: Message<'_>, delivery_id: i64) -> Rendered {
        render(message, delivery_id)
    }

    fn send(&self, request: Rendered) -> SendFuture<'_> {
        Box::pin(self.0.post(request))
    }
}

pub fn render(message: Message<'_>, id: i64) -> Rendered {
    let (event, events) = match message {
        Message::Single(e) => (Some(e), None),
        Message::Digest(es) => (None, Some(es)),
    };
    let payload = Payload {
        version: PAYLOAD_VERSION,
        source: "homelabcmd",
        id,
        event,
        events,
    };
    Rendered {
        content_type: "application/json",
        headers: vec![
            ("Idempotency-Key", format!("homelabcmd-{id}")),
            ("X-HomelabCmd-Event-Id", id.to_string()),
        ],
        body: serde_json::to_vec(&payload).expect("JSON serialises"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::notify::EventKind;
    use crate::notify::tests::disk_event;

    #[test]
    fn the_event_goes_as_json_with_its_id() {
        let e = disk_event(EventKind::Escalated);
        let r = render(Message::Single(&e), 42);
        assert_eq!(
            r.headers,
            vec![
                ("Idempotency-Key", "homelabcmd-42".to_owned()),
                ("X-HomelabCmd-Event-Id", "42".to_owned()),
            ]
        );
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["source"], "homelabcmd");
        assert_eq!(v["id"], 42);
        assert_eq!(v["event"]["kind"], "escalated");
        assert_eq!(v["event"]["previous_severity"], "high");
        assert_eq!(v["event"]["severity"], "critical");
        assert_eq!(v["event"]["server_id"], "nas");
        assert_eq!(v["event"]["metric"], "disk");
        assert_eq!(v["event"]["value"], 96.5);
        assert_eq!(v["event"]["threshold"], 95.0);
        assert_eq!(v["event"]["at"], "2026-03-01T12:34:56Z");
        assert_eq!(v["event"]["link"], "https://homelab.example/servers/nas");
        assert!(v.get("events").is_none());
        let back: AlertEvent = serde_json::from_value(v["event"].clone()).unwrap();
        assert_eq!(back, e);
    }
}
