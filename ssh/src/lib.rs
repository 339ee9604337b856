//! SSH executor transport: a pool of authenticated SSH connections that runs
//! one argv per call on a managed host and returns its exit code and output.
//!
//! russh is an implementation detail of this module (its API changes often):
//! no russh type appears in the public API below.
//!
//! - **Pooling.** One TCP connection per (host, port, username, credentials),
//!   multiplexed: each command gets its own session channel; a semaphore per
//!   connection keeps at most [`PoolConfig::max_sessions_per_host`] channels
//!   open, below sshd's `MaxSessions` (10). Concurrent first uses of a target
//!   share one connect (and its error). Keepalives detect dead peers; idle
//!   connections close after [`PoolConfig::idle_close`]; a pooled connection
//!   found dead (sshd restarted, link was down) is replaced, and the command
//!   is retried once if it had not started.
//! - **Host keys** are checked through the caller's [`HostKeyStore`] (trust on
//!   first use, then pinned per [`Target::host_key_id`]); a changed key
//!   refuses the connection with [`SshError::HostKeyMismatch`].
//! - **Commands** are argv, never shell text: each word is POSIX
//!   single-quoted (`homelabcmd_core::shell::shell_quote`) and run as
//!   `exec [sudo ...] timeout -k 2 <secs> argv...`, so a command past its
//!   timeout is killed *on the host* even if the client is gone. The client
//!   gives up at the timeout, closes the channel and returns
//!   [`SshError::Timeout`]. Needs coreutils `timeout` on the host; with sudo,
//!   `timeout` runs as root (so it can kill a root command), which means a
//!   sudoers rule limited to specific commands must also allow `timeout`.
//! - **sudo with a password** uses `sudo -S -p '' -k`: the password goes to
//!   the channel's stdin as the first line, never into argv or the process
//!   list. A wrong sudo password shows as exit code 1 with sudo's message on
//!   stderr.
//! - **Shell start-up files.** sshd runs the command through the user's login
//!   shell as `$SHELL -c '<command>'`, which is not a login shell, so
//!   `~/.profile` is not read. Debian's bash, however, sources `~/.bashrc`
//!   for commands started by sshd (compiled with `SSH_SOURCE_BASHRC`) before
//!   our command runs. Debian's default `.bashrc` returns at once for
//!   non-interactive shells, so nothing is printed; a `.bashrc` that prints
//!   unconditionally pollutes stdout and no exec request can prevent that
//!   (use a non-bash shell or guard the `.bashrc`).
//! - **Key exchange** prefers mlkem768x25519 and curve25519 (no DH group
//!   exchange, which costs seconds); TCP_NODELAY is on (russh's default
//!   Nagle adds ~40 ms per command).

mod command;
mod error;
mod host_keys;
mod pool;

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use zeroize::Zeroizing;

pub use error::SshError;
pub use host_keys::{
    BoxFuture, HostKeyStore, HostKeyVerdict, MemoryHostKeyStore, PresentedHostKey,
};
pub use pool::SshPool;

/// Pool settings. [`Default`] suits a homelab fleet.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// TCP connect + key exchange + authentication. Default 10 s.
    pub connect_timeout: Duration,
    /// Used when [`ExecRequest::timeout`] is `None`. Default 60 s.
    pub default_command_timeout: Duration,
    /// A connection unused this long is closed. Default 5 min.
    pub idle_close: Duration,
    /// Keepalive sent after this long without traffic from the host; three
    /// unanswered ones close the connection. Default 15 s.
    pub keepalive_interval: Duration,
    /// Session channels open at once per connection; more commands queue.
    /// Keep below sshd's `MaxSessions` (default 10). Default 8.
    pub max_sessions_per_host: usize,
    /// stdout and stderr are each kept up to this many bytes; the rest is
    /// read and dropped, and the `*_truncated` flag set. Default 1 MiB.
    pub output_cap_bytes: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            default_command_timeout: Duration::from_secs(60),
            idle_close: Duration::from_secs(300),
            keepalive_interval: Duration::from_secs(15),
            max_sessions_per_host: 8,
            output_cap_bytes: 1024 * 1024,
        }
    }
}

