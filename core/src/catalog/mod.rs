//! The typed command catalog: the only commands the hub will run over SSH.
//!
//! A request (`command` string + `action_type`, as in the contract's
//! `CommandExecuteRequest`, or an `/actions` action type) is parsed into a
//! [`CatalogAction`]: a closed set of typed actions whose arguments passed a
//! pattern check. The action then renders its own argv, so what runs is
//! built by the hub from validated parts, never passed through from the
//! caller, and never interpreted by a shell. Pure: no I/O.
//! See `docs/security.md` for the table of actions.

pub mod custom;
pub mod lexer;

use std::fmt;
use std::time::Duration;

pub use custom::{CustomCommand, CustomCommands};
use homelabcmd_protocol::actions::ActionType;
use homelabcmd_protocol::names::Requested;
pub use lexer::shell_quote;

/// Why a command was refused; the text names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
}

impl Rejection {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Rejection {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceVerb {
    Restart,
    Start,
    Stop,
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerVerb {
    Restart,
    Start,
    Stop,
}

/// `journalctl --vacuum-*` limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VacuumLimit {
    /// Keep this many days.
    Days(u32),
    /// Keep this many MiB.
    Megabytes(u32),
}

/// Which upgrades to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AptUpgrade {
    /// Everything pending (`dist-upgrade`, non-interactive).
    All,
    /// Only these packages (`install --only-upgrade`): the security updates
    /// the agent reported, as HomelabCmd's `apt_upgrade_security` does.
    Packages(Vec<String>),
}

/// A validated action. Build with [`parse`] or [`for_action_type`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogAction {
    Service {
        verb: ServiceVerb,
        unit: String,
    },
    Container {
        verb: ContainerVerb,
        name: String,
    },
    JournalVacuum(VacuumLimit),
    DockerImagePrune {
        all: bool,
    },
    AptUpdate,
    AptUpgrade(AptUpgrade),
    Reboot,
    Custom {
        name: String,
        command: CustomCommand,
    },
}

const APT_ENV: &str = "DEBIAN_FRONTEND=noninteractive";

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

