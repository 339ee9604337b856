//! Hub configuration: defaults → optional YAML file → environment, parsed
//! once into [`Config`] and passed through the app state. Variable names are
//! HomelabCmd's (`HOMELAB_CMD_*`, `HOMELABCMD_ENCRYPTION_KEY`), so an existing
//! deployment's environment works unchanged.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// The API key the hub falls back to; using it is warned about loudly.
pub const DEFAULT_API_KEY: &str = "dev-key-change-me";

#[derive(Clone)]
pub struct Config {
    pub api_key: String,
    pub host: IpAddr,
    /// 0: any free port (see `addr_file`).
    pub port: u16,
    /// Where `serve` writes the address it bound, `ip:port`, once listening
    /// (`HOMELAB_CMD_ADDR_FILE`): for tests and supervisors that start the hub
    /// on port 0.
    pub addr_file: Option<PathBuf>,
    pub database_path: PathBuf,
    pub debug: bool,
    pub external_url: Option<String>,
    /// 32-byte key for credentials at rest (used by the SSH credential store).
    pub encryption_key: Option<[u8; 32]>,
    /// Full-resolution samples are kept this long, then only rollups remain.
    pub raw_retention_hours: u32,
    /// How often the rollup/retention task runs.
    pub rollup_interval_seconds: u64,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Notification channel URLs from the environment; the stored
    /// `/config/notifications` values win over these. Secrets: redacted in
    /// `Debug`, never logged.
    pub slack_webhook_url: Option<String>,
    pub discord_webhook_url: Option<String>,
    pub ntfy_url: Option<String>,
    pub webhook_url: Option<String>,
    /// How often every machine is re-evaluated for offline alerts.
    pub alert_check_interval_seconds: u64,
    /// How old a machine's newest check of a pack may get before the drift
    /// scheduler checks it again (`HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS`,
    /// a day); 0 turns scheduled checks off.
    pub drift_check_interval_seconds: u64,
    /// Operator-defined SSH commands (`commands:` in the YAML file only).
    pub commands: homelabcmd_core::catalog::CustomCommands,
    /// SSH executor knobs (`HOMELAB_CMD_SSH_*`), see [`SshConfig`].
    pub ssh: SshConfig,
}

/// Timeouts and limits of the SSH executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshConfig {
    /// TCP connect + key exchange + authentication (`HOMELAB_CMD_SSH_CONNECT_TIMEOUT_SECONDS`, 10).
    pub connect_timeout_seconds: u64,
    /// Commands without a catalog timeout of their own (`HOMELAB_CMD_SSH_COMMAND_TIMEOUT_SECONDS`, 60).
    pub command_timeout_seconds: u64,
    /// Commands running at once per machine; more get 429 on
    /// `/commands/execute` and wait their turn as actions
    /// (`HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER`, 4).
    pub max_concurrent_per_server: usize,
    /// stdout and stderr are each kept up to this many bytes
    /// (`HOMELAB_CMD_SSH_OUTPUT_CAP_BYTES`, 65536).
    pub output_cap_bytes: usize,
}

impl Default for SshConfig {
    fn default() -> Self {
        Self {
            connect_timeout_seconds: 10,
            command_timeout_seconds: 60,
            max_concurrent_per_server: 4,
            output_cap_bytes: 64 * 1024,
        }
    }
}

// Secrets stay out of logs even when the whole config is debug-printed.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &"<redacted>")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("addr_file", &self.addr_file)
            .field("database_path", &self.database_path)
            .field("debug", &self.debug)
            .field("external_url", &self.external_url)
            .field("encryption_key", &self.encryption_key.map(|_| "<redacted>"))
            .field("raw_retention_hours", &self.raw_retention_hours)
            .field("rollup_interval_seconds", &self.rollup_interval_seconds)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("slack_webhook_url", &redacted(&self.slack_webhook_url))
            .field("discord_webhook_url", &redacted(&self.discord_webhook_url))
            .field("ntfy_url", &redacted(&self.ntfy_url))
            .field("webhook_url", &redacted(&self.webhook_url))
            .field(
                "alert_check_interval_seconds",
                &self.alert_check_interval_seconds,
            )
            .field(
                "drift_check_interval_seconds",
                &self.drift_check_interval_seconds,
            )
            .field("commands", &self.commands.keys().collect::<Vec<_>>())
            .field("ssh", &self.ssh)
            .finish()
    }
}

