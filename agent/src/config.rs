//! Agent configuration: defaults, then the YAML file, then `HOMELAB_AGENT_*`
//! environment variables. Each source is validated as it is read, so an error
//! names the exact key or variable that carries the bad value.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Read when `-c` is not given; its absence is not an error.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/homelabcmd/agent.yaml";
/// Where the GUID file and the offline buffer live unless configured.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/homelabcmd-agent";
const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";
const DEFAULT_HEARTBEAT_INTERVAL: u64 = 60;
const DEFAULT_RETRY_DELAY: u64 = 5;
const DEFAULT_PACKAGE_CHECK_INTERVAL: u64 = 3600;
/// The default buffer holds this much history at the configured interval.
const BUFFER_HORIZON_SECS: u64 = 24 * 60 * 60;
const MAX_INTERVAL_SECS: u64 = 24 * 60 * 60;
const MAX_BUFFER_SAMPLES: u64 = 1_000_000;

/// The hub's API key. `Debug` hides it so no log line can leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// The agent's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Hub base URL without a trailing slash; `None` only matters when sending.
    pub hub_url: Option<String>,
    /// Sent as `X-API-Key`.
    pub api_key: Option<ApiKey>,
    /// Slug the hub knows this machine by.
    pub server_id: String,
    /// Explicit GUID; when `None` one is generated and kept in the state dir.
    pub server_guid: Option<String>,
    pub heartbeat_interval: Duration,
    pub monitored_services: Vec<String>,
    pub state_dir: PathBuf,
    /// False when `state_dir` is the built-in default, which may fall back
    /// to a per-user directory; a configured one must work as given.
    pub state_dir_explicit: bool,
    /// 0 disables the offline buffer.
    pub buffer_max_samples: usize,
    pub retry_delay: Duration,
    /// `None` disables the apt check.
    pub package_check_interval: Option<Duration>,
    /// `None` disables Docker collection.
    pub docker_socket: Option<PathBuf>,
}

impl Config {
    /// Loads the file (`explicit_path` must exist; the default path may be
    /// absent), then overlays the environment read through `env`.
    pub fn load(
        explicit_path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        hostname: &str,
    ) -> Result<Config> {
        let path = explicit_path.unwrap_or(Path::new(DEFAULT_CONFIG_PATH));
        let file = match std::fs::read_to_string(path) {
            Ok(text) => Layer::from_yaml(&text, path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit_path.is_none() => {
                Layer::default()
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read config file {}", path.display()));
            }
        };
        let env_layer = Layer::from_env(env)?;
        env_layer.over(file).finish(env, hostname)
    }
}

/// Values from one source, each already validated.
#[derive(Debug, Default)]
struct Layer {
    hub_url: Option<String>,
    api_key: Option<ApiKey>,
    server_id: Option<String>,
    server_guid: Option<String>,
    heartbeat_interval: Option<u64>,
    monitored_services: Option<Vec<String>>,
    state_dir: Option<PathBuf>,
    buffer_max_samples: Option<u64>,
    retry_delay: Option<u64>,
    package_check_interval: Option<u64>,
    docker_socket: Option<String>,
}

/// The YAML file. Unknown keys are errors so a typo does not silently fall
/// back to a default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    hub_url: Option<String>,
    api_key: Option<String>,
    server_id: Option<String>,
    server_guid: Option<String>,
    heartbeat_interval: Option<u64>,
    monitored_services: Option<Vec<String>>,
    state_dir: Option<PathBuf>,
    buffer_max_samples: Option<u64>,
    retry_delay: Option<u64>,
    package_check_interval: Option<u64>,
    docker_socket: Option<String>,
    // Keys of the Python agent's file, accepted so that file can be reused;
    // this agent never executes commands and authenticates by key only.
    api_token: Option<yaml_serde::Value>,
    mode: Option<yaml_serde::Value>,
    command_execution: Option<yaml_serde::Value>,
    auto_update: Option<yaml_serde::Value>,
}

