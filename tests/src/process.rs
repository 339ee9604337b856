//! Child processes: their log files and how they are stopped.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::process::Child;
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
