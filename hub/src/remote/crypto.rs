//! Secrets at rest: XChaCha20-Poly1305 under `HOMELABCMD_ENCRYPTION_KEY`.
//!
//! A stored secret is one blob: `version (1) | key id (4) | nonce (24) |
//! ciphertext + tag`. The nonce is random per secret (24 bytes, so random
//! nonces never collide in practice). The associated data is the blob's
//! header plus a context string naming the row the secret belongs to
//! (`credential:server:<id>:<type>`, `ssh_key:<id>`): a ciphertext copied into
//! another row, or another server's row, fails authentication instead of
//! decrypting there. The key id (first 4 bytes of SHA-256 of the key) tells a
//! wrong key apart from a damaged blob, and lets `rotate-key` re-encrypt
//! everything under a new key.
//!
//! Plaintexts come back as [`SecretString`]: zeroed on drop, `Debug` prints
//! `[REDACTED]`.

use std::fmt;

use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
pub use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::config::Config;

/// Format version of a stored blob.
pub const BLOB_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + KEY_ID_LEN;

/// What the operator must do when no key is configured.
pub const KEY_MISSING_HELP: &str = "HOMELABCMD_ENCRYPTION_KEY is not set: set HOMELABCMD_ENCRYPTION_KEY; \
     generate one with `homelabcmd generate-key`";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("{KEY_MISSING_HELP}")]
    KeyMissing,
    #[error(
        "secret was encrypted under another key (key id {stored}, current key id {current}); \
         was HOMELABCMD_ENCRYPTION_KEY changed without `homelabcmd rotate-key`?"
    )]
    WrongKey { stored: String, current: String },
    #[error("stored secret has unknown format version {0}")]
    UnknownVersion(u8),
    #[error("stored secret is truncated")]
    Truncated,
    /// Right key, but the blob was altered or belongs to another row.
    #[error("stored secret failed authentication (altered, or moved from another row)")]
    Tampered,
    #[error("stored secret is not UTF-8 text")]
    NotText,
}

/// The data-encryption key. `Debug` never shows it.
pub struct Cipher {
    key: Zeroizing<[u8; 32]>,
    key_id: [u8; KEY_ID_LEN],
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher")
            .field("key", &"<redacted>")
            .field("key_id", &self.key_id())
            .finish()
    }
}

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Self {
        let digest = Sha256::digest(key);
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Self {
            key: Zeroizing::new(*key),
            key_id,
        }
    }

    /// The configured key, or [`CryptoError::KeyMissing`] with the fix.
    pub fn from_config(config: &Config) -> Result<Self, CryptoError> {
        config
            .encryption_key
            .as_ref()
            .map(Self::new)
            .ok_or(CryptoError::KeyMissing)
    }

    /// Hex key id: safe to print (a hash prefix, not the key).
    pub fn key_id(&self) -> String {
        hex::encode(self.key_id)
    }

    fn aead(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.key).into())
    }

    /// Encrypt `plaintext` for the row named by `context`.
    pub fn encrypt(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut header = [0u8; HEADER_LEN];
        header[0] = BLOB_VERSION;
        header[1..].copy_from_slice(&self.key_id);
        let nonce = XNonce::generate();
        let aad = associated_data(&header, context);
        let sealed = self
            .aead()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Only fails for messages beyond the cipher's 256 GiB limit.
            .expect("XChaCha20-Poly1305 encryption of a small secret");
        let mut blob = Vec::with_capacity(HEADER_LEN + NONCE_LEN + sealed.len());
        blob.extend_from_slice(&header);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        blob
    }

    /// Decrypt a blob made by [`Cipher::encrypt`] for the same `context`.
    pub fn decrypt(&self, context: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if blob.len() < HEADER_LEN + NONCE_LEN + 16 {
            return Err(CryptoError::Truncated);
        }
        let (header, rest) = blob.split_at(HEADER_LEN);
        if header[0] != BLOB_VERSION {
            return Err(CryptoError::UnknownVersion(header[0]));
        }
        if header[1..] != self.key_id {
            return Err(CryptoError::WrongKey {
                stored: hex::encode(&header[1..]),
                current: self.key_id(),
            });
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Truncated)?;
        let aad = associated_data(header, context);
        self.aead()
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Tampered)
    }

    pub fn encrypt_str(&self, context: &str, plaintext: &str) -> Vec<u8> {
        self.encrypt(context, plaintext.as_bytes())
    }

    pub fn decrypt_string(&self, context: &str, blob: &[u8]) -> Result<SecretString, CryptoError> {
        let bytes = self.decrypt(context, blob)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| CryptoError::NotText)?;
        Ok(SecretString::from(text.to_owned()))
    }
}