impl Layer {
    fn from_yaml(text: &str, path: &Path) -> Result<Layer> {
        let where_ = path.display();
        if text.trim().is_empty() {
            return Ok(Layer::default());
        }
        let raw: FileConfig =
            yaml_serde::from_str(text).with_context(|| format!("invalid config file {where_}"))?;
        for (key, present) in [
            ("api_token", raw.api_token.is_some()),
            ("mode", raw.mode.is_some()),
            ("command_execution", raw.command_execution.is_some()),
            ("auto_update", raw.auto_update.is_some()),
        ] {
            if present {
                tracing::warn!("{where_}: `{key}` is not supported by this agent; ignored");
            }
        }
        let key = |k: &str| format!("{k} in {where_}");
        Ok(Layer {
            hub_url: raw
                .hub_url
                .map(|v| validate_hub_url(&key("hub_url"), &v))
                .transpose()?,
            api_key: raw
                .api_key
                .map(|v| validate_api_key(&key("api_key"), &v))
                .transpose()?,
            server_id: raw
                .server_id
                .map(|v| validate_server_id(&key("server_id"), &v))
                .transpose()?,
            server_guid: raw
                .server_guid
                .map(|v| validate_guid(&key("server_guid"), &v))
                .transpose()?,
            heartbeat_interval: raw
                .heartbeat_interval
                .map(|v| in_range(&key("heartbeat_interval"), v, 1, MAX_INTERVAL_SECS))
                .transpose()?,
            monitored_services: raw
                .monitored_services
                .map(|v| validate_services(&key("monitored_services"), v))
                .transpose()?,
            state_dir: raw
                .state_dir
                .map(|v| validate_dir(&key("state_dir"), v))
                .transpose()?,
            buffer_max_samples: raw
                .buffer_max_samples
                .map(|v| in_range(&key("buffer_max_samples"), v, 0, MAX_BUFFER_SAMPLES))
                .transpose()?,
            retry_delay: raw
                .retry_delay
                .map(|v| in_range(&key("retry_delay"), v, 0, 3600))
                .transpose()?,
            package_check_interval: raw
                .package_check_interval
                .map(|v| package_interval(&key("package_check_interval"), v))
                .transpose()?,
            docker_socket: raw.docker_socket,
        })
    }

    fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Layer> {
        // An empty variable (e.g. `KEY=` in an EnvironmentFile) means unset.
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let number = |name: &str, min: u64, max: u64| -> Result<Option<u64>> {
            get(name)
                .map(|raw| {
                    let v = raw.trim().parse::<u64>().map_err(|_| {
                        anyhow::anyhow!("{name}: expected a whole number, got {raw:?}")
                    })?;
                    in_range(name, v, min, max)
                })
                .transpose()
        };
        if get("HOMELAB_AGENT_API_TOKEN").is_some() {
            tracing::warn!(
                "HOMELAB_AGENT_API_TOKEN is not supported by this agent; set HOMELAB_AGENT_API_KEY"
            );
        }
        Ok(Layer {
            hub_url: get("HOMELAB_AGENT_HUB_URL")
                .map(|v| validate_hub_url("HOMELAB_AGENT_HUB_URL", &v))
                .transpose()?,
            api_key: get("HOMELAB_AGENT_API_KEY")
                .map(|v| validate_api_key("HOMELAB_AGENT_API_KEY", &v))
                .transpose()?,
            server_id: get("HOMELAB_AGENT_SERVER_ID")
                .map(|v| validate_server_id("HOMELAB_AGENT_SERVER_ID", &v))
                .transpose()?,
            server_guid: get("HOMELAB_AGENT_SERVER_GUID")
                .map(|v| validate_guid("HOMELAB_AGENT_SERVER_GUID", &v))
                .transpose()?,
            heartbeat_interval: number("HOMELAB_AGENT_HEARTBEAT_INTERVAL", 1, MAX_INTERVAL_SECS)?,
            monitored_services: get("HOMELAB_AGENT_MONITORED_SERVICES")
                .map(|v| {
                    validate_services(
                        "HOMELAB_AGENT_MONITORED_SERVICES",
                        v.split(',').map(str::to_owned).collect(),
                    )
                })
                .transpose()?,
            state_dir: get("HOMELAB_AGENT_STATE_DIR")
                .map(|v| validate_dir("HOMELAB_AGENT_STATE_DIR", PathBuf::from(v)))
                .transpose()?,
            buffer_max_samples: number("HOMELAB_AGENT_BUFFER_MAX_SAMPLES", 0, MAX_BUFFER_SAMPLES)?,
            retry_delay: number("HOMELAB_AGENT_RETRY_DELAY", 0, 3600)?,
            package_check_interval: number(
                "HOMELAB_AGENT_PACKAGE_CHECK_INTERVAL",
                0,
                MAX_INTERVAL_SECS,
            )?
            .map(|v| package_interval("HOMELAB_AGENT_PACKAGE_CHECK_INTERVAL", v))
            .transpose()?,
            // Read raw (not via `get`) so an explicitly empty value can
            // disable Docker collection.
            docker_socket: env("HOMELAB_AGENT_DOCKER_SOCKET"),
        })
    }

