//! Waiting on a condition instead of sleeping for a guessed time.

use std::time::{Duration, Instant};

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

/// [`wait_until`] for async tests: polls every 50 ms with the runtime's
/// sleep, so tasks on the same runtime (a pool's idle reaper) keep running.
pub async fn wait_until_async(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