fn redacted(secret: &Option<String>) -> Option<&'static str> {
    secret.as_ref().map(|_| "<redacted>")
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.into(),
            host: IpAddr::from([0, 0, 0, 0]),
            port: 8080,
            addr_file: None,
            database_path: PathBuf::from("./data/homelab.db"),
            debug: false,
            external_url: None,
            encryption_key: None,
            raw_retention_hours: 48,
            rollup_interval_seconds: 300,
            max_body_bytes: 1024 * 1024,
            slack_webhook_url: None,
            discord_webhook_url: None,
            ntfy_url: None,
            webhook_url: None,
            alert_check_interval_seconds: 15,
            drift_check_interval_seconds: 86_400,
            commands: Default::default(),
            ssh: SshConfig::default(),
        }
    }
}

/// A bad configuration value, naming where it came from.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ConfigError {
    pub source_name: String,
    pub message: String,
}

fn bad(source_name: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        source_name: source_name.into(),
        message: message.into(),
    }
}

/// Each setting: (env var, file key).
const SETTINGS: &[(&str, &str)] = &[
    ("HOMELAB_CMD_API_KEY", "api_key"),
    ("HOMELAB_CMD_HOST", "host"),
    ("HOMELAB_CMD_PORT", "port"),
    ("HOMELAB_CMD_ADDR_FILE", "addr_file"),
    ("HOMELAB_CMD_DATABASE_URL", "database_url"),
    ("HOMELAB_CMD_DEBUG", "debug"),
    ("HOMELAB_CMD_EXTERNAL_URL", "external_url"),
    ("HOMELABCMD_ENCRYPTION_KEY", "encryption_key"),
    (
        "HOMELAB_CMD_METRICS_RAW_RETENTION_HOURS",
        "metrics_raw_retention_hours",
    ),
    (
        "HOMELAB_CMD_ROLLUP_INTERVAL_SECONDS",
        "rollup_interval_seconds",
    ),
    ("HOMELAB_CMD_MAX_BODY_BYTES", "max_body_bytes"),
    // The issue names Slack's variable without the prefix.
    ("SLACK_WEBHOOK_URL", "slack_webhook_url"),
    ("HOMELAB_CMD_DISCORD_WEBHOOK_URL", "discord_webhook_url"),
    ("HOMELAB_CMD_NTFY_URL", "ntfy_url"),
    ("HOMELAB_CMD_WEBHOOK_URL", "webhook_url"),
    (
        "HOMELAB_CMD_ALERT_CHECK_INTERVAL_SECONDS",
        "alert_check_interval_seconds",
    ),
    (
        "HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS",
        "drift_check_interval_seconds",
    ),
    (
        "HOMELAB_CMD_SSH_CONNECT_TIMEOUT_SECONDS",
        "ssh_connect_timeout_seconds",
    ),
    (
        "HOMELAB_CMD_SSH_COMMAND_TIMEOUT_SECONDS",
        "ssh_command_timeout_seconds",
    ),
    (
        "HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER",
        "ssh_max_concurrent_per_server",
    ),
    ("HOMELAB_CMD_SSH_OUTPUT_CAP_BYTES", "ssh_output_cap_bytes"),
];