    /// `self` wins where set.
    fn over(self, base: Layer) -> Layer {
        Layer {
            hub_url: self.hub_url.or(base.hub_url),
            api_key: self.api_key.or(base.api_key),
            server_id: self.server_id.or(base.server_id),
            server_guid: self.server_guid.or(base.server_guid),
            heartbeat_interval: self.heartbeat_interval.or(base.heartbeat_interval),
            monitored_services: self.monitored_services.or(base.monitored_services),
            state_dir: self.state_dir.or(base.state_dir),
            buffer_max_samples: self.buffer_max_samples.or(base.buffer_max_samples),
            retry_delay: self.retry_delay.or(base.retry_delay),
            package_check_interval: self.package_check_interval.or(base.package_check_interval),
            docker_socket: self.docker_socket.or(base.docker_socket),
        }
    }

    fn finish(self, env: &dyn Fn(&str) -> Option<String>, hostname: &str) -> Result<Config> {
        let interval = self
            .heartbeat_interval
            .unwrap_or(DEFAULT_HEARTBEAT_INTERVAL);
        let buffer_max = self
            .buffer_max_samples
            .unwrap_or_else(|| BUFFER_HORIZON_SECS.div_ceil(interval));
        let state_dir_explicit = self.state_dir.is_some();
        let state_dir = self.state_dir.unwrap_or_else(|| default_state_dir(env));
        let docker_socket = match self.docker_socket {
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(PathBuf::from(s)),
            None => Some(PathBuf::from(DEFAULT_DOCKER_SOCKET)),
        };
        Ok(Config {
            hub_url: self.hub_url,
            api_key: self.api_key,
            server_id: self.server_id.unwrap_or_else(|| slug_hostname(hostname)),
            server_guid: self.server_guid,
            heartbeat_interval: Duration::from_secs(interval),
            monitored_services: self.monitored_services.unwrap_or_default(),
            state_dir,
            state_dir_explicit,
            buffer_max_samples: usize::try_from(buffer_max).context("buffer_max_samples")?,
            retry_delay: Duration::from_secs(self.retry_delay.unwrap_or(DEFAULT_RETRY_DELAY)),
            package_check_interval: match self
                .package_check_interval
                .unwrap_or(DEFAULT_PACKAGE_CHECK_INTERVAL)
            {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            docker_socket,
        })
    }
}

/// systemd's `StateDirectory=` exports the directory it made for us.
fn default_state_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    env("STATE_DIRECTORY")
        .and_then(|dirs| dirs.split(':').next().map(str::to_owned))
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_STATE_DIR), PathBuf::from)
}

fn in_range(name: &str, v: u64, min: u64, max: u64) -> Result<u64> {
    if v < min || v > max {
        bail!("{name}: must be between {min} and {max}, got {v}");
    }
    Ok(v)
}

/// 0 turns the apt check off; otherwise at least a minute, because each
/// check costs about a second of CPU.
fn package_interval(name: &str, v: u64) -> Result<u64> {
    if v == 0 {
        return Ok(0);
    }
    in_range(name, v, 60, MAX_INTERVAL_SECS)
}

fn validate_hub_url(name: &str, raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| anyhow::anyhow!("{name}: {raw:?} is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("{name}: {raw:?} must be an http:// or https:// URL with a host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("{name}: {raw:?} must not carry a query or fragment");
    }
    Ok(trimmed.to_owned())
}

fn validate_api_key(name: &str, raw: &str) -> Result<ApiKey> {
    let key = raw.trim();
    // Never echo the value: this error ends up in logs.
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
        bail!("{name}: must be non-empty printable ASCII without spaces");
    }
    Ok(ApiKey(key.to_owned()))
}

/// The hub's rule for server ids: `^[a-z0-9-]+$`, 1–100 chars.
fn is_valid_server_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn validate_server_id(name: &str, raw: &str) -> Result<String> {
    let id = raw.trim();
    if !is_valid_server_id(id) {
        bail!("{name}: {raw:?} must be 1-100 chars of a-z, 0-9 and '-'");
    }
    Ok(id.to_owned())
}