/// How to log in.
#[derive(Clone)]
pub enum Auth {
    /// A private key in OpenSSH (or PEM / PuTTY) text form, optionally
    /// encrypted with `passphrase`.
    Key {
        private_key_pem: SecretString,
        passphrase: Option<SecretString>,
    },
    /// Password authentication.
    Password(SecretString),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Key { passphrase, .. } => f
                .debug_struct("Key")
                .field("private_key_pem", &"<redacted>")
                .field("passphrase", &passphrase.as_ref().map(|_| "<redacted>"))
                .finish(),
            Auth::Password(_) => f.debug_tuple("Password").field(&"<redacted>").finish(),
        }
    }
}

/// Where and as whom to run commands.
#[derive(Debug, Clone)]
pub struct Target {
    /// Hostname or IP address.
    pub host: String,
    pub port: u16,
    pub username: String,
    pub auth: Auth,
    /// The id host keys are pinned under (e.g. the server id), so a host
    /// that changes address keeps its pin.
    pub host_key_id: String,
}

/// How the command is elevated.
#[derive(Clone, Default)]
pub enum SudoMode {
    /// Run as the login user.
    #[default]
    None,
    /// `sudo -n`: requires a NOPASSWD rule; fails rather than prompting.
    NoPassword,
    /// sudo with this password, passed on stdin (never on argv).
    Password(SecretString),
}

impl fmt::Debug for SudoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SudoMode::None => f.write_str("None"),
            SudoMode::NoPassword => f.write_str("NoPassword"),
            SudoMode::Password(_) => f.debug_tuple("Password").field(&"<redacted>").finish(),
        }
    }
}

/// One command to run.
#[derive(Clone, Default)]
pub struct ExecRequest {
    /// Program and arguments; quoted for the remote shell, never interpreted.
    pub argv: Vec<String>,
    /// Bytes written to the command's stdin (then EOF). Wiped on drop.
    pub stdin: Option<Zeroizing<Vec<u8>>>,
    pub sudo: SudoMode,
    /// `None`: [`PoolConfig::default_command_timeout`].
    pub timeout: Option<Duration>,
}

impl ExecRequest {
    /// A request for `argv`, no stdin, no sudo, the default timeout.
    pub fn new<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Self {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    pub fn sudo(mut self, sudo: SudoMode) -> Self {
        self.sudo = sudo;
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(Zeroizing::new(bytes.into()));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl fmt::Debug for ExecRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecRequest")
            .field("argv", &self.argv)
            .field("stdin_bytes", &self.stdin.as_ref().map(|s| s.len()))
            .field("sudo", &self.sudo)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How a command ended and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status, if the command exited (rather than died by a signal).
    pub exit_code: Option<i32>,
    /// The signal name (`KILL`, `SEGV`, ...) if it died by one.
    pub signal: Option<String>,
    /// Up to [`PoolConfig::output_cap_bytes`] of stdout.
    pub stdout: Vec<u8>,
    pub stdout_truncated: bool,
    /// Up to [`PoolConfig::output_cap_bytes`] of stderr.
    pub stderr: Vec<u8>,
    pub stderr_truncated: bool,
    /// From opening the session channel to its close (connecting and
    /// queueing for a session slot excluded).
    pub duration: Duration,
}

impl ExecOutput {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// stdout as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// What `/test-ssh` reports about a fresh connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// TCP connect + key exchange + authentication.
    pub latency: Duration,
    /// The server's identification line, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6`.
    pub server_version: String,
    /// Host key algorithm, e.g. `ssh-ed25519`.
    pub host_key_algorithm: String,
    /// `SHA256:...` fingerprint of the host key.
    pub host_key_fingerprint: String,
}

/// Counters for monitoring and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections opened (authenticated) since the pool was created.
    pub connections_opened: u64,
    /// Connections currently pooled.
    pub connections_open: usize,
    /// Commands started.
    pub commands_started: u64,
    /// Commands retried on a new connection because the pooled one was dead.
    pub stale_retries: u64,
}
