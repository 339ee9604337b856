//! Operator-defined commands from the hub config file's `commands:` section:
//! a name mapped to a fixed argv. Callers can only pick one by name; they
//! never supply arguments.
//!
//! ```yaml
//! commands:
//!   backup-now:
//!     argv: [/usr/local/bin/backup, --quick]
//!     sudo: true
//!     timeout_seconds: 600
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// One configured command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCommand {
    pub argv: Vec<String>,
    pub sudo: bool,
    pub timeout: Duration,
}

/// Configured commands by name.
pub type CustomCommands = BTreeMap<String, CustomCommand>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    argv: Vec<String>,
    #[serde(default)]
    sudo: bool,
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
}

fn default_timeout() -> u64 {
    60
}

/// `^[a-z0-9][a-z0-9_-]{0,63}$`.
pub fn is_command_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// Parse and check the `commands:` value; errors name the command.
pub fn parse(value: yaml_serde::Value) -> Result<CustomCommands, String> {
    let specs: BTreeMap<String, Spec> =
        yaml_serde::from_value(value).map_err(|e| format!("commands: {e}"))?;
    let mut out = CustomCommands::new();
    for (name, spec) in specs {
        let at = |m: &str| format!("commands.{name}: {m}");
        if !is_command_name(&name) {
            return Err(at("name must match ^[a-z0-9][a-z0-9_-]{0,63}$"));
        }
        if spec.argv.is_empty() || spec.argv[0].trim().is_empty() {
            return Err(at("argv must start with a program"));
        }
        if spec.argv.len() > 64 {
            return Err(at("argv has more than 64 entries"));
        }
        if let Some(a) = spec
            .argv
            .iter()
            .find(|a| a.len() > 1024 || a.chars().any(|c| c.is_control()))
        {
            return Err(at(&format!(
                "argument of {} bytes is too long or has control characters",
                a.len()
            )));
        }
        if !(1..=86_400).contains(&spec.timeout_seconds) {
            return Err(at("timeout_seconds must be 1-86400"));
        }
        out.insert(
            name,
            CustomCommand {
                argv: spec.argv,
                sudo: spec.sudo,
                timeout: Duration::from_secs(spec.timeout_seconds),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> yaml_serde::Value {
        yaml_serde::from_str(s).unwrap()
    }

    #[test]
    fn commands_parse_with_defaults() {
        let c = parse(yaml(
            "backup-now:\n  argv: [/usr/local/bin/backup, --quick]\n  sudo: true\n  timeout_seconds: 600\nuptime:\n  argv: [uptime]\n",
        ))
        .unwrap();
        assert_eq!(c["backup-now"].argv, ["/usr/local/bin/backup", "--quick"]);
        assert!(c["backup-now"].sudo);
        assert_eq!(c["backup-now"].timeout, Duration::from_secs(600));
        assert_eq!(c["uptime"].timeout, Duration::from_secs(60));
        assert!(!c["uptime"].sudo);
    }

    #[test]
    fn bad_commands_are_named() {
        for (text, needle) in [
            ("Bad Name:\n  argv: [x]\n", "commands.Bad Name"),
            ("empty:\n  argv: []\n", "commands.empty: argv"),
            (
                "slow:\n  argv: [x]\n  timeout_seconds: 0\n",
                "commands.slow: timeout",
            ),
            ("odd:\n  argv: [x]\n  shell: true\n", "shell"),
            ("nl:\n  argv: [\"a\\nb\"]\n", "commands.nl"),
        ] {
            let e = parse(yaml(text)).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