impl Config {
    /// Load from the process environment and, if given (or named by
    /// `HOMELAB_CMD_CONFIG`), a YAML file.
    pub fn from_env(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env.get("HOMELAB_CMD_CONFIG").map(PathBuf::from));
        let file_text = match &file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                bad(
                    &path.display().to_string(),
                    format!("cannot read config file: {e}"),
                )
            })?),
            None => None,
        };
        Self::load(&env, file.as_deref(), file_text.as_deref())
    }

    /// Pure layering of defaults, file text and environment.
    pub fn load(
        env: &HashMap<String, String>,
        file_name: Option<&Path>,
        file_text: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let file_label = file_name
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "config file".into());
        let FileLayer {
            commands,
            values: from_file,
        } = read_file(&file_label, file_text)?;
        // Env wins over the file; the error names whichever supplied the value.
        let lookup = |env_name: &str| -> Option<(String, String)> {
            let key = SETTINGS
                .iter()
                .find(|(e, _)| *e == env_name)
                .map(|(_, k)| *k)?;
            match env.get(env_name) {
                Some(v) => Some((env_name.to_owned(), v.clone())),
                None => from_file
                    .get(key)
                    .map(|v| (format!("{file_label}: {key}"), v.clone())),
            }
        };

        let mut c = Config {
            commands,
            ..Config::default()
        };
        c.load_server(lookup)?;
        c.load_encryption_key(lookup)?;
        c.load_metrics_limits(lookup)?;
        c.load_webhook_urls(lookup)?;
        c.load_intervals(lookup)?;
        c.load_ssh(lookup)?;
        Ok(c)
    }

    /// What the HTTP server and its database need: key, address, database,
    /// debug, the URL it is reached at.
    fn load_server(
        &mut self,
        lookup: impl Fn(&str) -> Option<(String, String)>,
    ) -> Result<(), ConfigError> {
        if let Some((src, v)) = lookup("HOMELAB_CMD_API_KEY") {
            if v.trim().is_empty() {
                return Err(bad(&src, "must not be empty"));
            }
            self.api_key = v.trim().to_owned();
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_HOST") {
            self.host = v
                .trim()
                .parse()
                .map_err(|_| bad(&src, format!("'{v}' is not an IP address")))?;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_PORT") {
            self.port = v
                .trim()
                .parse()
                .map_err(|_| bad(&src, format!("'{v}' is not a port number (0-65535)")))?;
        }
        if let Some((_, v)) = lookup("HOMELAB_CMD_ADDR_FILE") {
            let v = v.trim();
            self.addr_file = (!v.is_empty()).then(|| PathBuf::from(v));
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_DATABASE_URL") {
            self.database_path = parse_database_url(&v).map_err(|m| bad(&src, m))?;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_DEBUG") {
            self.debug =
                parse_bool(&v).ok_or_else(|| bad(&src, format!("'{v}' is not true/false")))?;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_EXTERNAL_URL") {
            let v = v.trim().trim_end_matches('/');
            if !v.is_empty() {
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    return Err(bad(
                        &src,
                        format!("'{v}' must start with http:// or https://"),
                    ));
                }
                self.external_url = Some(v.to_owned());
            }
        }
        Ok(())
    }

    /// The credentials key: 32 bytes in base64. A secret, so errors never
    /// echo it.
    fn load_encryption_key(
        &mut self,
        lookup: impl Fn(&str) -> Option<(String, String)>,
    ) -> Result<(), ConfigError> {
        if let Some((src, v)) = lookup("HOMELABCMD_ENCRYPTION_KEY") {
            // Never echo the value: it is a secret.
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(v.trim()))
                .map_err(|_| {
                    bad(
                        &src,
                        "is not valid base64 (generate one with `homelabcmd generate-key`)",
                    )
                })?;
            let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
                bad(&src, format!("must decode to 32 bytes, got {}", b.len()))
            })?;
            self.encryption_key = Some(key);
        }
        Ok(())
    }

    /// How long raw metrics are kept, how often they are rolled up, and the
    /// largest request body.
    fn load_metrics_limits(
        &mut self,
        lookup: impl Fn(&str) -> Option<(String, String)>,
    ) -> Result<(), ConfigError> {
        if let Some((src, v)) = lookup("HOMELAB_CMD_METRICS_RAW_RETENTION_HOURS") {
            self.raw_retention_hours =
                parse_range(&v, 2, 24 * 365).map_err(|m| bad(&src, m))? as u32;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_ROLLUP_INTERVAL_SECONDS") {
            self.rollup_interval_seconds = parse_range(&v, 1, 86_400).map_err(|m| bad(&src, m))?;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_MAX_BODY_BYTES") {
            self.max_body_bytes =
                parse_range(&v, 64 * 1024, 64 * 1024 * 1024).map_err(|m| bad(&src, m))? as usize;
        }
        Ok(())
    }

    /// The background passes: offline alerts and scheduled drift checks.
    fn load_intervals(
        &mut self,
        lookup: impl Fn(&str) -> Option<(String, String)>,
    ) -> Result<(), ConfigError> {
        if let Some((src, v)) = lookup("HOMELAB_CMD_ALERT_CHECK_INTERVAL_SECONDS") {
            self.alert_check_interval_seconds =
                parse_range(&v, 1, 3600).map_err(|m| bad(&src, m))?;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS") {
            self.drift_check_interval_seconds =
                parse_drift_interval(&v).map_err(|m| bad(&src, m))?;
        }
        Ok(())
    }

    /// The SSH executor's timeouts and limits, see [`SshConfig`].
    fn load_ssh(
        &mut self,
        lookup: impl Fn(&str) -> Option<(String, String)>,
    ) -> Result<(), ConfigError> {
        if let Some((src, v)) = lookup("HOMELAB_CMD_SSH_CONNECT_TIMEOUT_SECONDS") {
            self.ssh.connect_timeout_seconds = parse_range(&v, 1, 300).map_err(|m| bad(&src, m))?;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_SSH_COMMAND_TIMEOUT_SECONDS") {
            self.ssh.command_timeout_seconds =
                parse_range(&v, 1, 86_400).map_err(|m| bad(&src, m))?;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER") {
            self.ssh.max_concurrent_per_server =
                parse_range(&v, 1, 64).map_err(|m| bad(&src, m))? as usize;
        }
        if let Some((src, v)) = lookup("HOMELAB_CMD_SSH_OUTPUT_CAP_BYTES") {
            self.ssh.output_cap_bytes =
                parse_range(&v, 1024, 16 * 1024 * 1024).map_err(|m| bad(&src, m))? as usize;
        }
        Ok(())
    }

    /// Fill the notification URLs; a value is a secret, so errors never echo it.
    fn load_webhook_urls(
        &mut self,
        lookup: impl Fn(&str) -> Option<(String, String)>,
    ) -> Result<(), ConfigError> {
        for (var, slot) in [
            ("SLACK_WEBHOOK_URL", &mut self.slack_webhook_url),
            (
                "HOMELAB_CMD_DISCORD_WEBHOOK_URL",
                &mut self.discord_webhook_url,
            ),
            ("HOMELAB_CMD_NTFY_URL", &mut self.ntfy_url),
            ("HOMELAB_CMD_WEBHOOK_URL", &mut self.webhook_url),
        ] {
            let Some((src, v)) = lookup(var) else {
                continue;
            };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            if !crate::settings::is_http_url_or_empty(v) {
                return Err(bad(&src, "must be an http:// or https:// URL"));
            }
            *slot = Some(v.to_owned());
        }
        Ok(())
    }

    pub fn uses_default_api_key(&self) -> bool {
        self.api_key == DEFAULT_API_KEY
    }
}

