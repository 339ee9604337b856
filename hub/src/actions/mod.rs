//! Remediation actions: what an action row means to the catalog, and its
//! execution in the background.
//!
//! Lifecycle (each step is one conditional UPDATE in `db::actions`, so a
//! racing approve / cancel / start cannot both win):
//!
//! ```text
//! create ─┬─ machine paused ──▶ pending ──approve──▶ approved ─▶ executing ─▶ completed | failed
//!         │                       │  └──reject──▶ rejected          ▲
//!         └─ otherwise (approved_by "auto") ──────────────────────────┘
//!                      pending | approved ──cancel──▶ cancelled
//! ```
//!
//! The row's `command` is the action in the catalog's own syntax
//! ([`canonical_command`]); execution parses it again, so a row can only
//! ever run what the catalog allows for its `action_type`.

pub mod lifecycle;

use homelabcmd_core::catalog::{
    self, AptUpgrade, CatalogAction, ContainerVerb, CustomCommands, Rejection, ServiceVerb,
    VacuumLimit,
};
use homelabcmd_protocol::actions::ActionStatus;
use homelabcmd_protocol::api::ActionResponse;

use crate::db::{self, actions::ActionRow, opt_dt, to_dt};
use crate::remote::executor::Wait;
use crate::state::AppState;

/// The action as a command string that [`catalog::parse`] maps back to the
/// same action. Every word passed a catalog pattern, so no quoting is needed.
pub fn canonical_command(a: &CatalogAction) -> String {
    match a {
        CatalogAction::Service { verb, unit } => {
            let v = match verb {
                ServiceVerb::Restart => "restart",
                ServiceVerb::Start => "start",
                ServiceVerb::Stop => "stop",
                ServiceVerb::Status => "status",
            };
            format!("systemctl {v} {unit}")
        }
        CatalogAction::Container { verb, name } => {
            let v = match verb {
                ContainerVerb::Restart => "restart",
                ContainerVerb::Start => "start",
                ContainerVerb::Stop => "stop",
            };
            format!("docker {v} {name}")
        }
        CatalogAction::JournalVacuum(VacuumLimit::Days(d)) => {
            format!("journalctl --vacuum-time={d}d")
        }
        CatalogAction::JournalVacuum(VacuumLimit::Megabytes(m)) => {
            format!("journalctl --vacuum-size={m}M")
        }
        CatalogAction::DockerImagePrune { all: false } => "docker image prune --force".into(),
        CatalogAction::DockerImagePrune { all: true } => "docker image prune --force --all".into(),
        CatalogAction::AptUpdate => "apt-get update".into(),
        CatalogAction::AptUpgrade(AptUpgrade::All) => "apt-get dist-upgrade".into(),
        CatalogAction::AptUpgrade(AptUpgrade::Packages(p)) => {
            format!("apt-get install --only-upgrade {}", p.join(" "))
        }
        CatalogAction::Reboot => "systemctl reboot".into(),
        CatalogAction::Custom { name, .. } => name.clone(),
    }
}

/// The catalog action a stored row stands for.
pub fn action_of(row: &ActionRow, custom: &CustomCommands) -> Result<CatalogAction, Rejection> {
    catalog::parse(&row.command, row.action_type, custom)
}

/// Run an approved action in the background.
pub fn spawn_execution(state: AppState, id: i64) {
    tokio::spawn(async move {
        if let Err(e) = execute(&state, id).await {
            tracing::error!(action_id = id, error = ?e, "action execution failed to record");
        }
    });
}

