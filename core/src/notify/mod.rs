//! The pure parts of notification delivery: storm digests and retry
//! backoff. Channels and the outbox worker live in the hub's `notify`.

pub mod digest;
pub mod retry;

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
