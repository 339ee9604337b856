//! What applying a pack would change on a host: pure, no I/O. The plan is
//! made from a fresh check ([`super::compare`]'s mismatches and the
//! report they came from), so a compliant host gets an empty plan and a
//! second apply changes nothing.
//!
//! Paths are made absolute here with the home directory the check
//! reported, so steps that run under sudo (whose `$HOME` is root's) still
//! write the SSH user's files.

use std::collections::BTreeMap;

use homelabcmd_protocol::packs::{
    ApplyPreviewResponse, DiffMismatchItem, DryRunFileItem, DryRunManualItem, DryRunPackageItem,
    DryRunPathItem, DryRunServiceItem, DryRunSettingItem, MismatchType,
};

use super::compare::{Comparison, expected_content, sha256_hex};
use super::loader::ResolvedPack;
use super::model::{Mode, PackPath, SettingType};
use super::report::Report;
use super::template::Facts;

/// Suffix of the copy kept of a file the hub replaced or removed (the
/// first one wins: it is what the host had before HomelabCmd).
pub const BACKUP_SUFFIX: &str = ".homelabcmd.bak";

/// Config files above this size are not edited (the check only sends the
/// first 64 KiB).
const MAX_EDIT_BYTES: usize = 64 * 1024;

/// One change to make on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write a file atomically (temp file + rename), backing up what it
    /// replaces.
    WriteFile {
        /// As written in the pack (or the setting's file).
        item: String,
        path: String,
        content: Vec<u8>,
        mode: Option<Mode>,
        owner: Option<String>,
        /// The host's sha256 seen by the check; the write is refused if the
        /// file changed since. `None`: the file was missing.
        expect_sha: Option<String>,
        /// Unified diff host → pack, for updates.
        diff: Option<String>,
        /// For a setting: its key (the item reported is the setting).
        setting: Option<(String, String)>,
        sudo: bool,
    },
    /// Set mode and/or owner of a path whose content is right.
    SetAttrs {
        item: String,
        path: String,
        mode: Option<Mode>,
        owner: Option<String>,
        sudo: bool,
    },
    MakeDir {
        item: String,
        path: String,
        mode: Option<Mode>,
        owner: Option<String>,
        sudo: bool,
    },
    /// A path the pack wants absent: moved to its backup.
    RemovePath {
        item: String,
        path: String,
        sudo: bool,
    },
    /// One `apt-get install` for every missing or too-old package.
    InstallPackages(Vec<PlannedPackage>),
    /// An environment variable, in the managed block of the login profile.
    SetEnv { key: String, value: String },
    Service {
        name: String,
        enable: Option<bool>,
        start: Option<bool>,
    },
    /// Something the hub cannot change; reported, never attempted.
    Manual {
        item_type: &'static str,
        item: String,
        reason: String,
    },
}

/// A package to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPackage {
    pub name: String,
    pub min_version: Option<String>,
    /// Installed but older than `min_version`.
    pub upgrade: bool,
}

impl Step {
    /// Whether the step needs root on the host.
    pub fn needs_sudo(&self) -> bool {
        match self {
            Step::WriteFile { sudo, .. }
            | Step::SetAttrs { sudo, .. }
            | Step::MakeDir { sudo, .. }
            | Step::RemovePath { sudo, .. } => *sudo,
            Step::InstallPackages(_) | Step::Service { .. } => true,
            Step::SetEnv { .. } | Step::Manual { .. } => false,
        }
    }

    /// The items the step reports on: (item type, item). A package step
    /// covers each of its packages.
    pub fn items(&self) -> Vec<(&'static str, String)> {
        match self {
            Step::WriteFile {
                setting: Some((key, _)),
                ..
            } => vec![("setting", key.clone())],
            Step::WriteFile { item, .. }
            | Step::SetAttrs { item, .. }
            | Step::RemovePath { item, .. } => vec![("file", item.clone())],
            Step::MakeDir { item, .. } => vec![("directory", item.clone())],
            Step::InstallPackages(p) => p.iter().map(|p| ("package", p.name.clone())).collect(),
            Step::SetEnv { key, .. } => vec![("setting", key.clone())],
            Step::Service { name, .. } => vec![("service", name.clone())],
            Step::Manual {
                item_type, item, ..
            } => vec![(*item_type, item.clone())],
        }
    }

