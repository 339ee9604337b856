//! What can go wrong talking SSH to a host. Messages are written for an
//! operator reading them in the dashboard; none carries a secret.

use std::time::Duration;

/// An SSH failure. `Clone` so one failed connect can be handed to every
/// caller that was waiting on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    /// TCP connect, key exchange and authentication did not finish in time.
    #[error("could not connect to {addr} within {}s (host down, firewalled or unreachable?)", after.as_secs_f64())]
    ConnectTimeout { addr: String, after: Duration },

    /// The connection was refused or broke before authentication.
    #[error("could not connect to {addr}: {reason}")]
    ConnectFailed { addr: String, reason: String },

    /// The server rejected our credentials.
    #[error("authentication failed for user '{username}' (server accepts: {})", if methods.is_empty() { "nothing more".to_string() } else { methods.join(", ") })]
    AuthFailed {
        username: String,
        /// Methods the server said it would accept (`publickey`, `password`, ...).
        methods: Vec<String>,
    },

    /// The host presented a key different from the pinned one. Either the
    /// host was reinstalled or someone is in the middle: the operator must
    /// check, then re-pin.
    #[error("host key changed: pinned {expected}, host presented {actual}; refusing to connect")]
    HostKeyMismatch {
        /// Pinned `SHA256:...` fingerprint.
        expected: String,
        /// Presented `SHA256:...` fingerprint.
        actual: String,
    },

    /// The host key store could not answer (e.g. a database error).
    #[error("host key check failed: {0}")]
    HostKeyStore(String),

    /// The private key (or its passphrase) could not be used.
    #[error("unusable private key: {0}")]
    InvalidKey(String),

    /// The request itself is malformed (empty argv, NUL byte, ...).
    #[error("invalid command: {0}")]
    InvalidRequest(String),

    /// The command did not finish in time; it was killed on the host.
    #[error("command timed out after {}s and was killed", after.as_secs_f64())]
    Timeout { after: Duration },

    /// A session channel could not be opened or broke mid-command.
    #[error("SSH channel failed: {reason}")]
    ChannelFailed { reason: String },

    /// Anything else the SSH protocol layer reported.
    #[error("SSH protocol error: {0}")]
    Protocol(String),
}
