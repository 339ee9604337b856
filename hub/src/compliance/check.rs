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

#[cfg(test)]
mod tests {
    use homelabcmd_protocol::packs::{DiffMismatchItem, MismatchType};
    use homelabcmd_ssh::SshError;

    use super::*;
    use crate::compliance::testing::{self, SERVER};
    use crate::remote::scripted::{Call, ScriptedExec, ok, output};

    fn stored_mismatches(row: &db::packs::CheckRow) -> Vec<(MismatchType, String, String)> {
        let ms: Vec<DiffMismatchItem> = serde_json::from_str(&row.mismatches).unwrap();
        ms.into_iter()
            .map(|m| (m.kind, m.category.to_string(), m.item))
            .collect()
    }

    async fn latest(outbox: &Outbox) -> db::packs::CheckRow {
        db::packs::latest_check(&outbox.db.read, SERVER, "dev")
            .await
            .unwrap()
            .expect("a stored check")
    }

    async fn drift_alert(outbox: &Outbox) -> Option<db::alerts::AlertRow> {
        db::drift::active_alert(&outbox.db.read, SERVER, "config_drift:dev")
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_check_script_goes_to_the_host_once_as_generated() {
        let (outbox, _dir) = testing::outbox().await;
        let pack = testing::pack();
        let exec = ScriptedExec::new([Ok(ok(testing::compliant()))]);
        run_check(&outbox, &exec, SERVER, &pack, "tester", Wait::No)
            .await
            .unwrap();
        assert_eq!(
            exec.calls(),
            [Call::Script {
                server_id: SERVER.into(),
                audit_action: CHECK_ACTION,
                label: "pack check: dev".into(),
                body: check_script::build(&pack),
                actor: "tester".into(),
                wait: Wait::No,
            }]
        );
    }

    #[tokio::test]
    async fn a_drifted_check_stores_its_mismatches_and_opens_a_drift_alert() {
        let (outbox, _dir) = testing::outbox().await;
        let exec = ScriptedExec::new([Ok(ok(testing::drifted()))]);
        let c = run_check(&outbox, &exec, SERVER, &testing::pack(), "t", Wait::Yes)
            .await
            .unwrap();
        assert!(!c.verdict.is_compliant());
        assert_eq!(c.report.facts.home, testing::HOME);

        let row = latest(&outbox).await;
        assert_eq!(row.id, c.id);
        assert_eq!(
            (
                row.is_compliant,
                row.mismatch_count,
                row.total_items,
                row.mismatched_items
            ),
            (false, 4, 4, 4)
        );
        let s = |x: &str| x.to_string();
        assert_eq!(
            stored_mismatches(&row),
            [
                (MismatchType::WrongContent, s("files"), s("~/.gitconfig")),
                (MismatchType::MissingFile, s("files"), s("~/.local/bin")),
                (MismatchType::MissingPackage, s("packages"), s("jq")),
                (MismatchType::WrongSetting, s("settings"), s("EDITOR")),
            ]
        );

        let alert = drift_alert(&outbox).await.expect("drift opens an alert");
        assert_eq!(
            (
                alert.alert_type.as_str(),
                alert.severity.as_str(),
                alert.status.as_str()
            ),
            ("config_drift", "high", "open")
        );
        assert_eq!(alert.title, "Config drift: 4 items differ from Dev");
        assert!(
            alert
                .message
                .as_deref()
                .unwrap()
                .contains("~/.gitconfig (wrong content), ~/.local/bin (missing file)"),
            "{:?}",
            alert.message
        );
        assert_eq!(db::outbox::list(&outbox.db).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_compliant_check_stores_its_verdict_and_resolves_the_drift_alert() {
        let (outbox, _dir) = testing::outbox().await;
        let pack = testing::pack();
        let exec = ScriptedExec::new([Ok(ok(testing::drifted())), Ok(ok(testing::compliant()))]);
        run_check(&outbox, &exec, SERVER, &pack, "t", Wait::Yes)
            .await
            .unwrap();
        let opened = drift_alert(&outbox).await.expect("drift opens an alert");

        let c = run_check(&outbox, &exec, SERVER, &pack, "t", Wait::Yes)
            .await
            .unwrap();
        assert!(c.verdict.is_compliant());
        let row = latest(&outbox).await;
        assert_eq!(row.id, c.id);
        assert_eq!(
            (
                row.is_compliant,
                row.mismatch_count,
                row.total_items,
                row.mismatched_items
            ),
            (true, 0, 4, 0)
        );
        assert_eq!(stored_mismatches(&row), []);
        assert_eq!(
            db::packs::count_checks(&outbox.db.read, SERVER)
                .await
                .unwrap(),
            2
        );

        assert!(drift_alert(&outbox).await.is_none());
        let resolved = db::alerts::get(&outbox.db, opened.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (resolved.status.as_str(), resolved.auto_resolved),
            ("resolved", true)
        );
    }

    #[tokio::test]
    async fn a_check_script_that_failed_is_stored_as_check_errors() {
        let (outbox, _dir) = testing::outbox().await;
        // The shell died before the report: an exit code, no report.
        let exec = ScriptedExec::new([Ok(output(
            127,
            "welcome to nas\n",
            "sh: 1: stat: not found\n",
        ))]);
        let c = run_check(&outbox, &exec, SERVER, &testing::pack(), "t", Wait::Yes)
            .await
            .unwrap();
        let row = latest(&outbox).await;
        assert_eq!(row.id, c.id);
        assert_eq!((row.is_compliant, row.mismatch_count), (false, 5));
        let ms: Vec<DiffMismatchItem> = serde_json::from_str(&row.mismatches).unwrap();
        assert!(ms.iter().all(|m| m.kind == MismatchType::CheckError));
        let report = ms.last().unwrap();
        assert_eq!(
            (report.category.as_str(), report.actual.error.as_deref()),
            (
                "report",
                Some("the check script printed no `HLC-PACK-CHECK 1` line (1 lines of output)")
            )
        );
    }

    #[tokio::test]
    async fn a_check_that_timed_out_is_an_error_and_stores_nothing() {
        let (outbox, _dir) = testing::outbox().await;
        let pack = testing::pack();
        let exec = ScriptedExec::new([
            Ok(ok(testing::drifted())),
            Err(ExecError::Ssh(SshError::Timeout {
                after: CHECK_TIMEOUT,
            })),
        ]);
        run_check(&outbox, &exec, SERVER, &pack, "t", Wait::Yes)
            .await
            .unwrap();
        let before = drift_alert(&outbox).await.unwrap();

        let e = run_check(&outbox, &exec, SERVER, &pack, "t", Wait::Yes)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                CheckError::Exec(ExecError::Ssh(SshError::Timeout { .. }))
            ),
            "{e:?}"
        );
        assert_eq!(
            db::packs::count_checks(&outbox.db.read, SERVER)
                .await
                .unwrap(),
            1
        );
        // Neither drift nor its absence: the alert stays as it was.
        let after = drift_alert(&outbox).await.unwrap();
        assert_eq!(
            (after.id, after.status, after.updated_at),
            (before.id, before.status, before.updated_at)
        );
    }
}
