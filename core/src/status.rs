//! Machine status from last-seen time: a pure function, so the API, the
//! dashboard summary and (later) the offline alert rule agree.

/// Offline threshold when neither the machine nor the config sets one.
pub const DEFAULT_OFFLINE_SECONDS: i64 = 180;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Offline,
    /// Never reported, or a workstation that is simply not up right now.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::Unknown => "unknown",
        }
    }
}

/// Status of a machine last seen at `last_seen_ms` (hub clock).
///
/// A workstation is never `offline`: laptops and desktops sleep, and the
/// operator does not want them painted red; the API shows its `last_seen`.
pub fn machine_status(
    last_seen_ms: Option<i64>,
    now_ms: i64,
    threshold_seconds: i64,
    is_workstation: bool,
) -> Status {
    let Some(seen) = last_seen_ms else {
        return Status::Unknown;
    };
    if now_ms - seen <= threshold_seconds * 1000 {
        Status::Online
    } else if is_workstation {
        Status::Unknown
    } else {
        Status::Offline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_goes_offline_after_its_threshold() {
        assert_eq!(machine_status(Some(0), 180_000, 180, false), Status::Online);
        assert_eq!(
            machine_status(Some(0), 180_001, 180, false),
            Status::Offline
        );
        assert_eq!(machine_status(Some(0), 10_000, 5, false), Status::Offline);
    }

    #[test]
    fn a_workstation_is_never_offline() {
        assert_eq!(
            machine_status(Some(0), 10_000_000, 180, true),
            Status::Unknown
        );
        assert_eq!(machine_status(Some(0), 1_000, 180, true), Status::Online);
    }

    #[test]
    fn never_seen_is_unknown() {
        assert_eq!(machine_status(None, 0, 180, false), Status::Unknown);
    }
}
