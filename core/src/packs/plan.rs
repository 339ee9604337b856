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
    DryRunPathItem, DryRunServiceItem, DryRunSettingItem, FileType, ItemCategory, ItemType,
    MismatchType,
};

use super::compare::{Comparison, expected_content, sha256_hex};
use super::loader::ResolvedPack;
use super::model::{
    DirItem, FileItem, Mode, PackPath, PackageItem, ServiceItem, SettingItem, SettingType,
};
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
        item_type: ItemType,
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
    pub fn items(&self) -> Vec<(ItemType, String)> {
        match self {
            Step::WriteFile {
                setting: Some((key, _)),
                ..
            } => vec![(ItemType::Setting, key.clone())],
            Step::WriteFile { item, .. }
            | Step::SetAttrs { item, .. }
            | Step::RemovePath { item, .. } => vec![(ItemType::File, item.clone())],
            Step::MakeDir { item, .. } => vec![(ItemType::Directory, item.clone())],
            Step::InstallPackages(p) => p
                .iter()
                .map(|p| (ItemType::Package, p.name.clone()))
                .collect(),
            Step::SetEnv { key, .. } => vec![(ItemType::Setting, key.clone())],
            Step::Service { name, .. } => vec![(ItemType::Service, name.clone())],
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

/// The check's mismatches, grouped per (category, item) so each pack item
/// finds its own.
struct MismatchIndex<'a>(BTreeMap<(ItemCategory, &'a str), Vec<&'a DiffMismatchItem>>);

impl<'a> MismatchIndex<'a> {
    fn new(verdict: &'a Comparison) -> Self {
        let mut by_item: BTreeMap<(ItemCategory, &str), Vec<&DiffMismatchItem>> = BTreeMap::new();
        for m in &verdict.mismatches {
            by_item
                .entry((m.category, m.item.as_str()))
                .or_default()
                .push(m);
        }
        Self(by_item)
    }

    /// The mismatches of one item; empty when it is compliant.
    fn of(&self, category: ItemCategory, item: &str) -> Vec<&'a DiffMismatchItem> {
        self.0.get(&(category, item)).cloned().unwrap_or_default()
    }
}

fn has(ms: &[&DiffMismatchItem], k: MismatchType) -> bool {
    ms.iter().any(|m| m.kind == k)
}

/// Why an item needs a hand, when a mismatch says the hub cannot fix it
/// (the check could not read it, or something of another type is there).
fn manual_reason(ms: &[&DiffMismatchItem]) -> Option<String> {
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
                .map_or("different kind of file", FileType::as_str),
            m.expected.file_type.unwrap_or(FileType::File)
        )),
        _ => None,
    })
}

/// The steps gathered per kind while planning, joined in run order by
/// [`PlanSteps::into_plan`] (see [`Plan`]).
#[derive(Default)]
struct PlanSteps {
    dirs: Vec<Step>,
    files: Vec<Step>,
    packages: Vec<Step>,
    settings: Vec<Step>,
    services: Vec<Step>,
    manual: Vec<Step>,
}

impl PlanSteps {
    fn manual(&mut self, item_type: ItemType, item: &str, reason: String) {
        self.manual.push(Step::Manual {
            item_type,
            item: item.into(),
            reason,
        });
    }

    fn into_plan(self) -> Plan {
        let mut steps = self.dirs;
        steps.extend(self.files);
        steps.extend(self.packages);
        steps.extend(self.settings);
        steps.extend(self.services);
        steps.extend(self.manual);
        Plan { steps }
    }
}

/// Plan the changes that make the host match `pack`, from a check of it.
pub fn plan(pack: &ResolvedPack, report: &Report, verdict: &Comparison) -> Plan {
    let facts = &report.facts;
    let items = &pack.items;
    let ix = MismatchIndex::new(verdict);
    let mut out = PlanSteps::default();
    plan_directories(&items.directories, &ix, facts, &mut out);
    plan_files(pack, &ix, facts, &mut out);
    plan_packages(&items.packages, &ix, &mut out);
    plan_settings(pack, report, &ix, &mut out);
    plan_services(&items.services, &ix, &mut out);
    out.into_plan()
}

/// Mode and/or owner of a path whose content (or existence) is right:
/// only what the check found wrong is set.
fn attrs_step(
    item: &str,
    path: String,
    ms: &[&DiffMismatchItem],
    mode: Option<Mode>,
    owner: Option<String>,
    sudo: bool,
) -> Step {
    Step::SetAttrs {
        item: item.into(),
        path,
        mode: has(ms, MismatchType::WrongPermissions)
            .then_some(mode)
            .flatten(),
        owner: has(ms, MismatchType::WrongOwner).then_some(owner).flatten(),
        sudo,
    }
}

/// Directories: made when missing, removed when the pack wants them
/// absent (with the files, as a removal), or given their mode and owner.
fn plan_directories(dirs: &[DirItem], ix: &MismatchIndex, facts: &Facts, out: &mut PlanSteps) {
    for d in dirs {
        let item = d.path.as_str();
        let ms = ix.of(ItemCategory::Files, item);
        if ms.is_empty() {
            continue;
        }
        let owner = render_owner(d.owner.as_ref(), facts);
        let path = absolute(item, &facts.home);
        let sudo = sudo_for(item, owner.as_deref(), facts);
        if let Some(reason) = manual_reason(&ms) {
            out.manual(ItemType::Directory, item, reason);
        } else if has(&ms, MismatchType::UnexpectedFile) {
            out.files.push(Step::RemovePath {
                item: item.into(),
                path,
                sudo,
            });
        } else if has(&ms, MismatchType::MissingFile) {
            out.dirs.push(Step::MakeDir {
                item: item.into(),
                path,
                mode: d.mode,
                owner,
                sudo,
            });
        } else {
            out.dirs
                .push(attrs_step(item, path, &ms, d.mode, owner, sudo));
        }
    }
}