/// Key id of a stored blob (hex), if it has a readable header.
pub fn blob_key_id(blob: &[u8]) -> Option<String> {
    (blob.len() >= HEADER_LEN && blob[0] == BLOB_VERSION).then(|| hex::encode(&blob[1..HEADER_LEN]))
}

fn associated_data(header: &[u8], context: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + context.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(context.as_bytes());
    aad
}

/// Context of a credential row. Server ids are slugs (`[a-z0-9-]`), so the
/// `server:` / `global` prefixes cannot be confused with each other.
pub fn credential_context(server_id: Option<&str>, credential_type: &str) -> String {
    match server_id {
        Some(id) => format!("credential:server:{id}:{credential_type}"),
        None => format!("credential:global:{credential_type}"),
    }
}

/// Context of an uploaded SSH key row.
pub fn ssh_key_context(key_id: &str) -> String {
    format!("ssh_key:{key_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: [u8; 32] = [1; 32];
    const K2: [u8; 32] = [2; 32];

    #[test]
    fn round_trip_with_fresh_nonces() {
        let c = Cipher::new(&K1);
        let ctx = credential_context(Some("nas"), "sudo_password");
        let a = c.encrypt_str(&ctx, "hunter2");
        let b = c.encrypt_str(&ctx, "hunter2");
        assert_ne!(a, b, "a new nonce each time");
        assert!(
            !a.windows(7).any(|w| w == b"hunter2"),
            "no plaintext in the blob"
        );
        assert_eq!(
            c.decrypt_string(&ctx, &a).unwrap().expose_secret(),
            "hunter2"
        );
        assert_eq!(blob_key_id(&a), Some(c.key_id()));
    }

    #[test]
    fn wrong_key_is_named_not_mistaken_for_tampering() {
        let ctx = ssh_key_context("laptop");
        let blob = Cipher::new(&K1).encrypt(&ctx, b"secret");
        let err = Cipher::new(&K2).decrypt(&ctx, &blob).unwrap_err();
        assert!(matches!(err, CryptoError::WrongKey { .. }), "{err:?}");
        assert!(err.to_string().contains("rotate-key"));
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_fails() {
        let c = Cipher::new(&K1);
        let blob = c.encrypt_str(&credential_context(Some("nas"), "ssh_password"), "pw");
        for other in [
            credential_context(Some("pi"), "ssh_password"),
            credential_context(Some("nas"), "sudo_password"),
            credential_context(None, "ssh_password"),
        ] {
            assert_eq!(c.decrypt(&other, &blob).unwrap_err(), CryptoError::Tampered);
        }
    }

    #[test]
    fn altered_or_short_blobs_fail() {
        let c = Cipher::new(&K1);
        let ctx = "x";
        let mut blob = c.encrypt(ctx, b"secret");
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert_eq!(c.decrypt(ctx, &blob).unwrap_err(), CryptoError::Tampered);
        assert_eq!(
            c.decrypt(ctx, &blob[..10]).unwrap_err(),
            CryptoError::Truncated
        );
        blob[0] = 9;
        assert_eq!(
            c.decrypt(ctx, &blob).unwrap_err(),
            CryptoError::UnknownVersion(9)
        );
    }

    #[test]
    fn debug_never_shows_key_or_secret() {
        let c = Cipher::new(&K1);
        assert!(!format!("{c:?}").contains("1, 1"));
        let s = c
            .decrypt_string("x", &c.encrypt_str("x", "topsecret"))
            .unwrap();
        assert!(!format!("{s:?}").contains("topsecret"));
    }

    #[test]
    fn missing_key_says_how_to_fix_it() {
        let err = Cipher::from_config(&Config::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("HOMELABCMD_ENCRYPTION_KEY") && msg.contains("generate-key"));
    }
}
