//! Child processes: their log files and how they are stopped.

use std::fs;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub(crate) fn open_log(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open log {}: {e}", path.display()))
}

pub(crate) fn append_log_marker(path: &Path, marker: &str) {
    let mut f = open_log(path);
    let _ = writeln!(f, "\n===== e2e: {marker} =====");
}

/// Send a signal, then wait up to `grace` for the process to exit; SIGKILL if
/// it does not. Returns how the process ended.
pub(crate) fn signal_and_wait(
    child: &mut Child,
    signal: Signal,
    grace: Duration,
) -> std::process::ExitStatus {
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

/// A child process whose stdout and stderr go to a log file, with the
/// markers (start, SIGTERM, SIGKILL) that make the log readable when a test
/// fails: what the test hub and the test agent share.
pub(crate) struct LoggedChild {
    child: Option<Child>,
    log_path: PathBuf,
}

impl LoggedChild {
    pub(crate) fn new(log_path: PathBuf) -> Self {
        Self {
            child: None,
            log_path,
        }
    }

    /// Mark `marker` in the log, send `cmd`'s output there and spawn it.
    pub(crate) fn spawn(&mut self, marker: &str, cmd: &mut Command) {
        append_log_marker(&self.log_path, marker);
        let log = open_log(&self.log_path);
        cmd.stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()));
        self.child = Some(child);
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Spawned and not stopped or killed since (it may have exited by itself).
    pub(crate) fn is_spawned(&self) -> bool {
        self.child.is_some()
    }

    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// How it ended, if it has exited by itself.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// SIGTERM and wait for a graceful exit (SIGKILL after 15 s). Returns
    /// the exit status.
    pub(crate) fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        append_log_marker(&self.log_path, "SIGTERM");
        Some(signal_and_wait(
            &mut child,
            Signal::SIGTERM,
            Duration::from_secs(15),
        ))
    }

    /// SIGKILL: a crash, no shutdown path runs.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            append_log_marker(&self.log_path, "SIGKILL");
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
