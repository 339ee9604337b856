//! Packs across the fleet, as pure functions for the API: machine-type
//! default assignments, assignment validation, the compliance summary, and
//! the API views of loaded packs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use homelabcmd_protocol::api::MachineType;
use homelabcmd_protocol::packs::{
    ComplianceMachineSummary, ComplianceStatus, ComplianceSummaryResponse, ComplianceSummaryStats,
    ConfigPack, ConfigPackMetadata, DiffMismatchItem, DirectoryItem, FileItem, MismatchItem,
    PackItems, PackageItem, ServiceItem, SettingItem,
};

use super::PackSet;
use super::model::{self, Items};

/// The pack every machine follows; an assignment without it is refused.
pub const BASE_PACK: &str = "base";

/// Packs of a machine with no stored assignment: `base` for servers,
/// `base` + `developer-lite` for workstations (someone logs in there).
pub fn default_packs(machine_type: MachineType) -> Vec<String> {
    match machine_type {
        MachineType::Workstation => vec![BASE_PACK.into(), "developer-lite".into()],
        MachineType::Server => vec![BASE_PACK.into()],
    }
}

/// A machine's packs: its stored assignment (a JSON array of pack ids),
/// else — none stored, or unreadable — the machine-type default.
pub fn assigned_packs(stored: Option<&str>, machine_type: MachineType) -> Vec<String> {
    stored
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_else(|| default_packs(machine_type))
}

/// Why an assignment was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentError {
    BaseRequired,
    Unknown(String),
}

