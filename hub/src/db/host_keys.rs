//! Pinned SSH host keys (trust on first use). A key that differs from the
//! pinned one is refused and parked in the `pending_*` columns until an
//! operator accepts it explicitly ([`accept_pending`]).

use sqlx::FromRow;

use super::{Db, now_ms};

/// A pinned host key and any refused replacement.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct HostKeyRow {
    pub server_id: String,
    pub algorithm: String,
    pub fingerprint_sha256: String,
    pub public_key: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub pending_algorithm: Option<String>,
    pub pending_fingerprint: Option<String>,
    pub pending_public_key: Option<String>,
    pub pending_seen_at: Option<i64>,
}

/// A key the server presented during a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedHostKey {
    /// e.g. `ssh-ed25519`.
    pub algorithm: String,
    /// `SHA256:base64`.
    pub fingerprint_sha256: String,
    /// OpenSSH one-line public key.
    pub public_key: String,
}

/// What to do with a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyVerdict {
    /// Nothing pinned: the key is pinned now and the connection goes on.
    PinnedFirstUse,
    /// Matches the pin: go on.
    Match,
    /// Differs from the pin: refuse the connection. The key is stored as
    /// pending so `accept_pending` can adopt it.
    Changed {
        pinned_fingerprint: String,
        presented_fingerprint: String,
    },
}

/// Pure decision: compare by the full public key, not just the fingerprint.
pub fn decide(pinned: Option<&HostKeyRow>, seen: &ObservedHostKey) -> HostKeyVerdict {
    match pinned {
        None => HostKeyVerdict::PinnedFirstUse,
        Some(p)
            if p.public_key
                .split_whitespace()
                .take(2)
                .eq(seen.public_key.split_whitespace().take(2)) =>
        {
            HostKeyVerdict::Match
        }
        Some(p) => HostKeyVerdict::Changed {
            pinned_fingerprint: p.fingerprint_sha256.clone(),
            presented_fingerprint: seen.fingerprint_sha256.clone(),
        },
    }
}

pub async fn get(db: &Db, server_id: &str) -> sqlx::Result<Option<HostKeyRow>> {
    sqlx::query_as("SELECT * FROM ssh_host_keys WHERE server_id = ?")
        .bind(server_id)
        .fetch_optional(&db.read)
        .await
}

/// Check a presented key against the pin and record the outcome (pin on
/// first use, refresh `last_seen` on match, park as pending on change).
/// The SSH layer calls this from its host-key callback and refuses the
/// connection unless the verdict is `PinnedFirstUse` or `Match`.
pub async fn check_and_record(
    db: &Db,
    server_id: &str,
    seen: &ObservedHostKey,
) -> sqlx::Result<HostKeyVerdict> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let pinned: Option<HostKeyRow> =
        sqlx::query_as("SELECT * FROM ssh_host_keys WHERE server_id = ?")
            .bind(server_id)
            .fetch_optional(&mut *tx)
            .await?;
    let verdict = decide(pinned.as_ref(), seen);
    match &verdict {
        HostKeyVerdict::PinnedFirstUse => {
            sqlx::query(
                "INSERT INTO ssh_host_keys (server_id, algorithm, fingerprint_sha256, public_key,
                                            first_seen, last_seen)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(server_id)
            .bind(&seen.algorithm)
            .bind(&seen.fingerprint_sha256)
            .bind(&seen.public_key)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        HostKeyVerdict::Match => {
            sqlx::query("UPDATE ssh_host_keys SET last_seen = ? WHERE server_id = ?")
                .bind(now)
                .bind(server_id)
                .execute(&mut *tx)
                .await?;
        }
        HostKeyVerdict::Changed { .. } => {
            sqlx::query(
                "UPDATE ssh_host_keys SET pending_algorithm = ?, pending_fingerprint = ?,
                        pending_public_key = ?, pending_seen_at = ?
                 WHERE server_id = ?",
            )
            .bind(&seen.algorithm)
            .bind(&seen.fingerprint_sha256)
            .bind(&seen.public_key)
            .bind(now)
            .bind(server_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(verdict)
}

/// Adopt the pending key as the pin. `expected_fingerprint` must match the
/// pending one, so an operator accepts exactly the key they were shown.
/// False when there is no such pending key.
pub async fn accept_pending(
    db: &Db,
    server_id: &str,
    expected_fingerprint: &str,
) -> sqlx::Result<bool> {
    let now = now_ms();
    let n = sqlx::query(
        "UPDATE ssh_host_keys SET algorithm = pending_algorithm, fingerprint_sha256 = pending_fingerprint,
                public_key = pending_public_key, first_seen = ?, last_seen = ?,
                pending_algorithm = NULL, pending_fingerprint = NULL, pending_public_key = NULL,
                pending_seen_at = NULL
         WHERE server_id = ? AND pending_public_key IS NOT NULL AND pending_fingerprint = ?",
    )
    .bind(now)
    .bind(now)
    .bind(server_id)
    .bind(expected_fingerprint)
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Forget the pin (the next connection pins again).
pub async fn forget(db: &Db, server_id: &str) -> sqlx::Result<bool> {
    let n = sqlx::query("DELETE FROM ssh_host_keys WHERE server_id = ?")
        .bind(server_id)
        .execute(&db.write)
        .await?
        .rows_affected();
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;

    fn key(body: &str, fp: &str) -> ObservedHostKey {
        ObservedHostKey {
            algorithm: "ssh-ed25519".into(),
            fingerprint_sha256: fp.into(),
            public_key: format!("ssh-ed25519 {body} root@host"),
        }
    }

    #[tokio::test]
    async fn tofu_then_match_then_refuse_change_until_accepted() {
        let (db, _d) = test_db().await;
        sqlx::query("INSERT INTO servers (id, hostname, created_at, updated_at) VALUES ('nas', 'nas', 0, 0)")
            .execute(&db.write)
            .await
            .unwrap();
        let a = key("AAAA", "SHA256:a");
        let b = key("BBBB", "SHA256:b");
        assert_eq!(
            check_and_record(&db, "nas", &a).await.unwrap(),
            HostKeyVerdict::PinnedFirstUse
        );
        assert_eq!(
            check_and_record(&db, "nas", &a).await.unwrap(),
            HostKeyVerdict::Match
        );
        let v = check_and_record(&db, "nas", &b).await.unwrap();
        assert!(
            matches!(v, HostKeyVerdict::Changed { ref presented_fingerprint, .. } if presented_fingerprint == "SHA256:b")
        );
        let row = get(&db, "nas").await.unwrap().unwrap();
        assert_eq!(row.fingerprint_sha256, "SHA256:a", "the pin is unchanged");
        assert_eq!(row.pending_fingerprint.as_deref(), Some("SHA256:b"));
        assert!(!accept_pending(&db, "nas", "SHA256:other").await.unwrap());
        assert!(accept_pending(&db, "nas", "SHA256:b").await.unwrap());
        assert_eq!(
            check_and_record(&db, "nas", &b).await.unwrap(),
            HostKeyVerdict::Match
        );
        assert!(matches!(
            check_and_record(&db, "nas", &a).await.unwrap(),
            HostKeyVerdict::Changed { .. }
        ));
        assert!(forget(&db, "nas").await.unwrap());
        assert_eq!(
            check_and_record(&db, "nas", &a).await.unwrap(),
            HostKeyVerdict::PinnedFirstUse
        );
    }
}
