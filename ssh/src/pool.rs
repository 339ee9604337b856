//! The connection pool and the exec loop (the only russh user).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect, Sig, kex};
use secrecy::ExposeSecret as _;
use sha2::{Digest as _, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::command::{REMOTE_KILL_AFTER_SECS, REMOTE_SLACK_SECS, SudoKind, remote_command};
use super::host_keys::{HostKeyStore, HostKeyVerdict, PresentedHostKey};
use super::{
    Auth, ConnectionInfo, ExecOutput, ExecRequest, PoolConfig, PoolStats, SshError, SudoMode,
    Target,
};

/// Retries of a session channel the host refused on a live connection
/// (20, 40, ... ms apart: 1.1 s in all), within the connect timeout.
const OPEN_RETRIES: u32 = 10;

/// Curve25519 family only: DH group exchange costs seconds per connect.
/// `ext-info-c` and strict-kex markers keep RSA-SHA2 and Terrapin protection.
static KEX_ORDER: &[kex::Name] = &[
    kex::MLKEM768X25519_SHA256,
    kex::CURVE25519,
    kex::CURVE25519_PRE_RFC_8731,
    kex::EXTENSION_SUPPORT_AS_CLIENT,
    kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
];

/// One pooled connection per target identity. The credential digest makes
/// a changed password or key open a new connection instead of silently
/// reusing one authenticated with the old credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ConnKey {
    host: String,
    port: u16,
    username: String,
    host_key_id: String,
    credential_digest: [u8; 32],
}

impl ConnKey {
    fn of(target: &Target) -> Self {
        let mut h = Sha256::new();
        match &target.auth {
            Auth::Key {
                private_key_pem,
                passphrase,
            } => {
                h.update(b"key\0");
                h.update(private_key_pem.expose_secret().as_bytes());
                h.update(b"\0");
                if let Some(p) = passphrase {
                    h.update(p.expose_secret().as_bytes());
                }
            }
            Auth::Password(p) => {
                h.update(b"password\0");
                h.update(p.expose_secret().as_bytes());
            }
        }
        Self {
            host: target.host.clone(),
            port: target.port,
            username: target.username.clone(),
            host_key_id: target.host_key_id.clone(),
            credential_digest: h.finalize().into(),
        }
    }
}

type ConnectResult = Result<Arc<Conn>, SshError>;

enum Slot {
    Ready(Arc<Conn>),
    /// A connect in progress; later callers wait for its result.
    Connecting(watch::Receiver<Option<ConnectResult>>),
}

/// An authenticated connection.
struct Conn {
    id: u64,
    handle: Handle<ClientHandler>,
    sessions: Arc<Semaphore>,
    last_used: Mutex<Instant>,
    in_flight: AtomicUsize,
    info: ConnectionInfo,
}

impl Conn {
    fn alive(&self) -> bool {
        !self.handle.is_closed()
    }

    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }
}

struct Inner {
    config: PoolConfig,
    russh_config: Arc<client::Config>,
    host_keys: Arc<dyn HostKeyStore>,
    slots: Mutex<HashMap<ConnKey, Slot>>,
    next_conn_id: AtomicU64,
    connections_opened: AtomicU64,
    commands_started: AtomicU64,
    stale_retries: AtomicU64,
}

/// A pool of SSH connections; cheap to clone (shared state). See the module
/// docs. Must be used inside a tokio runtime.
#[derive(Clone)]
pub struct SshPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SshPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshPool")
            .field("config", &self.inner.config)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Where a failure happened, to decide whether a retry is safe.
enum ExecFailure {
    /// Before the exec request was sent: nothing ran on the host.
    BeforeStart(SshError),
    /// The command may have run: never retried.
    Started(SshError),
}

