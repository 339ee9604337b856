//! Network counters per interface and in total, from `/proc/net/dev` plus
//! each interface's state in `/sys/class/net`.
//!
//! `/proc/net/dev` carries every counter of every interface in one read;
//! sysinfo would open half a dozen sysfs files per interface, which adds up
//! on Docker hosts with many veth pairs.

use std::fmt::Write as _;
use std::io::Read;

use homelabcmd_protocol::heartbeat::NetworkInterfaceMetric;

use super::disk::clamp_i64;

/// `IFF_UP` from `<linux/if.h>`. (sysfs `flags` never shows `IFF_RUNNING`.)
const IFF_UP: u32 = 0x1;

/// Counters of one interface since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
}

/// Parses `/proc/net/dev`: two header lines, then
/// `name: rx_bytes rx_packets (6 more) tx_bytes tx_packets ...`.
pub fn parse_net_dev(text: &str) -> impl Iterator<Item = (&str, Counters)> {
    text.lines().skip(2).filter_map(|line| {
        let (name, stats) = line.split_once(':')?;
        let mut n = stats
            .split_ascii_whitespace()
            .map(|v| v.parse::<u64>().ok());
        let rx_bytes = n.next()??;
        let rx_packets = n.next()??;
        let mut n = n.skip(6);
        let tx_bytes = n.next()??;
        let tx_packets = n.next()??;
        Some((
            name.trim(),
            Counters {
                rx_bytes,
                rx_packets,
                tx_bytes,
                tx_packets,
            },
        ))
    })
}

/// The part of `operstate` that matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperState {
    Up,
    Unknown,
    Other,
}

impl OperState {
    pub fn parse(text: &str) -> OperState {
        match text.trim() {
            "up" => OperState::Up,
            "unknown" => OperState::Unknown,
            _ => OperState::Other,
        }
    }
}

/// `operstate` is `up` for a working link. Tunnels and WireGuard have no
/// carrier notion and say `unknown` even when working, so for those the
/// administrative flags decide.
pub fn is_up(state: OperState, flags: Option<u32>) -> bool {
    match state {
        OperState::Up => true,
        OperState::Unknown => flags.is_some_and(|f| f & IFF_UP != 0),
        OperState::Other => false,
    }
}

fn parse_flags(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
}

#[derive(Debug, Default)]
pub struct NetworkReport {
    /// Sums over every interface but loopback.
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub interfaces: Vec<NetworkInterfaceMetric>,
}

/// Keeps its read buffers between ticks.
#[derive(Debug, Default)]
pub struct NetworkCollector {
    net_dev: String,
    path: String,
    small: String,
}

impl NetworkCollector {
    pub fn collect(&mut self) -> NetworkReport {
        self.net_dev.clear();
        if let Err(e) = std::fs::File::open("/proc/net/dev")
            .and_then(|mut f| f.read_to_string(&mut self.net_dev))
        {
            tracing::debug!("cannot read /proc/net/dev: {e}");
        }
        let mut report = NetworkReport::default();
        for (name, c) in parse_net_dev(&self.net_dev) {
            if name == "lo" {
                continue;
            }
            report.rx_bytes = report.rx_bytes.saturating_add(c.rx_bytes);
            report.tx_bytes = report.tx_bytes.saturating_add(c.tx_bytes);
            let state = read_sys(&mut self.path, &mut self.small, name, "operstate")
                .map_or(OperState::Other, OperState::parse);
            let flags = match state {
                OperState::Unknown => {
                    read_sys(&mut self.path, &mut self.small, name, "flags").and_then(parse_flags)
                }
                _ => None,
            };
            report.interfaces.push(NetworkInterfaceMetric {
                name: name.to_owned(),
                rx_bytes: clamp_i64(c.rx_bytes),
                tx_bytes: clamp_i64(c.tx_bytes),
                rx_packets: clamp_i64(c.rx_packets),
                tx_packets: clamp_i64(c.tx_packets),
                is_up: is_up(state, flags),
            });
        }
        report
    }
}

fn read_sys<'a>(
    path: &mut String,
    out: &'a mut String,
    iface: &str,
    attr: &str,
) -> Option<&'a str> {
    path.clear();
    let _ = write!(path, "/sys/class/net/{iface}/{attr}");
    out.clear();
    std::fs::File::open(path.as_str())
        .and_then(|mut f| f.read_to_string(out))
        .ok()?;
    Some(out.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET_DEV: &str = include_str!("../../tests/fixtures/proc-net-dev.txt");

    #[test]
    fn parses_counters_of_every_interface() {
        let parsed: Vec<_> = parse_net_dev(NET_DEV).collect();
        assert_eq!(parsed.len(), 5);
        assert_eq!(
            parsed[3],
            (
                "eth0",
                Counters {
                    rx_bytes: 426_403_910,
                    rx_packets: 15_790,
                    tx_bytes: 1_044_442,
                    tx_packets: 9_386,
                }
            )
        );
        assert_eq!(parsed[4].0, "wg0");
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = "h1\nh2\n  eth0: 1 2 3\nbogus line\n  ok: 1 2 0 0 0 0 0 0 3 4\n";
        let parsed: Vec<_> = parse_net_dev(text).map(|(n, _)| n).collect();
        assert_eq!(parsed, ["ok"]);
    }

    #[test]
    fn link_state_from_operstate_and_flags() {
        let up = |state: &str, flags: Option<&str>| {
            is_up(OperState::parse(state), flags.and_then(parse_flags))
        };
        assert!(up("up\n", None));
        assert!(!up("down\n", Some("0x1003")));
        assert!(!up("lowerlayerdown", None));
        // WireGuard: operstate unknown, flags UP|POINTOPOINT|NOARP.
        assert!(up("unknown\n", Some("0x91\n")));
        assert!(!up("unknown", Some("0x90")));
        assert!(!up("unknown", None));
    }

    #[test]
    fn live_collection_excludes_loopback() {
        let report = NetworkCollector::default().collect();
        assert!(report.interfaces.iter().all(|i| i.name != "lo"));
    }
}
