//! A test hub: `homelabcmd serve` as a process on its own SQLite file.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::api::Api;
use crate::binaries::{binary, scrub_env};
use crate::process::LoggedChild;

/// The key every test hub is started with, unless a test asks otherwise.
pub const TEST_API_KEY: &str = "e2e-test-key-0123456789";

/// `HOMELAB_CMD_EXTERNAL_URL` of every test hub: the dashboard address its
/// links start with. Not the API's own address (only known once the hub has
/// bound), so a link seen in a message is known to come from this setting.
pub const TEST_EXTERNAL_URL: &str = "http://homelabcmd.e2e.invalid:8080";

/// How long a hub may take to bind and answer its health check after
/// spawning. Generous: CI runs debug builds on two cores while other tests
/// run.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

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

/// A running `homelabcmd serve` on 127.0.0.1 with its own SQLite file.
///
/// The hub binds port 0 and writes the address it got to a file
/// (`HOMELAB_CMD_ADDR_FILE`), so no port is guessed and none can be taken by
/// another test between a probe and the bind.
pub struct Hub {
    process: LoggedChild,
    /// 0 until the first start has bound; restarts reuse it, so agents and
    /// clients pointed at the hub keep reaching it.
    port: u16,
    dir: TempDir,
    opts: HubOptions,
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
        let api = Api::new("http://127.0.0.1:0", Some(&opts.api_key));
        let mut hub = Hub {
            process: LoggedChild::new(log_path),
            port: 0,
            dir,
            opts,
            api,
        };
        if let Err(e) = hub.spawn_and_wait() {
            panic!("hub did not start: {e}");
        }
        hub
    }

    /// Where the hub writes its bound address.
    fn addr_file(&self) -> PathBuf {
        self.dir.path().join("hub.addr")
    }

    /// Spawn on `self.port` (0: any free port), learn the bound address from
    /// the address file, then wait for a healthy answer, all within
    /// [`STARTUP_TIMEOUT`].
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let addr_file = self.addr_file();
        match fs::remove_file(&addr_file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("remove {}: {e}", addr_file.display()),
        }
        let mut cmd = hub_command();
        cmd.arg("serve")
            .current_dir(self.dir.path())
            .env("HOMELAB_CMD_API_KEY", &self.opts.api_key)
            .env("HOMELAB_CMD_HOST", "127.0.0.1")
            .env("HOMELAB_CMD_PORT", self.port.to_string())
            .env("HOMELAB_CMD_ADDR_FILE", &addr_file)
            .env("HOMELAB_CMD_DATABASE_URL", self.db_path())
            .env("HOMELAB_CMD_EXTERNAL_URL", TEST_EXTERNAL_URL)
            .env(
                "HOMELABCMD_ENCRYPTION_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            )
            // Scheduled drift checks off unless a test turns them on: they
            // would add checks, audit rows and alerts other tests count.
            .env("HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS", "0")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null());
        if let Some(s) = self.opts.rollup_interval_seconds {
            cmd.env("HOMELAB_CMD_ROLLUP_INTERVAL_SECONDS", s.to_string());
        }
        for (k, v) in &self.opts.env {
            cmd.env(k, v);
        }
        for k in &self.opts.unset {
            cmd.env_remove(k);
        }
        self.process
            .spawn(&format!("start on port {}", self.port), &mut cmd);

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let addr: SocketAddr = loop {
            self.exited_during_startup()?;
            // The hub renames the file into place, so any content is whole.
            if let Ok(text) = fs::read_to_string(&addr_file) {
                break text.trim().parse().map_err(|e| {
                    format!("address file {} holds {text:?}: {e}", addr_file.display())
                })?;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no address in {} within {STARTUP_TIMEOUT:?}",
                    addr_file.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if self.port != 0 && addr.port() != self.port {
            return Err(format!("asked for port {}, hub bound {addr}", self.port));
        }
        self.port = addr.port();
        self.api = self.api.with_base(format!("http://{addr}"));

        let health = self.api.with_key(None);
        loop {
            self.exited_during_startup()?;
            if let Ok(r) = health.try_get("/api/v1/system/health")
                && r.status == 200
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("no healthy answer within {STARTUP_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn exited_during_startup(&mut self) -> Result<(), String> {
        match self.process.exited() {
            Some(status) => Err(format!("hub exited during startup with {status}")),
            None => Ok(()),
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

    /// `HOMELAB_CMD_EXTERNAL_URL`: the base of the dashboard links the hub
    /// hands out ([`TEST_EXTERNAL_URL`] unless a test sets its own).
    pub fn external_url(&self) -> &str {
        self.opts
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "HOMELAB_CMD_EXTERNAL_URL")
            .map_or(TEST_EXTERNAL_URL, |(_, v)| v.as_str())
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
        self.process.log()
    }

    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// SIGTERM and wait for a graceful exit (SIGKILL after 15 s). Returns
    /// the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        self.process.stop()
    }

    /// SIGKILL: a crash, no shutdown path runs.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Start again on the same port and database (stopping first if running).
    pub fn restart(&mut self) {
        if self.process.is_spawned() {
            self.stop();
        }
        self.start_again();
    }

    /// Start again after [`Hub::stop`] / [`Hub::kill`], same DB and the
    /// port the first start bound (asked for explicitly).
    pub fn start_again(&mut self) {
        assert!(!self.process.is_spawned(), "hub is still running");
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
                self.process.log_path().display(),
                self.log()
            );
        }
    }
}