impl SshPool {
    /// A pool that checks host keys with `host_keys`.
    pub fn new(config: PoolConfig, host_keys: Arc<dyn HostKeyStore>) -> Self {
        let russh_config = client::Config {
            // Our own idle handling closes connections; russh's inactivity
            // timeout would kill a connection in the middle of a long command.
            inactivity_timeout: None,
            keepalive_interval: Some(config.keepalive_interval),
            keepalive_max: 3,
            nodelay: true,
            preferred: russh::Preferred {
                kex: Cow::Borrowed(KEX_ORDER),
                ..Default::default()
            },
            ..Default::default()
        };
        Self {
            inner: Arc::new(Inner {
                config,
                russh_config: Arc::new(russh_config),
                host_keys,
                slots: Mutex::new(HashMap::new()),
                next_conn_id: AtomicU64::new(1),
                connections_opened: AtomicU64::new(0),
                commands_started: AtomicU64::new(0),
                stale_retries: AtomicU64::new(0),
            }),
        }
    }

    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    pub fn stats(&self) -> PoolStats {
        let i = &self.inner;
        PoolStats {
            connections_opened: i.connections_opened.load(Ordering::Relaxed),
            connections_open: self
                .slots()
                .values()
                .filter(|s| matches!(s, Slot::Ready(c) if c.alive()))
                .count(),
            commands_started: i.commands_started.load(Ordering::Relaxed),
            stale_retries: i.stale_retries.load(Ordering::Relaxed),
        }
    }

    /// Run one command on `target`, reusing a pooled connection when there
    /// is one. Returns the exit code and output whatever the exit code;
    /// `Err` only when the command could not be run to the end.
    pub async fn exec(
        &self,
        target: &Target,
        request: &ExecRequest,
    ) -> Result<ExecOutput, SshError> {
        let timeout = request
            .timeout
            .unwrap_or(self.inner.config.default_command_timeout);
        let sudo = match request.sudo {
            SudoMode::None => SudoKind::None,
            SudoMode::NoPassword => SudoKind::NoPassword,
            SudoMode::Password(_) => SudoKind::Password,
        };
        let command = remote_command(&request.argv, sudo, timeout)?;
        let key = ConnKey::of(target);
        let (conn, fresh) = self.connection(&key, target).await?;
        match self.run(&conn, &command, request, timeout).await {
            Ok(out) => Ok(out),
            Err(ExecFailure::BeforeStart(e)) if !fresh => {
                // The pooled connection was dead (sshd restarted, link was
                // down): drop it and try once on a new one.
                tracing::debug!(host = %target.host, error = %e, "stale SSH connection, reconnecting");
                self.discard(&key, conn.id);
                self.inner.stale_retries.fetch_add(1, Ordering::Relaxed);
                let (conn, _) = self.connection(&key, target).await?;
                self.run(&conn, &command, request, timeout)
                    .await
                    .map_err(|f| match f {
                        ExecFailure::BeforeStart(e) | ExecFailure::Started(e) => e,
                    })
            }
            Err(ExecFailure::BeforeStart(e) | ExecFailure::Started(e)) => {
                if !conn.alive() {
                    self.discard(&key, conn.id);
                }
                Err(e)
            }
        }
    }

    /// Open a fresh connection (never pooled), report what the host said,
    /// and close it. For "test connection" buttons: it checks the
    /// credentials and host key as they are now.
    pub async fn test_connection(&self, target: &Target) -> Result<ConnectionInfo, SshError> {
        let conn = self.connect(target).await?;
        let info = conn.info.clone();
        let _ = conn
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
        Ok(info)
    }

    /// Close every pooled connection (e.g. on shutdown).
    pub async fn close_all(&self) {
        let conns: Vec<Arc<Conn>> = self
            .slots()
            .drain()
            .filter_map(|(_, s)| match s {
                Slot::Ready(c) => Some(c),
                Slot::Connecting(_) => None,
            })
            .collect();
        for c in conns {
            let _ = c
                .handle
                .disconnect(Disconnect::ByApplication, "", "en")
                .await;
        }
    }