/// Check an assignment against the loaded packs: `base` must be present,
/// every name must be a loaded pack. Duplicates are dropped (first kept),
/// `base` is moved first.
pub fn validate_assignment(
    packs: &[String],
    loaded: &PackSet,
) -> Result<Vec<String>, AssignmentError> {
    if !packs.iter().any(|p| p == BASE_PACK) {
        return Err(AssignmentError::BaseRequired);
    }
    if let Some(unknown) = packs.iter().find(|p| loaded.get(p).is_none()) {
        return Err(AssignmentError::Unknown(unknown.clone()));
    }
    let mut out = vec![BASE_PACK.to_owned()];
    for p in packs {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// One machine, for [`summarize`].
pub struct Machine {
    pub id: String,
    pub display_name: String,
}

/// The newest check of one machine against one pack, for [`summarize`].
pub struct Latest {
    pub server_id: String,
    pub pack_name: String,
    pub is_compliant: bool,
    pub mismatch_count: i64,
    pub checked_at: DateTime<Utc>,
}

/// The fleet summary: every machine, never-checked ones included. A
/// machine is compliant when the newest check of every pack it was checked
/// against is; `pack` and `checked_at` name its most recent check, and
/// `mismatch_count` adds up the mismatches of those newest checks.
pub fn summarize(machines: &[Machine], latest: &[Latest]) -> ComplianceSummaryResponse {
    let mut by_machine: BTreeMap<&str, Vec<&Latest>> = BTreeMap::new();
    for l in latest {
        by_machine.entry(&l.server_id).or_default().push(l);
    }
    let mut stats = ComplianceSummaryStats {
        compliant: 0,
        non_compliant: 0,
        never_checked: 0,
        total: machines.len() as i64,
    };
    let machines = machines
        .iter()
        .map(|m| {
            let checks = by_machine
                .get(m.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let newest = checks.iter().max_by_key(|c| c.checked_at);
            let (status, mismatch_count) = match newest {
                None => {
                    stats.never_checked += 1;
                    (ComplianceStatus::NeverChecked, None)
                }
                Some(_) if checks.iter().all(|c| c.is_compliant) => {
                    stats.compliant += 1;
                    (ComplianceStatus::Compliant, Some(0))
                }
                Some(_) => {
                    stats.non_compliant += 1;
                    let n = checks.iter().map(|c| c.mismatch_count).sum();
                    (ComplianceStatus::NonCompliant, Some(n))
                }
            };
            ComplianceMachineSummary {
                id: m.id.clone(),
                display_name: m.display_name.clone(),
                status,
                pack: newest.map(|c| c.pack_name.clone()),
                mismatch_count,
                checked_at: newest.map(|c| c.checked_at),
            }
        })
        .collect();
    ComplianceSummaryResponse {
        summary: stats,
        machines,
    }
}

/// The contract's mismatch (no category, no diff).
pub fn to_mismatch(d: &DiffMismatchItem) -> MismatchItem {
    MismatchItem {
        kind: d.kind,
        item: d.item.clone(),
        expected: d.expected.clone(),
        actual: d.actual.clone(),
    }
}

/// API view of pack items.
pub fn to_api_items(items: &Items) -> PackItems {
    PackItems {
        files: items.files.iter().map(file_item).collect(),
        packages: items
            .packages
            .iter()
            .map(|p| PackageItem {
                name: p.name.as_str().to_owned(),
                min_version: p.min_version.as_ref().map(|v| v.as_str().to_owned()),
                description: p.description.clone(),
            })
            .collect(),
        settings: items
            .settings
            .iter()
            .map(|s| SettingItem {
                key: s.key.clone(),
                expected: s.expected.clone(),
                kind: s.kind,
                description: s.description.clone(),
                file: s.file.as_ref().map(|f| f.as_str().to_owned()),
            })
            .collect(),
        directories: items
            .directories
            .iter()
            .map(|d| DirectoryItem {
                path: d.path.as_str().to_owned(),
                mode: d.mode.map(|m| m.to_string()),
                owner: d.owner.as_ref().map(|o| o.as_str().to_owned()),
                state: d.state,
                description: d.description.clone(),
            })
            .collect(),
        services: items
            .services
            .iter()
            .map(|s| ServiceItem {
                name: s.name.as_str().to_owned(),
                enabled: s.enabled,
                running: s.running,
                description: s.description.clone(),
            })
            .collect(),
    }
}

fn file_item(f: &model::FileItem) -> FileItem {
    FileItem {
        path: f.path.as_str().to_owned(),
        // The contract requires a mode; a pack file without one is checked
        // for content only, shown as the usual default.
        mode: f.mode.map_or_else(|| "0644".to_owned(), |m| m.to_string()),
        template: f.template.as_ref().map(|t| t.as_str().to_owned()),
        content_hash: f.content_hash.as_ref().map(|h| h.as_str().to_owned()),
        description: f.description.clone(),
        owner: f.owner.as_ref().map(|o| o.as_str().to_owned()),
        state: Some(f.state),
        content: f.content.clone(),
    }
}

/// A pack for `GET /config/packs/{name}`: with the `extends` chain merged
/// in, or only its own items. `None`: no such (valid) pack.
pub fn pack_view(set: &PackSet, id: &str, resolve_extends: bool) -> Option<ConfigPack> {
    let resolved = set.get(id)?;
    let items = if resolve_extends {
        to_api_items(&resolved.items)
    } else {
        to_api_items(&set.own.get(id)?.doc.items)
    };
    Some(ConfigPack {
        name: resolved.name.clone(),
        description: resolved.description.clone(),
        extends: resolved.extends.clone(),
        items,
        version: resolved.version.map(i64::from),
    })
}

/// Metadata of every valid pack, by id.
pub fn list(set: &PackSet) -> Vec<ConfigPackMetadata> {
    set.resolved
        .values()
        .map(|p| {
            let own = set.own.get(&p.id);
            ConfigPackMetadata {
                name: p.id.clone(),
                display_name: p.name.clone(),
                description: p.description.clone(),
                item_count: own.map_or(p.items.len(), |o| o.doc.items.len()) as i64,
                extends: p.extends.clone(),
                last_updated: own.and_then(|o| o.modified).unwrap_or_default(),
                version: p.version.map(i64::from),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn repo_packs() -> PackSet {
        super::super::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs"))
    }

    #[test]
    fn defaults_follow_the_machine_type() {
        assert_eq!(default_packs(MachineType::Server), vec!["base"]);
        assert_eq!(
            default_packs(MachineType::Workstation),
            vec!["base", "developer-lite"]
        );
        assert_eq!(
            assigned_packs(Some(r#"["base","developer-max"]"#), MachineType::Server),
            vec!["base", "developer-max"]
        );
        assert_eq!(
            assigned_packs(None, MachineType::Workstation),
            default_packs(MachineType::Workstation)
        );
        assert_eq!(
            assigned_packs(Some("not json"), MachineType::Server),
            vec!["base"]
        );
    }

    #[test]
    fn assignment_needs_base_and_known_packs() {
        let set = repo_packs();
        let v = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            validate_assignment(&v(&["developer-max"]), &set),
            Err(AssignmentError::BaseRequired)
        );
        assert_eq!(
            validate_assignment(&v(&["base", "nope"]), &set),
            Err(AssignmentError::Unknown("nope".into()))
        );
        assert_eq!(
            validate_assignment(&v(&["developer-lite", "base", "developer-lite"]), &set),
            Ok(v(&["base", "developer-lite"]))
        );
    }

    #[test]
    fn summary_lists_never_checked_machines_and_any_failing_pack() {
        let t = |s| Utc.timestamp_opt(s, 0).unwrap();
        let m = |id: &str| Machine {
            id: id.into(),
            display_name: id.to_uppercase(),
        };
        let l = |id: &str, pack: &str, ok, n, at| Latest {
            server_id: id.into(),
            pack_name: pack.into(),
            is_compliant: ok,
            mismatch_count: n,
            checked_at: t(at),
        };
        let r = summarize(
            &[m("a"), m("b"), m("c")],
            &[
                l("a", "base", true, 0, 10),
                l("b", "base", false, 3, 10),
                l("b", "developer-lite", true, 0, 20),
            ],
        );
        assert_eq!(
            (
                r.summary.compliant,
                r.summary.non_compliant,
                r.summary.never_checked,
                r.summary.total
            ),
            (1, 1, 1, 3)
        );
        assert_eq!(r.machines[0].status, ComplianceStatus::Compliant);
        assert_eq!(r.machines[1].status, ComplianceStatus::NonCompliant);
        assert_eq!(r.machines[1].mismatch_count, Some(3));
        assert_eq!(r.machines[1].pack.as_deref(), Some("developer-lite"));
        assert_eq!(r.machines[1].checked_at, Some(t(20)));
        assert_eq!(r.machines[2].status, ComplianceStatus::NeverChecked);
        assert_eq!(r.machines[2].display_name, "C");
        assert!(r.machines[2].pack.is_none() && r.machines[2].checked_at.is_none());
    }

    #[test]
    fn pack_views_with_and_without_inherited_items() {
        let set = repo_packs();
        let lite = set.get("developer-lite").expect("developer-lite loads");
        assert_eq!(lite.extends.as_deref(), Some("base"));
        let full = pack_view(&set, "developer-lite", true).unwrap();
        let own = pack_view(&set, "developer-lite", false).unwrap();
        let count = |p: &ConfigPack| {
            p.items.files.len()
                + p.items.packages.len()
                + p.items.settings.len()
                + p.items.directories.len()
                + p.items.services.len()
        };
        assert_eq!(count(&full), lite.items.len());
        assert!(count(&own) < count(&full));
        assert!(pack_view(&set, "missing", true).is_none());
        let meta = list(&set);
        let m = meta.iter().find(|m| m.name == "developer-lite").unwrap();
        assert_eq!(m.item_count as usize, count(&own));
        assert_eq!(m.extends.as_deref(), Some("base"));
    }
}