/// approved → executing → completed / failed. Does nothing if the action
/// is no longer approved (cancelled meanwhile).
async fn execute(state: &AppState, id: i64) -> anyhow::Result<()> {
    let Some(row) = db::actions::start(&state.db, id).await? else {
        return Ok(());
    };
    let actor = row.approved_by.clone().unwrap_or_else(|| "auto".into());
    let finished = match action_of(&row, &state.config.commands) {
        Err(rej) => {
            // A configured command removed since the action was queued.
            state
                .executor
                .audit_rejected(
                    &actor,
                    &row.server_id,
                    row.action_type.as_str(),
                    &rej.reason,
                )
                .await?;
            (None, String::new(), rej.reason)
        }
        Ok(action) => match state
            .executor
            .run(&row.server_id, &action, &actor, Wait::Yes)
            .await
        {
            Ok(out) => (
                Some(out.exit_code.map_or(-1, i64::from)),
                out.stdout_text(),
                out.stderr_text(),
            ),
            Err(e) => (None, String::new(), e.to_string()),
        },
    };
    let (exit_code, stdout, stderr) = finished;
    let status = if exit_code == Some(0) {
        ActionStatus::Completed
    } else {
        ActionStatus::Failed
    };
    tracing::info!(action_id = id, server_id = %row.server_id, %status, ?exit_code, "action finished");
    db::actions::finish(
        &state.db,
        id,
        &db::actions::Finished {
            status,
            exit_code,
            stdout: &stdout,
            stderr: &stderr,
        },
    )
    .await?;
    Ok(())
}

/// At start-up: fail actions a previous run left executing, run the
/// approved ones.
pub async fn resume(state: AppState) {
    match db::actions::recover(&state.db).await {
        Ok(ids) => {
            for id in ids {
                spawn_execution(state.clone(), id);
            }
        }
        Err(e) => tracing::error!(error = %e, "could not recover actions"),
    }
}

/// The API view of a stored action.
pub fn to_response(a: ActionRow) -> ActionResponse {
    ActionResponse {
        id: a.id,
        server_id: a.server_id,
        action_type: a.action_type,
        status: a.status,
        service_name: a.service_name,
        command: a.command,
        alert_id: a.alert_id,
        created_at: to_dt(a.created_at),
        created_by: a.created_by,
        approved_at: opt_dt(a.approved_at),
        approved_by: a.approved_by,
        rejected_at: opt_dt(a.rejected_at),
        rejected_by: a.rejected_by,
        rejection_reason: a.rejection_reason,
        executed_at: opt_dt(a.executed_at),
        completed_at: opt_dt(a.completed_at),
        exit_code: a.exit_code,
        stdout: a.stdout,
        stderr: a.stderr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homelabcmd_core::catalog::CustomCommand;
    use homelabcmd_protocol::actions::ActionType;
    use std::time::Duration;

    #[test]
    fn canonical_commands_parse_back_to_the_same_action() {
        let mut custom = CustomCommands::new();
        custom.insert(
            "backup-now".into(),
            CustomCommand {
                argv: vec!["/usr/local/bin/backup".into()],
                sudo: false,
                timeout: Duration::from_secs(5),
            },
        );
        let pkgs = vec!["openssl".to_owned(), "libssl3".to_owned()];
        let cases = [
            (ActionType::RestartService, Some("nginx.service"), None),
            (ActionType::ClearLogs, None, None),
            (ActionType::AptUpdate, None, None),
            (ActionType::AptUpgradeAll, None, None),
            (ActionType::AptUpgradeSecurity, None, None),
            (ActionType::Reboot, None, None),
            (ActionType::Custom, None, Some("backup-now")),
        ];
        for (t, service, name) in cases {
            let a = catalog::for_action_type(t, service, &pkgs, name, &custom).unwrap();
            let text = canonical_command(&a);
            assert_eq!(
                catalog::parse(&text, t, &custom),
                Ok(a.clone()),
                "{t}: {text}"
            );
        }
        for a in [
            CatalogAction::DockerImagePrune { all: true },
            CatalogAction::JournalVacuum(VacuumLimit::Megabytes(500)),
        ] {
            assert_eq!(
                catalog::parse(&canonical_command(&a), ActionType::ClearLogs, &custom),
                Ok(a)
            );
        }
        assert_eq!(
            canonical_command(
                &catalog::for_action_type(
                    ActionType::RestartService,
                    Some("plex"),
                    &[],
                    None,
                    &custom
                )
                .unwrap()
            ),
            "systemctl restart plex"
        );
    }
}
