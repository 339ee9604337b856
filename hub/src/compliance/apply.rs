//! Applying a pack to a machine, and removing one (docs/packs.md, "Apply
//! and remove"). An apply is a background run stored in
//! `config_apply_runs`: a fresh check, the plan made from it
//! (`packs::plan`), one audited SSH exec per step (`packs::apply_script`)
//! with the progress stored after each, and a re-check at the end. One run
//! at a time per machine; a run the hub was stopped in is failed at start.

use std::collections::BTreeSet;

use chrono::Utc;
use homelabcmd_protocol::packs::{
    ApplyItemResult, ApplyPreviewResponse, ApplyRecheck, ApplyStatus, ApplyStatusResponse,
    RemoveItemResult, RemovePreviewFileItem, RemovePreviewPackageItem, RemovePreviewResponse,
    RemovePreviewSettingItem, RemoveResponse,
};
use serde::{Deserialize, Serialize};

use crate::compliance::{self, CheckError};
use crate::db::{self, Db, now_ms, to_dt};
use crate::notify::Outbox;
use crate::remote::Exec;
use crate::remote::executor::{ExecError, Wait};
use crate::state::AppState;
use homelabcmd_core::packs::apply_script::{self, RemoteStep};
use homelabcmd_core::packs::model::{Items, SettingType, State};
use homelabcmd_core::packs::plan::{self, BACKUP_SUFFIX, Plan, Step};
use homelabcmd_core::packs::{ResolvedPack, fleet};

/// Audit action of each apply step.
pub const APPLY_ACTION: &str = "config_apply";
/// Audit action of each removal step.
pub const REMOVE_ACTION: &str = "config_remove";

/// A run's progress, stored as JSON in `config_apply_runs.items`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub items_total: i64,
    pub items_completed: i64,
    pub items_failed: i64,
    pub current_item: Option<String>,
    pub items: Vec<ApplyItemResult>,
    pub recheck: Option<ApplyRecheck>,
}

impl Progress {
    fn json(&self) -> String {
        // Plain data: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    fn record(
        &mut self,
        item_type: &str,
        item: String,
        action: String,
        r: Result<Option<String>, String>,
    ) {
        let (success, error, backup_path) = match r {
            Ok(backup) => (true, None, backup),
            Err(e) => (false, Some(e), None),
        };
        if success {
            self.items_completed += 1;
        } else {
            self.items_failed += 1;
        }
        self.items.push(ApplyItemResult {
            item,
            action: if success { action } else { "failed".into() },
            success,
            error,
            item_type: Some(item_type.to_string()),
            backup_path,
        });
    }
}

/// Why an apply could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("an apply is already running on '{0}'; wait for it to finish")]
    Busy(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Last lines of a failed step's stderr (or its exit code), for people.
fn failure_text(out: &homelabcmd_ssh::ExecOutput) -> String {
    let err = out.stderr_text();
    let tail: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(3)..].join(" / ");
    let code = match (out.exit_code, &out.signal) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        (None, None) => "no exit status".into(),
    };
    let mut text = if tail.is_empty() {
        code
    } else {
        format!("{tail} ({code})")
    };
    if text.len() > 600 {
        let cut = (0..=600)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    if text.contains("Unable to locate package") {
        text.push_str(" — the host's package lists may be stale: run apt-get update on it");
    }
    text
}

/// At start: runs a stopped hub left unfinished cannot resume (their SSH
/// steps are gone), so they are failed with a reason.
pub async fn recover(state: &AppState) {
    match db::packs::fail_unfinished_apply_runs(&state.db, now_ms()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            runs = n,
            "apply runs interrupted by a hub stop marked failed"
        ),
        Err(e) => tracing::error!(error = %e, "failing interrupted apply runs"),
    }
}

/// The dry run: a fresh check and the plan made from it.
pub async fn preview(
    outbox: &Outbox,
    exec: &dyn Exec,
    server_id: &str,
    pack: &ResolvedPack,
    actor: &str,
) -> Result<ApplyPreviewResponse, CheckError> {
    let c = compliance::run_check(outbox, exec, server_id, pack, actor, Wait::Yes).await?;
    let p = plan::plan(pack, &c.report, &c.verdict);
    Ok(plan::preview(server_id, pack, &p))
}

