//! Pending package updates from apt, checked in a background task at most
//! once per `package_check_interval`: `apt list` costs about a second of CPU
//! and is far too heavy to run per heartbeat.
//!
//! Only the local package lists are read; refreshing them (`apt update`) is
//! left to the system's own timers (apt-daily, unattended-upgrades).

use std::process::Stdio;
use std::time::Duration;

use homelabcmd_protocol::heartbeat::PackageUpdatePayload;
use tokio::sync::mpsc;

const TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq)]
pub struct PackageReport {
    pub updates_available: i64,
    pub security_updates: i64,
    pub packages: Vec<PackageUpdatePayload>,
}

impl PackageReport {
    pub fn from_packages(packages: Vec<PackageUpdatePayload>) -> PackageReport {
        PackageReport {
            updates_available: packages.len() as i64,
            security_updates: packages.iter().filter(|p| p.is_security).count() as i64,
            packages,
        }
    }
}

/// Parses `apt list --upgradable` (C locale):
/// `openssl/bookworm-security,bookworm 3.0.14-1 amd64 [upgradable from: 3.0.13-1]`.
pub fn parse_apt_list(text: &str) -> Vec<PackageUpdatePayload> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<PackageUpdatePayload> {
    let (name, rest) = line.split_once('/')?;
    let mut fields = rest.split_ascii_whitespace();
    let repository = fields.next()?;
    let new_version = fields.next()?;
    let _arch = fields.next()?;
    let current_version = line
        .split_once("[upgradable from: ")?
        .1
        .split(']')
        .next()?
        .trim();
    if name.is_empty() || name.contains(' ') || current_version.is_empty() {
        return None;
    }
    Some(PackageUpdatePayload {
        name: name.to_owned(),
        current_version: current_version.to_owned(),
        new_version: new_version.to_owned(),
        repository: repository.to_owned(),
        is_security: is_security(repository),
    })
}

/// Debian and Ubuntu publish security fixes in `<suite>-security`; apt lists
/// every suite offering the version, comma-separated.
fn is_security(repository: &str) -> bool {
    repository
        .split(',')
        .any(|suite| suite.ends_with("-security"))
}

/// `None` where apt is missing or fails: the hub then shows "unknown" rather
/// than a misleading zero.
pub async fn check() -> Option<PackageReport> {
    let child = tokio::process::Command::new("apt")
        .args(["list", "--upgradable"])
        // The "[upgradable from: ...]" marker is translated in other locales.
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(TIMEOUT, child).await {
        Ok(Ok(out)) if out.status.success() => out,
        Ok(Ok(out)) => {
            tracing::warn!("apt list exited with {}", out.status);
            return None;
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::debug!("apt not found; package updates not reported");
            return None;
        }
        Ok(Err(e)) => {
            tracing::warn!("cannot run apt list: {e}");
            return None;
        }
        Err(_) => {
            tracing::warn!("apt list timed out after {}s", TIMEOUT.as_secs());
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    Some(PackageReport::from_packages(parse_apt_list(&text)))
}

/// Checks now, then every `interval`; each result arrives on the channel,
/// `None` for a check that could not be made (so a first heartbeat waiting
/// for it need not wait in vain). The task ends when the receiver is dropped.
pub fn spawn_refresher(interval: Duration) -> mpsc::Receiver<Option<PackageReport>> {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        loop {
            let report = check().await;
            if let Some(r) = &report {
                tracing::debug!(
                    updates = r.updates_available,
                    security = r.security_updates,
                    "package check done"
                );
            }
            if tx.send(report).await.is_err() {
                return;
            }
            tokio::time::sleep(interval).await;
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    const APT_LIST: &str = include_str!("../../tests/fixtures/apt-list-upgradable.txt");

    #[test]
    fn parses_apt_list_output() {
        let report = PackageReport::from_packages(parse_apt_list(APT_LIST));
        assert_eq!(report.updates_available, 5);
        assert_eq!(report.security_updates, 3);
        assert_eq!(
            report.packages[1],
            PackageUpdatePayload {
                name: "apt".into(),
                current_version: "2.6.1".into(),
                new_version: "2.6.2".into(),
                repository: "oldstable-security".into(),
                is_security: true,
            }
        );
        assert_eq!(
            report.packages[3].repository,
            "oldstable,oldstable-security"
        );
        assert!(report.packages[3].is_security);
        assert_eq!(report.packages[4].current_version, "1:2.66-4+deb12u2+b2");
    }

    #[test]
    fn security_means_a_security_suite() {
        assert!(is_security("jammy-updates,jammy-security"));
        assert!(!is_security("oldstable"));
        assert!(!is_security("security-tools"));
    }

    #[test]
    fn noise_lines_are_ignored() {
        assert!(
            parse_apt_list(
                "Listing... Done\n\nWARNING: apt does not have a stable CLI interface.\n"
            )
            .is_empty()
        );
    }
}
