//! Offline maintenance subcommands of the `homelabcmd` binary:
//! `audit verify` and `rotate-key`. They read the same configuration as
//! `serve` (database, current encryption key) and print nothing secret.

use std::process::ExitCode;

use base64::Engine as _;

use crate::config::Config;
use crate::db::Db;
use crate::db::audit::Verified;
use crate::remote::crypto::Cipher;
use homelabcmd_core::audit::AuditEntry;
use homelabcmd_core::audit::AuditOutcome;

/// `homelabcmd audit verify`: 0 when the chain is intact, 1 naming the
/// first bad row, 2 when the database cannot be read.
pub async fn audit_verify(config: &Config) -> ExitCode {
    let db = match Db::open(&config.database_path).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("homelabcmd: {e:#}");
            return ExitCode::from(2);
        }
    };
    match crate::db::audit::verify(&db).await {
        Ok(Verified::Ok { count, head }) => {
            println!("audit chain OK ({count} entries)");
            if let Some(h) = head {
                println!("head hash: {h}");
            }
            ExitCode::SUCCESS
        }
        Ok(Verified::Broken(e)) => {
            eprintln!("audit chain BROKEN at row {}: {}", e.row_id, e.reason);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("homelabcmd: reading audit_log: {e}");
            ExitCode::from(2)
        }
    }
}

/// Decode a base64 32-byte key; the error never echoes the value.
pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text.trim()))
        .map_err(
            |_| "the new key is not valid base64 (generate one with `homelabcmd generate-key`)",
        )?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("the new key must decode to 32 bytes, got {}", b.len()))
}

/// `homelabcmd rotate-key`: re-encrypt every credential and uploaded key
/// under `new_key` in one transaction. 0 on success, 1 when a secret cannot
/// be decrypted (nothing changed), 2 on bad input.
pub async fn rotate_key(config: &Config, new_key: Option<&str>) -> ExitCode {
    let old = match Cipher::from_config(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("homelabcmd: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(new_key) = new_key else {
        eprintln!(
            "homelabcmd: give the new key with --new-key or HOMELABCMD_NEW_ENCRYPTION_KEY \
             (generate one with `homelabcmd generate-key`)"
        );
        return ExitCode::from(2);
    };
    let new = match parse_key(new_key) {
        Ok(k) => Cipher::new(&k),
        Err(m) => {
            eprintln!("homelabcmd: {m}");
            return ExitCode::from(2);
        }
    };
    if new.key_id() == old.key_id() {
        eprintln!("homelabcmd: the new key is the current key; nothing to do");
        return ExitCode::from(2);
    }
    let db = match Db::open(&config.database_path).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("homelabcmd: {e:#}");
            return ExitCode::from(2);
        }
    };
    let mut audit = AuditEntry::new(
        "cli",
        None,
        "encryption_key_rotate",
        AuditOutcome::Completed,
    );
    audit.reason = Some(format!("key id {} -> {}", old.key_id(), new.key_id()));
    match crate::db::credentials::rotate(&db, &old, &new, &audit).await {
        Ok(c) => {
            println!(
                "re-encrypted {} credential(s) and {} SSH key(s) under key id {}",
                c.credentials,
                c.ssh_keys,
                new.key_id()
            );
            println!("now set HOMELABCMD_ENCRYPTION_KEY to the new key and restart the hub");
            db.write.close().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("homelabcmd: rotation aborted, nothing changed: {e}");
            ExitCode::FAILURE
        }
    }
}