/// Files: removed when the pack wants them absent, written when missing
/// or different, otherwise given their mode and owner.
fn plan_files(pack: &ResolvedPack, ix: &MismatchIndex, facts: &Facts, out: &mut PlanSteps) {
    for f in &pack.items.files {
        let item = f.path.as_str();
        let ms = ix.of(ItemCategory::Files, item);
        if ms.is_empty() {
            continue;
        }
        let owner = render_owner(f.owner.as_ref(), facts);
        let path = absolute(item, &facts.home);
        let sudo = sudo_for(item, owner.as_deref(), facts);
        if let Some(reason) = manual_reason(&ms) {
            out.manual(ItemType::File, item, reason);
        } else if has(&ms, MismatchType::UnexpectedFile) {
            out.files.push(Step::RemovePath {
                item: item.into(),
                path,
                sudo,
            });
        } else if has(&ms, MismatchType::MissingFile) || has(&ms, MismatchType::WrongContent) {
            match write_file_step(f, pack, facts, &ms, path, owner, sudo) {
                Ok(step) => out.files.push(step),
                Err(reason) => out.manual(ItemType::File, item, reason),
            }
        } else {
            out.files
                .push(attrs_step(item, path, &ms, f.mode, owner, sudo));
        }
    }
}

/// The write of a missing or different file, or why it cannot be made:
/// the pack has only the file's hash, or the check could not hash the
/// host's copy (the write is guarded by that hash).
fn write_file_step(
    f: &FileItem,
    pack: &ResolvedPack,
    facts: &Facts,
    ms: &[&DiffMismatchItem],
    path: String,
    owner: Option<String>,
    sudo: bool,
) -> Result<Step, String> {
    let item = f.path.as_str();
    let missing = has(ms, MismatchType::MissingFile);
    let Some(content) = expected_content(f, pack, facts) else {
        return Err("the pack gives only a hash for this file, not its content".into());
    };
    let wrong_content = ms.iter().find(|m| m.kind == MismatchType::WrongContent);
    let expect_sha = if missing {
        None
    } else {
        wrong_content.and_then(|m| m.actual.hash.clone())
    };
    let diff = wrong_content.and_then(|m| m.diff.clone());
    if !missing && expect_sha.is_none() {
        return Err("the check could not hash the host's file".into());
    }
    // No mode in the pack: the write keeps the host's.
    Ok(Step::WriteFile {
        item: item.into(),
        path,
        content: content.into_bytes(),
        mode: f.mode,
        owner,
        expect_sha,
        diff,
        setting: None,
        sudo,
    })
}

/// Packages: one install step for every missing or too-old one.
fn plan_packages(packages: &[PackageItem], ix: &MismatchIndex, out: &mut PlanSteps) {
    let mut to_install = Vec::new();
    for p in packages {
        let name = p.name.as_str();
        let ms = ix.of(ItemCategory::Packages, name);
        if ms.is_empty() {
            continue;
        }
        if let Some(reason) = manual_reason(&ms) {
            out.manual(ItemType::Package, name, reason);
            continue;
        }
        to_install.push(PlannedPackage {
            name: name.into(),
            min_version: p.min_version.as_ref().map(|v| v.as_str().to_string()),
            upgrade: has(&ms, MismatchType::WrongVersion),
        });
    }
    if !to_install.is_empty() {
        out.packages.push(Step::InstallPackages(to_install));
    }
}

/// Settings: env vars go to the login profile, config lines are edited
/// in their file; a command's value cannot be set.
fn plan_settings(pack: &ResolvedPack, report: &Report, ix: &MismatchIndex, out: &mut PlanSteps) {
    let items = &pack.items;
    // Files this pack writes with full content: a config setting inside
    // one is fixed by writing the file.
    let managed_files: Vec<&PackPath> = items
        .files
        .iter()
        .filter(|f| f.content.is_some() || f.template.is_some())
        .map(|f| &f.path)
        .collect();
    let files_written: Vec<String> = out
        .files
        .iter()
        .filter_map(|s| match s {
            Step::WriteFile { item, .. } => Some(item.clone()),
            _ => None,
        })
        .collect();
    for (i, s) in items.settings.iter().enumerate() {
        let key = s.key.as_str();
        let ms = ix.of(ItemCategory::Settings, key);
        if ms.is_empty() {
            continue;
        }
        if let Some(reason) = manual_reason(&ms) {
            out.manual(ItemType::Setting, key, reason);
            continue;
        }
        match s.kind {
            SettingType::EnvVar => out.settings.push(Step::SetEnv {
                key: key.into(),
                value: s.expected.clone(),
            }),
            SettingType::Command => out.manual(
                ItemType::Setting,
                key,
                format!(
                    "`{key}` is read from a command; set it on the host to `{}`",
                    s.expected
                ),
            ),
            SettingType::Config => {
                let Some(file) = &s.file else { continue };
                if managed_files.contains(&file) {
                    if !files_written.iter().any(|w| w == file.as_str()) {
                        out.manual(
                            ItemType::Setting,
                            key,
                            format!(
                                "the pack's own content for {file} does not set `{key}` to `{}`",
                                s.expected
                            ),
                        );
                    }
                    // Otherwise writing the file sets it.
                    continue;
                }
                let seen = report.settings.get(i).cloned().flatten().flatten();
                match config_edit_step(s, file, seen, &report.facts) {
                    Ok(step) => out.settings.push(step),
                    Err(reason) => out.manual(ItemType::Setting, key, reason),
                }
            }
        }
    }
}