/// What the YAML file says.
struct FileLayer {
    /// The `commands:` section.
    commands: homelabcmd_core::catalog::CustomCommands,
    /// Every other key, as text, by its key in [`SETTINGS`].
    values: HashMap<&'static str, String>,
}

/// Read the YAML file's layer. Unknown keys and nested values are errors
/// naming the file.
fn read_file(file_label: &str, file_text: Option<&str>) -> Result<FileLayer, ConfigError> {
    // The file's keys are the env names without prefix, lower-case.
    let mut file: HashMap<String, yaml_serde::Value> = match file_text {
        Some(text) if !text.trim().is_empty() => {
            yaml_serde::from_str(text).map_err(|e| bad(file_label, e.to_string()))?
        }
        _ => HashMap::new(),
    };
    // The one structured section: a map of named commands, file only.
    let commands = match file.remove("commands") {
        Some(v) => homelabcmd_core::catalog::custom::parse(v).map_err(|m| bad(file_label, m))?,
        None => Default::default(),
    };
    let mut from_file: HashMap<&str, String> = HashMap::new();
    for (key, value) in &file {
        let Some((_, known)) = SETTINGS.iter().find(|(_, k)| k == key) else {
            let keys: Vec<&str> = SETTINGS.iter().map(|(_, k)| *k).collect();
            return Err(bad(
                file_label,
                format!("unknown key '{key}' (known: {})", keys.join(", ")),
            ));
        };
        let text = match value {
            yaml_serde::Value::String(s) => s.clone(),
            yaml_serde::Value::Number(n) => n.to_string(),
            yaml_serde::Value::Bool(b) => b.to_string(),
            _ => {
                return Err(bad(
                    &format!("{file_label}: {key}"),
                    "must be a single value",
                ));
            }
        };
        from_file.insert(known, text);
    }
    Ok(FileLayer {
        commands,
        values: from_file,
    })
}

