//! Encrypted secrets: `credentials` (per machine or global) and `ssh_keys`
//! (uploaded private keys), plus key rotation. Only blobs made by
//! `crypto::Cipher` are stored; every change writes an audit row in the same
//! transaction.

use homelabcmd_protocol::ssh::{CredentialType, SshKeyType};
use sqlx::{FromRow, SqliteConnection};

use super::{Db, now_ms};
use crate::remote::crypto::{Cipher, CryptoError, credential_context, ssh_key_context};
use homelabcmd_core::audit::AuditEntry;

/// A stored credential (the blob stays encrypted).
#[derive(Debug, Clone, FromRow)]
pub struct CredentialRow {
    pub server_id: Option<String>,
    #[sqlx(try_from = "super::Name<CredentialType>")]
    pub credential_type: CredentialType,
    pub ciphertext: Vec<u8>,
    pub updated_at: i64,
}

/// Store (insert or replace) one secret and its audit row.
pub async fn put(
    db: &Db,
    server_id: Option<&str>,
    credential_type: CredentialType,
    blob: &[u8],
    audit: &AuditEntry,
) -> sqlx::Result<()> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    // `IS` matches NULL (the global scope) too.
    let updated = sqlx::query(
        "UPDATE credentials SET ciphertext = ?, updated_at = ?
         WHERE server_id IS ? AND credential_type = ?",
    )
    .bind(blob)
    .bind(now)
    .bind(server_id)
    .bind(credential_type.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO credentials (server_id, credential_type, ciphertext, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(server_id)
        .bind(credential_type.as_str())
        .bind(blob)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    super::audit::append_in(&mut tx, audit).await?;
    tx.commit().await
}

/// Remove one secret; false when there was none (nothing is audited then).
pub async fn delete(
    db: &Db,
    server_id: Option<&str>,
    credential_type: CredentialType,
    audit: &AuditEntry,
) -> sqlx::Result<bool> {
    let mut tx = db.write.begin().await?;
    let n = sqlx::query("DELETE FROM credentials WHERE server_id IS ? AND credential_type = ?")
        .bind(server_id)
        .bind(credential_type.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    super::audit::append_in(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

/// Types stored for a scope (no blobs read).
pub async fn types_set(db: &Db, server_id: Option<&str>) -> sqlx::Result<Vec<CredentialType>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT credential_type FROM credentials WHERE server_id IS ? ORDER BY credential_type",
    )
    .bind(server_id)
    .fetch_all(&db.read)
    .await?;
    names.iter().map(|n| super::decode_name(n)).collect()
}

/// A machine's own rows and the global rows: the inputs of resolution.
pub async fn for_server(db: &Db, server_id: &str) -> sqlx::Result<Vec<CredentialRow>> {
    sqlx::query_as(
        "SELECT server_id, credential_type, ciphertext, updated_at FROM credentials
         WHERE server_id = ? OR server_id IS NULL",
    )
    .bind(server_id)
    .fetch_all(&db.read)
    .await
}

// ---------------------------------------------------------------------------
// Uploaded SSH keys
// ---------------------------------------------------------------------------

/// An `ssh_keys` row without its blob.
#[derive(Debug, Clone, FromRow)]
pub struct SshKeyRow {
    pub id: String,
    pub name: String,
    pub username: Option<String>,
    #[sqlx(try_from = "super::Name<SshKeyType>")]
    pub key_type: SshKeyType,
    pub fingerprint: String,
    pub public_key: String,
    pub is_default: bool,
    pub created_at: i64,
}

pub async fn list_keys(db: &Db) -> sqlx::Result<Vec<SshKeyRow>> {
    sqlx::query_as(
        "SELECT id, name, username, key_type, fingerprint, public_key, is_default, created_at
         FROM ssh_keys ORDER BY created_at, id",
    )
    .fetch_all(&db.read)
    .await
}

pub async fn get_key(db: &Db, id: &str) -> sqlx::Result<Option<SshKeyRow>> {
    sqlx::query_as(
        "SELECT id, name, username, key_type, fingerprint, public_key, is_default, created_at
         FROM ssh_keys WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&db.read)
    .await
}

/// The default key with its blob, for resolution.
pub async fn default_key(db: &Db) -> sqlx::Result<Option<(SshKeyRow, Vec<u8>)>> {
    let row: Option<SshKeyRow> = sqlx::query_as(
        "SELECT id, name, username, key_type, fingerprint, public_key, is_default, created_at
         FROM ssh_keys WHERE is_default = 1",
    )
    .fetch_optional(&db.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let blob: Vec<u8> = sqlx::query_scalar("SELECT ciphertext FROM ssh_keys WHERE id = ?")
        .bind(&row.id)
        .fetch_one(&db.read)
        .await?;
    Ok(Some((row, blob)))
}

/// Blob of one key (for the SSH layer when a specific key is asked for).
pub async fn key_blob(db: &Db, id: &str) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT ciphertext FROM ssh_keys WHERE id = ?")
        .bind(id)
        .fetch_optional(&db.read)
        .await
}

/// Insert a new key; the first key becomes the default. False when the id
/// is taken.
pub async fn insert_key(
    db: &Db,
    row: &SshKeyRow,
    blob: &[u8],
    audit: &AuditEntry,
) -> sqlx::Result<Option<SshKeyRow>> {
    let mut tx = db.write.begin().await?;
    let any: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ssh_keys")
        .fetch_one(&mut *tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO ssh_keys (id, name, username, key_type, fingerprint, public_key, ciphertext,
                               is_default, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&row.id)
    .bind(&row.name)
    .bind(&row.username)
    .bind(row.key_type.as_str())
    .bind(&row.fingerprint)
    .bind(&row.public_key)
    .bind(blob)
    .bind(any == 0)
    .bind(row.created_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    super::audit::append_in(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(Some(SshKeyRow {
        is_default: any == 0,
        ..row.clone()
    }))
}

/// Delete a key; if it was the default, the oldest remaining key becomes
/// the default.
pub async fn delete_key(db: &Db, id: &str, audit: &AuditEntry) -> sqlx::Result<bool> {
    let mut tx = db.write.begin().await?;
    let was_default: Option<bool> =
        sqlx::query_scalar("SELECT is_default FROM ssh_keys WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(was_default) = was_default else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM ssh_keys WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if was_default {
        sqlx::query(
            "UPDATE ssh_keys SET is_default = 1
             WHERE id = (SELECT id FROM ssh_keys ORDER BY created_at, id LIMIT 1)",
        )
        .execute(&mut *tx)
        .await?;
    }
    super::audit::append_in(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

/// Make `id` the only default key; false when it does not exist.
pub async fn set_default_key(db: &Db, id: &str, audit: &AuditEntry) -> sqlx::Result<bool> {
    let mut tx = db.write.begin().await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM ssh_keys WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Ok(false);
    }
    sqlx::query("UPDATE ssh_keys SET is_default = 0 WHERE is_default = 1 AND id <> ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE ssh_keys SET is_default = 1 WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    super::audit::append_in(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

// ---------------------------------------------------------------------------
// SSH defaults and resolution inputs
// ---------------------------------------------------------------------------

/// `/settings/ssh` as stored (settings key `ssh`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SshDefaults {
    pub default_username: String,
    pub default_port: u16,
}

impl Default for SshDefaults {
    fn default() -> Self {
        Self {
            default_username: "root".into(),
            default_port: 22,
        }
    }
}

pub const SSH_SETTINGS_KEY: &str = "ssh";

pub async fn ssh_defaults(db: &Db) -> sqlx::Result<SshDefaults> {
    Ok(super::settings::get::<SshDefaults>(db, SSH_SETTINGS_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_default())
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("server '{0}' not found")]
    NotFound(String),
    #[error("{what} cannot be decrypted: {source}")]
    Decrypt {
        what: String,
        #[source]
        source: CryptoError,
    },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Load and decrypt everything [`homelabcmd_core::credentials::resolve`] needs for a
/// machine. The SSH layer calls this, then `resolve`.
pub async fn resolve_inputs(
    db: &Db,
    cipher: &Cipher,
    server_id: &str,
) -> Result<homelabcmd_core::credentials::ResolveInputs, LoadError> {
    use homelabcmd_core::credentials::{DefaultKey, MachineAddress, ResolveInputs, SecretSet};
    let server = super::servers::get(&db.read, server_id)
        .await?
        .ok_or_else(|| LoadError::NotFound(server_id.to_owned()))?;
    let ssh_port: Option<i64> = sqlx::query_scalar("SELECT ssh_port FROM servers WHERE id = ?")
        .bind(server_id)
        .fetch_one(&db.read)
        .await?;
    let mut own = SecretSet::default();
    let mut global = SecretSet::default();
    for row in for_server(db, server_id).await? {
        let t = row.credential_type;
        let ctx = credential_context(row.server_id.as_deref(), t.as_str());
        let value = cipher
            .decrypt_string(&ctx, &row.ciphertext)
            .map_err(|source| LoadError::Decrypt {
                what: format!("credential {}", row.credential_type),
                source,
            })?;
        let set = if row.server_id.is_some() {
            &mut own
        } else {
            &mut global
        };
        let slot = match t {
            CredentialType::SshPrivateKey => &mut set.private_key,
            CredentialType::SshPassword => &mut set.password,
            CredentialType::SudoPassword => &mut set.sudo_password,
            CredentialType::SshKeyPassphrase => &mut set.key_passphrase,
        };
        *slot = Some(value);
    }
    let default_key = match default_key(db).await? {
        Some((row, blob)) => Some(DefaultKey {
            private_key: cipher
                .decrypt_string(&ssh_key_context(&row.id), &blob)
                .map_err(|source| LoadError::Decrypt {
                    what: format!("SSH key '{}'", row.id),
                    source,
                })?,
            id: row.id,
            username: row.username,
        }),
        None => None,
    };
    let defaults = ssh_defaults(db).await?;
    Ok(ResolveInputs {
        machine: MachineAddress {
            server_id: server.id,
            hostname: server.hostname,
            ip_address: server.ip_address,
            tailscale_hostname: server.tailscale_hostname,
            ssh_username: server.ssh_username,
            ssh_port: ssh_port.and_then(|p| u16::try_from(p).ok()),
            sudo_mode: server.sudo_mode,
        },
        own,
        global,
        default_key,
        default_username: defaults.default_username,
        default_port: defaults.default_port,
    })
}

// ---------------------------------------------------------------------------
// Key rotation
// ---------------------------------------------------------------------------

/// How many secrets a rotation re-encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotateCounts {
    pub credentials: usize,
    pub ssh_keys: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// A secret the current key cannot open: nothing was changed.
    #[error("{what} cannot be decrypted with the current key: {source}")]
    Decrypt {
        what: String,
        #[source]
        source: CryptoError,
    },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Re-encrypt every credential and uploaded key from `old` to `new` in one
/// transaction: all or nothing.
pub async fn rotate(
    db: &Db,
    old: &Cipher,
    new: &Cipher,
    audit: &AuditEntry,
) -> Result<RotateCounts, RotateError> {
    let mut tx = db.write.begin().await?;
    let creds = rotate_credentials(&mut tx, old, new).await?;
    let keys = rotate_keys(&mut tx, old, new).await?;
    super::audit::append_in(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(RotateCounts {
        credentials: creds,
        ssh_keys: keys,
    })
}

async fn rotate_credentials(
    conn: &mut SqliteConnection,
    old: &Cipher,
    new: &Cipher,
) -> Result<usize, RotateError> {
    let rows: Vec<(i64, Option<String>, String, Vec<u8>)> =
        sqlx::query_as("SELECT id, server_id, credential_type, ciphertext FROM credentials")
            .fetch_all(&mut *conn)
            .await?;
    for (id, server_id, ctype, blob) in &rows {
        let ctx = credential_context(server_id.as_deref(), ctype);
        let plain = old
            .decrypt(&ctx, blob)
            .map_err(|source| RotateError::Decrypt {
                what: format!(
                    "credential {ctype} of {}",
                    server_id.as_deref().unwrap_or("(global)")
                ),
                source,
            })?;
        sqlx::query("UPDATE credentials SET ciphertext = ? WHERE id = ?")
            .bind(new.encrypt(&ctx, &plain))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len())
}

async fn rotate_keys(
    conn: &mut SqliteConnection,
    old: &Cipher,
    new: &Cipher,
) -> Result<usize, RotateError> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT id, ciphertext FROM ssh_keys")
        .fetch_all(&mut *conn)
        .await?;
    for (id, blob) in &rows {
        let ctx = ssh_key_context(id);
        let plain = old
            .decrypt(&ctx, blob)
            .map_err(|source| RotateError::Decrypt {
                what: format!("SSH key '{id}'"),
                source,
            })?;
        sqlx::query("UPDATE ssh_keys SET ciphertext = ? WHERE id = ?")
            .bind(new.encrypt(&ctx, &plain))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;
    use homelabcmd_core::audit::AuditOutcome;

    fn audit() -> AuditEntry {
        AuditEntry::new("test", None, "credential_store", AuditOutcome::Completed)
    }

    async fn server(db: &Db, id: &str) {
        sqlx::query(
            "INSERT INTO servers (id, hostname, created_at, updated_at) VALUES (?, ?, 0, 0)",
        )
        .bind(id)
        .bind(id)
        .execute(&db.write)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn put_replaces_per_scope_and_rotation_is_all_or_nothing() {
        let (db, _d) = test_db().await;
        server(&db, "nas").await;
        let k1 = Cipher::new(&[1; 32]);
        let k2 = Cipher::new(&[2; 32]);
        let ctx = credential_context(Some("nas"), "ssh_password");
        put(
            &db,
            Some("nas"),
            CredentialType::SshPassword,
            &k1.encrypt(&ctx, b"a"),
            &audit(),
        )
        .await
        .unwrap();
        put(
            &db,
            Some("nas"),
            CredentialType::SshPassword,
            &k1.encrypt(&ctx, b"b"),
            &audit(),
        )
        .await
        .unwrap();
        let gctx = credential_context(None, "ssh_password");
        put(
            &db,
            None,
            CredentialType::SshPassword,
            &k1.encrypt(&gctx, b"g"),
            &audit(),
        )
        .await
        .unwrap();
        put(
            &db,
            None,
            CredentialType::SshPassword,
            &k1.encrypt(&gctx, b"g2"),
            &audit(),
        )
        .await
        .unwrap();
        assert_eq!(
            types_set(&db, Some("nas")).await.unwrap(),
            [CredentialType::SshPassword]
        );
        let rows = for_server(&db, "nas").await.unwrap();
        assert_eq!(rows.len(), 2, "one per scope, replaced in place");

        let counts = rotate(&db, &k1, &k2, &audit()).await.unwrap();
        assert_eq!(
            counts,
            RotateCounts {
                credentials: 2,
                ssh_keys: 0
            }
        );
        let rows = for_server(&db, "nas").await.unwrap();
        let own = rows.iter().find(|r| r.server_id.is_some()).unwrap();
        assert_eq!(&*k2.decrypt(&ctx, &own.ciphertext).unwrap(), b"b");
        assert!(
            k1.decrypt(&ctx, &own.ciphertext).is_err(),
            "old key no longer opens it"
        );

        // Rotating again from the wrong key changes nothing.
        let err = rotate(&db, &k1, &k2, &audit()).await.unwrap_err();
        assert!(matches!(err, RotateError::Decrypt { .. }), "{err}");
        let rows = for_server(&db, "nas").await.unwrap();
        assert!(rows.iter().all(|r| {
            k2.decrypt(
                &credential_context(r.server_id.as_deref(), r.credential_type.as_str()),
                &r.ciphertext,
            )
            .is_ok()
        }));

        assert!(
            delete(&db, Some("nas"), CredentialType::SshPassword, &audit())
                .await
                .unwrap()
        );
        assert!(
            !delete(&db, Some("nas"), CredentialType::SshPassword, &audit())
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn first_key_is_default_and_deleting_it_promotes_the_next() {
        let (db, _d) = test_db().await;
        let k = Cipher::new(&[1; 32]);
        for (i, id) in ["a", "b"].iter().enumerate() {
            let row = SshKeyRow {
                id: (*id).into(),
                name: (*id).into(),
                username: None,
                key_type: SshKeyType::Ed25519,
                fingerprint: "SHA256:x".into(),
                public_key: "ssh-ed25519 AAAA".into(),
                is_default: false,
                created_at: i as i64,
            };
            let stored = insert_key(&db, &row, &k.encrypt(&ssh_key_context(id), b"k"), &audit())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.is_default, i == 0);
            assert!(
                insert_key(&db, &row, b"x", &audit())
                    .await
                    .unwrap()
                    .is_none(),
                "id taken"
            );
        }
        assert!(set_default_key(&db, "b", &audit()).await.unwrap());
        assert_eq!(default_key(&db).await.unwrap().unwrap().0.id, "b");
        assert!(delete_key(&db, "b", &audit()).await.unwrap());
        assert_eq!(default_key(&db).await.unwrap().unwrap().0.id, "a");
        assert!(!set_default_key(&db, "zz", &audit()).await.unwrap());
    }
}