impl CatalogAction {
    /// Stable name for audit rows and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Service { verb, .. } => match verb {
                ServiceVerb::Restart => "service_restart",
                ServiceVerb::Start => "service_start",
                ServiceVerb::Stop => "service_stop",
                ServiceVerb::Status => "service_status",
            },
            Self::Container { verb, .. } => match verb {
                ContainerVerb::Restart => "container_restart",
                ContainerVerb::Start => "container_start",
                ContainerVerb::Stop => "container_stop",
            },
            Self::JournalVacuum(_) => "journal_vacuum",
            Self::DockerImagePrune { .. } => "docker_image_prune",
            Self::AptUpdate => "apt_update",
            Self::AptUpgrade(AptUpgrade::All) => "apt_upgrade_all",
            Self::AptUpgrade(AptUpgrade::Packages(_)) => "apt_upgrade_packages",
            Self::Reboot => "reboot",
            Self::Custom { .. } => "custom",
        }
    }

    /// The program and arguments to run (without sudo: see [`Self::needs_sudo`]).
    pub fn argv(&self) -> Vec<String> {
        match self {
            Self::Service { verb, unit } => {
                let v = match verb {
                    ServiceVerb::Restart => "restart",
                    ServiceVerb::Start => "start",
                    ServiceVerb::Stop => "stop",
                    ServiceVerb::Status => "status",
                };
                let mut a = strings(&["systemctl", v]);
                if *verb == ServiceVerb::Status {
                    a.push("--no-pager".into());
                }
                // `--` so even a unit name that slipped past the pattern
                // could not be read as an option.
                a.extend(["--".into(), unit.clone()]);
                a
            }
            Self::Container { verb, name } => {
                let v = match verb {
                    ContainerVerb::Restart => "restart",
                    ContainerVerb::Start => "start",
                    ContainerVerb::Stop => "stop",
                };
                let mut a = strings(&["docker", v, "--"]);
                a.push(name.clone());
                a
            }
            Self::JournalVacuum(VacuumLimit::Days(d)) => {
                vec!["journalctl".into(), format!("--vacuum-time={d}d")]
            }
            Self::JournalVacuum(VacuumLimit::Megabytes(m)) => {
                vec!["journalctl".into(), format!("--vacuum-size={m}M")]
            }
            Self::DockerImagePrune { all } => {
                let mut a = strings(&["docker", "image", "prune", "--force"]);
                if *all {
                    a.push("--all".into());
                }
                a
            }
            Self::AptUpdate => strings(&["env", APT_ENV, "apt-get", "update", "-q"]),
            Self::AptUpgrade(u) => {
                let mut a = strings(&["env", APT_ENV, "apt-get"]);
                match u {
                    AptUpgrade::All => a.push("dist-upgrade".into()),
                    AptUpgrade::Packages(_) => a.extend(strings(&["install", "--only-upgrade"])),
                }
                a.extend(strings(&[
                    "-q",
                    "-y",
                    "-o",
                    "Dpkg::Options::=--force-confdef",
                    "-o",
                    "Dpkg::Options::=--force-confold",
                ]));
                if let AptUpgrade::Packages(p) = u {
                    a.push("--".into());
                    a.extend(p.iter().cloned());
                }
                a
            }
            Self::Reboot => strings(&["systemctl", "reboot"]),
            Self::Custom { command, .. } => command.argv.clone(),
        }
    }

    /// Whether the command must run as root.
    pub fn needs_sudo(&self) -> bool {
        match self {
            Self::Service {
                verb: ServiceVerb::Status,
                ..
            } => false,
            Self::Custom { command, .. } => command.sudo,
            _ => true,
        }
    }

    /// How long the command may run before it is killed.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(match self {
            Self::Service {
                verb: ServiceVerb::Status,
                ..
            } => 15,
            Self::Service { .. } | Self::Container { .. } => 90,
            Self::Reboot => 30,
            Self::JournalVacuum(_) => 120,
            Self::DockerImagePrune { .. } | Self::AptUpdate => 300,
            Self::AptUpgrade(_) => 1800,
            Self::Custom { command, .. } => return command.timeout,
        })
    }

    /// One line for people: "restart systemd unit nginx".
    pub fn summary(&self) -> String {
        match self {
            Self::Service { verb, unit } => format!(
                "{} systemd unit {unit}",
                match verb {
                    ServiceVerb::Restart => "restart",
                    ServiceVerb::Start => "start",
                    ServiceVerb::Stop => "stop",
                    ServiceVerb::Status => "show status of",
                }
            ),
            Self::Container { verb, name } => format!(
                "{} container {name}",
                match verb {
                    ContainerVerb::Restart => "restart",
                    ContainerVerb::Start => "start",
                    ContainerVerb::Stop => "stop",
                }
            ),
            Self::JournalVacuum(VacuumLimit::Days(d)) => {
                format!("delete journal entries older than {d} days")
            }
            Self::JournalVacuum(VacuumLimit::Megabytes(m)) => {
                format!("shrink the journal to {m} MiB")
            }
            Self::DockerImagePrune { all: false } => "remove dangling Docker images".into(),
            Self::DockerImagePrune { all: true } => "remove all unused Docker images".into(),
            Self::AptUpdate => "refresh the package lists".into(),
            Self::AptUpgrade(AptUpgrade::All) => "apply all pending package updates".into(),
            Self::AptUpgrade(AptUpgrade::Packages(p)) => {
                format!("upgrade {} package(s): {}", p.len(), p.join(" "))
            }
            Self::Reboot => "reboot the machine".into(),
            Self::Custom { name, .. } => format!("run configured command '{name}'"),
        }
    }

    /// argv as one string for an SSH exec request (quoted, no expansion).
    pub fn shell_command(&self) -> String {
        shell_quote(&self.argv())
    }

    /// The `action_type` family this action belongs to (for the check in
    /// [`parse`]).
    fn allowed_for(&self, action_type: ActionType) -> bool {
        use ActionType as T;
        match action_type {
            T::RestartService => matches!(self, Self::Service { .. } | Self::Container { .. }),
            T::Service => matches!(self, Self::Service { .. }),
            T::Container => matches!(self, Self::Container { .. }),
            T::ClearLogs => matches!(self, Self::JournalVacuum(_) | Self::DockerImagePrune { .. }),
            T::AptUpdate => matches!(self, Self::AptUpdate),
            T::AptUpgradeAll => matches!(self, Self::AptUpgrade(AptUpgrade::All)),
            T::AptUpgradeSecurity => matches!(self, Self::AptUpgrade(AptUpgrade::Packages(_))),
            T::ApplyUpdates => matches!(self, Self::AptUpdate | Self::AptUpgrade(_)),
            T::Reboot => matches!(self, Self::Reboot),
            T::Custom => matches!(self, Self::Custom { .. }),
        }
    }
}

