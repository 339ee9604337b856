//! The SSH executor service: everything between "run this catalog action on
//! that machine" and the SSH pool.
//!
//! - **Where**: the machine's address by the global connectivity mode
//!   (`/settings/connectivity`): `direct_ssh` (the default) uses
//!   `ip_address`, else `hostname`; `tailscale` uses `tailscale_hostname`
//!   and refuses machines without one.
//! - **As whom**: `db::credentials::resolve_inputs` + `credentials::resolve`
//!   (machine's own value → global default → uploaded default key).
//! - **Host keys**: [`DbHostKeyStore`] pins on first use in `ssh_host_keys`;
//!   a changed key is refused, parked as pending, and raises a critical
//!   `host_key_changed` alert (with notifications) until an operator
//!   accepts it (`POST /servers/{id}/ssh/host-key/accept`).
//! - **Audit**: [`Executor::run`] writes an `allowed` row before anything
//!   reaches SSH (and refuses to run if it cannot), then `completed` or
//!   `failed`; refusals are `rejected`. Rows hold the argv and prose, never a
//!   secret.
//! - **Limits**: at most `HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER`
//!   commands per machine at once ([`Wait::No`] fails fast with
//!   [`ExecError::Busy`], [`Wait::Yes`] queues).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::config::Config;
use crate::db::host_keys::{HostKeyVerdict as DbVerdict, ObservedHostKey};
use crate::db::{self, Db, now_ms};
use crate::notify::{self, AlertEvent, EventKind};
use crate::remote::crypto::{Cipher, CryptoError, credential_context, ssh_key_context};
use homelabcmd_core::alerts::engine::{AlertType, Severity};
use homelabcmd_core::audit::{AuditEntry, AuditOutcome};
use homelabcmd_core::catalog::CatalogAction;
use homelabcmd_core::credentials::{
    self, DefaultKey, KeySource, MachineAddress, ResolveError, ResolveInputs, SecretSet, SshAuth,
    SshTarget, SudoAuth,
};
use homelabcmd_core::packs::apply_script::RemoteStep;
use homelabcmd_ssh::{
    Auth, BoxFuture, ConnectionInfo, ExecOutput, ExecRequest, HostKeyStore, HostKeyVerdict,
    MemoryHostKeyStore, PoolConfig, PresentedHostKey, SshError, SshPool, SudoMode, Target,
};

/// Settings key of the connectivity document.
pub const CONNECTIVITY_KEY: &str = "connectivity";
/// Alert condition key and `alert_type` of a refused host key.
pub const HOST_KEY_CONDITION: &str = "host_key";
pub const HOST_KEY_ALERT_TYPE: AlertType = AlertType::HostKeyChanged;
/// Host-key ids of `/scan/test` targets start with this; they are pinned in
/// memory only (no machine row to pin them to).
const SCAN_PREFIX: &str = "scan:";

/// How machines are reached: the wire enum, stored in the connectivity
/// document as its wire name.
pub use homelabcmd_protocol::actions::ConnectivityMode;

/// The stored connectivity document; `mode: None` means auto-detected
/// (this hub has no Tailscale API client, so auto is `direct_ssh`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connectivity {
    pub mode: Option<ConnectivityMode>,
}

impl Connectivity {
    pub fn effective(self) -> ConnectivityMode {
        self.mode.unwrap_or(ConnectivityMode::DirectSsh)
    }
}

