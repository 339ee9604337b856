//! Machine status from last-seen time: a pure function, so the API, the
//! dashboard summary and (later) the offline alert rule agree.

use homelabcmd_protocol::api::{MachineStatus, MachineType};

/// Offline threshold when neither the machine nor the config sets one.
pub const DEFAULT_OFFLINE_SECONDS: i64 = 180;

/// Status of a machine last seen at `last_seen_ms` (hub clock).
///
/// A workstation is never `offline`: laptops and desktops sleep, and the
/// operator does not want them painted red; the API shows its `last_seen`.
pub fn machine_status(
    last_seen_ms: Option<i64>,
    now_ms: i64,
    threshold_seconds: i64,
    machine_type: MachineType,
) -> MachineStatus {
    let Some(seen) = last_seen_ms else {
        return MachineStatus::Unknown;
    };
    if now_ms - seen <= threshold_seconds * 1000 {
        MachineStatus::Online
    } else if machine_type.always_on() {
        MachineStatus::Offline
    } else {
        MachineStatus::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_goes_offline_after_its_threshold() {
        assert_eq!(
            machine_status(Some(0), 180_000, 180, MachineType::Server),
            MachineStatus::Online
        );
        assert_eq!(
            machine_status(Some(0), 180_001, 180, MachineType::Server),
            MachineStatus::Offline
        );
        assert_eq!(
            machine_status(Some(0), 10_000, 5, MachineType::Server),
            MachineStatus::Offline
        );
    }

    #[test]
    fn a_workstation_is_never_offline() {
        assert_eq!(
            machine_status(Some(0), 10_000_000, 180, MachineType::Workstation),
            MachineStatus::Unknown
        );
        assert_eq!(
            machine_status(Some(0), 1_000, 180, MachineType::Workstation),
            MachineStatus::Online
        );
    }

    #[test]
    fn never_seen_is_unknown() {
        assert_eq!(
            machine_status(None, 0, 180, MachineType::Server),
            MachineStatus::Unknown
        );
    }
}