    /// The `ApplyItemResult.action` reported when the step succeeds.
    pub fn done_action(&self) -> String {
        match self {
            Step::WriteFile {
                setting: Some(_), ..
            } => "set".into(),
            Step::WriteFile {
                expect_sha: None, ..
            } => "created".into(),
            Step::WriteFile { .. } => "updated".into(),
            Step::SetAttrs { .. } => "attributes_set".into(),
            Step::MakeDir { .. } => "directory_created".into(),
            Step::RemovePath { .. } => "removed".into(),
            Step::InstallPackages(_) => "installed".into(),
            Step::SetEnv { .. } => "set".into(),
            Step::Service { enable, start, .. } => service_actions(*enable, *start),
            Step::Manual { .. } => "manual".into(),
        }
    }
}

fn service_actions(enable: Option<bool>, start: Option<bool>) -> String {
    let mut a = Vec::new();
    match enable {
        Some(true) => a.push("enable"),
        Some(false) => a.push("disable"),
        None => {}
    }
    match start {
        Some(true) => a.push("start"),
        Some(false) => a.push("stop"),
        None => {}
    }
    a.join("+")
}

/// The changes, in the order they run: directories first (files may live
/// in them), then files, packages, settings, services; manual items last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    /// Items reported (a package step counts each package).
    pub fn item_count(&self) -> usize {
        self.steps.iter().map(|s| s.items().len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn needs_sudo(&self) -> bool {
        self.steps.iter().any(Step::needs_sudo)
    }
}

/// `~/x` → `<home>/x`; absolute paths unchanged.
pub fn absolute(path: &str, home: &str) -> String {
    match path.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", home.trim_end_matches('/')),
        None => path.to_string(),
    }
}

/// Root is needed outside the home directory, or to give a home file to
/// another user.
fn sudo_for(path: &str, owner: Option<&str>, facts: &Facts) -> bool {
    if !path.starts_with("~/") {
        return true;
    }
    owner.is_some_and(|o| o.split(':').next() != Some(facts.user.as_str()))
}

fn render_owner(owner: Option<&super::model::Owner>, facts: &Facts) -> Option<String> {
    owner.map(|o| o.as_str().replace("{{user}}", &facts.user))
}