pub async fn connectivity(db: &Db) -> sqlx::Result<Connectivity> {
    Ok(db::settings::get::<Connectivity>(db, CONNECTIVITY_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_default())
}

/// Pure: apply the mode to a machine's address before resolution.
pub fn apply_mode(m: &mut MachineAddress, mode: ConnectivityMode) -> Result<(), ExecError> {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    match mode {
        ConnectivityMode::DirectSsh => m.tailscale_hostname = None,
        ConnectivityMode::Tailscale => {
            if blank(&m.tailscale_hostname) {
                return Err(ExecError::NoTailscaleHostname(m.server_id.clone()));
            }
            m.ip_address = None;
        }
    }
    Ok(())
}

/// Why a command did not run (or did not finish).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("server '{0}' not found")]
    NotFound(String),
    #[error("{0} commands are already running on '{1}'; try again when one has finished")]
    Busy(usize, String),
    #[error("machine {0} has no Tailscale hostname (connectivity mode is tailscale)")]
    NoTailscaleHostname(String),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Ssh(#[from] SshError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A generated read-only shell script for [`Exec::run_script`].
pub struct PackScript {
    /// Audit action name, e.g. `config_check`.
    pub audit_action: &'static str,
    /// What the audit row shows instead of the body, e.g. `pack check: base`.
    pub label: String,
    /// The script (run as `sh -c`); never logged or audited.
    pub body: String,
    pub timeout: Duration,
}

/// Queue for a free slot on the machine, or fail at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Yes,
    No,
}

/// What compliance checks and pack apply/removal need from a machine: the
/// seam between them and SSH. [`Executor`] is the real one (pooled SSH,
/// credentials, per-machine limits, audit); unit tests of `compliance`
/// use a scripted double. Boxed futures keep it usable as `&dyn Exec`.
pub trait Exec: Send + Sync {
    /// Run a generated read-only script (a pack's compliance check) as
    /// `sh -c <script>`, without sudo. `Ok` whatever the exit code.
    fn run_script<'a>(
        &'a self,
        server_id: &'a str,
        script: &'a PackScript,
        actor: &'a str,
        wait: Wait,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>>;

    /// Run one step of a pack apply or removal, with sudo when the step
    /// needs it; queues for a slot. `Ok` whatever the exit code.
    fn run_step<'a>(
        &'a self,
        server_id: &'a str,
        step: &'a RemoteStep,
        audit_action: &'static str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>>;
}

/// A resolved connection: the pool's target, the sudo plan source, and a
/// description of the credential used (for display; never the secret).
pub struct Resolved {
    pub target: Target,
    resolved: SshTarget,
    pub credential: String,
}

impl Resolved {
    fn sudo(&self, needs_sudo: bool) -> Result<SudoMode, ResolveError> {
        Ok(match self.resolved.sudo_for(needs_sudo)? {
            None | Some(SudoAuth::NotNeeded) => SudoMode::None,
            Some(SudoAuth::Passwordless) => SudoMode::NoPassword,
            Some(SudoAuth::Password(p)) => SudoMode::Password(p.clone()),
            // sudo_for turns a missing password into an error.
            Some(SudoAuth::PasswordMissing) => SudoMode::None,
        })
    }
}

fn describe(auth: &SshAuth) -> String {
    match auth {
        SshAuth::Key {
            source: KeySource::PerServer,
            ..
        } => "per-server ssh_private_key".into(),
        SshAuth::Key {
            source: KeySource::Global,
            ..
        } => "global ssh_private_key".into(),
        SshAuth::Key {
            source: KeySource::Uploaded { key_id },
            ..
        } => format!("uploaded key '{key_id}'"),
        SshAuth::Password(_) => "ssh_password".into(),
    }
}

fn to_target(t: &SshTarget, host_key_id: String) -> Target {
    Target {
        host: t.host.clone(),
        port: t.port,
        username: t.username.clone(),
        auth: match &t.auth {
            SshAuth::Key {
                private_key,
                passphrase,
                ..
            } => Auth::Key {
                private_key_pem: private_key.clone(),
                passphrase: passphrase.clone(),
            },
            SshAuth::Password(p) => Auth::Password(p.clone()),
        },
        host_key_id,
    }
}

/// The executor; cheap to clone.
#[derive(Clone)]
pub struct Executor {
    pool: SshPool,
    db: Db,
    config: Arc<Config>,
    slots: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Executor {
    /// `wake` wakes the notification worker after the host-key alert.
    pub fn new(db: Db, config: Arc<Config>, wake: Arc<Notify>) -> Self {
        let c = &config.ssh;
        let pool_config = PoolConfig {
            connect_timeout: Duration::from_secs(c.connect_timeout_seconds),
            default_command_timeout: Duration::from_secs(c.command_timeout_seconds),
            output_cap_bytes: c.output_cap_bytes,
            ..PoolConfig::default()
        };
        let store = Arc::new(DbHostKeyStore {
            db: db.clone(),
            config: config.clone(),
            wake,
            scan: MemoryHostKeyStore::new(),
        });
        Self {
            pool: SshPool::new(pool_config, store),
            db,
            config,
            slots: Arc::default(),
        }
    }

    pub fn pool(&self) -> &SshPool {
        &self.pool
    }

    fn cipher(&self) -> Result<Cipher, CryptoError> {
        Cipher::from_config(&self.config)
    }

    /// How to reach and log in to a machine right now.
    pub async fn resolve(&self, server_id: &str) -> Result<Resolved, ExecError> {
        let cipher = self.cipher()?;
        let mut inputs = db::credentials::resolve_inputs(&self.db, &cipher, server_id)
            .await
            .map_err(|e| match e {
                db::credentials::LoadError::NotFound(id) => ExecError::NotFound(id),
                db::credentials::LoadError::Decrypt { source, .. } => ExecError::Crypto(source),
                db::credentials::LoadError::Db(e) => ExecError::Db(e),
            })?;
        apply_mode(
            &mut inputs.machine,
            connectivity(&self.db).await?.effective(),
        )?;
        let resolved = credentials::resolve(inputs)?;
        Ok(Resolved {
            target: to_target(&resolved, server_id.to_owned()),
            credential: describe(&resolved.auth),
            resolved,
        })
    }

    /// A target for an address that is not (necessarily) a machine, with
    /// the global credentials and `/settings/ssh` defaults (`/scan/test`).
    pub async fn resolve_address(
        &self,
        host: &str,
        port: Option<u16>,
        username: Option<&str>,
    ) -> Result<Resolved, ExecError> {
        let cipher = self.cipher()?;
        let mut global = SecretSet::default();
        // No machine has the empty id, so this yields the global rows only.
        for row in db::credentials::for_server(&self.db, "").await? {
            let t = row.credential_type;
            let value: SecretString =
                cipher.decrypt_string(&credential_context(None, t.as_str()), &row.ciphertext)?;
            use credentials::CredentialType as T;
            match t {
                T::SshPrivateKey => global.private_key = Some(value),
                T::SshPassword => global.password = Some(value),
                T::SudoPassword => global.sudo_password = Some(value),
                T::SshKeyPassphrase => global.key_passphrase = Some(value),
            }
        }
        let default_key = match db::credentials::default_key(&self.db).await? {
            Some((row, blob)) => Some(DefaultKey {
                private_key: cipher.decrypt_string(&ssh_key_context(&row.id), &blob)?,
                id: row.id,
                username: row.username,
            }),
            None => None,
        };
        let defaults = db::credentials::ssh_defaults(&self.db).await?;
        let id = format!("{SCAN_PREFIX}{host}");
        let resolved = credentials::resolve(ResolveInputs {
            machine: MachineAddress {
                server_id: id.clone(),
                hostname: host.to_owned(),
                ssh_username: username.map(str::to_owned),
                ssh_port: port,
                sudo_mode: homelabcmd_protocol::api::SudoMode::Passwordless,
                ..Default::default()
            },
            own: SecretSet::default(),
            global,
            default_key,
            default_username: defaults.default_username,
            default_port: defaults.default_port,
        })?;
        let host_key_id = format!("{id}:{}", resolved.port);
        Ok(Resolved {
            target: to_target(&resolved, host_key_id),
            credential: describe(&resolved.auth),
            resolved,
        })
    }

    /// Open a fresh connection to a machine and report on it.
    pub async fn test_connection(&self, r: &Resolved) -> Result<ConnectionInfo, SshError> {
        self.pool.test_connection(&r.target).await
    }

    fn slot(&self, server_id: &str) -> Arc<Semaphore> {
        let max = self.config.ssh.max_concurrent_per_server;
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(server_id.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(max)))
            .clone()
    }

    async fn permit(&self, server_id: &str, wait: Wait) -> Result<OwnedSemaphorePermit, ExecError> {
        let slot = self.slot(server_id);
        match wait {
            // The semaphore is never closed.
            Wait::Yes => Ok(slot.acquire_owned().await.expect("semaphore open")),
            Wait::No => slot.try_acquire_owned().map_err(|_| {
                ExecError::Busy(
                    self.config.ssh.max_concurrent_per_server,
                    server_id.to_owned(),
                )
            }),
        }
    }

    /// Audit a refusal that happened before the executor was asked (e.g. a
    /// command the catalog refused).
    pub async fn audit_rejected(
        &self,
        actor: &str,
        server_id: &str,
        action: &str,
        reason: &str,
    ) -> sqlx::Result<()> {
        let mut e = AuditEntry::new(actor, Some(server_id), action, AuditOutcome::Rejected);
        e.reason = Some(reason.to_owned());
        db::audit::append(&self.db, &e).await.map(|_| ())
    }

    /// Audit an attempt that could not start (no credentials, no address,
    /// the machine's limit...). An unknown machine or a database error is
    /// not an attempt on a machine, so it is not recorded.
    async fn audit_refusal(&self, e: &ExecError, entry: impl Fn(AuditOutcome) -> AuditEntry) {
        if matches!(e, ExecError::NotFound(_) | ExecError::Db(_)) {
            return;
        }
        let mut a = entry(AuditOutcome::Rejected);
        a.reason = Some(e.to_string());
        if let Err(db_err) = db::audit::append(&self.db, &a).await {
            tracing::error!(error = %db_err, "audit append failed");
        }
    }

    /// Audit how a started command ended: `completed` with its exit code
    /// (and signal), or `failed` with the SSH error.
    async fn audit_outcome(
        &self,
        result: &Result<ExecOutput, SshError>,
        entry: impl Fn(AuditOutcome) -> AuditEntry,
    ) {
        let done = match result {
            Ok(out) => {
                let mut e = entry(AuditOutcome::Completed);
                e.exit_code = Some(out.exit_code.map_or(-1, i64::from));
                e.duration_ms = Some(out.duration.as_millis() as i64);
                if let Some(sig) = &out.signal {
                    e.reason = Some(format!("killed by signal {sig}"));
                }
                e
            }
            Err(err) => {
                let mut e = entry(AuditOutcome::Failed);
                e.reason = Some(err.to_string());
                if let SshError::Timeout { after } = err {
                    e.duration_ms = Some(after.as_millis() as i64);
                }
                e
            }
        };
        if let Err(e) = db::audit::append(&self.db, &done).await {
            tracing::error!(error = %e, server_id = ?done.server_id, "audit append failed after a command ran");
        }
    }

    /// Run a catalog action on a machine. Audited: `rejected` if it cannot
    /// start, else `allowed` (before SSH) then `completed` / `failed`.
    /// `Ok` whatever the exit code.
    pub async fn run(
        &self,
        server_id: &str,
        action: &CatalogAction,
        actor: &str,
        wait: Wait,
    ) -> Result<ExecOutput, ExecError> {
        let argv = action.argv();
        let entry = |outcome| {
            let mut e = AuditEntry::new(actor, Some(server_id), action.name(), outcome);
            e.argv = Some(argv.clone());
            e
        };
        let prepared = async {
            let permit = self.permit(server_id, wait).await?;
            let r = self.resolve(server_id).await?;
            let sudo = r.sudo(action.needs_sudo())?;
            Ok::<_, ExecError>((permit, r, sudo))
        }
        .await;
        let (_permit, r, sudo) = match prepared {
            Ok(p) => p,
            Err(e) => {
                self.audit_refusal(&e, entry).await;
                return Err(e);
            }
        };
        // Nothing reaches SSH unaudited.
        let mut allowed = entry(AuditOutcome::Allowed);
        allowed.reason = Some(format!(
            "{} as {}@{}:{}",
            action.summary(),
            r.target.username,
            r.target.host,
            r.target.port
        ));
        db::audit::append(&self.db, &allowed).await?;
        let request = ExecRequest::new(argv.clone())
            .sudo(sudo)
            .timeout(action.timeout());
        tracing::info!(
            server_id,
            action = action.name(),
            actor,
            "running SSH command"
        );
        let result = self.pool.exec(&r.target, &request).await;
        self.audit_outcome(&result, entry).await;
        Ok(result?)
    }

    /// Generated commands (pack checks, apply steps): audited under
    /// `audit.0` with `audit.1` as argv and `audit.2` in the reason,
    /// never the request's own argv or stdin.
    async fn run_generated(
        &self,
        server_id: &str,
        audit: (&'static str, Vec<String>, &str),
        request: ExecRequest,
        needs_sudo: bool,
        actor: &str,
        wait: Wait,
    ) -> Result<ExecOutput, ExecError> {
        let (audit_action, argv, label) = audit;
        let entry = |outcome| {
            let mut e = AuditEntry::new(actor, Some(server_id), audit_action, outcome);
            e.argv = Some(argv.clone());
            e
        };
        let prepared = async {
            let permit = self.permit(server_id, wait).await?;
            let r = self.resolve(server_id).await?;
            let sudo = r.sudo(needs_sudo)?;
            Ok::<_, ExecError>((permit, r, sudo))
        }
        .await;
        let (_permit, r, sudo) = match prepared {
            Ok(p) => p,
            Err(e) => {
                self.audit_refusal(&e, entry).await;
                return Err(e);
            }
        };
        let mut allowed = entry(AuditOutcome::Allowed);
        allowed.reason = Some(format!(
            "{label} as {}@{}:{}",
            r.target.username, r.target.host, r.target.port
        ));
        db::audit::append(&self.db, &allowed).await?;
        let result = self.pool.exec(&r.target, &request.sudo(sudo)).await;
        self.audit_outcome(&result, entry).await;
        Ok(result?)
    }

    /// Adopt a refused host key (the operator checked it), resolve the
    /// alert and drop any pooled connection. False: no such pending key.
    pub async fn accept_host_key(
        &self,
        server_id: &str,
        fingerprint: &str,
        actor: &str,
    ) -> sqlx::Result<bool> {
        if !db::host_keys::accept_pending(&self.db, server_id, fingerprint).await? {
            return Ok(false);
        }
        db::alerts::resolve_external(&self.db, server_id, HOST_KEY_CONDITION, now_ms()).await?;
        let mut e = AuditEntry::new(
            actor,
            Some(server_id),
            "host_key_accept",
            AuditOutcome::Completed,
        );
        e.reason = Some(format!("pinned host key {fingerprint}"));
        db::audit::append(&self.db, &e).await?;
        if let Ok(r) = self.resolve(server_id).await {
            self.pool.close_target(&r.target).await;
        }
        Ok(true)
    }
}

impl Exec for Executor {
    /// Audited like [`Executor::run`], under `script.audit_action` with argv
    /// `sh -c <script.label>`: the audit trail names the pack, never the
    /// script body.
    fn run_script<'a>(
        &'a self,
        server_id: &'a str,
        script: &'a PackScript,
        actor: &'a str,
        wait: Wait,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>> {
        let audit_argv = vec![
            "sh".to_owned(),
            "-c".to_owned(),
            format!("<{}>", script.label),
        ];
        let request = ExecRequest::new(["sh", "-c", script.body.as_str()]).timeout(script.timeout);
        Box::pin(self.run_generated(
            server_id,
            (script.audit_action, audit_argv, &script.label),
            request,
            false,
            actor,
            wait,
        ))
    }

    /// A fixed script whose pack values are arguments, file content on
    /// stdin. Audited under `audit_action` with the step's label as argv:
    /// never the script, the content or a secret.
    fn run_step<'a>(
        &'a self,
        server_id: &'a str,
        step: &'a RemoteStep,
        audit_action: &'static str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>> {
        let mut request = ExecRequest::new(step.argv.iter().cloned()).timeout(step.timeout);
        if let Some(data) = &step.stdin {
            request = request.stdin(data.clone());
        }
        let label = if step.sudo {
            format!("{} (sudo)", step.label)
        } else {
            step.label.clone()
        };
        Box::pin(async move {
            self.run_generated(
                server_id,
                (audit_action, vec![step.label.clone()], &label),
                request,
                step.sudo,
                actor,
                Wait::Yes,
            )
            .await
        })
    }
}

/// Host-key pins in `ssh_host_keys` (machines) or in memory (`/scan/test`
/// addresses). A changed machine key also raises the `host_key_changed`
/// alert.
pub struct DbHostKeyStore {
    db: Db,
    config: Arc<Config>,
    wake: Arc<Notify>,
    scan: MemoryHostKeyStore,
}

impl HostKeyStore for DbHostKeyStore {
    fn check<'a>(
        &'a self,
        key: &'a PresentedHostKey,
    ) -> BoxFuture<'a, Result<HostKeyVerdict, String>> {
        Box::pin(async move {
            if key.host_key_id.starts_with(SCAN_PREFIX) {
                return self.scan.check(key).await;
            }
            let seen = ObservedHostKey {
                algorithm: key.algorithm.clone(),
                fingerprint_sha256: key.fingerprint_sha256.clone(),
                public_key: key.openssh_public_key.clone(),
            };
            let verdict = db::host_keys::check_and_record(&self.db, &key.host_key_id, &seen)
                .await
                .map_err(|e| format!("host key store: {e}"))?;
            Ok(match verdict {
                DbVerdict::PinnedFirstUse => {
                    tracing::info!(server_id = %key.host_key_id, fingerprint = %key.fingerprint_sha256, "host key pinned on first use");
                    HostKeyVerdict::FirstUse
                }
                DbVerdict::Match => HostKeyVerdict::Trusted,
                DbVerdict::Changed {
                    pinned_fingerprint,
                    presented_fingerprint,
                } => {
                    tracing::warn!(server_id = %key.host_key_id, pinned = %pinned_fingerprint,
                        presented = %presented_fingerprint, "host key changed: connection refused");
                    if let Err(e) = self
                        .raise_alert(
                            &key.host_key_id,
                            &pinned_fingerprint,
                            &presented_fingerprint,
                        )
                        .await
                    {
                        tracing::error!(error = ?e, "could not raise the host key alert");
                    }
                    HostKeyVerdict::Mismatch {
                        expected: pinned_fingerprint,
                    }
                }
            })
        })
    }
}

