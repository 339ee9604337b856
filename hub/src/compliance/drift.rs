//! Drift alerts: after every stored compliance check (`compliance::run_check`:
//! the API's check, apply's re-check, the drift scheduler) the machine's
//! `config_drift` alert for that pack is opened, reworded or resolved.
//!
//! - One alert per machine and pack: condition key `config_drift:<pack>`,
//!   `alert_type` `config_drift`, severity `high` (the dashboard's amber
//!   "warning" triangle; pushed to channels under `notify_on_high`).
//! - The decision is pure ([`decide`]); [`record`] loads the active alert,
//!   applies the decision and queues notifications in one transaction, with
//!   the same mute rules as the alert runner (maintenance mode, snooze,
//!   `notify_on_auto_resolve`).
//! - Only drift from an assigned pack on a machine with drift detection on
//!   opens an alert; a compliant check resolves it in every case. A check
//!   that could not run never gets here, and a report that could not be read
//!   (only `report` errors, no item found different) changes nothing.

use anyhow::Context as _;
use homelabcmd_protocol::packs::{DiffMismatchItem, ItemCategory};

use crate::alerts::runner::event_from_row;
use crate::db::{self, Db, now_ms};
use crate::notify::{self, AlertEvent, EventKind, Outbox};
use homelabcmd_core::alerts::engine::{AlertType, Severity};
use homelabcmd_core::packs::{Comparison, ResolvedPack, fleet};

/// `alert_type` of a drift alert.
pub const ALERT_TYPE: AlertType = AlertType::ConfigDrift;
/// Drift is worth a push but is not an outage.
pub const SEVERITY: Severity = Severity::High;
/// Mismatched items named in the message; the rest are counted.
const ITEMS_IN_MESSAGE: usize = 5;

/// Condition key of the drift alert for `pack`.
pub fn condition_key(pack: &str) -> String {
    format!("{ALERT_TYPE}:{pack}")
}

/// What a check says about drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Compliant,
    /// Items differ; the alert text to show.
    Drift {
        title: String,
        message: String,
    },
    /// The report could not be read: neither drift nor its absence.
    Inconclusive,
}

/// Pure: the verdict of `c` for `pack` on `server_id`.
pub fn verdict(c: &Comparison, pack: &ResolvedPack, server_id: &str) -> Verdict {
    if c.is_compliant() {
        return Verdict::Compliant;
    }
    let items = differing_items(&c.mismatches);
    if items.is_empty() {
        return Verdict::Inconclusive;
    }
    let n = c.mismatched_items.max(items.len());
    let noun = if n == 1 {
        "item differs"
    } else {
        "items differ"
    };
    let title = format!("Config drift: {n} {noun} from {}", pack.name);
    let mut listed: Vec<String> = items.iter().take(ITEMS_IN_MESSAGE).cloned().collect();
    if items.len() > ITEMS_IN_MESSAGE {
        listed.push(format!("and {} more", items.len() - ITEMS_IN_MESSAGE));
    }
    let message = format!(
        "{n} of {} items of pack {} ({}) differ: {}. Details: GET /api/v1/servers/{server_id}/config/diff?pack={}",
        c.total_items,
        pack.name,
        pack.id,
        listed.join(", "),
        pack.id
    );
    Verdict::Drift { title, message }
}

/// `item (kind)` per differing item, in report order, each once; report
/// errors are not items.
fn differing_items(mismatches: &[DiffMismatchItem]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<(ItemCategory, &str)> = Vec::new();
    for m in mismatches
        .iter()
        .filter(|m| m.category != ItemCategory::Report)
    {
        if seen.contains(&(m.category, m.item.as_str())) {
            continue;
        }
        seen.push((m.category, &m.item));
        // The wire name (`missing_file`) in words.
        let kind = m.kind.as_str().replace('_', " ");
        out.push(format!("{} ({kind})", m.item));
    }
    out
}

/// The active drift alert, as [`decide`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    pub id: i64,
    pub title: String,
    pub message: String,
}

/// What to do with the drift alert of one machine and pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Nothing,
    Open {
        title: String,
        message: String,
    },
    /// Still drifting, but differently: new text, no new message.
    Update {
        id: i64,
        title: String,
        message: String,
    },
    /// Fixed: resolve (automatically).
    Resolve {
        id: i64,
    },
}

/// Pure: given the active alert, the new verdict and whether the pack is
/// tracked (assigned, drift detection on), what to do.
pub fn decide(active: Option<&Active>, verdict: &Verdict, tracked: bool) -> Action {
    match (verdict, active) {
        (Verdict::Inconclusive, _) | (Verdict::Compliant, None) => Action::Nothing,
        (Verdict::Compliant, Some(a)) => Action::Resolve { id: a.id },
        (Verdict::Drift { title, message }, Some(a)) => {
            if a.title == *title && a.message == *message {
                Action::Nothing
            } else {
                Action::Update {
                    id: a.id,
                    title: title.clone(),
                    message: message.clone(),
                }
            }
        }
        (Verdict::Drift { title, message }, None) if tracked => Action::Open {
            title: title.clone(),
            message: message.clone(),
        },
        (Verdict::Drift { .. }, None) => Action::Nothing,
    }
}

