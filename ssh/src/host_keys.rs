//! Host key pinning (trust on first use). The pool asks a [`HostKeyStore`]
//! about every key a host presents; the hub backs it with a database table,
//! tests with [`MemoryHostKeyStore`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// A boxed, sendable future (keeps the trait object-safe without `async_trait`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The key a host presented during key exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedHostKey {
    /// The caller's id for the host (from [`super::Target::host_key_id`]),
    /// e.g. the server id. Keys are pinned per id, not per address.
    pub host_key_id: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `rsa-sha2-512`, ...
    pub algorithm: String,
    /// `SHA256:<base64>`, as `ssh-keygen -l` prints it.
    pub fingerprint_sha256: String,
    /// The public key in `authorized_keys` / `known_hosts` form.
    pub openssh_public_key: String,
}

/// What the store says about a presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyVerdict {
    /// Matches the pinned key.
    Trusted,
    /// Nothing was pinned for this id; the store has now pinned this key.
    FirstUse,
    /// A different key is pinned: the connection is refused.
    Mismatch {
        /// The pinned `SHA256:...` fingerprint.
        expected: String,
    },
}

/// Decides whether a host key is trusted. `check` must be atomic: on
/// [`HostKeyVerdict::FirstUse`] the key is already pinned when it returns,
/// so two concurrent first connections cannot pin two different keys.
/// An `Err` (e.g. the database is down) refuses the connection.
pub trait HostKeyStore: Send + Sync + 'static {
    fn check<'a>(
        &'a self,
        key: &'a PresentedHostKey,
    ) -> BoxFuture<'a, Result<HostKeyVerdict, String>>;
}

/// In-memory pins, for tests and tools. Pins by `host_key_id`, compares
/// SHA-256 fingerprints.
#[derive(Debug, Default)]
pub struct MemoryHostKeyStore {
    pins: Mutex<HashMap<String, String>>,
}

impl MemoryHostKeyStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The pinned fingerprint for `host_key_id`, if any.
    pub fn pinned(&self, host_key_id: &str) -> Option<String> {
        self.lock().get(host_key_id).cloned()
    }

    /// Pin `fingerprint_sha256` for `host_key_id` (replacing any pin).
    pub fn pin(&self, host_key_id: &str, fingerprint_sha256: &str) {
        self.lock()
            .insert(host_key_id.to_string(), fingerprint_sha256.to_string());
    }

    /// Forget the pin, so the next connection pins afresh (an operator
    /// accepting a reinstalled host's new key).
    pub fn forget(&self, host_key_id: &str) {
        self.lock().remove(host_key_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A poisoned map is still a valid map.
        self.pins.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn verdict(&self, key: &PresentedHostKey) -> HostKeyVerdict {
        let mut pins = self.lock();
        match pins.get(&key.host_key_id) {
            Some(pinned) if *pinned == key.fingerprint_sha256 => HostKeyVerdict::Trusted,
            Some(pinned) => HostKeyVerdict::Mismatch {
                expected: pinned.clone(),
            },
            None => {
                pins.insert(key.host_key_id.clone(), key.fingerprint_sha256.clone());
                HostKeyVerdict::FirstUse
            }
        }
    }
}

impl HostKeyStore for MemoryHostKeyStore {
    fn check<'a>(
        &'a self,
        key: &'a PresentedHostKey,
    ) -> BoxFuture<'a, Result<HostKeyVerdict, String>> {
        let verdict = self.verdict(key);
        Box::pin(async move { Ok(verdict) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, fp: &str) -> PresentedHostKey {
        PresentedHostKey {
            host_key_id: id.into(),
            algorithm: "ssh-ed25519".into(),
            fingerprint_sha256: fp.into(),
            openssh_public_key: "ssh-ed25519 AAAA".into(),
        }
    }

    #[tokio::test]
    async fn first_use_pins_then_trusts_then_refuses_a_change() {
        let store = MemoryHostKeyStore::new();
        let a = key("srv-1", "SHA256:aaa");
        assert_eq!(store.check(&a).await, Ok(HostKeyVerdict::FirstUse));
        assert_eq!(store.pinned("srv-1").as_deref(), Some("SHA256:aaa"));
        assert_eq!(store.check(&a).await, Ok(HostKeyVerdict::Trusted));
        let b = key("srv-1", "SHA256:bbb");
        assert_eq!(
            store.check(&b).await,
            Ok(HostKeyVerdict::Mismatch {
                expected: "SHA256:aaa".into()
            })
        );
        // Pins are per id: another server may present any key.
        assert_eq!(
            store.check(&key("srv-2", "SHA256:bbb")).await,
            Ok(HostKeyVerdict::FirstUse)
        );
        store.forget("srv-1");
        assert_eq!(store.check(&b).await, Ok(HostKeyVerdict::FirstUse));
    }
}
