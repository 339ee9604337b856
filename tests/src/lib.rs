//! End-to-end harness for HomelabCmd: the real `homelabcmd` hub and
//! `homelabcmd-agent` binaries run as processes, driven over HTTP.
//!
//! Each test starts its own [`Hub`] (own port on 127.0.0.1, own temp dir with
//! a real SQLite file), so tests run in parallel safely. Process output goes
//! to a log file in the temp dir and is printed when a test fails.
//!
//! The binaries are not dependencies of this crate: build them first
//! (`cargo build -p homelabcmd -p homelabcmd-agent`, or `scripts/test`, which
//! builds the whole workspace). `HOMELABCMD_HUB_BIN` / `HOMELABCMD_AGENT_BIN`
//! point at other builds.

pub mod contract;
pub mod fleet;

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};
use tempfile::TempDir;

/// The key every test hub is started with, unless a test asks otherwise.
pub const TEST_API_KEY: &str = "e2e-test-key-0123456789";

/// How long a hub may take to answer its health check after spawning.
/// Generous: CI runs debug builds on two cores while other tests run.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Binaries
// ---------------------------------------------------------------------------

/// Path of a workspace binary (`homelabcmd`, `homelabcmd-agent`).
///
/// Looks, in order, at the env override, next to this test executable
/// (`target/<profile>/deps/..`, which follows `CARGO_TARGET_DIR`, profiles and
/// `--target`), then `$CARGO_TARGET_DIR/debug` and `<workspace>/target/debug`.
pub fn binary(name: &str) -> PathBuf {
    let env_override = match name {
        "homelabcmd" => "HOMELABCMD_HUB_BIN",
        "homelabcmd-agent" => "HOMELABCMD_AGENT_BIN",
        _ => "",
    };
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os(env_override).filter(|_| !env_override.is_empty()) {
        candidates.push(PathBuf::from(p));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(profile_dir) = exe.parent().and_then(Path::parent)
    {
        candidates.push(profile_dir.join(name));
    }
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        let dir = if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
        candidates.push(dir.join(profile).join(name));
    }
    candidates.push(workspace_root().join("target").join(profile).join(name));

    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "binary `{name}` not found (looked at {candidates:?}); \
                 build it first: cargo build -p homelabcmd -p homelabcmd-agent"
            )
        })
}

/// The cargo workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate has a parent dir")
        .to_path_buf()
}

/// A file under `tests/fixtures/`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A JSON fixture parsed into a value.
pub fn fixture_json(name: &str) -> Value {
    let path = fixture_path(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// Remove our variables from a child's environment so a developer's shell
/// (or `scripts/run`) cannot leak configuration into a test process.
fn scrub_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("HOMELAB_")
            || key.starts_with("HOMELABCMD_")
            || key.eq_ignore_ascii_case("http_proxy")
            || key.eq_ignore_ascii_case("https_proxy")
            || key.eq_ignore_ascii_case("all_proxy")
        {
            cmd.env_remove(key);
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound then released; the OS hands out
/// ephemeral ports in rotation, so a parallel test is unlikely to get it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

fn open_log(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open log {}: {e}", path.display()))
}

fn append_log_marker(path: &Path, marker: &str) {
    let mut f = open_log(path);
    let _ = writeln!(f, "\n===== e2e: {marker} =====");
}

/// Send a signal, then wait up to `grace` for the process to exit; SIGKILL if
/// it does not. Returns how the process ended.
fn signal_and_wait(child: &mut Child, signal: Signal, grace: Duration) -> std::process::ExitStatus {
    if let Ok(Some(status)) = child.try_wait() {
        return status;
    }
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
    let _ = kill(pid, signal);
    let deadline = Instant::now() + grace;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            return child.wait().expect("wait for killed child");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------

/// Poll `check` every 100 ms until it returns `Some`, or panic after
/// `timeout` with `what` in the message.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Like [`wait_for`] for a boolean condition.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    wait_for(what, timeout, || check().then_some(()));
}

// ---------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------

/// A response read to the end: status, raw body, and the body as JSON when
/// it parses.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: Option<String>,
    pub text: String,
}

impl Resp {
    /// The body as JSON; panics (showing the body) when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}); status {}: {}",
                self.status, self.text
            )
        })
    }

    /// Assert the status, showing the body on mismatch; returns self.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "expected HTTP {status}, got {}: {}",
            self.status, self.text
        );
        self
    }

    /// Assert the status and return the JSON body.
    #[track_caller]
    pub fn expect_json(self, status: u16) -> Value {
        self.expect(status).json()
    }
}