fn active_of(row: &db::alerts::AlertRow) -> Active {
    Active {
        id: row.id,
        title: row.title.clone(),
        message: row.message.clone().unwrap_or_default(),
    }
}

/// Whether drift of `pack` on the machine should open alerts: the pack is
/// assigned (or a machine-type default) and drift detection is on.
async fn tracked(db: &Db, server_id: &str, pack: &str) -> sqlx::Result<bool> {
    let Some(row) = db::packs::assignment(&db.read, server_id).await? else {
        return Ok(false);
    };
    let packs = fleet::assigned_packs(row.packs.as_deref(), row.machine_type);
    Ok(row.drift_detection_enabled && packs.iter().any(|p| p == pack))
}

/// Open, reword or resolve the drift alert of `pack` on `server_id` after
/// a stored check, with its notifications.
pub async fn record(
    outbox: &Outbox,
    server_id: &str,
    pack: &ResolvedPack,
    c: &Comparison,
) -> anyhow::Result<()> {
    let db = &outbox.db;
    let v = verdict(c, pack, server_id);
    if v == Verdict::Inconclusive {
        return Ok(());
    }
    let key = condition_key(&pack.id);
    let tracked = tracked(db, server_id, &pack.id).await?;
    // Most checks change nothing: decide on a read first, so they never
    // queue behind the single writer.
    let seen = db::drift::active_alert(&db.read, server_id, &key).await?;
    if decide(seen.as_ref().map(active_of).as_ref(), &v, tracked) == Action::Nothing {
        return Ok(());
    }
    let Some(server) = db::servers::get(&db.read, server_id).await? else {
        return Ok(());
    };
    let name = server
        .display_name
        .clone()
        .unwrap_or(server.hostname.clone());
    let config = &outbox.config;
    let notif = notify::load_settings(db).await?;
    let channels = notify::channels(&notif, config);
    let link = notify::machine_link(config.external_url.as_deref(), server_id);
    let now = now_ms();
    let allowed = |ev: &AlertEvent, snoozed: Option<i64>| {
        !channels.is_empty() && notify::should_notify(&notif, ev, server.is_paused, snoozed, now)
    };
    let mut queued = false;
    let mut tx = db.write.begin().await?;
    // Decide again inside the transaction: a concurrent check may have
    // opened or resolved it meanwhile.
    let active = db::drift::active_alert(&mut *tx, server_id, &key).await?;
    match decide(active.as_ref().map(active_of).as_ref(), &v, tracked) {
        Action::Nothing => {}
        Action::Open { title, message } => {
            let Some(id) = db::alerts::open_external(
                &mut tx, server_id, &key, ALERT_TYPE, SEVERITY, &title, &message, now,
            )
            .await?
            else {
                return Ok(());
            };
            tracing::info!(server_id, alert_id = id, pack = %pack.id, "config drift alert opened");
            let ev = AlertEvent {
                kind: EventKind::Opened,
                alert_id: Some(id),
                server_id: server_id.to_owned(),
                server_name: name,
                alert_type: ALERT_TYPE.to_string(),
                severity: SEVERITY,
                previous_severity: None,
                title,
                message,
                metric: None,
                value: None,
                threshold: None,
                at: db::to_dt(now),
                link,
                auto_resolved: false,
            };
            if allowed(&ev, None) {
                db::outbox::enqueue(&mut tx, &channels, &ev, now).await?;
                db::alerts::mark_notified(&mut tx, id, now).await?;
                queued = true;
            }
        }
        Action::Update { id, title, message } => {
            db::drift::update_text(&mut tx, id, &title, &message, now).await?;
        }
        Action::Resolve { id } => {
            if db::alerts::resolve(&mut tx, id, true, now).await? {
                tracing::info!(server_id, alert_id = id, pack = %pack.id, "config drift alert auto-resolved");
                // Only alerts people were told about get a "resolved" message.
                if let Some(row) = db::alerts::get_in(&mut tx, id).await?
                    && row.last_notified_at.is_some()
                {
                    let mut ev = event_from_row(&row, &name, link, now);
                    ev.kind = EventKind::Resolved;
                    ev.auto_resolved = true;
                    if allowed(&ev, row.snoozed_until) {
                        db::outbox::enqueue(&mut tx, &channels, &ev, now).await?;
                        queued = true;
                    }
                }
            }
        }
    }
    tx.commit().await.context("committing the drift alert")?;
    if queued {
        outbox.wake.notify_one();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use homelabcmd_protocol::packs::{MismatchActual, MismatchExpected, MismatchType};

    fn pack() -> ResolvedPack {
        ResolvedPack {
            id: "developer-lite".into(),
            name: "Developer Lite".into(),
            description: String::new(),
            version: None,
            extends: Some("base".into()),
            chain: vec!["base".into(), "developer-lite".into()],
            items: Default::default(),
            templates: Default::default(),
        }
    }

    fn mismatch(kind: MismatchType, category: ItemCategory, item: &str) -> DiffMismatchItem {
        DiffMismatchItem {
            kind,
            category,
            item: item.into(),
            expected: MismatchExpected::default(),
            actual: MismatchActual::default(),
            diff: None,
        }
    }

    fn comparison(mismatches: Vec<DiffMismatchItem>, mismatched_items: usize) -> Comparison {
        Comparison {
            mismatches,
            total_items: 12,
            mismatched_items,
        }
    }

    fn drift(title: &str, message: &str) -> Verdict {
        Verdict::Drift {
            title: title.into(),
            message: message.into(),
        }
    }

    #[test]
    fn the_verdict_names_the_pack_and_the_first_items() {
        let c = comparison(
            vec![
                mismatch(MismatchType::MissingFile, ItemCategory::Files, "/etc/a"),
                mismatch(
                    MismatchType::WrongPermissions,
                    ItemCategory::Files,
                    "/etc/b",
                ),
                mismatch(MismatchType::WrongOwner, ItemCategory::Files, "/etc/b"),
                mismatch(MismatchType::MissingPackage, ItemCategory::Packages, "curl"),
            ],
            3,
        );
        let Verdict::Drift { title, message } = verdict(&c, &pack(), "nas") else {
            panic!("drift expected");
        };
        assert_eq!(title, "Config drift: 3 items differ from Developer Lite");
        assert_eq!(
            message,
            "3 of 12 items of pack Developer Lite (developer-lite) differ: /etc/a (missing file), \
             /etc/b (wrong permissions), curl (missing package). \
             Details: GET /api/v1/servers/nas/config/diff?pack=developer-lite"
        );
        let one = comparison(
            vec![mismatch(
                MismatchType::MissingFile,
                ItemCategory::Files,
                "/etc/a",
            )],
            1,
        );
        let Verdict::Drift { title, .. } = verdict(&one, &pack(), "nas") else {
            panic!("drift expected");
        };
        assert_eq!(title, "Config drift: 1 item differs from Developer Lite");
    }

    #[test]
    fn long_lists_are_cut_and_counted() {
        let ms: Vec<_> = (0..8)
            .map(|i| {
                mismatch(
                    MismatchType::MissingPackage,
                    ItemCategory::Packages,
                    &format!("p{i}"),
                )
            })
            .collect();
        let Verdict::Drift { message, .. } = verdict(&comparison(ms, 8), &pack(), "nas") else {
            panic!("drift expected");
        };
        assert!(
            message.contains("p4 (missing package), and 3 more."),
            "{message}"
        );
        assert!(!message.contains("p5"), "{message}");
    }

    #[test]
    fn compliant_and_unreadable_reports() {
        assert_eq!(
            verdict(&comparison(vec![], 0), &pack(), "nas"),
            Verdict::Compliant
        );
        let unreadable = comparison(
            vec![mismatch(
                MismatchType::MissingFile,
                ItemCategory::Report,
                "check report",
            )],
            0,
        );
        assert_eq!(verdict(&unreadable, &pack(), "nas"), Verdict::Inconclusive);
    }

    #[test]
    fn decisions() {
        let active = Active {
            id: 7,
            title: "t".into(),
            message: "m".into(),
        };
        // New drift on a tracked pack opens; untracked drift does not.
        assert_eq!(
            decide(None, &drift("t", "m"), true),
            Action::Open {
                title: "t".into(),
                message: "m".into()
            }
        );
        assert_eq!(decide(None, &drift("t", "m"), false), Action::Nothing);
        // The same drift again: nothing; different drift: new text.
        assert_eq!(
            decide(Some(&active), &drift("t", "m"), true),
            Action::Nothing
        );
        assert_eq!(
            decide(Some(&active), &drift("t", "m2"), true),
            Action::Update {
                id: 7,
                title: "t".into(),
                message: "m2".into()
            }
        );
        // Fixed: resolved, tracked or not; nothing open and compliant: nothing.
        for tracked in [true, false] {
            assert_eq!(
                decide(Some(&active), &Verdict::Compliant, tracked),
                Action::Resolve { id: 7 }
            );
            assert_eq!(decide(None, &Verdict::Compliant, tracked), Action::Nothing);
        }
        // An unreadable report neither opens nor clears.
        assert_eq!(
            decide(Some(&active), &Verdict::Inconclusive, true),
            Action::Nothing
        );
        assert_eq!(decide(None, &Verdict::Inconclusive, true), Action::Nothing);
    }

    /// `record` against a real database: what is stored and what is queued.
    #[tokio::test]
    async fn record_opens_rewords_resolves_and_mutes_in_maintenance() {
        use std::sync::Arc;

        use homelabcmd_protocol::api::ServerCreate;

        use crate::config::Config;
        use crate::db::test_db;

        let (db, _dir) = test_db().await;
        let created = db::servers::create(
            &db,
            &ServerCreate {
                id: "nas".into(),
                hostname: "nas.lan".into(),
                display_name: Some("The NAS".into()),
                ip_address: None,
                tdp_watts: None,
                machine_type: None,
                tailscale_hostname: None,
                offline_threshold_seconds: None,
            },
        )
        .await
        .unwrap();
        assert!(created);
        let config = Config {
            slack_webhook_url: Some("https://hooks.example/services/x".into()),
            ..Config::default()
        };
        let notifications = Outbox {
            db: db.clone(),
            config: Arc::new(config),
            wake: Arc::new(tokio::sync::Notify::new()),
        };
        // A server follows `base` by default.
        let base = ResolvedPack {
            id: "base".into(),
            name: "Base".into(),
            ..pack()
        };
        let missing = |item: &str| {
            comparison(
                vec![mismatch(
                    MismatchType::MissingFile,
                    ItemCategory::Files,
                    item,
                )],
                1,
            )
        };
        let active = || async {
            db::drift::active_alert(&db.read, "nas", "config_drift:base")
                .await
                .unwrap()
        };
        let outbox = || async {
            db::outbox::list(&db)
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    let e = r.event().unwrap();
                    (e.kind, e.auto_resolved, e.server_name)
                })
                .collect::<Vec<_>>()
        };

        record(&notifications, "nas", &base, &missing("/etc/a"))
            .await
            .unwrap();
        let a = active().await.expect("drift opens an alert");
        assert_eq!(
            (
                a.alert_type.as_str(),
                a.severity.as_str(),
                a.status.as_str()
            ),
            ("config_drift", "high", "open")
        );
        assert_eq!(a.title, "Config drift: 1 item differs from Base");
        assert_eq!(
            outbox().await,
            [(EventKind::Opened, false, "The NAS".to_owned())]
        );

        // The same drift: nothing new. Other drift: same alert, new text,
        // no message. An unreadable report: nothing.
        record(&notifications, "nas", &base, &missing("/etc/a"))
            .await
            .unwrap();
        record(&notifications, "nas", &base, &missing("/etc/b"))
            .await
            .unwrap();
        let unreadable = comparison(
            vec![mismatch(
                MismatchType::MissingFile,
                ItemCategory::Report,
                "check report",
            )],
            0,
        );
        record(&notifications, "nas", &base, &unreadable)
            .await
            .unwrap();
        let b = active().await.unwrap();
        assert_eq!(b.id, a.id);
        assert!(b.message.unwrap().contains("/etc/b (missing file)"));
        assert_eq!(outbox().await.len(), 1);

        // Fixed: resolved by itself, and the resolution is sent.
        let fixed = comparison(vec![], 0);
        record(&notifications, "nas", &base, &fixed).await.unwrap();
        assert!(active().await.is_none());
        let row = db::alerts::get(&db, a.id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.auto_resolved), ("resolved", true));
        assert_eq!(
            outbox().await[1],
            (EventKind::Resolved, true, "The NAS".to_owned())
        );

        // Maintenance mode: the alert is recorded, nothing is sent.
        assert!(db::servers::set_paused(&db, "nas", true).await.unwrap());
        record(&notifications, "nas", &base, &missing("/etc/a"))
            .await
            .unwrap();
        assert!(active().await.is_some());
        assert_eq!(outbox().await.len(), 2);
        record(&notifications, "nas", &base, &fixed).await.unwrap();
        assert_eq!(outbox().await.len(), 2, "never announced, so no resolution");

        // Drift detection off, or a pack the machine does not follow: no alert.
        db::packs::set_assignment(&db, "nas", &["base".into()], Some(false), 0)
            .await
            .unwrap();
        record(&notifications, "nas", &base, &missing("/etc/a"))
            .await
            .unwrap();
        assert!(active().await.is_none());
        db::packs::set_assignment(&db, "nas", &["base".into()], Some(true), 0)
            .await
            .unwrap();
        record(&notifications, "nas", &pack(), &missing("/etc/a"))
            .await
            .unwrap();
        let other = db::drift::active_alert(&db.read, "nas", "config_drift:developer-lite")
            .await
            .unwrap();
        assert!(other.is_none());
    }

    #[test]
    fn condition_keys_are_per_pack() {
        assert_eq!(condition_key("base"), "config_drift:base");
    }
}