/// Accepts a plain path or HomelabCmd's SQLAlchemy form
/// (`sqlite:///./data/homelab.db`, `sqlite+aiosqlite:////abs/path.db`).
pub fn parse_database_url(v: &str) -> Result<PathBuf, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("must not be empty".into());
    }
    let path = match v.split_once("://") {
        Some((scheme, rest)) => {
            if !scheme.starts_with("sqlite") {
                return Err(format!("only SQLite is supported, got scheme '{scheme}'"));
            }
            // sqlite:///rel → "/rel" relative; sqlite:////abs → "//abs" absolute.
            let rest = rest.split('?').next().unwrap_or(rest);
            match rest.strip_prefix('/') {
                Some(p) if !p.is_empty() => p.to_owned(),
                _ if !rest.is_empty() => rest.to_owned(),
                _ => return Err(format!("'{v}' names no database file")),
            }
        }
        None => v.to_owned(),
    };
    if path == ":memory:" {
        return Err("an in-memory database would lose every sample on restart".into());
    }
    Ok(PathBuf::from(path))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// 0 (off), or 5 s to 30 days. Intervals under a minute only make sense in
/// tests; a real fleet wants hours.
fn parse_drift_interval(v: &str) -> Result<u64, String> {
    match parse_range(v, 0, 30 * 86_400)? {
        n @ 1..5 => Err(format!("{n} is out of range (0 to turn off, or 5-2592000)")),
        n => Ok(n),
    }
}

