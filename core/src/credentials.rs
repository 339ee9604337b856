//! SSH credentials as the executor needs them: the credential types, the
//! pure resolution chain (per-machine value → global default → none) that
//! turns stored values into an [`SshTarget`], and inspection of uploaded
//! private keys (type + SHA-256 fingerprint). No I/O here: the caller loads
//! rows from `db::credentials` and decrypts them with `crypto::Cipher`.

use homelabcmd_protocol::api::SudoMode;
use secrecy::SecretString;

/// Kinds of stored secret, and where a machine's value comes from: the
/// wire enums, so the API, the database and resolution share one set.
pub use homelabcmd_protocol::ssh::{CredentialScope, CredentialType, SshKeyType};

/// Scope of one credential type given which types are stored per machine
/// and globally.
pub fn scope_of(
    t: CredentialType,
    per_server: &[CredentialType],
    global: &[CredentialType],
) -> CredentialScope {
    if per_server.contains(&t) {
        CredentialScope::PerServer
    } else if global.contains(&t) {
        CredentialScope::Global
    } else {
        CredentialScope::None
    }
}

// ---------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------

/// Decrypted secrets of one scope (a machine's own, or the global defaults).
#[derive(Debug, Default)]
pub struct SecretSet {
    pub private_key: Option<SecretString>,
    pub password: Option<SecretString>,
    pub sudo_password: Option<SecretString>,
    pub key_passphrase: Option<SecretString>,
}

/// The uploaded default key (`/settings/ssh/keys`, `is_default`).
#[derive(Debug)]
pub struct DefaultKey {
    pub id: String,
    pub private_key: SecretString,
    /// Username stored with the key, if any.
    pub username: Option<String>,
}

/// What the machine row says about reaching it.
#[derive(Debug, Clone, Default)]
pub struct MachineAddress {
    pub server_id: String,
    pub hostname: String,
    pub ip_address: Option<String>,
    pub tailscale_hostname: Option<String>,
    pub ssh_username: Option<String>,
    pub ssh_port: Option<u16>,
    pub sudo_mode: SudoMode,
}

/// Everything resolution reads.
#[derive(Debug)]
pub struct ResolveInputs {
    pub machine: MachineAddress,
    pub own: SecretSet,
    pub global: SecretSet,
    pub default_key: Option<DefaultKey>,
    /// `/settings/ssh` defaults.
    pub default_username: String,
    pub default_port: u16,
}

/// Which stored value an SSH key came from (for logs and audit, not secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    PerServer,
    Global,
    Uploaded { key_id: String },
}

/// How to log in. Secrets stay wrapped; `Debug` redacts them.
#[derive(Debug)]
pub enum SshAuth {
    /// OpenSSH private key text, and its passphrase when it has one.
    Key {
        private_key: SecretString,
        passphrase: Option<SecretString>,
        source: KeySource,
    },
    Password(SecretString),
}

/// How to become root for a catalog action with `needs_sudo`.
#[derive(Debug)]
pub enum SudoAuth {
    /// Logged in as root: no sudo at all.
    NotNeeded,
    /// `sudo -n`.
    Passwordless,
    /// `sudo -S` with this password on stdin.
    Password(SecretString),
    /// The machine's sudo mode is `password` but no sudo password is stored
    /// here or globally: actions that need sudo must be refused.
    PasswordMissing,
}

/// A resolved connection plan, independent of the SSH library.
#[derive(Debug)]
pub struct SshTarget {
    pub server_id: String,
    /// tailscale_hostname → ip_address → hostname.
    pub host: String,
    pub port: u16,
    pub username: String,
    pub auth: SshAuth,
    pub sudo: SudoAuth,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "no SSH credentials for '{0}': store an ssh_private_key or ssh_password for it, \
         or upload a default key under /settings/ssh/keys"
    )]
    NoCredentials(String),
    #[error("'{0}' has no address to connect to")]
    NoAddress(String),
    #[error("'{0}' needs a sudo password (sudo_mode 'password') and none is stored")]
    SudoPasswordMissing(String),
}