/// Set `key` in config text: the last line [`super::compare::config_value`]
/// would read is rewritten keeping its separator; otherwise `key = value`
/// is appended.
pub fn set_config_line(text: &str, key: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut target = None;
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim_start();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        let (export, body) = match l.strip_prefix("export ") {
            Some(b) => ("export ", b.trim_start()),
            None => ("", l),
        };
        let Some(rest) = body.strip_prefix(key) else {
            continue;
        };
        let trimmed = rest.trim_start();
        let sep = if trimmed.starts_with('=') || trimmed.starts_with(':') {
            // Keep the spacing around `=`/`:` as written.
            let c = &trimmed[..1];
            let before = &rest[..rest.len() - trimmed.len()];
            let after_len = trimmed[1..].len() - trimmed[1..].trim_start().len();
            format!("{before}{c}{}", &trimmed[1..1 + after_len])
        } else if rest.starts_with([' ', '\t']) {
            rest[..rest.len() - trimmed.len()].to_string()
        } else {
            continue;
        };
        let indent = &line[..line.len() - l.len()];
        target = Some((i, format!("{indent}{export}{key}{sep}{value}")));
    }
    match target {
        Some((i, new)) => lines[i] = new,
        None => lines.push(format!("{key} = {value}")),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Plan the changes that make the host match `pack`, from a check of it.
pub fn plan(pack: &ResolvedPack, report: &Report, verdict: &Comparison) -> Plan {
    let facts = &report.facts;
    let items = &pack.items;
    // Mismatches grouped per (category, item), in pack order.
    let mut by_item: BTreeMap<(&str, &str), Vec<&DiffMismatchItem>> = BTreeMap::new();
    for m in &verdict.mismatches {
        by_item
            .entry((m.category.as_str(), m.item.as_str()))
            .or_default()
            .push(m);
    }
    let kinds = |cat: &str, item: &str| -> Vec<&DiffMismatchItem> {
        by_item.get(&(cat, item)).cloned().unwrap_or_default()
    };
    let has = |ms: &[&DiffMismatchItem], k: MismatchType| ms.iter().any(|m| m.kind == k);
    let manual_for = |ms: &[&DiffMismatchItem]| -> Option<String> {
        ms.iter().find_map(|m| match m.kind {
            MismatchType::CheckError => Some(
                m.actual
                    .error
                    .clone()
                    .unwrap_or_else(|| "the check could not read this item".into()),
            ),
            MismatchType::WrongType => Some(format!(
                "a {} is where the pack wants a {}: move it away by hand",
                m.actual
                    .file_type
                    .as_deref()
                    .unwrap_or("different kind of file"),
                m.expected.file_type.as_deref().unwrap_or("file")
            )),
            _ => None,
        })
    };

    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut packages = Vec::new();
    let mut settings = Vec::new();
    let mut services = Vec::new();
    let mut manual = Vec::new();

    for d in &items.directories {
        let item = d.path.as_str();
        let ms = kinds("files", item);
        if ms.is_empty() {
            continue;
        }
        let owner = render_owner(d.owner.as_ref(), facts);
        let path = absolute(item, &facts.home);
        let sudo = sudo_for(item, owner.as_deref(), facts);
        if let Some(reason) = manual_for(&ms) {
            manual.push(Step::Manual {
                item_type: "directory",
                item: item.into(),
                reason,
            });
        } else if has(&ms, MismatchType::UnexpectedFile) {
            files.push(Step::RemovePath {
                item: item.into(),
                path,
                sudo,
            });
        } else if has(&ms, MismatchType::MissingFile) {
            dirs.push(Step::MakeDir {
                item: item.into(),
                path,
                mode: d.mode,
                owner,
                sudo,
            });
        } else {
            dirs.push(Step::SetAttrs {
                item: item.into(),
                path,
                mode: has(&ms, MismatchType::WrongPermissions)
                    .then_some(d.mode)
                    .flatten(),
                owner: has(&ms, MismatchType::WrongOwner)
                    .then_some(owner)
                    .flatten(),
                sudo,
            });
        }
    }

    for f in &items.files {
        let item = f.path.as_str();
        let ms = kinds("files", item);
        if ms.is_empty() {
            continue;
        }
        let owner = render_owner(f.owner.as_ref(), facts);
        let path = absolute(item, &facts.home);
        let sudo = sudo_for(item, owner.as_deref(), facts);
        if let Some(reason) = manual_for(&ms) {
            manual.push(Step::Manual {
                item_type: "file",
                item: item.into(),
                reason,
            });
            continue;
        }
        if has(&ms, MismatchType::UnexpectedFile) {
            files.push(Step::RemovePath {
                item: item.into(),
                path,
                sudo,
            });
            continue;
        }
        let content = expected_content(f, pack, facts);
        let missing = has(&ms, MismatchType::MissingFile);
        if missing || has(&ms, MismatchType::WrongContent) {
            let Some(content) = content else {
                manual.push(Step::Manual {
                    item_type: "file",
                    item: item.into(),
                    reason: "the pack gives only a hash for this file, not its content".into(),
                });
                continue;
            };
            let expect_sha = if missing {
                None
            } else {
                ms.iter()
                    .find(|m| m.kind == MismatchType::WrongContent)
                    .and_then(|m| m.actual.hash.clone())
            };
            let diff = ms
                .iter()
                .find(|m| m.kind == MismatchType::WrongContent)
                .and_then(|m| m.diff.clone());
            if !missing && expect_sha.is_none() {
                manual.push(Step::Manual {
                    item_type: "file",
                    item: item.into(),
                    reason: "the check could not hash the host's file".into(),
                });
                continue;
            }
            // No mode in the pack: the write keeps the host's.
            files.push(Step::WriteFile {
                item: item.into(),
                path,
                content: content.into_bytes(),
                mode: f.mode,
                owner,
                expect_sha,
                diff,
                setting: None,
                sudo,
            });
        } else {
            files.push(Step::SetAttrs {
                item: item.into(),
                path,
                mode: has(&ms, MismatchType::WrongPermissions)
                    .then_some(f.mode)
                    .flatten(),
                owner: has(&ms, MismatchType::WrongOwner)
                    .then_some(owner)
                    .flatten(),
                sudo,
            });
        }
    }

    let mut to_install = Vec::new();
    for p in &items.packages {
        let name = p.name.as_str();
        let ms = kinds("packages", name);
        if ms.is_empty() {
            continue;
        }
        if let Some(reason) = manual_for(&ms) {
            manual.push(Step::Manual {
                item_type: "package",
                item: name.into(),
                reason,
            });
            continue;
        }
        to_install.push(PlannedPackage {
            name: name.into(),
            min_version: p.min_version.as_ref().map(|v| v.as_str().to_string()),
            upgrade: has(&ms, MismatchType::WrongVersion),
        });
    }
    if !to_install.is_empty() {
        packages.push(Step::InstallPackages(to_install));
    }

    // Files this pack writes with full content: a config setting inside
    // one is fixed by writing the file.
    let managed_files: Vec<&PackPath> = items
        .files
        .iter()
        .filter(|f| f.content.is_some() || f.template.is_some())
        .map(|f| &f.path)
        .collect();
    let files_written: Vec<&str> = files
        .iter()
        .filter_map(|s| match s {
            Step::WriteFile { item, .. } => Some(item.as_str()),
            _ => None,
        })
        .collect();
    for (i, s) in items.settings.iter().enumerate() {
        let key = s.key.as_str();
        let ms = kinds("settings", key);
        if ms.is_empty() {
            continue;
        }
        if let Some(reason) = manual_for(&ms) {
            manual.push(Step::Manual {
                item_type: "setting",
                item: key.into(),
                reason,
            });
            continue;
        }
        match s.kind {
            SettingType::EnvVar => settings.push(Step::SetEnv {
                key: key.into(),
                value: s.expected.clone(),
            }),
            SettingType::Command => manual.push(Step::Manual {
                item_type: "setting",
                item: key.into(),
                reason: format!(
                    "`{key}` is read from a command; set it on the host to `{}`",
                    s.expected
                ),
            }),
            SettingType::Config => {
                let Some(file) = &s.file else { continue };
                if managed_files.contains(&file) {
                    if !files_written.contains(&file.as_str()) {
                        manual.push(Step::Manual {
                            item_type: "setting",
                            item: key.into(),
                            reason: format!(
                                "the pack's own content for {file} does not set `{key}` to `{}`",
                                s.expected
                            ),
                        });
                    }
                    // Otherwise writing the file sets it.
                    continue;
                }
                let seen = report.settings.get(i).cloned().flatten().flatten();
                let (text, expect_sha) = match seen {
                    Some(bytes) if bytes.len() >= MAX_EDIT_BYTES => {
                        manual.push(Step::Manual {
                            item_type: "setting",
                            item: key.into(),
                            reason: format!("{file} is too large to edit (64 KiB or more)"),
                        });
                        continue;
                    }
                    Some(bytes) => {
                        let sha = sha256_hex(&bytes);
                        match String::from_utf8(bytes) {
                            Ok(t) => (t, Some(sha)),
                            Err(_) => {
                                manual.push(Step::Manual {
                                    item_type: "setting",
                                    item: key.into(),
                                    reason: format!("{file} is not UTF-8 text"),
                                });
                                continue;
                            }
                        }
                    }
                    None => (String::new(), None),
                };
                let new = set_config_line(&text, key, &s.expected);
                let diff = (!text.is_empty())
                    .then(|| super::compare::unified_diff(file.as_str(), &text, &new));
                settings.push(Step::WriteFile {
                    item: file.as_str().into(),
                    path: absolute(file.as_str(), &facts.home),
                    content: new.into_bytes(),
                    mode: None,
                    owner: None,
                    expect_sha,
                    diff,
                    setting: Some((key.into(), s.expected.clone())),
                    sudo: sudo_for(file.as_str(), None, facts),
                });
            }
        }
    }

    for v in &items.services {
        let name = v.name.as_str();
        let ms = kinds("services", name);
        if ms.is_empty() {
            continue;
        }
        if let Some(reason) = manual_for(&ms) {
            manual.push(Step::Manual {
                item_type: "service",
                item: name.into(),
                reason,
            });
            continue;
        }
        let m = ms[0];
        services.push(Step::Service {
            name: name.into(),
            enable: v.enabled.filter(|e| m.actual.enabled != Some(*e)),
            start: v.running.filter(|r| m.actual.running != Some(*r)),
        });
    }

    let mut steps = dirs;
    steps.extend(files);
    steps.extend(packages);
    steps.extend(settings);
    steps.extend(services);
    steps.extend(manual);
    Plan { steps }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn lines_changed(diff: Option<&str>) -> Option<usize> {
    diff.map(|d| {
        d.lines()
            .filter(|l| {
                (l.starts_with('+') && !l.starts_with("+++"))
                    || (l.starts_with('-') && !l.starts_with("---"))
            })
            .count()
    })
}

/// The dry-run answer for a plan.
pub fn preview(server_id: &str, pack: &ResolvedPack, plan: &Plan) -> ApplyPreviewResponse {
    let mut files = Vec::new();
    let mut packages = Vec::new();
    let mut settings = Vec::new();
    let mut paths = Vec::new();
    let mut services = Vec::new();
    let mut manual = Vec::new();
    let (mut dirs_made, mut attrs, mut removals) = (0, 0, 0);
    let mode_text = |m: &Option<Mode>| m.map(|m| m.to_string()).unwrap_or_else(|| "-".into());
    for s in &plan.steps {
        match s {
            Step::WriteFile {
                item,
                content,
                mode,
                expect_sha,
                diff,
                setting: None,
                ..
            } => {
                let lines = String::from_utf8_lossy(content).lines().count();
                let (action, description) = match expect_sha {
                    None => (
                        "create_file",
                        format!("Create ({})", plural(lines, "line", "lines")),
                    ),
                    Some(_) => (
                        "update_file",
                        match lines_changed(diff.as_deref()) {
                            Some(n) => format!(
                                "Replace the host's version ({} differ; backup kept as {item}{BACKUP_SUFFIX})",
                                plural(n, "line", "lines")
                            ),
                            None => format!(
                                "Replace the host's version (backup kept as {item}{BACKUP_SUFFIX})"
                            ),
                        },
                    ),
                };
                files.push(DryRunFileItem {
                    action: action.into(),
                    path: item.clone(),
                    mode: mode_text(mode),
                    description,
                    diff: diff.clone(),
                });
            }
            Step::WriteFile {
                item,
                setting: Some((key, value)),
                ..
            } => settings.push(DryRunSettingItem {
                action: "set_config".into(),
                key: key.clone(),
                value: value.clone(),
                description: format!(
                    "Set `{key}` in {item} (backup kept as {item}{BACKUP_SUFFIX})"
                ),
            }),
            Step::SetAttrs {
                item, mode, owner, ..
            } => {
                attrs += 1;
                let mut what = Vec::new();
                if let Some(m) = mode {
                    what.push(format!("mode {m}"));
                }
                if let Some(o) = owner {
                    what.push(format!("owner {o}"));
                }
                paths.push(DryRunPathItem {
                    action: "set_attributes".into(),
                    path: item.clone(),
                    mode: mode_text(mode),
                    description: format!("Set {}", what.join(" and ")),
                });
            }
            Step::MakeDir {
                item, mode, owner, ..
            } => {
                dirs_made += 1;
                paths.push(DryRunPathItem {
                    action: "create_directory".into(),
                    path: item.clone(),
                    mode: mode_text(mode),
                    description: match owner {
                        Some(o) => format!("Create directory (owner {o})"),
                        None => "Create directory".into(),
                    },
                });
            }
            Step::RemovePath { item, .. } => {
                removals += 1;
                paths.push(DryRunPathItem {
                    action: "remove".into(),
                    path: item.clone(),
                    mode: "-".into(),
                    description: format!(
                        "The pack wants it absent: moved to {item}{BACKUP_SUFFIX}"
                    ),
                });
            }
            Step::InstallPackages(ps) => {
                for p in ps {
                    packages.push(DryRunPackageItem {
                        action: if p.upgrade {
                            "upgrade_package"
                        } else {
                            "install_package"
                        }
                        .into(),
                        package: p.name.clone(),
                        version: p.min_version.clone(),
                        description: match (&p.min_version, p.upgrade) {
                            (Some(v), true) => format!("Upgrade to {v} or newer (apt-get install)"),
                            (Some(v), false) => format!("Install, {v} or newer (apt-get install)"),
                            (None, _) => "Install (apt-get install)".into(),
                        },
                    });
                }
            }
            Step::SetEnv { key, value } => settings.push(DryRunSettingItem {
                action: "set_env_var".into(),
                key: key.clone(),
                value: value.clone(),
                description: "Export it from the login profile (a block HomelabCmd manages)".into(),
            }),
            Step::Service {
                name,
                enable,
                start,
            } => services.push(DryRunServiceItem {
                action: service_actions(*enable, *start),
                service: name.clone(),
                description: format!("systemctl {}", service_actions(*enable, *start)),
            }),
            Step::Manual {
                item_type,
                item,
                reason,
            } => manual.push(DryRunManualItem {
                item_type: item_type.to_string(),
                item: item.clone(),
                reason: reason.clone(),
            }),
        }
    }
    let writes = files.len();
    let installs = packages.len();
    let set = settings.len();
    let svc = services.len();
    let mut parts = Vec::new();
    if installs > 0 {
        parts.push(format!(
            "install {}",
            plural(installs, "package", "packages")
        ));
    }
    if writes > 0 {
        parts.push(format!("write {}", plural(writes, "file", "files")));
    }
    if dirs_made > 0 {
        parts.push(format!(
            "create {}",
            plural(dirs_made, "directory", "directories")
        ));
    }
    if attrs > 0 {
        parts.push(format!(
            "fix permissions of {}",
            plural(attrs, "path", "paths")
        ));
    }
    if removals > 0 {
        parts.push(format!("remove {}", plural(removals, "path", "paths")));
    }
    if set > 0 {
        parts.push(format!("set {}", plural(set, "setting", "settings")));
    }
    if svc > 0 {
        parts.push(format!("change {}", plural(svc, "service", "services")));
    }
    let mut summary = if parts.is_empty() {
        "Nothing to change: the machine already matches the pack".to_string()
    } else {
        let last = parts.pop().unwrap_or_default();
        if parts.is_empty() {
            format!("Will {last}")
        } else {
            format!("Will {} and {last}", parts.join(", "))
        }
    };
    if !manual.is_empty() {
        let n = manual.len();
        summary.push_str(&format!(
            "; {} need{} a manual fix",
            plural(n, "item", "items"),
            if n == 1 { "s" } else { "" }
        ));
    }
    ApplyPreviewResponse {
        server_id: server_id.to_string(),
        pack_name: pack.id.clone(),
        dry_run: true,
        total_items: plan.item_count() as i64,
        files,
        packages,
        settings,
        paths,
        services,
        manual,
        summary,
        needs_sudo: plan.needs_sudo(),
    }
}