/// Lower-cases a hostname and folds everything else into single dashes, so
/// `Web_01.lan` becomes `web-01-lan`.
pub fn slug_hostname(hostname: &str) -> String {
    let mut slug = String::with_capacity(hostname.len());
    for c in hostname.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(100);
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "localhost".to_owned()
    } else {
        slug.to_owned()
    }
}

/// Accepts UUID v4 only, like the hub, and normalises to lower-case hyphenated.
pub fn validate_guid(name: &str, raw: &str) -> Result<String> {
    let parsed = uuid::Uuid::parse_str(raw.trim())
        .ok()
        .filter(|u| u.get_version_num() == 4);
    match parsed {
        Some(u) => Ok(u.hyphenated().to_string()),
        None => bail!("{name}: {raw:?} is not a UUID v4"),
    }
}

fn validate_services(name: &str, raw: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for s in raw {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        // A leading '-' would reach systemctl as an option.
        let ok = s.len() <= 255
            && !s.starts_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"@._:-\\".contains(&b));
        if !ok {
            bail!("{name}: {s:?} is not a valid systemd unit name");
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

fn validate_dir(name: &str, dir: PathBuf) -> Result<PathBuf> {
    if dir.as_os_str().is_empty() {
        bail!("{name}: must not be empty");
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn load(yaml: Option<&str>, env: &[(&str, &str)]) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.yaml");
        std::fs::write(&path, yaml.unwrap_or_default()).unwrap();
        Config::load(Some(&path), &env_of(env), "Test-Host.lan")
    }

    #[test]
    fn defaults_apply_when_only_the_hub_url_is_set() {
        let c = load(
            Some(""),
            &[("HOMELAB_AGENT_HUB_URL", "http://127.0.0.1:8080/")],
        )
        .unwrap();
        assert_eq!(c.hub_url.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(c.server_id, "test-host-lan");
        assert_eq!(c.heartbeat_interval, Duration::from_secs(60));
        assert_eq!(c.retry_delay, Duration::from_secs(5));
        assert_eq!(c.buffer_max_samples, 1440);
        assert_eq!(c.state_dir, PathBuf::from(DEFAULT_STATE_DIR));
        assert!(!c.state_dir_explicit);
        assert_eq!(
            c.docker_socket.as_deref(),
            Some(Path::new("/var/run/docker.sock"))
        );
        assert!(c.monitored_services.is_empty());
        assert!(c.api_key.is_none());
        assert_eq!(c.package_check_interval, Some(Duration::from_secs(3600)));
    }

    #[test]
    fn environment_overrides_file() {
        let yaml = "hub_url: http://file:8080\napi_key: file-key\nheartbeat_interval: 30\n\
                    monitored_services: [ssh, cron]\nserver_id: from-file\n";
        let c = load(
            Some(yaml),
            &[
                ("HOMELAB_AGENT_HUB_URL", "https://env.example"),
                ("HOMELAB_AGENT_HEARTBEAT_INTERVAL", "1"),
                ("HOMELAB_AGENT_MONITORED_SERVICES", "nginx, docker,,nginx"),
            ],
        )
        .unwrap();
        assert_eq!(c.hub_url.as_deref(), Some("https://env.example"));
        assert_eq!(c.api_key.as_ref().map(ApiKey::expose), Some("file-key"));
        assert_eq!(c.server_id, "from-file");
        assert_eq!(c.heartbeat_interval, Duration::from_secs(1));
        assert_eq!(c.buffer_max_samples, 86_400);
        assert_eq!(c.monitored_services, ["nginx", "docker"]);
    }

    #[test]
    fn empty_environment_values_count_as_unset() {
        let c = load(
            Some("heartbeat_interval: 30\n"),
            &[("HOMELAB_AGENT_HEARTBEAT_INTERVAL", "")],
        )
        .unwrap();
        assert_eq!(c.heartbeat_interval, Duration::from_secs(30));
    }

    #[test]
    fn bad_values_name_their_variable_or_key() {
        type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (
                None,
                &[("HOMELAB_AGENT_HEARTBEAT_INTERVAL", "soon")],
                "HOMELAB_AGENT_HEARTBEAT_INTERVAL",
            ),
            (
                None,
                &[("HOMELAB_AGENT_HEARTBEAT_INTERVAL", "0")],
                "HOMELAB_AGENT_HEARTBEAT_INTERVAL",
            ),
            (
                None,
                &[("HOMELAB_AGENT_RETRY_DELAY", "-1")],
                "HOMELAB_AGENT_RETRY_DELAY",
            ),
            (
                None,
                &[("HOMELAB_AGENT_HUB_URL", "ftp://x")],
                "HOMELAB_AGENT_HUB_URL",
            ),
            (
                None,
                &[("HOMELAB_AGENT_HUB_URL", "not a url")],
                "HOMELAB_AGENT_HUB_URL",
            ),
            (
                None,
                &[("HOMELAB_AGENT_SERVER_ID", "Web_01")],
                "HOMELAB_AGENT_SERVER_ID",
            ),
            (
                None,
                &[("HOMELAB_AGENT_SERVER_GUID", "1234")],
                "HOMELAB_AGENT_SERVER_GUID",
            ),
            (
                None,
                &[("HOMELAB_AGENT_MONITORED_SERVICES", "ssh,--force")],
                "HOMELAB_AGENT_MONITORED_SERVICES",
            ),
            (
                None,
                &[("HOMELAB_AGENT_BUFFER_MAX_SAMPLES", "many")],
                "HOMELAB_AGENT_BUFFER_MAX_SAMPLES",
            ),
            (Some("heartbeat_interval: 0\n"), &[], "heartbeat_interval"),
            (
                Some("heartbeat_interval: soon\n"),
                &[],
                "heartbeat_interval",
            ),
            (Some("server_id: UPPER\n"), &[], "server_id"),
            (Some("hub_url: 12\n"), &[], "hub_url"),
            (Some("heartbeat_intervall: 5\n"), &[], "heartbeat_intervall"),
            (Some("monitored_services: ssh\n"), &[], "monitored_services"),
            (
                Some("package_check_interval: 5\n"),
                &[],
                "package_check_interval",
            ),
            (
                None,
                &[("HOMELAB_AGENT_PACKAGE_CHECK_INTERVAL", "30")],
                "HOMELAB_AGENT_PACKAGE_CHECK_INTERVAL",
            ),
        ];
        for (yaml, env, needle) in cases {
            let err = format!("{:#}", load(*yaml, env).unwrap_err());
            assert!(err.contains(needle), "{needle:?} not in {err:?}");
        }
    }

    #[test]
    fn api_key_never_appears_in_errors_or_debug_output() {
        let err = format!(
            "{:#}",
            load(None, &[("HOMELAB_AGENT_API_KEY", "sec ret")]).unwrap_err()
        );
        assert!(!err.contains("sec ret"), "{err}");
        let c = load(None, &[("HOMELAB_AGENT_API_KEY", "s3cret")]).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn explicit_missing_file_is_an_error_but_default_missing_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yaml");
        let err = Config::load(Some(&missing), &env_of(&[]), "h").unwrap_err();
        assert!(format!("{err:#}").contains("nope.yaml"));
    }

    #[test]
    fn python_agent_keys_are_accepted_and_ignored() {
        let c = load(
            Some("hub_url: http://h:8080\nmode: readwrite\nauto_update: true\ncommand_execution: {enabled: false}\n"),
            &[],
        )
        .unwrap();
        assert_eq!(c.hub_url.as_deref(), Some("http://h:8080"));
    }

    #[test]
    fn guid_is_normalised_and_state_dir_follows_systemd() {
        let c = load(
            None,
            &[
                (
                    "HOMELAB_AGENT_SERVER_GUID",
                    "4F8E2A1C-7B3D-4E9A-8C1F-2D5B6A7E9F01",
                ),
                ("STATE_DIRECTORY", "/var/lib/homelabcmd-agent-x"),
                ("HOMELAB_AGENT_DOCKER_SOCKET", ""),
                ("HOMELAB_AGENT_PACKAGE_CHECK_INTERVAL", "0"),
            ],
        )
        .unwrap();
        assert_eq!(
            c.server_guid.as_deref(),
            Some("4f8e2a1c-7b3d-4e9a-8c1f-2d5b6a7e9f01")
        );
        assert_eq!(c.state_dir, PathBuf::from("/var/lib/homelabcmd-agent-x"));
        assert!(c.docker_socket.is_none());
        assert!(c.package_check_interval.is_none());
    }

    #[test]
    fn hostnames_slug_to_the_hub_pattern() {
        assert_eq!(slug_hostname("Web_01.lan"), "web-01-lan");
        assert_eq!(slug_hostname("--pi--"), "pi");
        assert_eq!(slug_hostname("émile"), "mile");
        assert_eq!(slug_hostname("___"), "localhost");
        assert!(is_valid_server_id(&slug_hostname(&"a.".repeat(200))));
    }
}
