//! The action lifecycle as functions: create (auto-approved unless the
//! machine is in maintenance), approve, reject, cancel. Each transition is
//! one conditional UPDATE in `db::actions` with its audit entry, so racing
//! requests cannot both win; the HTTP handlers only parse and map.

use homelabcmd_core::catalog::{self, CatalogAction};
use homelabcmd_protocol::actions::{ActionStatus, ActionType};

use crate::actions::{canonical_command, spawn_execution};
use crate::db;
use crate::db::actions::{ActionRow, Inserted, NewAction};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use homelabcmd_core::audit::{AuditEntry, AuditOutcome};

/// Who approves/rejects through the API (HomelabCmd's name for it).
pub const OPERATOR: &str = "dashboard";

/// Build the catalog action (a refusal is audited and answered 403), store
/// the row (approved by `auto` unless the machine is paused) and start it.
pub async fn create(
    state: &AppState,
    server_id: &str,
    action_type: ActionType,
    build: impl FnOnce(&[String]) -> Result<CatalogAction, catalog::Rejection>,
    alert_id: Option<i64>,
) -> ApiResult<Inserted> {
    let server = db::servers::get(&state.db.read, server_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Server", server_id))?;
    let security: Vec<String> = db::packages::list(&state.db, server_id)
        .await?
        .into_iter()
        .filter(|p| p.is_security)
        .map(|p| p.name)
        .collect();
    let action = match build(&security) {
        Ok(a) => a,
        Err(rej) => {
            state
                .executor
                .audit_rejected(OPERATOR, server_id, action_type.as_str(), &rej.reason)
                .await?;
            return Err(ApiError::Forbidden(rej.reason));
        }
    };
    let command = canonical_command(&action);
    let service_name = match &action {
        CatalogAction::Service { unit, .. } => Some(unit.as_str()),
        CatalogAction::Container { name, .. } => Some(name.as_str()),
        _ => None,
    };
    let approved_by = (!server.is_paused).then_some("auto");
    let mut audit = AuditEntry::new(
        OPERATOR,
        Some(server_id),
        "action_create",
        AuditOutcome::Allowed,
    );
    audit.argv = Some(action.argv());
    audit.reason = Some(format!(
        "{} ({})",
        action.summary(),
        if server.is_paused {
            "machine in maintenance: awaiting approval"
        } else {
            "auto-approved"
        }
    ));
    let new = NewAction {
        server_id,
        action_type,
        service_name,
        command: &command,
        alert_id,
        created_by: OPERATOR,
        approved_by,
    };
    let inserted = db::actions::insert(&state.db, &new, &audit).await?;
    if let Inserted::Created(row) = &inserted
        && row.status == ActionStatus::Approved
    {
        spawn_execution(state.clone(), row.id);
    }
    Ok(inserted)
}

/// One stored action, or 404.
pub async fn load(state: &AppState, id: i64) -> ApiResult<ActionRow> {
    db::actions::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Action", &id.to_string()))
}

/// A transition that did not apply: 404 if the action does not exist, else
/// 409 naming its status.
async fn refused(state: &AppState, id: i64, what: &str, allowed: &str) -> ApiError {
    match load(state, id).await {
        Ok(row) => ApiError::Conflict(format!(
            "Cannot {what} action {id}: it is '{}' (only {allowed} actions can be)",
            row.status
        )),
        Err(e) => e,
    }
}

fn entry(
    row_server: Option<&str>,
    action: &str,
    outcome: AuditOutcome,
    reason: String,
) -> AuditEntry {
    let mut e = AuditEntry::new(OPERATOR, row_server, action, outcome);
    e.reason = Some(reason);
    e
}

/// pending → approved, then it runs in the background.
pub async fn approve(state: &AppState, action_id: i64) -> ApiResult<ActionRow> {
    let server = load(state, action_id).await?.server_id;
    let audit = entry(
        Some(&server),
        "action_approve",
        AuditOutcome::Allowed,
        format!("action {action_id} approved"),
    );
    let Some(row) = db::actions::approve(&state.db, action_id, OPERATOR, &audit).await? else {
        return Err(refused(state, action_id, "approve", "pending").await);
    };
    spawn_execution(state.clone(), row.id);
    Ok(row)
}

/// pending → rejected, with a reason.
pub async fn reject(state: &AppState, action_id: i64, reason: &str) -> ApiResult<ActionRow> {
    let server = load(state, action_id).await?.server_id;
    let audit = entry(
        Some(&server),
        "action_reject",
        AuditOutcome::Rejected,
        format!("action {action_id} rejected: {reason}"),
    );
    match db::actions::reject(&state.db, action_id, OPERATOR, reason, &audit).await? {
        Some(row) => Ok(row),
        None => Err(refused(state, action_id, "reject", "pending").await),
    }
}

/// pending or approved (not started) → cancelled.
pub async fn cancel(state: &AppState, action_id: i64) -> ApiResult<ActionRow> {
    let server = load(state, action_id).await?.server_id;
    let audit = entry(
        Some(&server),
        "action_cancel",
        AuditOutcome::Rejected,
        format!("action {action_id} cancelled"),
    );
    match db::actions::cancel(&state.db, action_id, OPERATOR, &audit).await? {
        Some(row) => Ok(row),
        None => Err(refused(state, action_id, "cancel", "pending or approved").await),
    }
}
