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
    ItemType, RemoveAction, RemoveItemResult, RemovePreviewFileItem, RemovePreviewPackageItem,
    RemovePreviewResponse, RemovePreviewSettingItem, RemoveResponse,
};
use serde::{Deserialize, Serialize};

use crate::compliance::{self, CheckError};
use crate::db::{self, Db, now_ms, to_dt};
use crate::notify::Outbox;
use crate::remote::Exec;
use crate::remote::executor::{ExecError, Wait};
use crate::state::AppState;
use homelabcmd_core::packs::apply_script::{self, RemoteStep};
use homelabcmd_core::packs::model::{Items, PathState, SettingType};
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
        item_type: ItemType,
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
            item_type: Some(item_type),
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
        status = status.as_str(),
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
) -> (ApplyStatus, Progress, Option<String>) {
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
                ApplyStatus::Failed,
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
                return (
                    ApplyStatus::Failed,
                    progress,
                    Some(format!("stopped: {why}")),
                );
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
            (ApplyStatus::Completed, progress, None)
        }
        Err(e) => (
            ApplyStatus::Completed,
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

/// The status answer for a stored run.
pub fn status_response(row: db::packs::ApplyRunRow) -> ApplyStatusResponse {
    let p: Progress = row
        .items
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    let status = row.status;
    let done = p.items_completed + p.items_failed;
    let progress = match status {
        ApplyStatus::Completed => 100,
        ApplyStatus::Pending | ApplyStatus::Running | ApplyStatus::Failed if p.items_total > 0 => {
            (done * 100 / p.items_total).clamp(0, 99)
        }
        ApplyStatus::Pending | ApplyStatus::Running | ApplyStatus::Failed => 0,
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
        .filter(|f| f.state == PathState::Present && (f.content.is_some() || f.template.is_some()))
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
            (SettingType::Config, _) | (SettingType::Command, _) => {}
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

fn failed_item(item: &str, item_type: ItemType, error: String) -> RemoveItemResult {
    RemoveItemResult {
        item: item.to_string(),
        item_type,
        action: RemoveAction::Failed,
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
        .map(|r| fleet::assigned_packs(r.packs.as_deref(), r.machine_type))
        .unwrap_or_default();
    let others = assigned
        .iter()
        .filter(|p| p.as_str() != pack_id)
        .filter_map(|p| state.packs.get(p))
        .collect();
    Ok((assigned, others))
}

/// Where a removal's commands run, and who they are audited as.
struct RemoveTarget<'a> {
    exec: &'a dyn Exec,
    server_id: &'a str,
    actor: &'a str,
}

impl RemoveTarget<'_> {
    async fn run(&self, step: &RemoteStep) -> Result<homelabcmd_ssh::ExecOutput, ExecError> {
        self.exec
            .run_step(self.server_id, step, REMOVE_ACTION, self.actor)
            .await
    }

    /// The SSH user's home, for `~/` paths (sudo steps have root's $HOME).
    async fn home(&self) -> Result<String, ExecError> {
        let home_step = RemoteStep {
            label: "read $HOME".into(),
            argv: vec!["sh".into(), "-c".into(), "printf '%s\\n' \"$HOME\"".into()],
            stdin: None,
            sudo: false,
            timeout: std::time::Duration::from_secs(15),
        };
        let out = self.run(&home_step).await?;
        Ok(out.stdout_text().trim().to_string())
    }
}

/// A removal's results so far, and the counts the contract reports.
#[derive(Default)]
struct RemoveTally {
    items: Vec<RemoveItemResult>,
    deleted: i64,
    skipped: i64,
    removed: i64,
    failed: i64,
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
    let target = RemoveTarget {
        exec,
        server_id,
        actor,
    };
    let home = target.home().await?;
    let mut t = RemoveTally::default();
    for f in &r.files {
        remove_file(&target, &home, f, &mut t).await;
    }
    for p in &r.packages {
        t.skipped += 1;
        t.items.push(RemoveItemResult {
            item: p.clone(),
            item_type: ItemType::Package,
            action: RemoveAction::Skipped,
            success: true,
            backup_path: None,
            note: Some(PACKAGE_NOTE.into()),
            error: None,
        });
    }
    for k in &r.env_vars {
        remove_env_var(&target, k, &mut t).await;
    }
    for (k, file) in &r.config_files {
        restore_config_file(&target, &home, k, file, &mut t).await;
    }
    if t.failed == 0 && pack_id != "base" && assigned.iter().any(|p| p == pack_id) {
        drop_assignment(db, server_id, pack_id, assigned).await;
    }
    Ok(RemoveResponse {
        server_id: server_id.into(),
        pack_name: pack_id.into(),
        success: t.failed == 0,
        items: t.items,
        items_deleted: t.deleted,
        items_skipped: t.skipped,
        items_removed: t.removed,
        items_failed: t.failed,
        removed_at: Utc::now(),
    })
}

/// A managed file: restored from the backup apply made, else deleted.
async fn remove_file(target: &RemoveTarget<'_>, home: &str, f: &str, t: &mut RemoveTally) {
    if f.starts_with("~/") && !home.starts_with('/') {
        t.failed += 1;
        t.items.push(failed_item(f, ItemType::File, NO_HOME.into()));
        return;
    }
    let path = plan::absolute(f, home);
    let sudo = !f.starts_with("~/");
    let step = apply_script::restore_or_delete(f, &path, sudo);
    let (action, backup_path, error) = match target.run(&step).await {
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
    // `action` is the script's own word (or "failed" when it failed).
    let (action, note) = match action.as_str() {
        "restored" => (
            RemoveAction::Deleted,
            Some("the file HomelabCmd replaced is back from its backup".to_string()),
        ),
        "absent" => (RemoveAction::Skipped, Some("already gone".to_string())),
        "failed" => (RemoveAction::Failed, None),
        _ => (RemoveAction::Deleted, None),
    };
    match action {
        RemoveAction::Deleted => t.deleted += 1,
        RemoveAction::Skipped => t.skipped += 1,
        RemoveAction::Removed => t.removed += 1,
        RemoveAction::Failed => t.failed += 1,
    }
    t.items.push(RemoveItemResult {
        item: f.to_string(),
        item_type: ItemType::File,
        note,
        action,
        success,
        backup_path,
        error,
    });
}

/// An environment variable: dropped from the managed profile block.
async fn remove_env_var(target: &RemoveTarget<'_>, k: &str, t: &mut RemoveTally) {
    let step = apply_script::unset_env(k);
    let error = match target.run(&step).await {
        Ok(out) if out.success() => None,
        Ok(out) => Some(failure_text(&out)),
        Err(e) => Some(e.to_string()),
    };
    let success = error.is_none();
    if success {
        t.removed += 1;
    } else {
        t.failed += 1;
    }
    t.items.push(RemoveItemResult {
        item: k.to_string(),
        item_type: ItemType::Setting,
        action: if success {
            RemoveAction::Removed
        } else {
            RemoveAction::Failed
        },
        success,
        backup_path: None,
        note: None,
        error,
    });
}

/// A config-line setting: its file comes back from the backup apply made;
/// without one the file is left as it is (skipped).
async fn restore_config_file(
    target: &RemoveTarget<'_>,
    home: &str,
    k: &str,
    file: &str,
    t: &mut RemoveTally,
) {
    if file.starts_with("~/") && !home.starts_with('/') {
        t.failed += 1;
        t.items
            .push(failed_item(k, ItemType::Setting, NO_HOME.into()));
        return;
    }
    let step =
        apply_script::restore_backup(k, &plan::absolute(file, home), !file.starts_with("~/"));
    let r = target.run(&step).await;
    let item = match r {
        Ok(out) if out.success() => {
            let restored =
                apply_script::reported_action(&out.stdout).as_deref() == Some("restored");
            if restored {
                t.removed += 1;
            } else {
                t.skipped += 1;
            }
            RemoveItemResult {
                item: k.to_string(),
                item_type: ItemType::Setting,
                action: if restored {
                    RemoveAction::Removed
                } else {
                    RemoveAction::Skipped
                },
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
            t.failed += 1;
            failed_item(
                k,
                ItemType::Setting,
                match other {
                    Ok(out) => failure_text(&out),
                    Err(e) => e.to_string(),
                },
            )
        }
    };
    t.items.push(item);
}

/// After a clean removal the pack leaves the machine's assignment; a
/// failure here is logged (the host is already clean).
async fn drop_assignment(db: &Db, server_id: &str, pack_id: &str, assigned: &[String]) {
    let keep: Vec<String> = assigned.iter().filter(|p| *p != pack_id).cloned().collect();
    if let Err(e) = db::packs::set_assignment(db, server_id, &keep, None, now_ms()).await {
        tracing::error!(server_id, error = %e, "dropping a removed pack from the assignment failed");
    }
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
        p.record(ItemType::File, "~/a".into(), "created".into(), Ok(None));
        p.record(
            ItemType::File,
            "~/b".into(),
            "updated".into(),
            Err("boom".into()),
        );
        let row = db::packs::ApplyRunRow {
            id: 7,
            server_id: "m".into(),
            pack_name: "base".into(),
            status: ApplyStatus::Running,
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
            status: ApplyStatus::Completed,
            ..row.clone()
        });
        assert_eq!(done.progress, 100);
        let garbage = status_response(db::packs::ApplyRunRow {
            items: Some("not json".into()),
            ..row
        });
        assert_eq!(garbage.items_total, 0);
    }

    // ------------------------------------------- runs against a scripted host

    use homelabcmd_core::packs::compare;
    use homelabcmd_core::packs::report;
    use homelabcmd_ssh::SshError;

    use crate::compliance::CHECK_ACTION;
    use crate::compliance::testing::{self, GITCONFIG, HOME, SERVER};
    use crate::remote::scripted::{Call, ScriptedExec, ok, output};

    fn step_call(audit_action: &'static str, step: RemoteStep) -> Call {
        Call::Step {
            server_id: SERVER.into(),
            audit_action,
            actor: "t".into(),
            step,
        }
    }

    fn is_check(c: &Call) -> bool {
        matches!(c, Call::Script { audit_action, label, .. }
            if *audit_action == CHECK_ACTION && label == "pack check: dev")
    }

    /// The commands the plan made from `host_report` runs.
    fn planned_steps(pack: &ResolvedPack, host_report: &[u8]) -> Vec<RemoteStep> {
        let r = report::parse(host_report, pack.counts());
        let verdict = compare(pack, &r);
        plan::plan(pack, &r, &verdict)
            .steps
            .iter()
            .filter_map(apply_script::for_step)
            .collect()
    }

    /// Start run `id` as the API does, run it to the end against `exec`,
    /// and read back the stored row.
    async fn apply_with(
        outbox: &Outbox,
        exec: &ScriptedExec,
    ) -> (db::packs::ApplyRunRow, ApplyStatusResponse) {
        let pack = testing::pack();
        let id = db::packs::start_apply_run(
            &outbox.db,
            SERVER,
            "dev",
            "t",
            &Progress::default().json(),
            now_ms(),
        )
        .await
        .unwrap()
        .unwrap();
        run_and_finish(outbox, exec, id, SERVER, &pack, "t").await;
        let row = db::packs::apply_run(&outbox.db.read, SERVER, id)
            .await
            .unwrap()
            .unwrap();
        (row.clone(), status_response(row))
    }

    fn results(s: &ApplyStatusResponse) -> Vec<(String, String, String, bool)> {
        s.items
            .iter()
            .map(|i| {
                (
                    i.item_type.map(|t| t.to_string()).unwrap_or_default(),
                    i.item.clone(),
                    i.action.clone(),
                    i.success,
                )
            })
            .collect()
    }

    fn item(t: &str, item: &str, action: &str, success: bool) -> (String, String, String, bool) {
        (t.into(), item.into(), action.into(), success)
    }

    #[tokio::test]
    async fn apply_runs_the_plans_steps_in_order_and_records_each_item_and_the_recheck() {
        let (outbox, _dir) = testing::outbox().await;
        let pack = testing::pack();
        let after = testing::report(&[
            testing::gitconfig(GITCONFIG),
            testing::local_bin(true),
            testing::jq(false),
            testing::editor(Some("vim")),
        ]);
        let exec = ScriptedExec::new([
            Ok(ok(testing::drifted())),
            Ok(ok("")),
            Ok(ok(format!("backup\t{HOME}/.gitconfig.homelabcmd.bak\n"))),
            Ok(output(
                100,
                "",
                "Reading package lists...\nE: Unable to locate package jq\n",
            )),
            Ok(ok("")),
            Ok(ok(after)),
        ]);
        let (row, s) = apply_with(&outbox, &exec).await;

        // Directories, files, packages, settings: each step once, as planned.
        let steps = planned_steps(&pack, &testing::drifted());
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "create directory ~/.local/bin",
                "write ~/.gitconfig",
                "apt-get install jq",
                "set EDITOR in the login profile"
            ]
        );
        let write = &steps[1];
        assert_eq!(write.stdin.as_deref(), Some(GITCONFIG.as_bytes()));
        assert_eq!(
            write.argv[4..],
            [
                format!("{HOME}/.gitconfig"),
                "0644".to_string(),
                "-".to_string(),
                compare::sha256_hex(testing::HOST_GITCONFIG.as_bytes()),
            ]
        );
        let sudo: Vec<bool> = steps.iter().map(|s| s.sudo).collect();
        assert_eq!(sudo, [false, false, true, false]);
        let calls = exec.calls();
        assert_eq!(calls.len(), 6);
        assert!(is_check(&calls[0]) && is_check(&calls[5]), "{calls:?}");
        let want: Vec<Call> = steps
            .into_iter()
            .map(|s| step_call(APPLY_ACTION, s))
            .collect();
        assert_eq!(calls[1..5], want);

        // The failed install is recorded and the next step still runs; the
        // re-check is stored and linked.
        assert_eq!((row.status.as_str(), row.error), ("completed", None));
        assert_eq!(
            results(&s),
            [
                item("directory", "~/.local/bin", "directory_created", true),
                item("file", "~/.gitconfig", "updated", true),
                item("package", "jq", "failed", false),
                item("setting", "EDITOR", "set", true),
            ]
        );
        assert_eq!(
            s.items[1].backup_path.as_deref(),
            Some("/home/alice/.gitconfig.homelabcmd.bak")
        );
        assert_eq!(
            s.items[2].error.as_deref(),
            Some(
                "Reading package lists... / E: Unable to locate package jq (exit code 100) — \
                 the host's package lists may be stale: run apt-get update on it"
            )
        );
        assert_eq!(
            (s.items_total, s.items_completed, s.items_failed),
            (4, 3, 1)
        );
        let latest = db::packs::latest_check(&outbox.db.read, SERVER, "dev")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.recheck,
            Some(ApplyRecheck {
                check_id: latest.id,
                is_compliant: false,
                mismatch_count: 1,
            })
        );
        assert_eq!(
            db::packs::count_checks(&outbox.db.read, SERVER)
                .await
                .unwrap(),
            2
        );
    }

    #[tokio::test]
    async fn a_step_that_cannot_run_stops_the_apply() {
        let (outbox, _dir) = testing::outbox().await;
        let exec = ScriptedExec::new([
            Ok(ok(testing::drifted())),
            Ok(ok("")),
            Err(ExecError::Ssh(SshError::ConnectFailed {
                addr: "nas.lan:22".into(),
                reason: "connection refused".into(),
            })),
        ]);
        let (row, s) = apply_with(&outbox, &exec).await;
        // No further step, no re-check.
        assert_eq!(exec.calls().len(), 3);
        assert_eq!(exec.unused(), 0);
        assert_eq!(row.status, ApplyStatus::Failed);
        assert_eq!(
            row.error.as_deref(),
            Some("stopped: could not connect to nas.lan:22: connection refused")
        );
        assert_eq!(
            results(&s),
            [
                item("directory", "~/.local/bin", "directory_created", true),
                item("file", "~/.gitconfig", "failed", false),
            ]
        );
        assert_eq!((s.items_total, s.recheck), (4, None));
        assert_eq!(
            db::packs::count_checks(&outbox.db.read, SERVER)
                .await
                .unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn applying_a_compliant_pack_runs_no_step() {
        let (outbox, _dir) = testing::outbox().await;
        let exec = ScriptedExec::new([Ok(ok(testing::compliant())), Ok(ok(testing::compliant()))]);
        let (row, s) = apply_with(&outbox, &exec).await;
        let calls = exec.calls();
        assert_eq!(calls.len(), 2);
        assert!(calls.iter().all(is_check), "{calls:?}");
        assert_eq!((row.status.as_str(), row.error), ("completed", None));
        assert_eq!((s.items_total, s.items.len()), (0, 0));
        let recheck = s.recheck.unwrap();
        assert_eq!((recheck.is_compliant, recheck.mismatch_count), (true, 0));
    }

    #[tokio::test]
    async fn the_dry_run_checks_and_runs_no_step() {
        let (outbox, _dir) = testing::outbox().await;
        let exec = ScriptedExec::new([Ok(ok(testing::drifted()))]);
        let p = preview(&outbox, &exec, SERVER, &testing::pack(), "t")
            .await
            .unwrap();
        assert_eq!((p.total_items, p.needs_sudo), (4, true));
        let calls = exec.calls();
        assert_eq!(calls.len(), 1);
        assert!(is_check(&calls[0]), "{calls:?}");
    }

    #[tokio::test]
    async fn remove_restores_or_deletes_only_what_the_removal_says() {
        let (outbox, _dir) = testing::outbox().await;
        let set = packs(&[
            (
                "base",
                "name: B\nitems:\n  files:\n    - path: ~/.shared\n      content: \"b\\n\"\n",
            ),
            (
                "dev",
                "name: D\nitems:\n  files:\n    - path: ~/.gitconfig\n      content: \"g\\n\"\n    - path: /etc/motd\n      content: \"hi\\n\"\n    - path: ~/.only-checked\n    - path: ~/.shared\n      content: \"b\\n\"\n  packages:\n    - name: jq\n  settings:\n    - key: EDITOR\n      expected: vim\n      type: env_var\n    - key: level\n      expected: info\n      type: config\n      file: /etc/app.conf\n",
            ),
        ]);
        let r = removal(&set.own["dev"].doc.items, &[set.get("base").unwrap()]);
        let assigned = ["base".to_string(), "dev".to_string()];
        let exec = ScriptedExec::new([
            Ok(ok(format!("{HOME}\n"))),
            Ok(ok(format!("restored\t{HOME}/.gitconfig.homelabcmd.bak\n"))),
            Ok(ok("deleted\t-\n")),
            Ok(ok("")),
            Ok(ok("kept\t-\n")),
        ]);
        let done = remove(&outbox.db, &exec, SERVER, "dev", &r, &assigned, "t")
            .await
            .unwrap();

        let calls = exec.calls();
        let Call::Step { step: home, .. } = &calls[0] else {
            panic!("{calls:?}")
        };
        assert_eq!((home.label.as_str(), home.sudo), ("read $HOME", false));
        assert_eq!(
            calls[1..],
            [
                step_call(
                    REMOVE_ACTION,
                    apply_script::restore_or_delete(
                        "~/.gitconfig",
                        "/home/alice/.gitconfig",
                        false
                    )
                ),
                step_call(
                    REMOVE_ACTION,
                    apply_script::restore_or_delete("/etc/motd", "/etc/motd", true)
                ),
                step_call(REMOVE_ACTION, apply_script::unset_env("EDITOR")),
                step_call(
                    REMOVE_ACTION,
                    apply_script::restore_backup("level", "/etc/app.conf", true)
                ),
            ]
        );

        let got: Vec<_> = done
            .items
            .iter()
            .map(|i| {
                (
                    i.item_type.as_str(),
                    i.item.as_str(),
                    i.action.as_str(),
                    i.success,
                    i.backup_path.as_deref(),
                    i.note.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "file",
                    "~/.gitconfig",
                    "deleted",
                    true,
                    Some("/home/alice/.gitconfig.homelabcmd.bak"),
                    Some("the file HomelabCmd replaced is back from its backup")
                ),
                ("file", "/etc/motd", "deleted", true, None, None),
                ("package", "jq", "skipped", true, None, Some(PACKAGE_NOTE)),
                ("setting", "EDITOR", "removed", true, None, None),
                (
                    "setting",
                    "level",
                    "skipped",
                    true,
                    None,
                    Some("/etc/app.conf has no backup from HomelabCmd: left as it is")
                ),
            ]
        );
        assert!(done.success);
        assert_eq!(
            (
                done.items_deleted,
                done.items_skipped,
                done.items_removed,
                done.items_failed
            ),
            (2, 2, 1, 0)
        );
        // Removed cleanly: the pack leaves the machine's assignment.
        let row = db::packs::assignment(&outbox.db.read, SERVER)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.packs.as_deref(), Some(r#"["base"]"#));
    }
}