/// The edit of one `key = value` line in a config file the pack does not
/// own, guarded by the hash of the text the check saw (`seen`; `None`:
/// the file is not there and is created). Large or non-UTF-8 files are
/// left to a hand.
fn config_edit_step(
    s: &SettingItem,
    file: &PackPath,
    seen: Option<Vec<u8>>,
    facts: &Facts,
) -> Result<Step, String> {
    let key = s.key.as_str();
    let (text, expect_sha) = match seen {
        Some(bytes) if bytes.len() >= MAX_EDIT_BYTES => {
            return Err(format!("{file} is too large to edit (64 KiB or more)"));
        }
        Some(bytes) => {
            let sha = sha256_hex(&bytes);
            match String::from_utf8(bytes) {
                Ok(t) => (t, Some(sha)),
                Err(_) => return Err(format!("{file} is not UTF-8 text")),
            }
        }
        None => (String::new(), None),
    };
    let new = set_config_line(&text, key, &s.expected);
    let diff = (!text.is_empty()).then(|| super::compare::unified_diff(file.as_str(), &text, &new));
    Ok(Step::WriteFile {
        item: file.as_str().into(),
        path: absolute(file.as_str(), &facts.home),
        content: new.into_bytes(),
        mode: None,
        owner: None,
        expect_sha,
        diff,
        setting: Some((key.into(), s.expected.clone())),
        sudo: sudo_for(file.as_str(), None, facts),
    })
}

