//! Memory usage, from sysinfo (`/proc/meminfo`).

use sysinfo::{MemoryRefreshKind, System};

const MIB: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    pub percent: f64,
    pub total_mb: i64,
    pub used_mb: i64,
}

/// Refreshes RAM figures only (swap is not reported).
pub fn collect(system: &mut System) -> Option<Memory> {
    system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    from_bytes(system.total_memory(), system.available_memory())
}

/// "Used" is total minus available, as `free` and psutil count it: page
/// cache the kernel can drop is not counted as used.
fn from_bytes(total: u64, available: u64) -> Option<Memory> {
    if total == 0 {
        return None;
    }
    let used = total.saturating_sub(available);
    Some(Memory {
        percent: super::cpu::round_to(used as f64 * 100.0 / total as f64, 1),
        total_mb: i64::try_from(total / MIB).ok()?,
        used_mb: i64::try_from(used / MIB).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_is_total_minus_available() {
        let m = from_bytes(24_105 * MIB, (24_105 - 1_229) * MIB).unwrap();
        assert_eq!(
            m,
            Memory {
                percent: 5.1,
                total_mb: 24_105,
                used_mb: 1_229
            }
        );
    }

    #[test]
    fn unreadable_meminfo_reports_nothing() {
        assert_eq!(from_bytes(0, 0), None);
        assert_eq!(from_bytes(MIB, 2 * MIB).unwrap().used_mb, 0);
    }
}