impl SshTarget {
    /// The sudo plan for an action; an error when sudo is needed and
    /// impossible.
    pub fn sudo_for(&self, needs_sudo: bool) -> Result<Option<&SudoAuth>, ResolveError> {
        match (&self.sudo, needs_sudo) {
            (_, false) | (SudoAuth::NotNeeded, true) => Ok(None),
            (SudoAuth::PasswordMissing, true) => {
                Err(ResolveError::SudoPasswordMissing(self.server_id.clone()))
            }
            (s, true) => Ok(Some(s)),
        }
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Resolve how to reach and log in to a machine.
///
/// Authentication: the machine's own key, else its own password, else the
/// global key credential, else the uploaded default key, else the global
/// password. A machine's own value always beats any default, so a per-server
/// password is not overridden by a global key. Passphrase: own → global,
/// only for a key stored as a credential (uploaded keys have none).
/// Username: the machine's `ssh_username` → the uploaded key's username
/// (when that key is used) → the `/settings/ssh` default. Port: the machine's
/// → the default. Sudo: root needs none; `password` mode takes the sudo
/// password own → global.
pub fn resolve(i: ResolveInputs) -> Result<SshTarget, ResolveError> {
    let m = i.machine;
    let id = m.server_id.clone();
    let host = non_empty(&m.tailscale_hostname)
        .or(non_empty(&m.ip_address))
        .or(Some(m.hostname.trim()).filter(|h| !h.is_empty()))
        .ok_or_else(|| ResolveError::NoAddress(id.clone()))?
        .to_owned();

    let ResolveInputs {
        own,
        global,
        default_key,
        ..
    } = i;
    let SecretSet {
        private_key: own_key,
        password: own_password,
        sudo_password: own_sudo,
        key_passphrase: own_phrase,
    } = own;
    let SecretSet {
        private_key: global_key,
        password: global_password,
        sudo_password: global_sudo,
        key_passphrase: global_phrase,
    } = global;
    let passphrase = own_phrase.or(global_phrase);

    let mut key_username = None;
    let auth = if let Some(k) = own_key {
        SshAuth::Key {
            private_key: k,
            passphrase,
            source: KeySource::PerServer,
        }
    } else if let Some(p) = own_password {
        SshAuth::Password(p)
    } else if let Some(k) = global_key {
        SshAuth::Key {
            private_key: k,
            passphrase,
            source: KeySource::Global,
        }
    } else if let Some(k) = default_key {
        key_username = k.username.filter(|u| !u.trim().is_empty());
        SshAuth::Key {
            private_key: k.private_key,
            passphrase: None,
            source: KeySource::Uploaded { key_id: k.id },
        }
    } else if let Some(p) = global_password {
        SshAuth::Password(p)
    } else {
        return Err(ResolveError::NoCredentials(id));
    };

    let username = non_empty(&m.ssh_username)
        .map(str::to_owned)
        .or(key_username)
        .unwrap_or(i.default_username);
    let sudo = match m.sudo_mode {
        _ if username == "root" => SudoAuth::NotNeeded,
        SudoMode::Password => match own_sudo.or(global_sudo) {
            Some(p) => SudoAuth::Password(p),
            None => SudoAuth::PasswordMissing,
        },
        SudoMode::Passwordless => SudoAuth::Passwordless,
    };
    Ok(SshTarget {
        server_id: id,
        host,
        port: m.ssh_port.unwrap_or(i.default_port),
        username,
        auth,
        sudo,
    })
}

// ---------------------------------------------------------------------------
// Private key inspection
// ---------------------------------------------------------------------------

/// Public facts about a private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `ED25519`, `RSA`, `ECDSA` (as the contract shows it).
    pub key_type: SshKeyType,
    /// `SHA256:...` as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// One-line OpenSSH public key.
    pub public_key: String,
    pub encrypted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "not an OpenSSH private key (expected '-----BEGIN OPENSSH PRIVATE KEY-----'; \
         convert PEM/PKCS#8 keys with `ssh-keygen -p -f KEY`)"
    )]
    NotOpenSsh,
    #[error("private key could not be parsed: {0}")]
    Invalid(String),
    #[error("unsupported key type {0} (use ED25519, RSA or ECDSA)")]
    Unsupported(String),
}