/// Services: enable/disable and start/stop, only what differs.
fn plan_services(services: &[ServiceItem], ix: &MismatchIndex, out: &mut PlanSteps) {
    for v in services {
        let name = v.name.as_str();
        let ms = ix.of(ItemCategory::Services, name);
        if ms.is_empty() {
            continue;
        }
        if let Some(reason) = manual_reason(&ms) {
            out.manual(ItemType::Service, name, reason);
            continue;
        }
        let m = ms[0];
        out.services.push(Step::Service {
            name: name.into(),
            enable: v.enabled.filter(|e| m.actual.enabled != Some(*e)),
            start: v.running.filter(|r| m.actual.running != Some(*r)),
        });
    }
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

fn mode_text(m: &Option<Mode>) -> String {
    m.map(|m| m.to_string()).unwrap_or_else(|| "-".into())
}

/// The dry-run answer for a plan.
pub fn preview(server_id: &str, pack: &ResolvedPack, plan: &Plan) -> ApplyPreviewResponse {
    let mut out = PreviewItems::default();
    for s in &plan.steps {
        out.add(s);
    }
    let summary = out.summary();
    ApplyPreviewResponse {
        server_id: server_id.to_string(),
        pack_name: pack.id.clone(),
        dry_run: true,
        total_items: plan.item_count() as i64,
        files: out.files,
        packages: out.packages,
        settings: out.settings,
        paths: out.paths,
        services: out.services,
        manual: out.manual,
        summary,
        needs_sudo: plan.needs_sudo(),
    }
}

/// The dry run's lists, filled step by step, and the counts of path
/// changes the summary names (they share the `paths` list).
#[derive(Default)]
struct PreviewItems {
    files: Vec<DryRunFileItem>,
    packages: Vec<DryRunPackageItem>,
    settings: Vec<DryRunSettingItem>,
    paths: Vec<DryRunPathItem>,
    services: Vec<DryRunServiceItem>,
    manual: Vec<DryRunManualItem>,
    dirs_made: usize,
    attrs: usize,
    removals: usize,
}

impl PreviewItems {
    /// Describe one step in the list its kind belongs to.
    fn add(&mut self, step: &Step) {
        match step {
            Step::WriteFile {
                item,
                content,
                mode,
                expect_sha,
                diff,
                setting: None,
                ..
            } => self.files.push(file_write_preview(
                item,
                content,
                mode,
                expect_sha.is_some(),
                diff,
            )),
            Step::WriteFile {
                item,
                setting: Some((key, value)),
                ..
            } => self.settings.push(DryRunSettingItem {
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
                self.attrs += 1;
                self.paths.push(attrs_preview(item, mode, owner));
            }
            Step::MakeDir {
                item, mode, owner, ..
            } => {
                self.dirs_made += 1;
                self.paths.push(make_dir_preview(item, mode, owner));
            }
            Step::RemovePath { item, .. } => {
                self.removals += 1;
                self.paths.push(removal_preview(item));
            }
            Step::InstallPackages(ps) => self.packages.extend(ps.iter().map(package_preview)),
            Step::SetEnv { key, value } => self.settings.push(DryRunSettingItem {
                action: "set_env_var".into(),
                key: key.clone(),
                value: value.clone(),
                description: "Export it from the login profile (a block HomelabCmd manages)".into(),
            }),
            Step::Service {
                name,
                enable,
                start,
            } => self.services.push(DryRunServiceItem {
                action: service_actions(*enable, *start),
                service: name.clone(),
                description: format!("systemctl {}", service_actions(*enable, *start)),
            }),
            Step::Manual {
                item_type,
                item,
                reason,
            } => self.manual.push(DryRunManualItem {
                item_type: *item_type,
                item: item.clone(),
                reason: reason.clone(),
            }),
        }
    }

    /// One sentence: what will change, by kind, and how many items need
    /// a hand.
    fn summary(&self) -> String {
        let mut parts = Vec::new();
        let installs = self.packages.len();
        if installs > 0 {
            parts.push(format!(
                "install {}",
                plural(installs, "package", "packages")
            ));
        }
        let writes = self.files.len();
        if writes > 0 {
            parts.push(format!("write {}", plural(writes, "file", "files")));
        }
        if self.dirs_made > 0 {
            parts.push(format!(
                "create {}",
                plural(self.dirs_made, "directory", "directories")
            ));
        }
        if self.attrs > 0 {
            parts.push(format!(
                "fix permissions of {}",
                plural(self.attrs, "path", "paths")
            ));
        }
        if self.removals > 0 {
            parts.push(format!("remove {}", plural(self.removals, "path", "paths")));
        }
        let set = self.settings.len();
        if set > 0 {
            parts.push(format!("set {}", plural(set, "setting", "settings")));
        }
        let svc = self.services.len();
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
        if !self.manual.is_empty() {
            let n = self.manual.len();
            summary.push_str(&format!(
                "; {} need{} a manual fix",
                plural(n, "item", "items"),
                if n == 1 { "s" } else { "" }
            ));
        }
        summary
    }
}

/// A file created, or replaced with how many lines differ.
fn file_write_preview(
    item: &str,
    content: &[u8],
    mode: &Option<Mode>,
    replaces: bool,
    diff: &Option<String>,
) -> DryRunFileItem {
    let lines = String::from_utf8_lossy(content).lines().count();
    let (action, description) = if !replaces {
        (
            "create_file",
            format!("Create ({})", plural(lines, "line", "lines")),
        )
    } else {
        (
            "update_file",
            match lines_changed(diff.as_deref()) {
                Some(n) => format!(
                    "Replace the host's version ({} differ; backup kept as {item}{BACKUP_SUFFIX})",
                    plural(n, "line", "lines")
                ),
                None => {
                    format!("Replace the host's version (backup kept as {item}{BACKUP_SUFFIX})")
                }
            },
        )
    };
    DryRunFileItem {
        action: action.into(),
        path: item.to_string(),
        mode: mode_text(mode),
        description,
        diff: diff.clone(),
    }
}

fn attrs_preview(item: &str, mode: &Option<Mode>, owner: &Option<String>) -> DryRunPathItem {
    let mut what = Vec::new();
    if let Some(m) = mode {
        what.push(format!("mode {m}"));
    }
    if let Some(o) = owner {
        what.push(format!("owner {o}"));
    }
    DryRunPathItem {
        action: "set_attributes".into(),
        path: item.to_string(),
        mode: mode_text(mode),
        description: format!("Set {}", what.join(" and ")),
    }
}

fn make_dir_preview(item: &str, mode: &Option<Mode>, owner: &Option<String>) -> DryRunPathItem {
    DryRunPathItem {
        action: "create_directory".into(),
        path: item.to_string(),
        mode: mode_text(mode),
        description: match owner {
            Some(o) => format!("Create directory (owner {o})"),
            None => "Create directory".into(),
        },
    }
}

fn removal_preview(item: &str) -> DryRunPathItem {
    DryRunPathItem {
        action: "remove".into(),
        path: item.to_string(),
        mode: "-".into(),
        description: format!("The pack wants it absent: moved to {item}{BACKUP_SUFFIX}"),
    }
}

fn package_preview(p: &PlannedPackage) -> DryRunPackageItem {
    DryRunPackageItem {
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
    }
}

#[cfg(test)]
mod tests {
    //! Table tests: a pack and what its check found → the plan's steps;
    //! a plan → the dry run's lines and summary. The full
    //! check → apply → check loop runs in `apply_script`'s tests.

    use super::*;
    use crate::packs::compare::compare;
    use crate::packs::loader::test_pack;
    use crate::packs::report::{PathObs, PkgObs, SvcObs};

    fn facts() -> Facts {
        Facts {
            hostname: "nas".into(),
            user: "alice".into(),
            home: "/home/alice".into(),
        }
    }

    /// A report of `facts()` and nothing else: each case fills in the
    /// kinds its pack has.
    fn report() -> Report {
        Report {
            facts: facts(),
            ..Report::default()
        }
    }

    fn present(kind: FileType, mode: u32, owner: &str, content: Option<&str>) -> Option<PathObs> {
        Some(PathObs::Present {
            kind,
            mode: Some(mode),
            owner: Some(owner.into()),
            sha256: content.map(|c| sha256_hex(c.as_bytes())),
            content: content.map(|c| c.as_bytes().to_vec()),
            unreadable: false,
        })
    }

    fn file(content: &str) -> Option<PathObs> {
        present(FileType::File, 0o644, "alice:alice", Some(content))
    }

    fn dir(mode: u32) -> Option<PathObs> {
        present(FileType::Directory, mode, "alice:alice", None)
    }

    fn missing() -> Option<PathObs> {
        Some(PathObs::Missing)
    }

    fn pkg(status: &str, version: Option<&str>) -> Option<PkgObs> {
        Some(PkgObs {
            status: status.into(),
            version: version.map(str::to_string),
        })
    }

    fn svc(enabled: &str, active: &str) -> Option<SvcObs> {
        Some(SvcObs {
            enabled: enabled.into(),
            active: active.into(),
        })
    }

    /// What the check script prints for an env var (`\x1e`-fenced).
    fn env(value: Option<&str>) -> Option<Option<Vec<u8>>> {
        let raw = match value {
            Some(v) => format!("noise\u{1e}1\u{1e}{v}\u{1e}\n"),
            None => "\u{1e}0\u{1e}\u{1e}\n".to_string(),
        };
        Some(Some(raw.into_bytes()))
    }

    fn text(t: &str) -> Option<Option<Vec<u8>>> {
        Some(Some(t.as_bytes().to_vec()))
    }

    /// One line per step, with the fields that vary between cases.
    fn brief(s: &Step) -> String {
        let opt =
            |label: &str, v: Option<String>| v.map(|v| format!(" {label} {v}")).unwrap_or_default();
        let root = |sudo: &bool| if *sudo { " sudo" } else { "" };
        match s {
            Step::WriteFile {
                path,
                mode,
                owner,
                expect_sha,
                setting,
                sudo,
                ..
            } => format!(
                "write {path}{}{}{}{} {}{}",
                opt("set", setting.as_ref().map(|(k, v)| format!("{k}={v}"))),
                opt("mode", mode.map(|m| m.to_string())),
                opt("owner", owner.clone()),
                opt("guard", expect_sha.as_ref().map(|s| s[..8].to_string())),
                if expect_sha.is_some() {
                    "replacing"
                } else {
                    "new"
                },
                root(sudo)
            ),
            Step::SetAttrs {
                path,
                mode,
                owner,
                sudo,
                ..
            } => format!(
                "attrs {path}{}{}{}",
                opt("mode", mode.map(|m| m.to_string())),
                opt("owner", owner.clone()),
                root(sudo)
            ),
            Step::MakeDir {
                path,
                mode,
                owner,
                sudo,
                ..
            } => format!(
                "mkdir {path}{}{}{}",
                opt("mode", mode.map(|m| m.to_string())),
                opt("owner", owner.clone()),
                root(sudo)
            ),
            Step::RemovePath { path, sudo, .. } => format!("remove {path}{}", root(sudo)),
            Step::InstallPackages(ps) => {
                let names: Vec<String> = ps
                    .iter()
                    .map(|p| {
                        format!(
                            "{}{}{}",
                            p.name,
                            opt(">=", p.min_version.clone()),
                            if p.upgrade { " (upgrade)" } else { "" }
                        )
                    })
                    .collect();
                format!("install {}", names.join(", "))
            }
            Step::SetEnv { key, value } => format!("env {key}={value}"),
            Step::Service {
                name,
                enable,
                start,
            } => format!("service {name} {}", service_actions(*enable, *start)),
            Step::Manual {
                item_type,
                item,
                reason,
            } => format!("manual {item_type} {item}: {reason}"),
        }
    }

    struct PlanCase {
        name: &'static str,
        /// The pack's `items:` block.
        items: &'static str,
        report: Report,
        steps: &'static [&'static str],
    }

    fn plan_cases() -> Vec<PlanCase> {
        vec![
            PlanCase {
                name: "compliant items plan nothing",
                items: "  files:\n    - path: ~/a\n      content: \"a\\n\"\n  directories:\n    - path: ~/d\n      mode: \"0755\"\n  packages:\n    - name: jq\n  settings:\n    - key: EDITOR\n      expected: vim\n      type: env_var\n  services:\n    - name: ssh\n      running: true\n",
                report: Report {
                    files: vec![file("a\n")],
                    directories: vec![dir(0o755)],
                    packages: vec![pkg("installed", Some("1.7"))],
                    settings: vec![env(Some("vim"))],
                    services: vec![svc("enabled", "active")],
                    ..report()
                },
                steps: &[],
            },
            PlanCase {
                name: "a missing file is created with the pack's mode and owner",
                items: "  files:\n    - path: ~/a\n      mode: \"0600\"\n      owner: \"{{user}}\"\n      content: \"a\\n\"\n",
                report: Report {
                    files: vec![missing()],
                    ..report()
                },
                steps: &["write /home/alice/a mode 0600 owner alice new"],
            },
            PlanCase {
                name: "a changed file is replaced, guarded by the host's hash",
                items: "  files:\n    - path: ~/a\n      content: \"new\\n\"\n",
                report: Report {
                    files: vec![file("old\n")],
                    ..report()
                },
                steps: &["write /home/alice/a guard 01d09d19 replacing"],
            },
            PlanCase {
                name: "right content, wrong mode: only the mode is set",
                items: "  files:\n    - path: ~/a\n      mode: \"0600\"\n      owner: alice\n      content: \"a\\n\"\n",
                report: Report {
                    files: vec![file("a\n")],
                    ..report()
                },
                steps: &["attrs /home/alice/a mode 0600"],
            },
            PlanCase {
                name: "giving a home file to another user needs root",
                items: "  files:\n    - path: ~/a\n      owner: root\n",
                report: Report {
                    files: vec![file("a\n")],
                    ..report()
                },
                steps: &["attrs /home/alice/a owner root sudo"],
            },
            PlanCase {
                name: "a file outside the home needs root",
                items: "  files:\n    - path: /etc/motd\n      content: \"hi\\n\"\n",
                report: Report {
                    files: vec![missing()],
                    ..report()
                },
                steps: &["write /etc/motd new sudo"],
            },
            PlanCase {
                name: "a file the pack wants absent is removed",
                items: "  files:\n    - path: ~/gone\n      state: absent\n    - path: ~/already-gone\n      state: absent\n",
                report: Report {
                    files: vec![file("x\n"), missing()],
                    ..report()
                },
                steps: &["remove /home/alice/gone"],
            },
            PlanCase {
                name: "a symlink where a file should be is left to a hand",
                items: "  files:\n    - path: ~/a\n      content: \"a\\n\"\n",
                report: Report {
                    files: vec![present(FileType::Symlink, 0o777, "alice:alice", None)],
                    ..report()
                },
                steps: &[
                    "manual file ~/a: a symlink is where the pack wants a file: move it away by hand",
                ],
            },
            PlanCase {
                name: "a file known only by its hash cannot be written",
                items: "  files:\n    - path: ~/a\n      content_hash: \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n",
                report: Report {
                    files: vec![missing()],
                    ..report()
                },
                steps: &[
                    "manual file ~/a: the pack gives only a hash for this file, not its content",
                ],
            },
            PlanCase {
                name: "a file the check could not hash is not overwritten blind",
                items: "  files:\n    - path: ~/a\n      content: \"a\\n\"\n",
                report: Report {
                    files: vec![Some(PathObs::Present {
                        kind: FileType::File,
                        mode: Some(0o644),
                        owner: Some("alice:alice".into()),
                        sha256: None,
                        content: None,
                        unreadable: false,
                    })],
                    ..report()
                },
                steps: &["manual file ~/a: the check could not hash the host's file"],
            },
            PlanCase {
                name: "an unreadable file and a missing report line are check errors",
                items: "  files:\n    - path: ~/a\n      content: \"a\\n\"\n    - path: ~/b\n",
                report: Report {
                    files: vec![
                        Some(PathObs::Present {
                            kind: FileType::File,
                            mode: Some(0o600),
                            owner: Some("root:root".into()),
                            sha256: None,
                            content: None,
                            unreadable: true,
                        }),
                        None,
                    ],
                    ..report()
                },
                steps: &[
                    "manual file ~/a: the file is not readable by the SSH user",
                    "manual file ~/b: the check report has no line for this item",
                ],
            },
            PlanCase {
                name: "directories: made, fixed, removed, or left to a hand",
                items: "  directories:\n    - path: ~/new\n      mode: \"0750\"\n    - path: ~/loose\n      mode: \"0700\"\n    - path: ~/old\n      state: absent\n    - path: /srv/data\n      owner: \"{{user}}\"\n    - path: ~/is-a-file\n",
                report: Report {
                    directories: vec![missing(), dir(0o777), dir(0o755), missing(), file("x\n")],
                    ..report()
                },
                steps: &[
                    "mkdir /home/alice/new mode 0750",
                    "attrs /home/alice/loose mode 0700",
                    "mkdir /srv/data owner alice sudo",
                    "remove /home/alice/old",
                    "manual directory ~/is-a-file: a file is where the pack wants a directory: move it away by hand",
                ],
            },
            PlanCase {
                name: "packages: one install for the missing and the too old",
                items: "  packages:\n    - name: jq\n    - name: curl\n      min_version: \"8.0\"\n    - name: git\n      min_version: \"2.30\"\n    - name: vim\n",
                report: Report {
                    packages: vec![
                        pkg("not-installed", None),
                        pkg("installed", Some("7.88.1-10")),
                        pkg("installed", Some("1:2.39.2-1")),
                        pkg("config-files", Some("2:9.0")),
                    ],
                    ..report()
                },
                steps: &["install jq, curl >= 8.0 (upgrade), vim"],
            },
            PlanCase {
                name: "packages without dpkg are left to a hand",
                items: "  packages:\n    - name: jq\n",
                report: Report {
                    packages: vec![pkg("no-dpkg", None)],
                    ..report()
                },
                steps: &["manual package jq: dpkg-query is not available on the host"],
            },
            PlanCase {
                name: "settings: env vars and config lines are set, commands are not",
                items: "  settings:\n    - key: EDITOR\n      expected: vim\n      type: env_var\n    - key: level\n      expected: info\n      type: config\n      file: ~/app.conf\n    - key: port\n      expected: \"22\"\n      type: config\n      file: /etc/new.conf\n    - key: timezone\n      expected: Europe/Paris\n      type: command\n",
                report: Report {
                    settings: vec![
                        env(None),
                        text("level = debug\n"),
                        Some(None),
                        text("UTC\n"),
                    ],
                    ..report()
                },
                steps: &[
                    "env EDITOR=vim",
                    "write /home/alice/app.conf set level=info guard 04c96e9b replacing",
                    "write /etc/new.conf set port=22 new sudo",
                    "manual setting timezone: `timezone` is read from a command; set it on the host to `Europe/Paris`",
                ],
            },
            PlanCase {
                name: "config files too large or not text are left to a hand",
                items: "  settings:\n    - key: a\n      expected: \"1\"\n      type: config\n      file: ~/big.conf\n    - key: b\n      expected: \"1\"\n      type: config\n      file: ~/bin.conf\n",
                report: Report {
                    settings: vec![
                        Some(Some(vec![b'#'; MAX_EDIT_BYTES])),
                        Some(Some(vec![0xff, 0xfe, b'\n'])),
                    ],
                    ..report()
                },
                steps: &[
                    "manual setting a: ~/big.conf is too large to edit (64 KiB or more)",
                    "manual setting b: ~/bin.conf is not UTF-8 text",
                ],
            },
            PlanCase {
                name: "a config line in a file the pack writes is set by the write",
                items: "  files:\n    - path: ~/app.conf\n      content: \"level = info\\n\"\n    - path: ~/other.conf\n      content: \"x = 1\\n\"\n  settings:\n    - key: level\n      expected: info\n      type: config\n      file: ~/app.conf\n    - key: y\n      expected: \"2\"\n      type: config\n      file: ~/other.conf\n",
                report: Report {
                    files: vec![file("level = debug\n"), file("x = 1\n")],
                    settings: vec![text("level = debug\n"), text("x = 1\n")],
                    ..report()
                },
                steps: &[
                    "write /home/alice/app.conf guard 04c96e9b replacing",
                    "manual setting y: the pack's own content for ~/other.conf does not set `y` to `2`",
                ],
            },
            PlanCase {
                name: "services: only what differs is changed",
                items: "  services:\n    - name: nginx\n      enabled: true\n      running: true\n    - name: cups\n      enabled: false\n      running: false\n    - name: ssh\n      enabled: true\n      running: true\n    - name: cron\n",
                report: Report {
                    services: vec![
                        svc("disabled", "inactive"),
                        svc("disabled", "active"),
                        svc("no-systemd", "unknown"),
                        svc("enabled", "active"),
                    ],
                    ..report()
                },
                steps: &[
                    "service nginx enable+start",
                    "service cups stop",
                    "manual service ssh: systemctl is not available on the host",
                ],
            },
            PlanCase {
                name: "steps run directories, files, packages, settings, services, then manual",
                items: "  services:\n    - name: nginx\n      running: true\n  settings:\n    - key: EDITOR\n      expected: vim\n      type: env_var\n  packages:\n    - name: jq\n    - name: bad\n  files:\n    - path: ~/d/a\n      content: \"a\\n\"\n    - path: ~/link\n      content: \"a\\n\"\n  directories:\n    - path: ~/d\n",
                report: Report {
                    files: vec![
                        missing(),
                        present(FileType::Other, 0o600, "alice:alice", None),
                    ],
                    directories: vec![missing()],
                    packages: vec![pkg("not-installed", None), None],
                    settings: vec![env(Some("nano"))],
                    services: vec![svc("enabled", "failed")],
                    ..report()
                },
                steps: &[
                    "mkdir /home/alice/d",
                    "write /home/alice/d/a new",
                    "install jq",
                    "env EDITOR=vim",
                    "service nginx start",
                    "manual file ~/link: a other is where the pack wants a file: move it away by hand",
                    "manual package bad: the check report has no line for this item",
                ],
            },
        ]
    }

    #[test]
    fn plan_table() {
        for case in plan_cases() {
            let pack = test_pack(&format!("name: T\nitems:\n{}", case.items));
            let verdict = compare(&pack, &case.report);
            let got: Vec<String> = plan(&pack, &case.report, &verdict)
                .steps
                .iter()
                .map(brief)
                .collect();
            assert_eq!(got, case.steps, "{}", case.name);
        }
    }

    /// The fields the table abbreviates: a write carries the pack's
    /// content, the host's whole hash and the diff; a config edit the
    /// edited text.
    #[test]
    fn writes_carry_content_guard_and_diff() {
        let pack = test_pack(
            "name: T\nitems:\n  files:\n    - path: ~/a\n      content: \"new\\n\"\n  settings:\n    - key: level\n      expected: info\n      type: config\n      file: ~/app.conf\n",
        );
        let r = Report {
            files: vec![file("old\n")],
            settings: vec![text("# app\nlevel: debug\n")],
            ..report()
        };
        let todo = plan(&pack, &r, &compare(&pack, &r));
        let diff = "--- ~/a (host)\n+++ ~/a (pack)\n@@ -1 +1 @@\n-old\n+new\n";
        assert_eq!(
            todo.steps,
            vec![
                Step::WriteFile {
                    item: "~/a".into(),
                    path: "/home/alice/a".into(),
                    content: b"new\n".to_vec(),
                    mode: None,
                    owner: None,
                    expect_sha: Some(sha256_hex(b"old\n")),
                    diff: Some(diff.into()),
                    setting: None,
                    sudo: false,
                },
                Step::WriteFile {
                    item: "~/app.conf".into(),
                    path: "/home/alice/app.conf".into(),
                    content: b"# app\nlevel: info\n".to_vec(),
                    mode: None,
                    owner: None,
                    expect_sha: Some(sha256_hex(b"# app\nlevel: debug\n")),
                    diff: Some(
                        "--- ~/app.conf (host)\n+++ ~/app.conf (pack)\n@@ -1,2 +1,2 @@\n # app\n-level: debug\n+level: info\n"
                            .into()
                    ),
                    setting: Some(("level".into(), "info".into())),
                    sudo: false,
                },
            ]
        );
    }

    fn write(item: &str, content: &str, expect_sha: Option<&str>, diff: Option<&str>) -> Step {
        Step::WriteFile {
            item: item.into(),
            path: absolute(item, "/home/alice"),
            content: content.as_bytes().to_vec(),
            mode: Some(Mode(0o600)),
            owner: None,
            expect_sha: expect_sha.map(str::to_string),
            diff: diff.map(str::to_string),
            setting: None,
            sudo: !item.starts_with("~/"),
        }
    }

    fn package(name: &str, min_version: Option<&str>, upgrade: bool) -> PlannedPackage {
        PlannedPackage {
            name: name.into(),
            min_version: min_version.map(str::to_string),
            upgrade,
        }
    }

    fn manual(item_type: ItemType, item: &str) -> Step {
        Step::Manual {
            item_type,
            item: item.into(),
            reason: "by hand".into(),
        }
    }

    /// Every line of a dry run, list by list.
    fn preview_lines(p: &ApplyPreviewResponse) -> Vec<String> {
        let files = p
            .files
            .iter()
            .map(|f| format!("{} {} [{}]: {}", f.action, f.path, f.mode, f.description));
        let paths = p
            .paths
            .iter()
            .map(|f| format!("{} {} [{}]: {}", f.action, f.path, f.mode, f.description));
        let packages = p.packages.iter().map(|k| {
            format!(
                "{} {} {}: {}",
                k.action,
                k.package,
                k.version.as_deref().unwrap_or("-"),
                k.description
            )
        });
        let settings = p
            .settings
            .iter()
            .map(|s| format!("{} {}={}: {}", s.action, s.key, s.value, s.description));
        let services = p
            .services
            .iter()
            .map(|s| format!("{} {}: {}", s.action, s.service, s.description));
        let manual = p
            .manual
            .iter()
            .map(|m| format!("manual {} {}: {}", m.item_type, m.item, m.reason));
        files
            .chain(paths)
            .chain(packages)
            .chain(settings)
            .chain(services)
            .chain(manual)
            .collect()
    }

    struct PreviewCase {
        name: &'static str,
        steps: Vec<Step>,
        lines: &'static [&'static str],
        summary: &'static str,
    }

    fn preview_cases() -> Vec<PreviewCase> {
        vec![
            PreviewCase {
                name: "an empty plan",
                steps: vec![],
                lines: &[],
                summary: "Nothing to change: the machine already matches the pack",
            },
            PreviewCase {
                name: "files created and replaced",
                steps: vec![
                    write("~/a", "one\ntwo\n", None, None),
                    write(
                        "~/b",
                        "x\n",
                        Some("abc"),
                        Some("--- b\n+++ b\n@@ -1 +1 @@\n-y\n+x\n"),
                    ),
                    write("/etc/c", "x\n", Some("abc"), None),
                ],
                lines: &[
                    "create_file ~/a [0600]: Create (2 lines)",
                    "update_file ~/b [0600]: Replace the host's version (2 lines differ; backup kept as ~/b.homelabcmd.bak)",
                    "update_file /etc/c [0600]: Replace the host's version (backup kept as /etc/c.homelabcmd.bak)",
                ],
                summary: "Will write 3 files",
            },
            PreviewCase {
                name: "path changes",
                steps: vec![
                    Step::MakeDir {
                        item: "~/d".into(),
                        path: "/home/alice/d".into(),
                        mode: Some(Mode(0o750)),
                        owner: None,
                        sudo: false,
                    },
                    Step::MakeDir {
                        item: "/srv/d".into(),
                        path: "/srv/d".into(),
                        mode: None,
                        owner: Some("alice".into()),
                        sudo: true,
                    },
                    Step::SetAttrs {
                        item: "~/a".into(),
                        path: "/home/alice/a".into(),
                        mode: Some(Mode(0o600)),
                        owner: Some("root".into()),
                        sudo: true,
                    },
                    Step::SetAttrs {
                        item: "~/b".into(),
                        path: "/home/alice/b".into(),
                        mode: None,
                        owner: Some("alice".into()),
                        sudo: false,
                    },
                    Step::RemovePath {
                        item: "~/gone".into(),
                        path: "/home/alice/gone".into(),
                        sudo: false,
                    },
                ],
                lines: &[
                    "create_directory ~/d [0750]: Create directory",
                    "create_directory /srv/d [-]: Create directory (owner alice)",
                    "set_attributes ~/a [0600]: Set mode 0600 and owner root",
                    "set_attributes ~/b [-]: Set owner alice",
                    "remove ~/gone [-]: The pack wants it absent: moved to ~/gone.homelabcmd.bak",
                ],
                summary: "Will create 2 directories, fix permissions of 2 paths and remove 1 path",
            },
            PreviewCase {
                name: "packages installed and upgraded",
                steps: vec![Step::InstallPackages(vec![
                    package("jq", None, false),
                    package("curl", Some("8.0"), true),
                    package("git", Some("2.30"), false),
                ])],
                lines: &[
                    "install_package jq -: Install (apt-get install)",
                    "upgrade_package curl 8.0: Upgrade to 8.0 or newer (apt-get install)",
                    "install_package git 2.30: Install, 2.30 or newer (apt-get install)",
                ],
                summary: "Will install 3 packages",
            },
            PreviewCase {
                name: "settings and services",
                steps: vec![
                    Step::WriteFile {
                        item: "~/app.conf".into(),
                        path: "/home/alice/app.conf".into(),
                        content: b"level = info\n".to_vec(),
                        mode: None,
                        owner: None,
                        expect_sha: Some("abc".into()),
                        diff: None,
                        setting: Some(("level".into(), "info".into())),
                        sudo: false,
                    },
                    Step::SetEnv {
                        key: "EDITOR".into(),
                        value: "vim".into(),
                    },
                    Step::Service {
                        name: "nginx".into(),
                        enable: Some(true),
                        start: Some(true),
                    },
                    Step::Service {
                        name: "cups".into(),
                        enable: None,
                        start: Some(false),
                    },
                ],
                lines: &[
                    "set_config level=info: Set `level` in ~/app.conf (backup kept as ~/app.conf.homelabcmd.bak)",
                    "set_env_var EDITOR=vim: Export it from the login profile (a block HomelabCmd manages)",
                    "enable+start nginx: systemctl enable+start",
                    "stop cups: systemctl stop",
                ],
                summary: "Will set 2 settings and change 2 services",
            },
            PreviewCase {
                name: "only manual items",
                steps: vec![manual(ItemType::File, "~/link")],
                lines: &["manual file ~/link: by hand"],
                summary: "Nothing to change: the machine already matches the pack; 1 item needs a manual fix",
            },
            PreviewCase {
                name: "one of every kind",
                steps: vec![
                    Step::MakeDir {
                        item: "~/d".into(),
                        path: "/home/alice/d".into(),
                        mode: None,
                        owner: None,
                        sudo: false,
                    },
                    write("~/d/a", "a\n", None, None),
                    Step::SetAttrs {
                        item: "~/b".into(),
                        path: "/home/alice/b".into(),
                        mode: Some(Mode(0o644)),
                        owner: None,
                        sudo: false,
                    },
                    Step::RemovePath {
                        item: "~/gone".into(),
                        path: "/home/alice/gone".into(),
                        sudo: false,
                    },
                    Step::InstallPackages(vec![package("jq", None, false)]),
                    Step::SetEnv {
                        key: "EDITOR".into(),
                        value: "vim".into(),
                    },
                    Step::Service {
                        name: "nginx".into(),
                        enable: Some(false),
                        start: None,
                    },
                    manual(ItemType::Setting, "timezone"),
                    manual(ItemType::Service, "ssh"),
                ],
                lines: &[
                    "create_file ~/d/a [0600]: Create (1 line)",
                    "create_directory ~/d [-]: Create directory",
                    "set_attributes ~/b [0644]: Set mode 0644",
                    "remove ~/gone [-]: The pack wants it absent: moved to ~/gone.homelabcmd.bak",
                    "install_package jq -: Install (apt-get install)",
                    "set_env_var EDITOR=vim: Export it from the login profile (a block HomelabCmd manages)",
                    "disable nginx: systemctl disable",
                    "manual setting timezone: by hand",
                    "manual service ssh: by hand",
                ],
                summary: "Will install 1 package, write 1 file, create 1 directory, fix permissions of 1 path, remove 1 path, set 1 setting and change 1 service; 2 items need a manual fix",
            },
        ]
    }

    #[test]
    fn preview_table() {
        let pack = test_pack("name: T\nitems: {}\n");
        for case in preview_cases() {
            let todo = Plan { steps: case.steps };
            let p = preview("srv-1", &pack, &todo);
            assert_eq!(preview_lines(&p), case.lines, "{}", case.name);
            assert_eq!(p.summary, case.summary, "{}", case.name);
            assert_eq!(p.total_items, todo.item_count() as i64, "{}", case.name);
            assert_eq!(p.needs_sudo, todo.needs_sudo(), "{}", case.name);
            assert_eq!((p.server_id.as_str(), p.pack_name.as_str()), ("srv-1", "t"));
            assert!(p.dry_run);
        }
    }

    #[test]
    fn preview_counts_items_and_sudo() {
        let todo = Plan {
            steps: vec![
                write("~/a", "a\n", None, None),
                Step::InstallPackages(vec![
                    package("jq", None, false),
                    package("vim", None, false),
                ]),
                manual(ItemType::File, "~/x"),
            ],
        };
        let p = preview("s", &test_pack("name: T\n"), &todo);
        assert_eq!(p.total_items, 4);
        assert!(p.needs_sudo, "apt-get runs as root");
        let home_only = Plan {
            steps: vec![write("~/a", "a\n", None, None)],
        };
        assert!(!preview("s", &test_pack("name: T\n"), &home_only).needs_sudo);
    }
}
