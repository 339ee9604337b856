//! Operating system facts (`/etc/os-release`, kernel, architecture), uptime
//! and whether a reboot is pending.

use std::path::Path;

use homelabcmd_protocol::heartbeat::OsInfo;
use sysinfo::System;

/// Fields the hub keeps, from os-release text: `NAME` and `VERSION_ID`, as
/// the Python agent reports them (`Debian GNU/Linux`, `12`).
pub fn parse_os_release(text: &str) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let slot = match key {
            "NAME" => &mut name,
            "VERSION_ID" => &mut version,
            _ => continue,
        };
        let value = unquote(value.trim());
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    (name, version)
}

/// os-release values are shell-style: optionally quoted, with backslash
/// escapes inside double quotes.
fn unquote(v: &str) -> String {
    let bytes = v.as_bytes();
    match bytes.first() {
        Some(&q @ (b'"' | b'\'')) if bytes.len() >= 2 && bytes[bytes.len() - 1] == q => {
            let inner = &v[1..v.len() - 1];
            if q == b'\'' {
                return inner.to_owned();
            }
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => v.to_owned(),
    }
}

/// Cut to the hub's column limits on a character boundary.
fn limit(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Read once at start: none of this changes without a restart of the agent
/// worth caring about (a kernel change needs a reboot).
pub fn os_info() -> OsInfo {
    let text = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let (distribution, version) = parse_os_release(&text);
    let arch = System::cpu_arch();
    OsInfo {
        distribution: distribution.map(|d| limit(d, 100)),
        version: version.map(|v| limit(v, 100)),
        kernel: System::kernel_version().ok().map(|k| limit(k, 100)),
        architecture: (!arch.is_empty()).then(|| limit(arch, 20)),
    }
}

pub fn uptime_seconds() -> Option<i64> {
    System::uptime().ok().and_then(|s| i64::try_from(s).ok())
}

/// Debian/Ubuntu's update-notifier convention.
pub fn reboot_required() -> bool {
    Path::new("/var/run/reboot-required").exists()
}

/// Docker and Podman drop these marker files into their containers.
pub fn in_container() -> bool {
    Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_os_release() {
        let text = include_str!("../../tests/fixtures/os-release-debian.txt");
        assert_eq!(
            parse_os_release(text),
            (Some("Debian GNU/Linux".into()), Some("12".into()))
        );
    }

    #[test]
    fn quoting_styles_and_missing_fields() {
        let text = "NAME='Arch Linux'\nID=arch\n# VERSION_ID=\"1\"\n";
        assert_eq!(parse_os_release(text), (Some("Arch Linux".into()), None));
        let text = "NAME=\"Say \\\"hi\\\"\"\nVERSION_ID=24.04\n";
        assert_eq!(
            parse_os_release(text),
            (Some("Say \"hi\"".into()), Some("24.04".into()))
        );
        assert_eq!(parse_os_release(""), (None, None));
    }

    #[test]
    fn limits_cut_on_char_boundaries() {
        assert_eq!(limit("ééé".into(), 3), "é");
        assert_eq!(limit("x86_64".into(), 20), "x86_64");
    }

    #[test]
    fn live_os_info_has_kernel_and_arch() {
        let info = os_info();
        assert!(info.kernel.is_some());
        assert!(info.architecture.is_some());
    }
}