impl DbHostKeyStore {
    async fn raise_alert(
        &self,
        server_id: &str,
        pinned: &str,
        presented: &str,
    ) -> anyhow::Result<()> {
        let Some(server) = db::servers::get(&self.db.read, server_id).await? else {
            return Ok(());
        };
        let name = server
            .display_name
            .clone()
            .unwrap_or(server.hostname.clone());
        let now = now_ms();
        let title = format!("SSH host key changed on {name}");
        let message = format!(
            "{name} presented host key {presented}, but {pinned} is pinned. Commands are refused \
             until the new key is checked and accepted (POST /api/v1/servers/{server_id}/ssh/host-key/accept). \
             A reinstalled host explains it; otherwise suspect a machine in the middle."
        );
        let notif = notify::load_settings(&self.db).await?;
        let channels = notify::channels(&notif, &self.config);
        let mut tx = self.db.write.begin().await?;
        let Some(id) = db::alerts::open_external(
            &mut tx,
            server_id,
            HOST_KEY_CONDITION,
            HOST_KEY_ALERT_TYPE,
            Severity::Critical,
            &title,
            &message,
            now,
        )
        .await?
        else {
            // Already open: one alert per refused key, not per attempt.
            return Ok(());
        };
        let ev = AlertEvent {
            kind: EventKind::Opened,
            alert_id: Some(id),
            server_id: server_id.to_owned(),
            server_name: name,
            alert_type: HOST_KEY_ALERT_TYPE.to_string(),
            severity: Severity::Critical,
            previous_severity: None,
            title,
            message,
            metric: None,
            value: None,
            threshold: None,
            at: db::to_dt(now),
            link: notify::machine_link(self.config.external_url.as_deref(), server_id),
            auto_resolved: false,
        };
        let queued =
            !channels.is_empty() && notify::should_notify(&notif, &ev, server.is_paused, None, now);
        if queued {
            db::outbox::enqueue(&mut tx, &channels, &ev, now).await?;
            db::alerts::mark_notified(&mut tx, id, now).await?;
        }
        tx.commit().await?;
        if queued {
            self.wake.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> MachineAddress {
        MachineAddress {
            server_id: "nas".into(),
            hostname: "nas.lan".into(),
            ip_address: Some("10.0.0.5".into()),
            tailscale_hostname: Some("nas.tail.ts.net".into()),
            sudo_mode: homelabcmd_protocol::api::SudoMode::Passwordless,
            ..Default::default()
        }
    }

    #[test]
    fn mode_picks_the_address() {
        let mut m = machine();
        apply_mode(&mut m, ConnectivityMode::DirectSsh).unwrap();
        assert_eq!(
            (m.tailscale_hostname, m.ip_address.as_deref()),
            (None, Some("10.0.0.5"))
        );
        let mut m = machine();
        apply_mode(&mut m, ConnectivityMode::Tailscale).unwrap();
        assert_eq!(
            (m.tailscale_hostname.as_deref(), m.ip_address),
            (Some("nas.tail.ts.net"), None)
        );
        let mut m = machine();
        m.tailscale_hostname = Some(" ".into());
        let e = apply_mode(&mut m, ConnectivityMode::Tailscale).unwrap_err();
        assert!(e.to_string().contains("no Tailscale hostname"), "{e}");
    }

    #[test]
    fn connectivity_defaults_to_auto_direct_ssh() {
        let c = Connectivity::default();
        assert_eq!((c.mode, c.effective()), (None, ConnectivityMode::DirectSsh));
        let c: Connectivity = serde_json::from_str(r#"{"mode":"tailscale"}"#).unwrap();
        assert_eq!(c.effective(), ConnectivityMode::Tailscale);
        assert_eq!("direct_ssh".parse(), Ok(ConnectivityMode::DirectSsh));
        assert!("ssh".parse::<ConnectivityMode>().is_err());
    }
}
