//! The tamper-evident audit trail: what the hub ran, refused to run, and
//! which credentials changed. Rows live in `audit_log` (append-only: SQLite
//! triggers abort UPDATE and DELETE). Each row carries
//! `hash = sha256(prev_hash || canonical(row))`, so editing, deleting or
//! reordering a row, even by someone who drops the triggers, breaks the chain
//! at that row; [`verify_chain`] names it. Appending happens inside the one
//! writer transaction (the hub's `db::audit::append_in`), so two appends can
//! never both claim the same predecessor.
//!
//! The chain cannot show that its newest rows were cut off (nothing after
//! them is left to disagree); `homelabcmd audit verify` prints the head hash
//! so an operator can keep it elsewhere. See `docs/security.md`.

use sha2::{Digest, Sha256};

/// `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited operation ended: the wire enum, so the trail, its
/// `GET /audit` filter and the dashboard share one set.
pub use homelabcmd_protocol::ssh::AuditOutcome;

/// A new audit row before the chain fields are assigned. Never put a
/// secret in any field: argv is the command as run, reason is prose.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Who asked: `api`, `dashboard`, `auto`, `cli`...
    pub actor: String,
    pub server_id: Option<String>,
    /// Catalog action name (`service_restart`...) or `credential_store`...
    pub action: String,
    pub argv: Option<Vec<String>>,
    pub outcome: AuditOutcome,
    pub reason: Option<String>,
    pub exit_code: Option<i64>,
    pub duration_ms: Option<i64>,
}

impl AuditEntry {
    /// An entry with only the required fields; fill the rest with struct update.
    pub fn new(actor: &str, server_id: Option<&str>, action: &str, outcome: AuditOutcome) -> Self {
        Self {
            actor: actor.to_owned(),
            server_id: server_id.map(str::to_owned),
            action: action.to_owned(),
            argv: None,
            outcome,
            reason: None,
            exit_code: None,
            duration_ms: None,
        }
    }
}

/// A stored row exactly as in `audit_log` (argv as its stored JSON text, so
/// verification hashes the bytes that are really there).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub ts: i64,
    pub actor: String,
    pub server_id: Option<String>,
    pub action: String,
    pub argv: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub exit_code: Option<i64>,
    pub duration_ms: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// Build the next row of the chain after `prev` (None: the first row).
    pub fn next(prev: Option<(i64, &str)>, ts: i64, e: &AuditEntry) -> Self {
        let (id, prev_hash) = match prev {
            Some((id, hash)) => (id + 1, hash.to_owned()),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let mut r = Self {
            id,
            ts,
            actor: e.actor.clone(),
            server_id: e.server_id.clone(),
            action: e.action.clone(),
            argv: e
                .argv
                .as_ref()
                .map(|a| serde_json::to_string(a).expect("a list of strings serialises")),
            outcome: e.outcome.as_str().to_owned(),
            reason: e.reason.clone(),
            exit_code: e.exit_code,
            duration_ms: e.duration_ms,
            prev_hash,
            hash: String::new(),
        };
        r.hash = r.compute_hash();
        r
    }

    /// The canonical serialisation: a JSON array of every column but the
    /// hash, in a fixed order (JSON arrays have one encoding per value).
    pub fn canonical(&self) -> String {
        serde_json::json!([
            self.id,
            self.ts,
            self.actor,
            self.server_id,
            self.action,
            self.argv,
            self.outcome,
            self.reason,
            self.exit_code,
            self.duration_ms,
        ])
        .to_string()
    }

    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(self.canonical().as_bytes());
        hex::encode(h.finalize())
    }
}

/// The first row where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at row {row_id}: {reason}")]
pub struct VerifyError {
    pub row_id: i64,
    pub reason: String,
}

/// Running state of a verification; feed rows in id order.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    prev: Option<(i64, String)>,
    count: u64,
}

impl ChainVerifier {
    pub fn push(&mut self, r: &AuditRecord) -> Result<(), VerifyError> {
        let fail = |reason: String| VerifyError {
            row_id: r.id,
            reason,
        };
        let (expected_id, expected_prev) = match &self.prev {
            Some((id, hash)) => (id + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        if r.id != expected_id {
            return Err(fail(format!(
                "expected row {expected_id} next (rows missing or reordered)"
            )));
        }
        if r.prev_hash != expected_prev {
            return Err(fail(
                "prev_hash does not match the previous row's hash".into(),
            ));
        }
        if r.hash != r.compute_hash() {
            return Err(fail(
                "hash does not match the row's contents (row was altered)".into(),
            ));
        }
        self.prev = Some((r.id, r.hash.clone()));
        self.count += 1;
        Ok(())
    }

    /// Rows verified so far, and the newest hash.
    pub fn finish(self) -> (u64, Option<String>) {
        (self.count, self.prev.map(|(_, h)| h))
    }
}

/// Verify a whole chain held in memory; returns the number of rows.
pub fn verify_chain<'a>(
    rows: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<u64, VerifyError> {
    let mut v = ChainVerifier::default();
    for r in rows {
        v.push(r)?;
    }
    Ok(v.finish().0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let mut e = AuditEntry::new(
                "api",
                Some("nas"),
                "service_restart",
                AuditOutcome::Completed,
            );
            e.argv = Some(vec![
                "systemctl".into(),
                "restart".into(),
                format!("unit{i}"),
            ]);
            e.exit_code = Some(0);
            let prev = out.last().map(|r| (r.id, r.hash.as_str()));
            let r = AuditRecord::next(prev, 1000 + i as i64, &e);
            out.push(r);
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(5);
        assert_eq!(rows[0].prev_hash, GENESIS_HASH);
        assert_eq!(rows[3].prev_hash, rows[2].hash);
        assert_eq!(verify_chain(&rows), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn an_edited_row_is_named() {
        let mut rows = chain(5);
        rows[2].argv = Some(r#"["reboot"]"#.into());
        let err = verify_chain(&rows).unwrap_err();
        assert_eq!(err.row_id, 3);
        assert!(err.reason.contains("altered"), "{err}");
    }

    #[test]
    fn a_rehashed_edit_breaks_the_next_link() {
        let mut rows = chain(5);
        rows[2].outcome = "rejected".into();
        rows[2].hash = rows[2].compute_hash();
        assert_eq!(verify_chain(&rows).unwrap_err().row_id, 4);
    }

    #[test]
    fn a_deleted_or_reordered_row_is_named() {
        let mut rows = chain(5);
        rows.remove(1);
        let err = verify_chain(&rows).unwrap_err();
        assert_eq!(err.row_id, 3);
        let mut rows = chain(3);
        rows.swap(1, 2);
        assert_eq!(verify_chain(&rows).unwrap_err().row_id, 3);
    }

    #[test]
    fn canonical_form_distinguishes_null_from_text() {
        let mut a = AuditRecord::next(
            None,
            1,
            &AuditEntry::new("x", None, "a", AuditOutcome::Allowed),
        );
        let h = a.hash.clone();
        a.server_id = Some("null".into());
        assert_ne!(a.compute_hash(), h);
    }
}