/// A small blocking client for the hub's API that sends `X-API-Key`.
#[derive(Clone)]
pub struct Api {
    base: String,
    key: Option<String>,
    http: reqwest::blocking::Client,
}

impl Api {
    pub fn new(base: impl Into<String>, key: Option<&str>) -> Self {
        let http = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("build HTTP client");
        Api {
            base: base.into(),
            key: key.map(str::to_owned),
            http,
        }
    }

    /// The same hub with another key (`None`: no key header at all).
    pub fn with_key(&self, key: Option<&str>) -> Self {
        Api {
            base: self.base.clone(),
            key: key.map(str::to_owned),
            http: self.http.clone(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn send(&self, req: reqwest::blocking::RequestBuilder) -> Result<Resp, reqwest::Error> {
        let req = match &self.key {
            Some(k) => req.header("X-API-Key", k),
            None => req,
        };
        let resp = req.send()?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text()?;
        Ok(Resp {
            status,
            content_type,
            text,
        })
    }

    fn must(&self, what: String, r: Result<Resp, reqwest::Error>) -> Resp {
        r.unwrap_or_else(|e| panic!("{what}: request failed: {e:?}"))
    }

    /// GET, panicking on transport errors (not on HTTP error statuses).
    pub fn get(&self, path: &str) -> Resp {
        self.must(format!("GET {path}"), self.try_get(path))
    }

    pub fn try_get(&self, path: &str) -> Result<Resp, reqwest::Error> {
        self.send(self.http.get(self.url(path)))
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.must(format!("POST {path}"), self.try_post(path, body))
    }

    pub fn try_post(&self, path: &str, body: &Value) -> Result<Resp, reqwest::Error> {
        self.send(self.http.post(self.url(path)).json(body))
    }

    /// POST an arbitrary body (malformed JSON, oversized payloads).
    pub fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        self.must(
            format!("POST {path} (raw)"),
            self.send(
                self.http
                    .post(self.url(path))
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(body),
            ),
        )
    }

    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.must(
            format!("PUT {path}"),
            self.send(self.http.put(self.url(path)).json(body)),
        )
    }

    /// PUT with no body (pause/unpause).
    pub fn put_empty(&self, path: &str) -> Resp {
        self.must(
            format!("PUT {path}"),
            self.send(self.http.put(self.url(path))),
        )
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.must(
            format!("DELETE {path}"),
            self.send(self.http.delete(self.url(path))),
        )
    }

    /// Register a machine the hub reaches over SSH: `POST /servers` with
    /// `create` (201), its `ssh_username`, then each `(credential_type,
    /// value)` (200).
    pub fn add_ssh_machine(&self, create: &Value, user: &str, credentials: &[(&str, &str)]) {
        let id = create["id"].as_str().expect("create body has an id");
        self.post("/api/v1/servers", create).expect(201);
        self.put(
            &format!("/api/v1/servers/{id}"),
            &serde_json::json!({"ssh_username": user}),
        )
        .expect(200);
        for (kind, value) in credentials {
            self.post(
                &format!("/api/v1/servers/{id}/credentials"),
                &serde_json::json!({"credential_type": kind, "value": value}),
            )
            .expect(200);
        }
    }

    /// DELETE with a JSON body (`DELETE .../config/apply`).
    pub fn delete_json(&self, path: &str, body: &Value) -> Resp {
        self.must(
            format!("DELETE {path}"),
            self.send(self.http.delete(self.url(path)).json(body)),
        )
    }

    // -- typed-ish helpers over the contract --------------------------------

    /// POST a heartbeat; returns the response as is.
    pub fn heartbeat(&self, hb: &Value) -> Resp {
        self.post("/api/v1/agents/heartbeat", hb)
    }

    /// `GET /api/v1/servers/{id}` as JSON, or `None` on 404.
    pub fn server(&self, id: &str) -> Option<Value> {
        let r = self.get(&format!("/api/v1/servers/{id}"));
        match r.status {
            404 => None,
            200 => Some(r.json()),
            s => panic!("GET /api/v1/servers/{id}: unexpected {s}: {}", r.text),
        }
    }

    /// The `servers` array of `GET /api/v1/servers`.
    pub fn servers(&self) -> Vec<Value> {
        let v = self.get("/api/v1/servers").expect_json(200);
        v["servers"]
            .as_array()
            .unwrap_or_else(|| panic!("servers list has no `servers` array: {v}"))
            .clone()
    }

    /// Sample timestamps stored for a server over the last 24 h, from
    /// `/metrics/export?range=24h&format=json`, in the order returned.
    pub fn exported_timestamps(&self, id: &str) -> Vec<DateTime<Utc>> {
        let v = self
            .get(&format!(
                "/api/v1/servers/{id}/metrics/export?range=24h&format=json"
            ))
            .expect_json(200);
        export_points(&v)
            .iter()
            .map(|p| {
                let ts = p["timestamp"]
                    .as_str()
                    .unwrap_or_else(|| panic!("export point without timestamp: {p}"));
                parse_ts(ts)
            })
            .collect()
    }
}

/// The data points of a JSON metrics export: `{..., "data_points": [...]}`
/// per the contract (a bare array is accepted too).
pub fn export_points(v: &Value) -> Vec<Value> {
    if let Some(a) = v.as_array() {
        return a.clone();
    }
    v["data_points"]
        .as_array()
        .unwrap_or_else(|| panic!("metrics export has no `data_points` array: {v}"))
        .clone()
}

/// Parse a timestamp as the hub writes it: RFC 3339, or naive (UTC).
pub fn try_parse_ts(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
        .map(|t| t.and_utc())
}

/// [`try_parse_ts`], panicking on garbage.
pub fn parse_ts(s: &str) -> DateTime<Utc> {
    try_parse_ts(s).unwrap_or_else(|| panic!("unparseable timestamp {s:?}"))
}

/// A minimal valid heartbeat for `server_id`, stamped now, with metrics.
pub fn heartbeat(server_id: &str) -> Value {
    heartbeat_at(server_id, Utc::now())
}

/// A minimal valid heartbeat for `server_id` at `ts`.
pub fn heartbeat_at(server_id: &str, ts: DateTime<Utc>) -> Value {
    json!({
        "server_id": server_id,
        "hostname": format!("{server_id}.lan"),
        "timestamp": ts.to_rfc3339(),
        "agent_version": "e2e",
        "metrics": {
            "cpu_percent": 12.5,
            "memory_percent": 40.0,
            "memory_total_mb": 8192,
            "memory_used_mb": 3277,
            "disk_percent": 55.5,
            "disk_total_gb": 100.0,
            "disk_used_gb": 55.5,
            "network_rx_bytes": 1000,
            "network_tx_bytes": 2000,
            "load_1m": 0.5,
            "load_5m": 0.4,
            "load_15m": 0.3,
            "uptime_seconds": 3600
        }
    })
}

/// The `detail[*].loc` arrays of a 422 validation body, each joined by `.`.
pub fn validation_locs(body: &Value) -> Vec<String> {
    body["detail"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|d| {
                    d["loc"]
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .map(|p| match p {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Assert a 422 validation error whose `detail[*].loc` names `field`
/// (matched as one of the loc's segments, so `cpu_percent` matches
/// `body.metrics.cpu_percent`). Returns the body.
#[track_caller]
pub fn assert_invalid_field(resp: &Resp, field: &str) -> Value {
    assert_eq!(
        resp.status, 422,
        "expected 422 naming `{field}`, got {}: {}",
        resp.status, resp.text
    );
    let body = resp.json();
    contract::assert_conforms(&body, "HTTPValidationError");
    let locs = validation_locs(&body);
    assert!(
        locs.iter().any(|l| l.split('.').any(|seg| seg == field)),
        "422 body does not name `{field}` in detail[].loc (locs: {locs:?}): {body}"
    );
    for item in body["detail"].as_array().into_iter().flatten() {
        assert!(
            item["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "validation item without a message: {item}"
        );
    }
    body
}

/// Assert an error status with the `{"detail": {"code", "message"}}` body.
/// Returns the `detail.code`.
#[track_caller]
pub fn assert_error(resp: &Resp, status: u16) -> String {
    assert_eq!(
        resp.status, status,
        "expected HTTP {status}, got {}: {}",
        resp.status, resp.text
    );
    let body = resp.json();
    contract::assert_conforms(&body, "ErrorResponse");
    let code = body["detail"]["code"].as_str().unwrap_or_default();
    assert!(!code.is_empty(), "error without a code: {body}");
    assert!(
        body["detail"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error without a message: {body}"
    );
    code.to_owned()
}

// ---------------------------------------------------------------------------
// Hub
// ---------------------------------------------------------------------------

/// `homelabcmd` with a scrubbed environment and no stdin, for tests that
/// run it directly (subcommands, configuration errors).
pub fn hub_command() -> Command {
    let mut cmd = Command::new(binary("homelabcmd"));
    scrub_env(&mut cmd);
    cmd.stdin(Stdio::null());
    cmd
}

/// How to start a test hub.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// `HOMELAB_CMD_API_KEY`.
    pub api_key: String,
    /// `HOMELAB_CMD_ROLLUP_INTERVAL_SECONDS`, when set.
    pub rollup_interval_seconds: Option<u64>,
    /// Extra environment for the hub process (overrides the harness's).
    pub env: Vec<(String, String)>,
    /// Variables to leave unset, even ones the harness sets (e.g.
    /// `HOMELAB_CMD_API_KEY`, to see the default key at work).
    pub unset: Vec<String>,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            api_key: TEST_API_KEY.to_owned(),
            rollup_interval_seconds: None,
            env: Vec::new(),
            unset: Vec::new(),
        }
    }
}

enum StartError {
    /// The process ended before answering (port taken, bad config, crash).
    Exited(String),
    /// Still running but never healthy.
    Timeout(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Exited(m) | StartError::Timeout(m) => f.write_str(m),
        }
    }
}

/// A running `homelabcmd serve` on 127.0.0.1 with its own SQLite file.
pub struct Hub {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    opts: HubOptions,
    log_path: PathBuf,
    api: Api,
}

impl Hub {
    /// Start a hub with default options and wait until it is healthy.
    pub fn start_default() -> Hub {
        Hub::start(HubOptions::default())
    }

    /// Start a hub and wait until `/api/v1/system/health` answers 200.
    pub fn start(opts: HubOptions) -> Hub {
        let dir = tempfile::Builder::new()
            .prefix("homelabcmd-e2e-hub-")
            .tempdir()
            .expect("create hub temp dir");
        let log_path = dir.path().join("hub.log");
        let api_key = opts.api_key.clone();
        let mut hub = Hub {
            child: None,
            port: 0,
            dir,
            opts,
            log_path,
            api: Api::new("http://127.0.0.1:0", None),
        };
        // A port taken by someone else between our probe and the hub's bind
        // makes the hub exit at once: try another port. A hub that never
        // answers is a real failure and is not retried.
        for attempt in 1..=5 {
            hub.port = free_port();
            hub.api = Api::new(format!("http://127.0.0.1:{}", hub.port), Some(&api_key));
            match hub.spawn_and_wait() {
                Ok(()) => return hub,
                Err(StartError::Exited(e)) if attempt < 5 => {
                    hub.kill();
                    eprintln!("hub start attempt {attempt} failed ({e}); retrying");
                }
                Err(e) => panic!("hub did not start: {e}"),
            }
        }
        unreachable!("the last attempt either returns or panics")
    }

    fn spawn_and_wait(&mut self) -> Result<(), StartError> {
        append_log_marker(&self.log_path, &format!("start on port {}", self.port));
        let log = open_log(&self.log_path);
        let mut cmd = hub_command();
        cmd.arg("serve")
            .current_dir(self.dir.path())
            .env("HOMELAB_CMD_API_KEY", &self.opts.api_key)
            .env("HOMELAB_CMD_HOST", "127.0.0.1")
            .env("HOMELAB_CMD_PORT", self.port.to_string())
            .env("HOMELAB_CMD_DATABASE_URL", self.db_path())
            .env(
                "HOMELAB_CMD_EXTERNAL_URL",
                format!("http://127.0.0.1:{}", self.port),
            )
            .env(
                "HOMELABCMD_ENCRYPTION_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            )
            // Scheduled drift checks off unless a test turns them on: they
            // would add checks, audit rows and alerts other tests count.
            .env("HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS", "0")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        if let Some(s) = self.opts.rollup_interval_seconds {
            cmd.env("HOMELAB_CMD_ROLLUP_INTERVAL_SECONDS", s.to_string());
        }
        for (k, v) in &self.opts.env {
            cmd.env(k, v);
        }
        for k in &self.opts.unset {
            cmd.env_remove(k);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", binary("homelabcmd")));
        self.child = Some(child);

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let health = self.api.with_key(None);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(StartError::Exited(format!(
                    "hub exited during startup with {status}"
                )));
            }
            if let Ok(r) = health.try_get("/api/v1/system/health")
                && r.status == 200
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StartError::Timeout(format!(
                    "no healthy answer within {STARTUP_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Client with the hub's API key.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        self.api.base_url()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn api_key(&self) -> &str {
        &self.opts.api_key
    }

    /// The SQLite file the hub uses (inside the temp dir).
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("homelab.db")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// SIGTERM and wait for a graceful exit (SIGKILL after 15 s). Returns
    /// the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        append_log_marker(&self.log_path, "SIGTERM");
        Some(signal_and_wait(
            &mut child,
            Signal::SIGTERM,
            Duration::from_secs(15),
        ))
    }

    /// SIGKILL: a crash, no shutdown path runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            append_log_marker(&self.log_path, "SIGKILL");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same port and database (stopping first if running).
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
        self.start_again();
    }

    /// Start again after [`Hub::stop`] / [`Hub::kill`], same port and DB.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "hub is still running");
        if let Err(e) = self.spawn_and_wait() {
            panic!("hub did not restart on port {}: {e}", self.port);
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "----- hub log ({}) -----\n{}\n----- end hub log -----",
                self.log_path.display(),
                self.log()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Agent
// ---------------------------------------------------------------------------

/// How to start a test agent.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub hub_url: String,
    pub api_key: String,
    /// `HOMELAB_AGENT_SERVER_ID`; `None` lets the agent derive one.
    pub server_id: Option<String>,
    /// `HOMELAB_AGENT_HEARTBEAT_INTERVAL`, seconds.
    pub heartbeat_interval: u64,
    /// `HOMELAB_AGENT_RETRY_DELAY`, seconds.
    pub retry_delay: u64,
    pub env: Vec<(String, String)>,
}

impl AgentOptions {
    /// An agent for `hub`, reporting as `server_id` every second.
    pub fn for_hub(hub: &Hub, server_id: &str) -> Self {
        AgentOptions {
            hub_url: hub.url().to_owned(),
            api_key: hub.api_key().to_owned(),
            server_id: Some(server_id.to_owned()),
            heartbeat_interval: 1,
            retry_delay: 1,
            env: Vec::new(),
        }
    }
}

/// A running `homelabcmd-agent` with its own state dir.
pub struct Agent {
    child: Option<Child>,
    dir: TempDir,
    opts: AgentOptions,
    log_path: PathBuf,
}

impl Agent {
    pub fn start(opts: AgentOptions) -> Agent {
        let dir = tempfile::Builder::new()
            .prefix("homelabcmd-e2e-agent-")
            .tempdir()
            .expect("create agent temp dir");
        let log_path = dir.path().join("agent.log");
        let mut agent = Agent {
            child: None,
            dir,
            opts,
            log_path,
        };
        agent.spawn();
        agent
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(binary("homelabcmd-agent"));
        scrub_env(&mut cmd);
        cmd.current_dir(self.dir.path())
            .env("HOMELAB_AGENT_HUB_URL", &self.opts.hub_url)
            .env("HOMELAB_AGENT_API_KEY", &self.opts.api_key)
            .env(
                "HOMELAB_AGENT_HEARTBEAT_INTERVAL",
                self.opts.heartbeat_interval.to_string(),
            )
            .env(
                "HOMELAB_AGENT_RETRY_DELAY",
                self.opts.retry_delay.to_string(),
            )
            .env("HOMELAB_AGENT_STATE_DIR", self.state_dir())
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null());
        if let Some(id) = &self.opts.server_id {
            cmd.env("HOMELAB_AGENT_SERVER_ID", id);
        }
        for (k, v) in &self.opts.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn spawn(&mut self) {
        append_log_marker(&self.log_path, "start");
        let log = open_log(&self.log_path);
        let mut cmd = self.command();
        cmd.stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", binary("homelabcmd-agent")));
        self.child = Some(child);
    }

    /// Where the agent keeps its guid file and sample buffer.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// SIGTERM and wait (SIGKILL after 15 s).
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        append_log_marker(&self.log_path, "SIGTERM");
        Some(signal_and_wait(
            &mut child,
            Signal::SIGTERM,
            Duration::from_secs(15),
        ))
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "----- agent log ({}) -----\n{}\n----- end agent log -----",
                self.log_path.display(),
                self.log()
            );
        }
    }
}

/// Run `homelabcmd-agent --once --print` (sends nothing) and return the
/// heartbeat it printed, parsed. `env` adds to the scrubbed environment.
pub fn agent_print_once(env: &[(&str, &str)]) -> Value {
    let state = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(binary("homelabcmd-agent"));
    scrub_env(&mut cmd);
    cmd.args(["--once", "--print"])
        .current_dir(state.path())
        .env("HOMELAB_AGENT_STATE_DIR", state.path())
        .env("HOMELAB_AGENT_HUB_URL", "http://127.0.0.1:9")
        .env("HOMELAB_AGENT_API_KEY", "unused")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run homelabcmd-agent --once --print");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "agent --once --print failed with {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "agent --once --print did not print one JSON document ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