/// The action type a command was sent with, or the refusal naming every
/// type accepted with a command string.
pub fn command_action_type(requested: &Requested<ActionType>) -> Result<ActionType, Rejection> {
    requested.known().ok_or_else(|| {
        Rejection::new(format!(
            "Command not in whitelist for action type '{}' (known: {})",
            requested.as_str().escape_default(),
            ActionType::ALL
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

// ---------------------------------------------------------------------------
// Argument patterns
// ---------------------------------------------------------------------------

/// systemd unit: `^[A-Za-z0-9@._:-]{1,128}$`, not starting with `-` or `.`.
pub fn is_unit_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=128).contains(&b.len())
        && b[0] != b'-'
        && b[0] != b'.'
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"@._:-".contains(c))
}

/// Docker container name: `^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$` (Docker's own rule).
pub fn is_container_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=128).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

/// Debian package name: `^[a-z0-9][a-z0-9+.-]{1,127}$`, optionally `:arch`.
pub fn is_package_name(s: &str) -> bool {
    let (name, arch) = match s.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (s, None),
    };
    let b = name.as_bytes();
    (2..=128).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+.-".contains(c))
        && arch.is_none_or(|a| {
            !a.is_empty()
                && a.len() <= 16
                && a.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn bounded_number(s: &str, what: &str, max: u32) -> Result<u32, Rejection> {
    let bad = || Rejection::new(format!("{what} must be a whole number 1-{max}, got '{s}'"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 6 {
        return Err(bad());
    }
    let n: u32 = s.parse().map_err(|_| bad())?;
    if n == 0 || n > max {
        return Err(bad());
    }
    Ok(n)
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Parse a command string for `action_type` against the catalog.
pub fn parse(
    command: &str,
    action_type: ActionType,
    custom: &CustomCommands,
) -> Result<CatalogAction, Rejection> {
    let mut words = lexer::tokenize(command)?;
    // Callers used to send `sudo ...`; the catalog decides about sudo.
    if words.first() == Some(&"sudo") {
        words.remove(0);
    }
    let action = match_words(&words, custom)?;
    if !action.allowed_for(action_type) {
        return Err(Rejection::new(format!(
            "'{}' is a {} action, not allowed for action type '{action_type}'",
            words.join(" "),
            action.name()
        )));
    }
    Ok(action)
}

fn no_more(rest: &[&str]) -> Result<(), Rejection> {
    match rest.first() {
        None => Ok(()),
        Some(w) => Err(Rejection::new(format!("unexpected argument '{w}'"))),
    }
}

fn match_words(words: &[&str], custom: &CustomCommands) -> Result<CatalogAction, Rejection> {
    let Some((&program, args)) = words.split_first() else {
        return Err(Rejection::new("command is empty"));
    };
    match program {
        "systemctl" => systemctl(args),
        "docker" => docker(args),
        "journalctl" => journalctl(args),
        "apt-get" | "apt" => apt(program, args),
        "reboot" => no_more(args).map(|()| CatalogAction::Reboot),
        "shutdown" if args == ["-r", "now"] => Ok(CatalogAction::Reboot),
        name => match custom.get(name) {
            Some(c) => no_more(args).map(|()| CatalogAction::Custom {
                name: name.to_owned(),
                command: c.clone(),
            }),
            None => Err(Rejection::new(format!(
                "'{name}' is not in the command catalog (systemctl, docker, journalctl, \
                 apt-get, reboot, or a configured command)"
            ))),
        },
    }
}

fn systemctl(args: &[&str]) -> Result<CatalogAction, Rejection> {
    match args {
        ["reboot"] => Ok(CatalogAction::Reboot),
        [verb, unit, rest @ ..] => {
            let verb = match *verb {
                "restart" => ServiceVerb::Restart,
                "start" => ServiceVerb::Start,
                "stop" => ServiceVerb::Stop,
                "status" => ServiceVerb::Status,
                v => {
                    return Err(Rejection::new(format!(
                        "systemctl '{v}' is not allowed (restart, start, stop, status)"
                    )));
                }
            };
            if !is_unit_name(unit) {
                return Err(Rejection::new(format!(
                    "unit name '{unit}' does not match ^[A-Za-z0-9@._:-]{{1,128}}$ (no leading '-' or '.')"
                )));
            }
            no_more(rest)?;
            Ok(CatalogAction::Service {
                verb,
                unit: (*unit).to_owned(),
            })
        }
        _ => Err(Rejection::new(
            "systemctl needs a verb and a unit: systemctl restart <unit>",
        )),
    }
}

fn docker(args: &[&str]) -> Result<CatalogAction, Rejection> {
    match args {
        ["image", "prune", flags @ ..] => {
            let mut all = false;
            for f in flags {
                match *f {
                    "-a" | "--all" => all = true,
                    "-f" | "--force" => {}
                    "-af" | "-fa" => all = true,
                    other => {
                        return Err(Rejection::new(format!(
                            "docker image prune option '{other}' is not allowed (-a, -f)"
                        )));
                    }
                }
            }
            Ok(CatalogAction::DockerImagePrune { all })
        }
        [verb, name, rest @ ..] => {
            let verb = match *verb {
                "restart" => ContainerVerb::Restart,
                "start" => ContainerVerb::Start,
                "stop" => ContainerVerb::Stop,
                v => {
                    return Err(Rejection::new(format!(
                        "docker '{v}' is not allowed (restart, start, stop, image prune)"
                    )));
                }
            };
            if !is_container_name(name) {
                return Err(Rejection::new(format!(
                    "container name '{name}' does not match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,127}}$"
                )));
            }
            no_more(rest)?;
            Ok(CatalogAction::Container {
                verb,
                name: (*name).to_owned(),
            })
        }
        _ => Err(Rejection::new(
            "docker needs a verb and a container: docker restart <name>",
        )),
    }
}

fn journalctl(args: &[&str]) -> Result<CatalogAction, Rejection> {
    let [arg] = args else {
        return Err(Rejection::new(
            "journalctl takes exactly one option: --vacuum-time=<N>d or --vacuum-size=<N>M|G",
        ));
    };
    if let Some(v) = arg.strip_prefix("--vacuum-time=") {
        let days = v.strip_suffix('d').ok_or_else(|| {
            Rejection::new(format!("--vacuum-time must be in days (<N>d), got '{v}'"))
        })?;
        return Ok(CatalogAction::JournalVacuum(VacuumLimit::Days(
            bounded_number(days, "--vacuum-time days", 3650)?,
        )));
    }
    if let Some(v) = arg.strip_prefix("--vacuum-size=") {
        let mb = if let Some(n) = v.strip_suffix('M') {
            bounded_number(n, "--vacuum-size", 1_000_000)?
        } else if let Some(n) = v.strip_suffix('G') {
            bounded_number(n, "--vacuum-size", 1000)? * 1024
        } else {
            return Err(Rejection::new(format!(
                "--vacuum-size must end in M or G, got '{v}'"
            )));
        };
        return Ok(CatalogAction::JournalVacuum(VacuumLimit::Megabytes(mb)));
    }
    Err(Rejection::new(format!(
        "journalctl option '{arg}' is not allowed (--vacuum-time=<N>d, --vacuum-size=<N>M|G)"
    )))
}

fn apt(program: &str, args: &[&str]) -> Result<CatalogAction, Rejection> {
    // Flags that only make apt quieter or non-interactive are accepted
    // anywhere; the rendered argv sets them itself.
    let words: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !matches!(*a, "-y" | "--yes" | "-q" | "-qq" | "--assume-yes"))
        .collect();
    match words.as_slice() {
        ["update"] => Ok(CatalogAction::AptUpdate),
        ["upgrade"] | ["dist-upgrade"] | ["full-upgrade"] => {
            Ok(CatalogAction::AptUpgrade(AptUpgrade::All))
        }
        ["install", "--only-upgrade", packages @ ..] if !packages.is_empty() => {
            if let Some(bad) = packages.iter().find(|p| !is_package_name(p)) {
                return Err(Rejection::new(format!(
                    "package name '{bad}' does not match ^[a-z0-9][a-z0-9+.-]+$"
                )));
            }
            Ok(CatalogAction::AptUpgrade(AptUpgrade::Packages(
                packages.iter().map(|p| (*p).to_owned()).collect(),
            )))
        }
        _ => Err(Rejection::new(format!(
            "{program} '{}' is not allowed (update, upgrade, dist-upgrade, install --only-upgrade <packages>)",
            words.join(" ")
        ))),
    }
}

/// Build the action for an `/actions` request (`ActionCreate`): no command
/// string there, the hub builds the command from the type. `service_name`
/// is required for `restart_service`; `security_packages` (the machine's
/// pending security updates) feeds `apt_upgrade_security`; `custom_name`
/// picks a configured command for `custom`.
pub fn for_action_type(
    action_type: ActionType,
    service_name: Option<&str>,
    security_packages: &[String],
    custom_name: Option<&str>,
    custom: &CustomCommands,
) -> Result<CatalogAction, Rejection> {
    match action_type {
        ActionType::RestartService => {
            let unit = service_name
                .ok_or_else(|| Rejection::new("service_name is required for restart_service"))?;
            if !is_unit_name(unit) {
                return Err(Rejection::new(format!(
                    "service_name '{}' does not match ^[A-Za-z0-9@._:-]{{1,128}}$",
                    unit.escape_default()
                )));
            }
            Ok(CatalogAction::Service {
                verb: ServiceVerb::Restart,
                unit: unit.to_owned(),
            })
        }
        // HomelabCmd's clear_logs: keep a week of journal.
        ActionType::ClearLogs => Ok(CatalogAction::JournalVacuum(VacuumLimit::Days(7))),
        ActionType::AptUpdate => Ok(CatalogAction::AptUpdate),
        ActionType::AptUpgradeAll => Ok(CatalogAction::AptUpgrade(AptUpgrade::All)),
        ActionType::AptUpgradeSecurity => {
            if security_packages.is_empty() {
                return Err(Rejection::new(
                    "no pending security updates for this machine",
                ));
            }
            if let Some(bad) = security_packages.iter().find(|p| !is_package_name(p)) {
                return Err(Rejection::new(format!(
                    "reported package name '{}' does not match ^[a-z0-9][a-z0-9+.-]+$",
                    bad.escape_default()
                )));
            }
            Ok(CatalogAction::AptUpgrade(AptUpgrade::Packages(
                security_packages.to_vec(),
            )))
        }
        ActionType::Reboot => Ok(CatalogAction::Reboot),
        ActionType::Custom => {
            let name =
                custom_name.ok_or_else(|| Rejection::new("custom actions need a command name"))?;
            custom
                .get(name)
                .map(|c| CatalogAction::Custom {
                    name: name.to_owned(),
                    command: c.clone(),
                })
                .ok_or_else(|| {
                    Rejection::new(format!(
                        "no configured command '{}' (see commands: in the hub config)",
                        name.escape_default()
                    ))
                })
        }
        // Command-string families: `/actions` has no command to parse.
        other @ (ActionType::Service | ActionType::Container | ActionType::ApplyUpdates) => Err(
            Rejection::new(format!("Action type '{other}' not in whitelist")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> CustomCommands {
        CustomCommands::new()
    }

    /// Parse as a request would: the action type as sent, then the command.
    fn parse_as_sent(
        command: &str,
        action_type: &str,
        custom: &CustomCommands,
    ) -> Result<CatalogAction, Rejection> {
        command_action_type(&action_type.into()).and_then(|t| parse(command, t, custom))
    }

    fn ok(command: &str, action_type: &str) -> CatalogAction {
        parse_as_sent(command, action_type, &none()).unwrap_or_else(|e| panic!("{command:?}: {e}"))
    }

    fn refused(command: &str, action_type: &str) -> String {
        match parse_as_sent(command, action_type, &none()) {
            Ok(a) => panic!("{command:?} was accepted as {a:?}"),
            Err(e) => e.reason,
        }
    }

    #[test]
    fn service_commands_render_a_fixed_argv() {
        let a = ok("systemctl restart nginx", "restart_service");
        assert_eq!(a.argv(), ["systemctl", "restart", "--", "nginx"]);
        assert!(a.needs_sudo());
        assert_eq!(a.name(), "service_restart");
        assert_eq!(a.summary(), "restart systemd unit nginx");
        let a = ok(
            "sudo systemctl restart php8.2-fpm.service",
            "restart_service",
        );
        assert_eq!(a.argv()[3], "php8.2-fpm.service");
        let a = ok("systemctl status getty@tty1.service", "service");
        assert_eq!(
            a.argv(),
            [
                "systemctl",
                "status",
                "--no-pager",
                "--",
                "getty@tty1.service"
            ]
        );
        assert!(!a.needs_sudo());
        assert_eq!(a.timeout(), Duration::from_secs(15));
        assert_eq!(ok("systemctl stop nginx", "service").name(), "service_stop");
        assert_eq!(
            ok("systemctl start nginx", "service").name(),
            "service_start"
        );
    }

    #[test]
    fn container_journal_prune_apt_reboot() {
        let a = ok("docker restart plex", "restart_service");
        assert_eq!(a.argv(), ["docker", "restart", "--", "plex"]);
        assert_eq!(
            ok("docker stop my_app.1", "container").name(),
            "container_stop"
        );
        let a = ok("journalctl --vacuum-time=7d", "clear_logs");
        assert_eq!(a, CatalogAction::JournalVacuum(VacuumLimit::Days(7)));
        assert_eq!(a.argv(), ["journalctl", "--vacuum-time=7d"]);
        let a = ok("journalctl --vacuum-size=2G", "clear_logs");
        assert_eq!(a.argv(), ["journalctl", "--vacuum-size=2048M"]);
        let a = ok("docker image prune -a -f", "clear_logs");
        assert_eq!(a.argv(), ["docker", "image", "prune", "--force", "--all"]);
        assert_eq!(
            ok("docker image prune", "clear_logs"),
            CatalogAction::DockerImagePrune { all: false }
        );
        let a = ok("apt-get update", "apt_update");
        assert_eq!(
            a.argv(),
            [
                "env",
                "DEBIAN_FRONTEND=noninteractive",
                "apt-get",
                "update",
                "-q"
            ]
        );
        assert_eq!(ok("apt update", "apply_updates"), CatalogAction::AptUpdate);
        let a = ok("apt-get -y upgrade", "apt_upgrade_all");
        assert_eq!(a.argv()[3], "dist-upgrade");
        assert_eq!(a.timeout(), Duration::from_secs(1800));
        let a = ok(
            "apt-get install --only-upgrade -y openssl libssl3:amd64",
            "apt_upgrade_security",
        );
        assert_eq!(
            a.argv().iter().rev().take(3).collect::<Vec<_>>(),
            ["libssl3:amd64", "openssl", "--"]
        );
        assert_eq!(ok("reboot", "reboot"), CatalogAction::Reboot);
        assert_eq!(
            ok("systemctl reboot", "reboot").argv(),
            ["systemctl", "reboot"]
        );
        assert_eq!(ok("shutdown -r now", "reboot"), CatalogAction::Reboot);
    }

    #[test]
    fn action_type_must_fit_the_command() {
        assert!(refused("reboot", "restart_service").contains("not allowed for action type"));
        assert!(refused("systemctl restart nginx", "clear_logs").contains("service_restart"));
        assert!(refused("apt-get update", "apt_upgrade_all").contains("apt_update"));
        let e = refused("systemctl restart nginx", "unknown");
        assert!(
            e.starts_with("Command not in whitelist for action type 'unknown'"),
            "{e}"
        );
    }

    #[test]
    fn injection_attempts_are_refused() {
        for cmd in [
            "systemctl restart nginx; rm -rf /",
            "systemctl restart nginx && reboot",
            "systemctl restart nginx || reboot",
            "systemctl restart $(reboot)",
            "systemctl restart `reboot`",
            "systemctl restart nginx\nreboot",
            "systemctl restart 'nginx'",
            "systemctl restart \"ng\"inx",
            "systemctl restart ngin*",
            "systemctl restart ngin?",
            "systemctl restart ngin[x]",
            "docker restart plex > /dev/null",
            "journalctl --vacuum-time=7d;reboot",
            "systemctl restart ng\u{0131}nx",
            "systemctl restart nginx\u{00a0}",
        ] {
            refused(cmd, "restart_service");
        }
        let long_unit = "a".repeat(129);
        assert!(
            refused(&format!("systemctl restart {long_unit}"), "service").contains("unit name")
        );
        assert!(
            refused(&format!("systemctl restart {}", "a".repeat(300)), "service")
                .contains("too long")
        );
    }

    #[test]
    fn bad_arguments_are_named() {
        assert!(refused("systemctl restart --force", "service").contains("unit name '--force'"));
        assert!(refused("systemctl restart -nginx", "service").contains("leading '-'"));
        assert!(refused("systemctl restart ../etc", "service").contains("unit name"));
        assert!(
            refused("systemctl restart nginx now", "service").contains("unexpected argument 'now'")
        );
        assert!(refused("systemctl enable nginx", "service").contains("'enable' is not allowed"));
        assert!(refused("systemctl restart", "service").contains("needs a verb and a unit"));
        assert!(refused("docker rm plex", "container").contains("'rm' is not allowed"));
        assert!(refused("docker restart -plex", "container").contains("container name"));
        assert!(refused("docker restart _plex", "container").contains("container name"));
        assert!(refused("docker image prune --filter x", "clear_logs").contains("--filter"));
        assert!(refused("journalctl --vacuum-time=0d", "clear_logs").contains("1-3650"));
        assert!(refused("journalctl --vacuum-time=7", "clear_logs").contains("days"));
        assert!(refused("journalctl --vacuum-time=99999d", "clear_logs").contains("1-3650"));
        assert!(refused("journalctl --vacuum-size=5T", "clear_logs").contains("M or G"));
        assert!(refused("journalctl --rotate", "clear_logs").contains("--rotate"));
        assert!(refused("apt-get install nmap", "apply_updates").contains("not allowed"));
        assert!(
            refused(
                "apt-get install --only-upgrade Bad_Pkg",
                "apt_upgrade_security"
            )
            .contains("Bad_Pkg")
        );
        assert!(refused("apt-get remove openssl", "apply_updates").contains("remove"));
        assert!(refused("reboot now", "reboot").contains("unexpected argument"));
        assert!(refused("rm -rf /", "custom").contains("'rm' is not in the command catalog"));
        assert!(refused("bash -c id", "custom").contains("'bash'"));
    }

    #[test]
    fn configured_commands_run_by_name_only() {
        let mut custom = CustomCommands::new();
        custom.insert(
            "backup-now".into(),
            CustomCommand {
                argv: vec!["/usr/local/bin/backup".into(), "--quick mode".into()],
                sudo: true,
                timeout: Duration::from_secs(600),
            },
        );
        let a = parse_as_sent("backup-now", "custom", &custom).unwrap();
        assert_eq!(a.argv(), ["/usr/local/bin/backup", "--quick mode"]);
        assert!(a.needs_sudo());
        assert_eq!(a.timeout(), Duration::from_secs(600));
        assert_eq!(a.shell_command(), "/usr/local/bin/backup '--quick mode'");
        assert!(
            parse_as_sent("backup-now --full", "custom", &custom)
                .unwrap_err()
                .reason
                .contains("--full")
        );
        assert!(parse_as_sent("backup-now", "restart_service", &custom).is_err());
        assert!(
            for_action_type(ActionType::Custom, None, &[], Some("backup-now"), &custom).is_ok()
        );
        assert!(for_action_type(ActionType::Custom, None, &[], Some("other"), &custom).is_err());
    }

    #[test]
    fn contract_action_types_map_to_catalog_actions() {
        let c = none();
        let a = for_action_type(ActionType::RestartService, Some("plex"), &[], None, &c).unwrap();
        assert_eq!(a.argv(), ["systemctl", "restart", "--", "plex"]);
        assert!(for_action_type(ActionType::RestartService, None, &[], None, &c).is_err());
        assert!(
            for_action_type(ActionType::RestartService, Some("x;reboot"), &[], None, &c).is_err()
        );
        assert_eq!(
            for_action_type(ActionType::ClearLogs, None, &[], None, &c)
                .unwrap()
                .argv(),
            ["journalctl", "--vacuum-time=7d"]
        );
        assert_eq!(
            for_action_type(ActionType::AptUpdate, None, &[], None, &c).unwrap(),
            CatalogAction::AptUpdate
        );
        assert_eq!(
            for_action_type(ActionType::AptUpgradeAll, None, &[], None, &c)
                .unwrap()
                .name(),
            "apt_upgrade_all"
        );
        let pkgs = vec!["openssl".to_owned()];
        assert_eq!(
            for_action_type(ActionType::AptUpgradeSecurity, None, &pkgs, None, &c)
                .unwrap()
                .name(),
            "apt_upgrade_packages"
        );
        assert!(for_action_type(ActionType::AptUpgradeSecurity, None, &[], None, &c).is_err());
        let bad = vec!["openssl;reboot".to_owned()];
        assert!(for_action_type(ActionType::AptUpgradeSecurity, None, &bad, None, &c).is_err());
        assert!(
            for_action_type(ActionType::Service, None, &[], None, &c)
                .unwrap_err()
                .reason
                .contains("not in whitelist")
        );
        assert!("format_disk".parse::<ActionType>().is_err());
    }

    #[test]
    fn patterns() {
        assert!(
            is_unit_name("nginx")
                && is_unit_name("user@1000.service")
                && is_unit_name("dev-sda1.swap")
        );
        assert!(
            !is_unit_name("") && !is_unit_name("-x") && !is_unit_name(".x") && !is_unit_name("a/b")
        );
        assert!(is_container_name("plex") && is_container_name("a_b.c-1"));
        assert!(!is_container_name("-a") && !is_container_name("a b") && !is_container_name("a/b"));
        assert!(
            is_package_name("libc6") && is_package_name("g++") && is_package_name("libssl3:amd64")
        );
        assert!(!is_package_name("a") && !is_package_name("Foo") && !is_package_name("x:"));
    }
}