fn parse_range(v: &str, min: u64, max: u64) -> Result<u64, String> {
    let n: u64 = v
        .trim()
        .parse()
        .map_err(|_| format!("'{v}' is not a whole number"))?;
    if n < min || n > max {
        return Err(format!("{n} is out of range ({min}-{max})"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_homelabcmd() {
        let c = Config::load(&env(&[]), None, None).unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!(c.host.to_string(), "0.0.0.0");
        assert_eq!(c.database_path, PathBuf::from("./data/homelab.db"));
        assert!(c.uses_default_api_key());
    }

    #[test]
    fn port_zero_and_an_address_file_are_accepted() {
        let c = Config::load(
            &env(&[
                ("HOMELAB_CMD_PORT", "0"),
                ("HOMELAB_CMD_ADDR_FILE", "/run/hub.addr"),
            ]),
            None,
            None,
        )
        .unwrap();
        assert_eq!(c.port, 0);
        assert_eq!(c.addr_file, Some(PathBuf::from("/run/hub.addr")));
        assert_eq!(Config::load(&env(&[]), None, None).unwrap().addr_file, None);
    }

    #[test]
    fn ssh_knobs_have_defaults_and_env_overrides() {
        let c = Config::load(&env(&[]), None, None).unwrap();
        assert_eq!(c.ssh, SshConfig::default());
        let c = Config::load(
            &env(&[
                ("HOMELAB_CMD_SSH_CONNECT_TIMEOUT_SECONDS", "3"),
                ("HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER", "2"),
            ]),
            None,
            Some("ssh_output_cap_bytes: 2048\n"),
        )
        .unwrap();
        assert_eq!(c.ssh.connect_timeout_seconds, 3);
        assert_eq!(c.ssh.max_concurrent_per_server, 2);
        assert_eq!(c.ssh.output_cap_bytes, 2048);
        let e = Config::load(
            &env(&[("HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER", "0")]),
            None,
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER"),
            "{e}"
        );
    }

    #[test]
    fn sqlalchemy_urls_are_accepted() {
        assert_eq!(
            parse_database_url("sqlite:///./data/homelab.db").unwrap(),
            PathBuf::from("./data/homelab.db")
        );
        assert_eq!(
            parse_database_url("sqlite+aiosqlite:////var/lib/h.db").unwrap(),
            PathBuf::from("/var/lib/h.db")
        );
        assert_eq!(
            parse_database_url("/tmp/x.db").unwrap(),
            PathBuf::from("/tmp/x.db")
        );
        assert!(parse_database_url("postgres://x/y").is_err());
        assert!(parse_database_url("sqlite:///:memory:").is_err());
    }

    #[test]
    fn bad_values_name_their_variable() {
        let e = Config::load(&env(&[("HOMELAB_CMD_PORT", "eighty")]), None, None).unwrap_err();
        assert_eq!(e.source_name, "HOMELAB_CMD_PORT");
        let e = Config::load(
            &env(&[("HOMELABCMD_ENCRYPTION_KEY", "c2hvcnQ=")]),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.source_name, "HOMELABCMD_ENCRYPTION_KEY");
        assert!(
            !e.to_string().contains("c2hvcnQ"),
            "the secret is not echoed"
        );
        let e = Config::load(&env(&[("HOMELAB_CMD_DEBUG", "maybe")]), None, None).unwrap_err();
        assert_eq!(e.source_name, "HOMELAB_CMD_DEBUG");
    }

    #[test]
    fn env_overrides_file_and_file_errors_name_the_key() {
        let file = "port: 9000\napi_key: from-file\n";
        let c = Config::load(
            &env(&[("HOMELAB_CMD_PORT", "9100")]),
            Some(Path::new("hub.yaml")),
            Some(file),
        )
        .unwrap();
        assert_eq!(c.port, 9100);
        assert_eq!(c.api_key, "from-file");
        let e =
            Config::load(&env(&[]), Some(Path::new("hub.yaml")), Some("port: 'x'\n")).unwrap_err();
        assert_eq!(e.source_name, "hub.yaml: port");
        let e =
            Config::load(&env(&[]), Some(Path::new("hub.yaml")), Some("prot: 1\n")).unwrap_err();
        assert!(e.message.contains("prot"), "{e}");
    }

    #[test]
    fn drift_interval_defaults_to_a_day_allows_off_and_names_the_variable() {
        let c = Config::load(&env(&[]), None, None).unwrap();
        assert_eq!(c.drift_check_interval_seconds, 86_400);
        let var = "HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS";
        for (v, want) in [("0", 0), ("5", 5), ("3600", 3600)] {
            let c = Config::load(&env(&[(var, v)]), None, None).unwrap();
            assert_eq!(c.drift_check_interval_seconds, want);
        }
        for v in ["4", "-1", "soon", "2592001"] {
            let e = Config::load(&env(&[(var, v)]), None, None).unwrap_err();
            assert_eq!(e.source_name, var, "{v}: {e}");
        }
        let c = Config::load(&env(&[]), None, Some("drift_check_interval_seconds: 600\n")).unwrap();
        assert_eq!(c.drift_check_interval_seconds, 600);
    }

    #[test]
    fn webhook_urls_come_from_env_and_are_never_shown() {
        let secret = "https://hooks.slack.com/services/T0/B0/s3cret";
        let c = Config::load(
            &env(&[
                ("SLACK_WEBHOOK_URL", secret),
                ("HOMELAB_CMD_NTFY_URL", " https://ntfy.sh/topic-x9 "),
                ("HOMELAB_CMD_WEBHOOK_URL", ""),
            ]),
            None,
            None,
        )
        .unwrap();
        assert_eq!(c.slack_webhook_url.as_deref(), Some(secret));
        assert_eq!(c.ntfy_url.as_deref(), Some("https://ntfy.sh/topic-x9"));
        assert_eq!(c.webhook_url, None, "empty means unset");
        assert_eq!(c.discord_webhook_url, None);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("topic-x9"),
            "{shown}"
        );

        let file = "discord_webhook_url: https://discord.com/api/webhooks/1/t\n";
        let c = Config::load(&env(&[]), Some(Path::new("hub.yaml")), Some(file)).unwrap();
        assert!(c.discord_webhook_url.is_some());

        let e = Config::load(
            &env(&[("HOMELAB_CMD_DISCORD_WEBHOOK_URL", "discord/s3cret")]),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.source_name, "HOMELAB_CMD_DISCORD_WEBHOOK_URL");
        assert!(
            !e.to_string().contains("s3cret"),
            "the secret is not echoed"
        );
    }

    #[test]
    fn commands_come_from_the_file() {
        let file = "port: 9000\ncommands:\n  backup-now:\n    argv: [/usr/local/bin/backup]\n    sudo: true\n";
        let c = Config::load(&env(&[]), Some(Path::new("hub.yaml")), Some(file)).unwrap();
        assert!(c.commands["backup-now"].sudo);
        assert!(format!("{c:?}").contains("backup-now"));
        let e = Config::load(
            &env(&[]),
            Some(Path::new("hub.yaml")),
            Some("commands:\n  x:\n    argv: []\n"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("commands.x"), "{e}");
    }

    #[test]
    fn a_valid_key_decodes() {
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let c = Config::load(&env(&[("HOMELABCMD_ENCRYPTION_KEY", &key)]), None, None).unwrap();
        assert_eq!(c.encryption_key, Some([7u8; 32]));
        assert!(!format!("{c:?}").contains(&key));
    }
}
