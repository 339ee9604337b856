//! Compliance checks as a service: run a pack's read-only check script on
//! a machine over the SSH executor, evaluate it, and store the result.
//! Shared by the check endpoint, apply (its plan and its re-check) and the
//! drift scheduler.

use std::time::{Duration, Instant};

use crate::compliance::drift;
use crate::db::{self, now_ms};
use crate::notify::Outbox;
use crate::remote::Exec;
use crate::remote::executor::{ExecError, PackScript, Wait};
use homelabcmd_core::packs::report::{self, Report};
use homelabcmd_core::packs::{Comparison, ResolvedPack, check_script, compare};

/// Audit action of a compliance check.
pub const CHECK_ACTION: &str = "config_check";
/// How long a check script may run.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// A finished, stored check.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// Row id in `config_checks`.
    pub id: i64,
    /// What the host reported (facts, observations): apply plans from it.
    pub report: Report,
    pub verdict: Comparison,
    /// Unix ms when the check finished.
    pub checked_at: i64,
    /// SSH round trip + evaluation.
    pub duration_ms: i64,
}

/// Failure of a check: it could not run, or its result could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error("storing the check result: {0}")]
    Db(#[from] sqlx::Error),
}

/// Check `server_id` against `pack` (one exec, audited as [`CHECK_ACTION`]
/// by `actor`) and store the result, then open, reword or resolve the
/// machine's drift alert for the pack ([`drift::record`]).
pub async fn run_check(
    outbox: &Outbox,
    exec: &dyn Exec,
    server_id: &str,
    pack: &ResolvedPack,
    actor: &str,
    wait: Wait,
) -> Result<CheckOutcome, CheckError> {
    let started = Instant::now();
    let script = PackScript {
        audit_action: CHECK_ACTION,
        label: format!("pack check: {}", pack.id),
        body: check_script::build(pack),
        timeout: CHECK_TIMEOUT,
    };
    let out = exec.run_script(server_id, &script, actor, wait).await?;
    let report = report::parse(&out.stdout, pack.counts());
    let verdict = compare(pack, &report);
    let duration_ms = started.elapsed().as_millis() as i64;
    let checked_at = now_ms();
    // Serializing plain data structs cannot fail; an empty list is still
    // readable if it ever did.
    let mismatches = serde_json::to_string(&verdict.mismatches).unwrap_or_else(|_| "[]".into());
    let id = db::packs::insert_check(
        &outbox.db,
        &db::packs::NewCheck {
            server_id,
            pack_name: &pack.id,
            checked_at,
            is_compliant: verdict.is_compliant(),
            mismatch_count: verdict.mismatches.len() as i64,
            total_items: verdict.total_items as i64,
            mismatched_items: verdict.mismatched_items as i64,
            check_duration_ms: duration_ms,
            mismatches,
        },
    )
    .await?;
    // The check is stored whatever happens to its alert; a failure here is
    // logged and the next check decides again.
    if let Err(e) = drift::record(outbox, server_id, pack, &verdict).await {
        tracing::warn!(server_id, pack = %pack.id, error = ?e, "updating the drift alert failed");
    }
    Ok(CheckOutcome {
        id,
        report,
        verdict,
        checked_at,
        duration_ms,
    })
}