/// Parse an OpenSSH private key and describe it. Never echoes key material.
pub fn inspect_private_key(text: &str) -> Result<KeyInfo, KeyError> {
    let text = text.trim();
    if !text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Err(KeyError::NotOpenSsh);
    }
    // The parser's messages name structure problems, not key bytes.
    let key =
        ssh_key::PrivateKey::from_openssh(text).map_err(|e| KeyError::Invalid(e.to_string()))?;
    let key_type = match key.algorithm() {
        ssh_key::Algorithm::Ed25519 => SshKeyType::Ed25519,
        ssh_key::Algorithm::Rsa { .. } => SshKeyType::Rsa,
        ssh_key::Algorithm::Ecdsa { .. } => SshKeyType::Ecdsa,
        other => return Err(KeyError::Unsupported(other.as_str().to_owned())),
    };
    let public_key = key
        .public_key()
        .to_openssh()
        .map_err(|e| KeyError::Invalid(e.to_string()))?;
    Ok(KeyInfo {
        key_type,
        fingerprint: key.fingerprint(ssh_key::HashAlg::Sha256).to_string(),
        public_key,
        encrypted: key.is_encrypted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// `ssh-keygen -t ed25519 -N '' -C test` (a throwaway test key).
    pub(crate) const ED25519_KEY: &str = include_str!("../../tests/fixtures/ssh/id_ed25519");
    const ED25519_PUB: &str = include_str!("../../tests/fixtures/ssh/id_ed25519.pub");
    const ED25519_ENCRYPTED: &str = include_str!("../../tests/fixtures/ssh/id_ed25519_encrypted");
    const RSA_KEY: &str = include_str!("../../tests/fixtures/ssh/id_rsa");
    const ECDSA_KEY: &str = include_str!("../../tests/fixtures/ssh/id_ecdsa");
    const PEM_RSA_KEY: &str = include_str!("../../tests/fixtures/ssh/id_rsa_pem");

    fn s(v: &str) -> SecretString {
        SecretString::from(v.to_owned())
    }

    fn inputs() -> ResolveInputs {
        ResolveInputs {
            machine: MachineAddress {
                server_id: "nas".into(),
                hostname: "nas.lan".into(),
                ip_address: Some("10.0.0.5".into()),
                sudo_mode: SudoMode::Passwordless,
                ..Default::default()
            },
            own: SecretSet::default(),
            global: SecretSet::default(),
            default_key: None,
            default_username: "admin".into(),
            default_port: 22,
        }
    }

    fn uploaded(user: Option<&str>) -> Option<DefaultKey> {
        Some(DefaultKey {
            id: "fleet".into(),
            private_key: s("UPLOADED"),
            username: user.map(str::to_owned),
        })
    }

    fn key_of(t: &SshTarget) -> (&str, &KeySource) {
        match &t.auth {
            SshAuth::Key {
                private_key,
                source,
                ..
            } => (private_key.expose_secret(), source),
            SshAuth::Password(_) => panic!("expected key auth, got password"),
        }
    }

    #[test]
    fn nothing_stored_is_an_error_naming_the_fix() {
        let e = resolve(inputs()).unwrap_err();
        assert_eq!(e, ResolveError::NoCredentials("nas".into()));
        assert!(e.to_string().contains("/settings/ssh/keys"));
    }

    #[test]
    fn own_values_beat_global_beat_uploaded_default() {
        let mut i = inputs();
        i.default_key = uploaded(None);
        let t = resolve(i).unwrap();
        assert_eq!(
            key_of(&t),
            (
                "UPLOADED",
                &KeySource::Uploaded {
                    key_id: "fleet".into()
                }
            )
        );

        let mut i = inputs();
        i.default_key = uploaded(None);
        i.global.private_key = Some(s("GLOBAL"));
        assert_eq!(key_of(&resolve(i).unwrap()).0, "GLOBAL");

        let mut i = inputs();
        i.global.private_key = Some(s("GLOBAL"));
        i.own.private_key = Some(s("OWN"));
        i.own.key_passphrase = Some(s("phrase"));
        let t = resolve(i).unwrap();
        assert_eq!(key_of(&t), ("OWN", &KeySource::PerServer));
        let SshAuth::Key { passphrase, .. } = &t.auth else {
            unreachable!()
        };
        assert_eq!(passphrase.as_ref().unwrap().expose_secret(), "phrase");
    }

    #[test]
    fn an_own_password_beats_any_default_key_but_not_an_own_key() {
        let mut i = inputs();
        i.default_key = uploaded(None);
        i.global.private_key = Some(s("GLOBAL"));
        i.own.password = Some(s("pw"));
        assert!(
            matches!(resolve(i).unwrap().auth, SshAuth::Password(ref p) if p.expose_secret() == "pw")
        );

        let mut i = inputs();
        i.own.password = Some(s("pw"));
        i.own.private_key = Some(s("OWN"));
        assert_eq!(key_of(&resolve(i).unwrap()).0, "OWN");

        let mut i = inputs();
        i.global.password = Some(s("gpw"));
        assert!(matches!(resolve(i).unwrap().auth, SshAuth::Password(_)));
    }

    #[test]
    fn username_port_and_host_fall_back_in_order() {
        let t = resolve(ResolveInputs {
            default_key: uploaded(Some("keyuser")),
            ..inputs()
        })
        .unwrap();
        assert_eq!(t.username, "keyuser");
        assert_eq!((t.host.as_str(), t.port), ("10.0.0.5", 22));

        let mut i = inputs();
        i.default_key = uploaded(Some("keyuser"));
        i.machine.ssh_username = Some("ops".into());
        i.machine.ssh_port = Some(2222);
        i.machine.tailscale_hostname = Some("nas.tail1234.ts.net".into());
        let t = resolve(i).unwrap();
        assert_eq!(t.username, "ops");
        assert_eq!((t.host.as_str(), t.port), ("nas.tail1234.ts.net", 2222));

        let mut i = inputs();
        i.own.password = Some(s("pw"));
        i.machine.ip_address = Some("  ".into());
        let t = resolve(i).unwrap();
        assert_eq!((t.username.as_str(), t.host.as_str()), ("admin", "nas.lan"));

        let mut i = inputs();
        i.own.password = Some(s("pw"));
        i.machine.ip_address = None;
        i.machine.hostname = String::new();
        assert_eq!(
            resolve(i).unwrap_err(),
            ResolveError::NoAddress("nas".into())
        );
    }

    #[test]
    fn sudo_mode_and_password_chain() {
        let mut i = inputs();
        i.own.password = Some(s("pw"));
        let t = resolve(i).unwrap();
        assert!(matches!(t.sudo, SudoAuth::Passwordless));
        assert!(t.sudo_for(true).unwrap().is_some());

        let mut i = inputs();
        i.own.password = Some(s("pw"));
        i.machine.sudo_mode = SudoMode::Password;
        let t = resolve(i).unwrap();
        assert!(matches!(t.sudo, SudoAuth::PasswordMissing));
        assert!(t.sudo_for(false).unwrap().is_none(), "no sudo needed: fine");
        assert_eq!(
            t.sudo_for(true).unwrap_err(),
            ResolveError::SudoPasswordMissing("nas".into())
        );

        let mut i = inputs();
        i.own.password = Some(s("pw"));
        i.machine.sudo_mode = SudoMode::Password;
        i.global.sudo_password = Some(s("gsudo"));
        let t = resolve(i).unwrap();
        assert!(matches!(t.sudo, SudoAuth::Password(ref p) if p.expose_secret() == "gsudo"));

        let mut i = inputs();
        i.own.password = Some(s("pw"));
        i.machine.sudo_mode = SudoMode::Password;
        i.global.sudo_password = Some(s("gsudo"));
        i.own.sudo_password = Some(s("own"));
        let t = resolve(i).unwrap();
        assert!(matches!(t.sudo, SudoAuth::Password(ref p) if p.expose_secret() == "own"));

        let mut i = inputs();
        i.own.password = Some(s("pw"));
        i.machine.ssh_username = Some("root".into());
        i.machine.sudo_mode = SudoMode::Password;
        assert!(matches!(resolve(i).unwrap().sudo, SudoAuth::NotNeeded));
    }

    #[test]
    fn debug_of_a_target_shows_no_secret() {
        let mut i = inputs();
        i.own.private_key = Some(s("PRIVATE-KEY-TEXT"));
        i.own.sudo_password = Some(s("sudo-secret"));
        i.machine.sudo_mode = SudoMode::Password;
        let shown = format!("{:?}", resolve(i).unwrap());
        assert!(
            !shown.contains("PRIVATE-KEY-TEXT") && !shown.contains("sudo-secret"),
            "{shown}"
        );
    }

    #[test]
    fn scopes() {
        use CredentialType::*;
        assert_eq!(
            scope_of(SshPassword, &[SshPassword], &[SshPassword]),
            CredentialScope::PerServer
        );
        assert_eq!(
            scope_of(SshPassword, &[], &[SshPassword]),
            CredentialScope::Global
        );
        assert_eq!(
            scope_of(SudoPassword, &[SshPassword], &[]),
            CredentialScope::None
        );
        assert_eq!("ssh_private_key".parse(), Ok(SshPrivateKey));
        assert!("password".parse::<CredentialType>().is_err());
    }

    #[test]
    fn keys_are_inspected_for_type_and_fingerprint() {
        let info = inspect_private_key(ED25519_KEY).unwrap();
        assert_eq!(info.key_type, SshKeyType::Ed25519);
        assert!(
            info.fingerprint.starts_with("SHA256:"),
            "{}",
            info.fingerprint
        );
        assert!(!info.encrypted);
        let expected_pub: Vec<&str> = ED25519_PUB.split_whitespace().take(2).collect();
        let got_pub: Vec<&str> = info.public_key.split_whitespace().take(2).collect();
        assert_eq!(got_pub, expected_pub);
        assert_eq!(
            inspect_private_key(RSA_KEY).unwrap().key_type,
            SshKeyType::Rsa
        );
        assert_eq!(
            inspect_private_key(ECDSA_KEY).unwrap().key_type,
            SshKeyType::Ecdsa
        );
        assert!(inspect_private_key(ED25519_ENCRYPTED).unwrap().encrypted);
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        assert_eq!(
            inspect_private_key(PEM_RSA_KEY).unwrap_err(),
            KeyError::NotOpenSsh
        );
        assert_eq!(
            inspect_private_key("hello").unwrap_err(),
            KeyError::NotOpenSsh
        );
        let mut lines: Vec<String> = ED25519_KEY.lines().map(str::to_owned).collect();
        lines[2] = lines[2].replace('A', "B").replace('a', "b");
        lines.remove(3);
        let broken = lines.join("\n");
        let err = inspect_private_key(&broken).unwrap_err();
        assert!(matches!(err, KeyError::Invalid(_)), "{err:?}");
        let body: String = ED25519_KEY.lines().nth(1).unwrap().to_owned();
        assert!(!err.to_string().contains(&body));
    }
}