    /// Close the pooled connection for `target`, if any (e.g. after its
    /// credentials or host key pin changed).
    pub async fn close_target(&self, target: &Target) {
        let removed = self.slots().remove(&ConnKey::of(target));
        if let Some(Slot::Ready(c)) = removed {
            let _ = c
                .handle
                .disconnect(Disconnect::ByApplication, "", "en")
                .await;
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<ConnKey, Slot>> {
        self.inner.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn discard(&self, key: &ConnKey, conn_id: u64) {
        let mut slots = self.slots();
        if matches!(slots.get(key), Some(Slot::Ready(c)) if c.id == conn_id) {
            slots.remove(key);
        }
    }

    /// The pooled connection for `key`, or a new one. Concurrent callers
    /// share one connect. The bool says whether it was just opened.
    async fn connection(
        &self,
        key: &ConnKey,
        target: &Target,
    ) -> Result<(Arc<Conn>, bool), SshError> {
        loop {
            enum Next {
                Wait(watch::Receiver<Option<ConnectResult>>),
                Lead(watch::Sender<Option<ConnectResult>>),
            }
            let next = {
                let mut slots = self.slots();
                match slots.get(key) {
                    Some(Slot::Ready(c)) if c.alive() => return Ok((c.clone(), false)),
                    // has_changed errs when the leader's future was dropped.
                    Some(Slot::Connecting(rx)) if rx.has_changed().is_ok() => {
                        Next::Wait(rx.clone())
                    }
                    _ => {
                        let (tx, rx) = watch::channel(None);
                        slots.insert(key.clone(), Slot::Connecting(rx));
                        Next::Lead(tx)
                    }
                }
            };
            match next {
                Next::Wait(mut rx) => {
                    if let Ok(result) = rx.wait_for(Option::is_some).await
                        && let Some(result) = result.clone()
                    {
                        return result.map(|c| (c, true));
                    }
                    // Leader gone without a result: try again.
                }
                Next::Lead(tx) => {
                    let result = self.connect(target).await.map(Arc::new);
                    {
                        let mut slots = self.slots();
                        match &result {
                            Ok(c) => {
                                slots.insert(key.clone(), Slot::Ready(c.clone()));
                            }
                            Err(_) => {
                                slots.remove(key);
                            }
                        }
                    }
                    if let Ok(c) = &result {
                        self.spawn_idle_reaper(key.clone(), c);
                    }
                    let _ = tx.send(Some(result.clone()));
                    return result.map(|c| (c, true));
                }
            }
        }
    }

    /// Close `conn` once it has been idle for `idle_close`, and forget it
    /// when it died. Holds only weak references: a dropped pool stops it.
    fn spawn_idle_reaper(&self, key: ConnKey, conn: &Arc<Conn>) {
        let pool: Weak<Inner> = Arc::downgrade(&self.inner);
        let weak_conn = Arc::downgrade(conn);
        let idle_close = self.inner.config.idle_close;
        tokio::spawn(async move {
            loop {
                let wait = {
                    let Some(conn) = weak_conn.upgrade() else {
                        return;
                    };
                    idle_close.saturating_sub(conn.idle_for())
                };
                tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
                let Some(conn) = weak_conn.upgrade() else {
                    return;
                };
                let Some(inner) = pool.upgrade() else {
                    let _ = conn
                        .handle
                        .disconnect(Disconnect::ByApplication, "", "en")
                        .await;
                    return;
                };
                let idle =
                    conn.in_flight.load(Ordering::Acquire) == 0 && conn.idle_for() >= idle_close;
                if idle || !conn.alive() {
                    {
                        let mut slots = inner.slots.lock().unwrap_or_else(|e| e.into_inner());
                        if matches!(slots.get(&key), Some(Slot::Ready(c)) if c.id == conn.id) {
                            slots.remove(&key);
                        }
                    }
                    if idle {
                        tracing::debug!(host = %key.host, "closing idle SSH connection");
                        let _ = conn
                            .handle
                            .disconnect(Disconnect::ByApplication, "idle", "en")
                            .await;
                    }
                    return;
                }
            }
        });
    }

    /// TCP connect, key exchange, host key check, authentication; all
    /// within `connect_timeout`.
    async fn connect(&self, target: &Target) -> Result<Conn, SshError> {
        let addr = format!("{}:{}", target.host, target.port);
        let after = self.inner.config.connect_timeout;
        let started = Instant::now();
        // Parse the key first: a bad key or passphrase is not a network error.
        let key = match &target.auth {
            Auth::Key {
                private_key_pem,
                passphrase,
            } => Some(Arc::new(
                russh::keys::decode_secret_key(
                    private_key_pem.expose_secret(),
                    passphrase.as_ref().map(|p| p.expose_secret()),
                )
                .map_err(|e| SshError::InvalidKey(key_error_message(&e)))?,
            )),
            Auth::Password(_) => None,
        };
        let attempt = async {
            let tcp = tokio::net::TcpStream::connect((target.host.as_str(), target.port))
                .await
                .map_err(|e| SshError::ConnectFailed {
                    addr: addr.clone(),
                    reason: e.to_string(),
                })?;
            let _ = tcp.set_nodelay(true);
            let shared = Arc::new(Mutex::new(Handshake::default()));
            let handler = ClientHandler {
                host_keys: self.inner.host_keys.clone(),
                host_key_id: target.host_key_id.clone(),
                shared: shared.clone(),
            };
            let mut handle = client::connect_stream(self.inner.russh_config.clone(), tcp, handler)
                .await
                .map_err(|e| handshake_error(e, &addr, &shared))?;
            let auth = match (&target.auth, key) {
                (Auth::Key { .. }, Some(key)) => {
                    let hash = handle
                        .best_supported_rsa_hash()
                        .await
                        .ok()
                        .flatten()
                        .flatten();
                    handle
                        .authenticate_publickey(
                            target.username.clone(),
                            PrivateKeyWithHashAlg::new(key, hash),
                        )
                        .await
                }
                _ => {
                    handle
                        .authenticate_password(target.username.clone(), password_of(&target.auth))
                        .await
                }
            }
            .map_err(|e| SshError::ConnectFailed {
                addr: addr.clone(),
                reason: format!("during authentication: {e}"),
            })?;
            if let client::AuthResult::Failure {
                remaining_methods, ..
            } = auth
            {
                return Err(SshError::AuthFailed {
                    username: target.username.clone(),
                    methods: remaining_methods.iter().map(String::from).collect(),
                });
            }
            let hs = shared.lock().unwrap_or_else(|e| e.into_inner()).clone();
            Ok((handle, hs))
        };
        let (handle, hs) = tokio::time::timeout(after, attempt).await.map_err(|_| {
            SshError::ConnectTimeout {
                addr: addr.clone(),
                after,
            }
        })??;
        self.inner
            .connections_opened
            .fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%addr, user = %target.username, server = %hs.server_version, "SSH connection opened");
        Ok(Conn {
            id: self.inner.next_conn_id.fetch_add(1, Ordering::Relaxed),
            handle,
            sessions: Arc::new(Semaphore::new(
                self.inner.config.max_sessions_per_host.max(1),
            )),
            last_used: Mutex::new(Instant::now()),
            in_flight: AtomicUsize::new(0),
            info: ConnectionInfo {
                latency: started.elapsed(),
                server_version: hs.server_version,
                host_key_algorithm: hs.host_key_algorithm,
                host_key_fingerprint: hs.host_key_fingerprint,
            },
        })
    }

    /// Run `command` on one session channel of `conn`.
    async fn run(
        &self,
        conn: &Arc<Conn>,
        command: &str,
        request: &ExecRequest,
        timeout: Duration,
    ) -> Result<ExecOutput, ExecFailure> {
        let _in_flight = InFlight::new(conn);
        // Queueing for a slot has its own bound (the command timeout), so a
        // host whose sessions are all stuck does not hold callers forever.
        let permit = tokio::time::timeout(timeout, conn.sessions.clone().acquire_owned())
            .await
            .map_err(|_| ExecFailure::BeforeStart(SshError::Timeout { after: timeout }))?
            .map_err(|_| {
                ExecFailure::BeforeStart(SshError::ChannelFailed {
                    reason: "connection closed".into(),
                })
            })?;
        let run_started = Instant::now();
        let mut channel = self.open_session(conn).await?;
        channel.exec(true, command).await.map_err(|e| {
            ExecFailure::BeforeStart(SshError::ChannelFailed {
                reason: format!("could not send the command: {e}"),
            })
        })?;
        self.inner.commands_started.fetch_add(1, Ordering::Relaxed);

        // From here on the command may be running: failures are `Started`.
        let deadline = tokio::time::Instant::now() + timeout;
        send_stdin(&mut channel, request, deadline, timeout).await?;
        let cap = self.inner.config.output_cap_bytes;
        let out = collect_output(channel, permit, conn, deadline, timeout, cap).await?;
        conn.touch();
        if out.exit_code.is_none() && out.signal.is_none() {
            return Err(ExecFailure::Started(SshError::ChannelFailed {
                reason: "the connection closed before the command reported how it ended".into(),
            }));
        }
        // The remote `timeout` fired first (its 124, or 137 after KILL).
        let elapsed = run_started.elapsed();
        if elapsed >= timeout && matches!(out.exit_code, Some(124 | 137)) {
            return Err(ExecFailure::Started(SshError::Timeout { after: timeout }));
        }
        Ok(ExecOutput {
            exit_code: out.exit_code,
            signal: out.signal,
            stdout: out.stdout.bytes,
            stdout_truncated: out.stdout.truncated,
            stderr: out.stderr.bytes,
            stderr_truncated: out.stderr.truncated,
            duration: elapsed,
        })
    }

    /// A session channel on `conn`, within the connect timeout.
    async fn open_session(&self, conn: &Conn) -> Result<russh::Channel<client::Msg>, ExecFailure> {
        let open_timeout = self.inner.config.connect_timeout;
        let open = async {
            // sshd frees a session slot only after the last command's process
            // is reaped and its channel closed, a moment after we saw its exit
            // status; under load a new session can be refused in that gap (or
            // a host may allow fewer sessions than we use). A refusal on a
            // live connection is retried with a short backoff.
            let mut attempt = 0u32;
            loop {
                match conn.handle.channel_open_session().await {
                    Err(russh::Error::ChannelOpenFailure(_)) if attempt < OPEN_RETRIES => {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                    }
                    other => break other,
                }
            }
        };
        tokio::time::timeout(open_timeout, open)
            .await
            .map_err(|_| {
                ExecFailure::BeforeStart(SshError::ChannelFailed {
                    reason: format!(
                        "no session channel within {}s (connection dead, or the host refuses sessions)",
                        open_timeout.as_secs_f64()
                    ),
                })
            })?
            .map_err(|e| {
                ExecFailure::BeforeStart(SshError::ChannelFailed {
                    reason: format!("could not open a session: {e}"),
                })
            })
    }
}

/// Write the sudo password (if any) and the request's stdin, then close
/// stdin; within the command's deadline.
async fn send_stdin(
    channel: &mut russh::Channel<client::Msg>,
    request: &ExecRequest,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<(), ExecFailure> {
    let started_err = |reason: String| ExecFailure::Started(SshError::ChannelFailed { reason });
    let mut stdin = zeroize::Zeroizing::new(Vec::new());
    if let SudoMode::Password(p) = &request.sudo {
        stdin.extend_from_slice(p.expose_secret().as_bytes());
        stdin.push(b'\n');
    }
    if let Some(data) = &request.stdin {
        stdin.extend_from_slice(data);
    }
    let io = async {
        if !stdin.is_empty() {
            channel
                .data(&stdin[..])
                .await
                .map_err(|e| started_err(format!("writing stdin: {e}")))?;
        }
        channel
            .eof()
            .await
            .map_err(|e| started_err(format!("closing stdin: {e}")))?;
        Ok::<(), ExecFailure>(())
    };
    tokio::time::timeout_at(deadline, io)
        .await
        .map_err(|_| ExecFailure::Started(SshError::Timeout { after: timeout }))??;
    drop(stdin);
    Ok(())
}

/// Read the channel until the host closes it: output (each stream kept up
/// to `cap` bytes), exit status or signal. At the deadline the command is
/// killed and its session slot (`permit`) stays taken until the host lets
/// it go.
async fn collect_output(
    mut channel: russh::Channel<client::Msg>,
    permit: OwnedSemaphorePermit,
    conn: &Conn,
    deadline: tokio::time::Instant,
    timeout: Duration,
    cap: usize,
) -> Result<Collected, ExecFailure> {
    let mut out = Collected::default();
    let mut closed = false;
    while !closed {
        let msg = tokio::select! {
            msg = channel.wait() => msg,
            _ = tokio::time::sleep_until(deadline) => {
                // Give up: ask sshd to kill it (OpenSSH >= 7.9), close
                // the channel; the remote `timeout` kills it regardless.
                let _ = channel.signal(Sig::KILL).await;
                let _ = channel.close().await;
                reap_in_background(channel, permit, timeout);
                conn.touch();
                return Err(ExecFailure::Started(SshError::Timeout { after: timeout }));
            }
        };
        match msg {
            None | Some(ChannelMsg::Close) => closed = true,
            Some(ChannelMsg::Data { data }) => out.stdout.push(&data, cap),
            Some(ChannelMsg::ExtendedData { data, ext: 1 }) => out.stderr.push(&data, cap),
            Some(ChannelMsg::ExitStatus { exit_status }) => {
                out.exit_code = Some(i32::try_from(exit_status).unwrap_or(i32::MAX));
            }
            Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                out.signal = Some(signal_name_of(&signal_name));
            }
            Some(ChannelMsg::Failure) => {
                let _ = channel.close().await;
                return Err(ExecFailure::BeforeStart(SshError::ChannelFailed {
                    reason: "the host refused to run the command".into(),
                }));
            }
            Some(_) => {}
        }
    }
    drop(permit);
    Ok(out)
}

/// Counts a command as in flight on its connection (the idle reaper leaves
/// busy connections alone).
struct InFlight<'a>(&'a Conn);

impl<'a> InFlight<'a> {
    fn new(conn: &'a Conn) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.touch();
        Self(conn)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// After a timeout the channel stays open on the host until the remote
/// `timeout` kills the command; sshd counts it against `MaxSessions` until
/// then. Keep its slot taken until the host closes it (bounded).
fn reap_in_background(
    mut channel: russh::Channel<client::Msg>,
    permit: OwnedSemaphorePermit,
    timeout: Duration,
) {
    let bound = Duration::from_secs(REMOTE_SLACK_SECS + REMOTE_KILL_AFTER_SECS + 10) + timeout;
    tokio::spawn(async move {
        let _ = tokio::time::timeout(bound, async {
            while !matches!(channel.wait().await, None | Some(ChannelMsg::Close)) {}
        })
        .await;
        drop(permit);
    });
}

#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    truncated: bool,
}

impl Capped {
    fn push(&mut self, data: &[u8], cap: usize) {
        let room = cap.saturating_sub(self.bytes.len());
        if data.len() > room {
            self.truncated = true;
        }
        self.bytes.extend_from_slice(&data[..data.len().min(room)]);
    }
}

#[derive(Default)]
struct Collected {
    stdout: Capped,
    stderr: Capped,
    exit_code: Option<i32>,
    signal: Option<String>,
}

fn signal_name_of(sig: &Sig) -> String {
    let name = match sig {
        Sig::ABRT => "ABRT",
        Sig::ALRM => "ALRM",
        Sig::FPE => "FPE",
        Sig::HUP => "HUP",
        Sig::ILL => "ILL",
        Sig::INT => "INT",
        Sig::KILL => "KILL",
        Sig::PIPE => "PIPE",
        Sig::QUIT => "QUIT",
        Sig::SEGV => "SEGV",
        Sig::TERM => "TERM",
        Sig::USR1 => "USR1",
        Sig::Custom(s) => s.as_str(),
    };
    name.to_string()
}

fn password_of(auth: &Auth) -> String {
    match auth {
        Auth::Password(p) => p.expose_secret().to_string(),
        Auth::Key { .. } => String::new(),
    }
}

/// Key errors name the problem (wrong passphrase, unsupported format)
/// without echoing key material.
fn key_error_message(e: &russh::keys::Error) -> String {
    match e {
        russh::keys::Error::KeyIsEncrypted => {
            "the key is encrypted and no passphrase was given".into()
        }
        other => {
            let text = other.to_string();
            if text.to_lowercase().contains("decrypt") || text.to_lowercase().contains("crypto") {
                "could not decrypt the key (wrong passphrase?)".into()
            } else {
                format!("could not read the key: {text}")
            }
        }
    }
}

/// What the handler learned during the handshake.
#[derive(Debug, Clone, Default)]
struct Handshake {
    server_version: String,
    host_key_algorithm: String,
    host_key_fingerprint: String,
    mismatch: Option<(String, String)>,
    store_error: Option<String>,
}

fn handshake_error(e: russh::Error, addr: &str, shared: &Mutex<Handshake>) -> SshError {
    let hs = shared.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some((expected, actual)) = hs.mismatch {
        return SshError::HostKeyMismatch { expected, actual };
    }
    if let Some(err) = hs.store_error {
        return SshError::HostKeyStore(err);
    }
    match e {
        russh::Error::IO(io) => SshError::ConnectFailed {
            addr: addr.to_string(),
            reason: io.to_string(),
        },
        russh::Error::Disconnect | russh::Error::HUP => SshError::ConnectFailed {
            addr: addr.to_string(),
            reason: "the host closed the connection during the handshake".into(),
        },
        other => SshError::Protocol(format!("handshake with {addr}: {other}")),
    }
}

struct ClientHandler {
    host_keys: Arc<dyn HostKeyStore>,
    host_key_id: String,
    shared: Arc<Mutex<Handshake>>,
}

impl ClientHandler {
    fn record(&self, f: impl FnOnce(&mut Handshake)) {
        f(&mut self.shared.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

impl client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key: PublicKey = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        let presented = PresentedHostKey {
            host_key_id: self.host_key_id.clone(),
            algorithm: key.algorithm().as_str().to_string(),
            fingerprint_sha256: key.fingerprint(HashAlg::Sha256).to_string(),
            openssh_public_key: key.to_openssh().unwrap_or_default(),
        };
        let verdict = self.host_keys.check(&presented).await;
        self.record(|hs| {
            hs.host_key_algorithm = presented.algorithm.clone();
            hs.host_key_fingerprint = presented.fingerprint_sha256.clone();
        });
        match verdict {
            Ok(HostKeyVerdict::Trusted | HostKeyVerdict::FirstUse) => Ok(true),
            Ok(HostKeyVerdict::Mismatch { expected }) => {
                tracing::warn!(
                    host_key_id = %self.host_key_id,
                    %expected,
                    actual = %presented.fingerprint_sha256,
                    "SSH host key changed; refusing to connect"
                );
                self.record(|hs| {
                    hs.mismatch = Some((expected, presented.fingerprint_sha256.clone()))
                });
                Ok(false)
            }
            Err(e) => {
                self.record(|hs| hs.store_error = Some(e));
                Ok(false)
            }
        }
    }

    async fn kex_done(
        &mut self,
        _shared_secret: Option<&[u8]>,
        _names: &russh::Names,
        session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        let version = String::from_utf8_lossy(session.remote_sshid())
            .trim()
            .to_string();
        self.record(|hs| hs.server_version = version);
        Ok(())
    }
}