/// Start an apply run in the background; returns its row.
pub async fn start(
    state: &AppState,
    server_id: &str,
    pack: ResolvedPack,
    actor: &str,
) -> Result<db::packs::ApplyRunRow, StartError> {
    let now = now_ms();
    let id = db::packs::start_apply_run(
        &state.db,
        server_id,
        &pack.id,
        actor,
        &Progress::default().json(),
        now,
    )
    .await?
    .ok_or_else(|| StartError::Busy(server_id.to_string()))?;
    let row = db::packs::apply_run(&state.db.write, server_id, id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let (state, server_id, actor) = (state.clone(), server_id.to_string(), actor.to_string());
    tokio::spawn(async move {
        let outbox = Outbox::from(&state);
        run_and_finish(&outbox, &state.executor, id, &server_id, &pack, &actor).await;
    });
    Ok(row)
}

/// Run apply run `id` and store how it ended.
async fn run_and_finish(
    outbox: &Outbox,
    exec: &dyn Exec,
    id: i64,
    server_id: &str,
    pack: &ResolvedPack,
    actor: &str,
) {
    let (status, progress, error) = run(outbox, exec, id, server_id, pack, actor).await;
    if let Err(e) = db::packs::finish_apply_run(
        &outbox.db,
        id,
        status,
        &progress.json(),
        error.as_deref(),
        now_ms(),
    )
    .await
    {
        tracing::error!(apply_id = id, error = %e, "storing the end of an apply run failed");
    }
    tracing::info!(
        apply_id = id,
        server_id,
        pack = pack.id,
        status,
        completed = progress.items_completed,
        failed = progress.items_failed,
        "config apply finished"
    );
}

/// The run itself: (final status, progress, error).
async fn run(
    outbox: &Outbox,
    exec: &dyn Exec,
    id: i64,
    server_id: &str,
    pack: &ResolvedPack,
    actor: &str,
) -> (&'static str, Progress, Option<String>) {
    let mut progress = Progress {
        current_item: Some("checking the machine".into()),
        ..Progress::default()
    };
    store(&outbox.db, id, &progress).await;
    // The same check before (the plan) and after (the verdict).
    let check = || compliance::run_check(outbox, exec, server_id, pack, actor, Wait::Yes);
    let c = match check().await {
        Ok(c) => c,
        Err(e) => {
            return (
                "failed",
                progress,
                Some(format!("the check before applying failed: {e}")),
            );
        }
    };
    let todo: Plan = plan::plan(pack, &c.report, &c.verdict);
    progress.items_total = todo.item_count() as i64;
    for step in &todo.steps {
        let items = step.items();
        progress.current_item = items.first().map(|(_, i)| i.clone());
        store(&outbox.db, id, &progress).await;
        let Some(remote) = apply_script::for_step(step) else {
            if let Step::Manual { reason, .. } = step {
                for (t, item) in items {
                    progress.record(t, item, "manual".into(), Err(reason.clone()));
                }
            }
            continue;
        };
        match exec.run_step(server_id, &remote, APPLY_ACTION, actor).await {
            Ok(out) if out.success() => {
                let backup = apply_script::reported_backup(&out.stdout);
                for (t, item) in items {
                    progress.record(t, item, step.done_action(), Ok(backup.clone()));
                }
            }
            Ok(out) => {
                let why = failure_text(&out);
                for (t, item) in items {
                    progress.record(t, item, step.done_action(), Err(why.clone()));
                }
            }
            Err(e) => {
                // The machine is gone (or refused us): stop here.
                let why = e.to_string();
                for (t, item) in items {
                    progress.record(t, item, step.done_action(), Err(why.clone()));
                }
                progress.current_item = None;
                return ("failed", progress, Some(format!("stopped: {why}")));
            }
        }
    }
    progress.current_item = Some("checking the result".into());
    store(&outbox.db, id, &progress).await;
    let after = check().await;
    progress.current_item = None;
    match after {
        Ok(c) => {
            progress.recheck = Some(ApplyRecheck {
                check_id: c.id,
                is_compliant: c.verdict.is_compliant(),
                mismatch_count: c.verdict.mismatches.len() as i64,
            });
            ("completed", progress, None)
        }
        Err(e) => (
            "completed",
            progress,
            Some(format!("the re-check failed: {e}")),
        ),
    }
}

async fn store(db: &Db, id: i64, progress: &Progress) {
    if let Err(e) = db::packs::set_apply_progress(db, id, &progress.json()).await {
        tracing::warn!(apply_id = id, error = %e, "storing apply progress failed");
    }
}

fn status_of(s: &str) -> ApplyStatus {
    match s {
        "pending" => ApplyStatus::Pending,
        "running" => ApplyStatus::Running,
        "completed" => ApplyStatus::Completed,
        _ => ApplyStatus::Failed,
    }
}

/// The status answer for a stored run.
pub fn status_response(row: db::packs::ApplyRunRow) -> ApplyStatusResponse {
    let p: Progress = row
        .items
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    let status = status_of(&row.status);
    let done = p.items_completed + p.items_failed;
    let progress = match status {
        ApplyStatus::Completed => 100,
        _ if p.items_total > 0 => (done * 100 / p.items_total).clamp(0, 99),
        _ => 0,
    };
    ApplyStatusResponse {
        apply_id: row.id,
        server_id: row.server_id,
        pack_name: row.pack_name,
        status,
        progress,
        current_item: p.current_item,
        items_total: p.items_total,
        items_completed: p.items_completed,
        items_failed: p.items_failed,
        items: p.items,
        started_at: Some(to_dt(row.started_at)),
        completed_at: row.completed_at.map(to_dt),
        error: row.error,
        recheck: p.recheck,
    }
}

// ----------------------------------------------------------------- removal

/// What removing `pack` touches: its own items (not inherited ones),
/// minus paths and keys another of the machine's packs also manages.
pub struct Removal {
    /// Managed files (content or template), as written in the pack.
    pub files: Vec<String>,
    pub packages: Vec<String>,
    /// Environment variables the hub writes.
    pub env_vars: Vec<String>,
    /// Config-line settings in files the pack does not manage: (key, file);
    /// the file comes back from the backup apply made, if any.
    pub config_files: Vec<(String, String)>,
}

/// Pure: the removal of `own` when `others` stay on the machine.
pub fn removal(own: &Items, others: &[&ResolvedPack]) -> Removal {
    let other_paths: BTreeSet<&str> = others
        .iter()
        .flat_map(|p| p.items.files.iter().map(|f| f.path.as_str()))
        .collect();
    let other_keys: BTreeSet<&str> = others
        .iter()
        .flat_map(|p| p.items.settings.iter().map(|s| s.key.as_str()))
        .collect();
    let files = own
        .files
        .iter()
        .filter(|f| f.state == State::Present && (f.content.is_some() || f.template.is_some()))
        .map(|f| f.path.as_str())
        .filter(|p| !other_paths.contains(p))
        .map(str::to_string)
        .collect();
    let own_files: BTreeSet<&str> = own.files.iter().map(|f| f.path.as_str()).collect();
    let mut env_vars = Vec::new();
    let mut config_files = Vec::new();
    for s in &own.settings {
        // Another pack of the machine still wants it; a command's output
        // has nothing to undo; a line in a managed file goes with the file.
        if other_keys.contains(s.key.as_str()) {
            continue;
        }
        match (s.kind, &s.file) {
            (SettingType::EnvVar, _) => env_vars.push(s.key.clone()),
            (SettingType::Config, Some(f))
                if !own_files.contains(f.as_str()) && !other_paths.contains(f.as_str()) =>
            {
                config_files.push((s.key.clone(), f.as_str().to_string()))
            }
            _ => {}
        }
    }
    Removal {
        files,
        packages: own.packages.iter().map(|p| p.name.to_string()).collect(),
        env_vars,
        config_files,
    }
}

const NO_HOME: &str = "the host did not report the SSH user's home directory";

fn failed_item(item: &str, item_type: &str, error: String) -> RemoveItemResult {
    RemoveItemResult {
        item: item.to_string(),
        item_type: item_type.to_string(),
        action: "failed".into(),
        success: false,
        backup_path: None,
        note: None,
        error: Some(error),
    }
}

const PACKAGE_NOTE: &str = "Package will remain installed - may break dependencies";

/// The removal preview.
pub fn remove_preview(server_id: &str, pack_id: &str, r: &Removal) -> RemovePreviewResponse {
    let files: Vec<RemovePreviewFileItem> = r
        .files
        .iter()
        .map(|f| RemovePreviewFileItem {
            action: "delete".into(),
            path: f.clone(),
            backup_path: format!("{f}{BACKUP_SUFFIX}"),
            note: "Deleted; if HomelabCmd replaced an existing file, that file is restored from the backup"
                .into(),
        })
        .collect();
    let packages: Vec<RemovePreviewPackageItem> = r
        .packages
        .iter()
        .map(|p| RemovePreviewPackageItem {
            action: "skip".into(),
            package: p.clone(),
            note: PACKAGE_NOTE.into(),
        })
        .collect();
    let mut settings: Vec<RemovePreviewSettingItem> = r
        .env_vars
        .iter()
        .map(|k| RemovePreviewSettingItem {
            action: "remove".into(),
            key: k.clone(),
            note: "Removed from the login profile block HomelabCmd manages".into(),
        })
        .collect();
    settings.extend(
        r.config_files
            .iter()
            .map(|(k, file)| RemovePreviewSettingItem {
                action: "remove".into(),
                key: k.clone(),
                note: format!(
                    "{file} is restored from {file}{BACKUP_SUFFIX} if HomelabCmd changed it; otherwise left as it is"
                ),
            }),
    );
    RemovePreviewResponse {
        server_id: server_id.into(),
        pack_name: pack_id.into(),
        preview: true,
        total_items: (files.len() + packages.len() + settings.len()) as i64,
        files,
        packages,
        settings,
        warning: "Files will be deleted (or restored from their backups). Packages will remain installed."
            .into(),
    }
}

/// The machine's other packs (resolved), for [`removal`].
pub async fn other_packs<'a>(
    state: &'a AppState,
    server_id: &str,
    pack_id: &str,
) -> sqlx::Result<(Vec<String>, Vec<&'a ResolvedPack>)> {
    let row = db::packs::assignment(&state.db.read, server_id).await?;
    let assigned = row
        .map(|r| fleet::assigned_packs(r.packs.as_deref(), &r.machine_type))
        .unwrap_or_default();
    let others = assigned
        .iter()
        .filter(|p| p.as_str() != pack_id)
        .filter_map(|p| state.packs.get(p))
        .collect();
    Ok((assigned, others))
}

