//! A test agent: `homelabcmd-agent` as a process with its own state dir.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

use crate::binaries::{binary, scrub_env};
use crate::hub::Hub;
use crate::process::LoggedChild;

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
    process: LoggedChild,
    dir: TempDir,
    opts: AgentOptions,
}

impl Agent {
    pub fn start(opts: AgentOptions) -> Agent {
        let dir = tempfile::Builder::new()
            .prefix("homelabcmd-e2e-agent-")
            .tempdir()
            .expect("create agent temp dir");
        let log_path = dir.path().join("agent.log");
        let mut agent = Agent {
            process: LoggedChild::new(log_path),
            dir,
            opts,
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
        let mut cmd = self.command();
        self.process.spawn("start", &mut cmd);
    }

    /// Where the agent keeps its guid file and sample buffer.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn log(&self) -> String {
        self.process.log()
    }

    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// SIGTERM and wait (SIGKILL after 15 s).
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        self.process.stop()
    }

    pub fn kill(&mut self) {
        self.process.kill();
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
                self.process.log_path().display(),
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