/// Remove the pack's files and environment variables from the machine,
/// then drop it from the machine's assignment (`base` stays assigned).
pub async fn remove(
    db: &Db,
    exec: &dyn Exec,
    server_id: &str,
    pack_id: &str,
    r: &Removal,
    assigned: &[String],
    actor: &str,
) -> Result<RemoveResponse, ExecError> {
    // The SSH user's home, for `~/` paths (sudo steps have root's $HOME).
    let home_step = RemoteStep {
        label: "read $HOME".into(),
        argv: vec!["sh".into(), "-c".into(), "printf '%s\\n' \"$HOME\"".into()],
        stdin: None,
        sudo: false,
        timeout: std::time::Duration::from_secs(15),
    };
    let out = exec
        .run_step(server_id, &home_step, REMOVE_ACTION, actor)
        .await?;
    let home = out.stdout_text().trim().to_string();
    let mut items = Vec::new();
    let (mut deleted, mut skipped, mut removed, mut failed) = (0, 0, 0, 0);
    for f in &r.files {
        if f.starts_with("~/") && !home.starts_with('/') {
            failed += 1;
            items.push(failed_item(f, "file", NO_HOME.into()));
            continue;
        }
        let path = plan::absolute(f, &home);
        let sudo = !f.starts_with("~/");
        let step = apply_script::restore_or_delete(f, &path, sudo);
        let (action, backup_path, error) =
            match exec.run_step(server_id, &step, REMOVE_ACTION, actor).await {
                Ok(out) if out.success() => (
                    apply_script::reported_action(&out.stdout).unwrap_or_else(|| "deleted".into()),
                    apply_script::reported_backup(&out.stdout),
                    None,
                ),
                Ok(out) => ("failed".to_string(), None, Some(failure_text(&out))),
                Err(e) => ("failed".to_string(), None, Some(e.to_string())),
            };
        let success = error.is_none();
        // The contract's words: a restored file counts as deleted (its
        // backup_path says what came back); one already gone is skipped.
        let (action, note) = match action.as_str() {
            "restored" => (
                "deleted",
                Some("the file HomelabCmd replaced is back from its backup".to_string()),
            ),
            "absent" => ("skipped", Some("already gone".to_string())),
            "failed" => ("failed", None),
            _ => ("deleted", None),
        };
        match action {
            "deleted" => deleted += 1,
            "skipped" => skipped += 1,
            _ => failed += 1,
        }
        items.push(RemoveItemResult {
            item: f.clone(),
            item_type: "file".into(),
            note,
            action: action.into(),
            success,
            backup_path,
            error,
        });
    }
    for p in &r.packages {
        skipped += 1;
        items.push(RemoveItemResult {
            item: p.clone(),
            item_type: "package".into(),
            action: "skipped".into(),
            success: true,
            backup_path: None,
            note: Some(PACKAGE_NOTE.into()),
            error: None,
        });
    }
    for k in &r.env_vars {
        let step = apply_script::unset_env(k);
        let error = match exec.run_step(server_id, &step, REMOVE_ACTION, actor).await {
            Ok(out) if out.success() => None,
            Ok(out) => Some(failure_text(&out)),
            Err(e) => Some(e.to_string()),
        };
        let success = error.is_none();
        if success {
            removed += 1;
        } else {
            failed += 1;
        }
        items.push(RemoveItemResult {
            item: k.clone(),
            item_type: "setting".into(),
            action: if success { "removed" } else { "failed" }.into(),
            success,
            backup_path: None,
            note: None,
            error,
        });
    }
    for (k, file) in &r.config_files {
        if file.starts_with("~/") && !home.starts_with('/') {
            failed += 1;
            items.push(failed_item(k, "setting", NO_HOME.into()));
            continue;
        }
        let step =
            apply_script::restore_backup(k, &plan::absolute(file, &home), !file.starts_with("~/"));
        let r = exec.run_step(server_id, &step, REMOVE_ACTION, actor).await;
        let item = match r {
            Ok(out) if out.success() => {
                let restored =
                    apply_script::reported_action(&out.stdout).as_deref() == Some("restored");
                if restored {
                    removed += 1;
                } else {
                    skipped += 1;
                }
                RemoveItemResult {
                    item: k.clone(),
                    item_type: "setting".into(),
                    action: if restored { "removed" } else { "skipped" }.into(),
                    success: true,
                    backup_path: apply_script::reported_backup(&out.stdout),
                    note: Some(if restored {
                        format!("{file} is back from its backup")
                    } else {
                        format!("{file} has no backup from HomelabCmd: left as it is")
                    }),
                    error: None,
                }
            }
            other => {
                failed += 1;
                failed_item(
                    k,
                    "setting",
                    match other {
                        Ok(out) => failure_text(&out),
                        Err(e) => e.to_string(),
                    },
                )
            }
        };
        items.push(item);
    }
    if failed == 0 && pack_id != "base" && assigned.iter().any(|p| p == pack_id) {
        let keep: Vec<String> = assigned.iter().filter(|p| *p != pack_id).cloned().collect();
        if let Err(e) = db::packs::set_assignment(db, server_id, &keep, None, now_ms()).await {
            tracing::error!(server_id, error = %e, "dropping a removed pack from the assignment failed");
        }
    }
    Ok(RemoveResponse {
        server_id: server_id.into(),
        pack_name: pack_id.into(),
        success: failed == 0,
        items,
        items_deleted: deleted,
        items_skipped: skipped,
        items_removed: removed,
        items_failed: failed,
        removed_at: Utc::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use homelabcmd_core::packs::loader::{PackSet, parse_pack, resolve_all};
    use std::collections::BTreeMap;
    use std::path::Path;

    fn packs(files: &[(&str, &str)]) -> PackSet {
        let own: BTreeMap<_, _> = files
            .iter()
            .map(|(id, yaml)| {
                (
                    id.to_string(),
                    parse_pack(id, Path::new("x.yaml"), yaml, Path::new("/nonexistent")).unwrap(),
                )
            })
            .collect();
        PackSet {
            resolved: resolve_all(&own).0,
            own,
            ..PackSet::default()
        }
    }

    #[test]
    fn removal_touches_only_the_packs_own_managed_items() {
        let set = packs(&[
            (
                "base",
                "name: B\nitems:\n  files:\n    - path: ~/.shared\n      content: \"b\\n\"\n",
            ),
            (
                "dev",
                "name: D\nextends: base\nitems:\n  files:\n    - path: ~/.dev\n      content: \"d\\n\"\n    - path: ~/.only-checked\n    - path: ~/.gone\n      state: absent\n    - path: ~/.shared\n      content: \"b\\n\"\n  packages:\n    - name: jq\n  settings:\n    - key: EDITOR\n      expected: vim\n      type: env_var\n    - key: level\n      expected: info\n      type: config\n      file: /etc/app.conf\n",
            ),
        ]);
        let own = &set.own["dev"].doc.items;
        let r = removal(own, &[set.get("base").unwrap()]);
        assert_eq!(r.files, ["~/.dev"]);
        assert_eq!(r.packages, ["jq"]);
        assert_eq!(r.env_vars, ["EDITOR"]);
        assert_eq!(
            r.config_files,
            [("level".to_string(), "/etc/app.conf".to_string())]
        );
        let p = remove_preview("m", "dev", &r);
        assert_eq!(p.total_items, 4);
        assert_eq!(p.files[0].backup_path, "~/.dev.homelabcmd.bak");
        assert_eq!(p.packages[0].action, "skip");
        assert_eq!(p.settings[0].action, "remove");
        assert_eq!(p.settings[1].action, "remove");
        assert!(p.settings[1].note.contains("/etc/app.conf.homelabcmd.bak"));
    }

    #[test]
    fn status_progress_is_a_percentage_of_items_done() {
        let mut p = Progress {
            items_total: 4,
            ..Progress::default()
        };
        p.record("file", "~/a".into(), "created".into(), Ok(None));
        p.record("file", "~/b".into(), "updated".into(), Err("boom".into()));
        let row = db::packs::ApplyRunRow {
            id: 7,
            server_id: "m".into(),
            pack_name: "base".into(),
            status: "running".into(),
            started_at: 1_700_000_000_000,
            completed_at: None,
            items: Some(p.json()),
            error: None,
        };
        let s = status_response(row.clone());
        assert_eq!(s.status, ApplyStatus::Running);
        assert_eq!(s.progress, 50);
        assert_eq!((s.items_completed, s.items_failed), (1, 1));
        assert_eq!(s.items[1].action, "failed");
        assert_eq!(s.items[1].error.as_deref(), Some("boom"));
        let done = status_response(db::packs::ApplyRunRow {
            status: "completed".into(),
            ..row.clone()
        });
        assert_eq!(done.progress, 100);
        let garbage = status_response(db::packs::ApplyRunRow {
            items: Some("not json".into()),
            ..row
        });
        assert_eq!(garbage.items_total, 0);
    }
}
