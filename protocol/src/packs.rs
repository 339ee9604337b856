//! Configuration packs: listing, assignment, compliance checks, diffs and
//! the fleet summary (HomelabCmd's contract names). Fields and enum values
//! beyond the contract are listed in docs/API.md's extensions table.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::api_type;
use crate::names::wire_enum;

wire_enum! {
/// What kind of difference a mismatch is.
pub enum MismatchType {
    /// A file or directory that should exist does not.
    MissingFile = "missing_file",
    /// Mode differs.
    WrongPermissions = "wrong_permissions",
    /// Content (hash) differs.
    WrongContent = "wrong_content",
    /// Package not installed.
    MissingPackage = "missing_package",
    /// Installed version below `min_version`.
    WrongVersion = "wrong_version",
    /// Setting value differs.
    WrongSetting = "wrong_setting",
    /// (extension) Owner or group differs.
    WrongOwner = "wrong_owner",
    /// (extension) A file where a directory is expected or the reverse.
    WrongType = "wrong_type",
    /// (extension) A path with `state: absent` exists.
    UnexpectedFile = "unexpected_file",
    /// (extension) Service not enabled / running as expected.
    WrongService = "wrong_service",
    /// (extension) The item could not be checked (unreadable file, a
    /// malformed or truncated report line).
    CheckError = "check_error",
}

/// State of an apply run.
pub enum ApplyStatus {
    /// Accepted, not started.
    Pending = "pending",
    /// Items are being applied.
    Running = "running",
    /// Every step ran (some items may have failed: see `items_failed`).
    Completed = "completed",
    /// The run stopped: the host could not be reached, or the hub restarted.
    Failed = "failed",
}

/// A machine's compliance as its newest check found it.
pub enum ComplianceStatus {
    /// The newest check found no mismatch.
    Compliant = "compliant",
    /// The newest check found mismatches.
    NonCompliant = "non_compliant",
    /// Never checked.
    NeverChecked = "never_checked",
}

/// Whether a pack wants a path to exist.
#[derive(Default)]
pub enum PathState {
    /// It must exist.
    #[default]
    Present = "present",
    /// It must not exist.
    Absent = "absent",
}

/// What part of a pack a mismatch belongs to.
#[derive(PartialOrd, Ord)]
pub enum ItemCategory {
    /// Files and (extension) directories.
    Files = "files",
    /// Packages.
    Packages = "packages",
    /// Settings.
    Settings = "settings",
    /// (extension) Services.
    Services = "services",
    /// (extension) The check report as a whole (truncated, malformed), not
    /// one item.
    Report = "report",
}

/// What kind of item an apply or removal step is about.
pub enum ItemType {
    /// A managed file.
    File = "file",
    /// (extension) A managed directory.
    Directory = "directory",
    /// A package.
    Package = "package",
    /// A setting.
    Setting = "setting",
    /// (extension) A systemd unit.
    Service = "service",
}

/// What kind of filesystem object a path is, or should be.
pub enum FileType {
    /// A regular file (or a symlink to one).
    File = "file",
    /// A directory (or a symlink to one).
    Directory = "directory",
    /// A symlink whose target does not exist.
    Symlink = "symlink",
    /// Anything else: a socket, a device, a FIFO.
    Other = "other",
}

/// What removing a pack did to one item.
pub enum RemoveAction {
    /// A file was deleted, or replaced by its backup (see `backup_path`).
    Deleted = "deleted",
    /// Left alone: a package, a file already gone, a config file without
    /// a backup.
    Skipped = "skipped",
    /// A setting was removed (an environment variable, a config file put
    /// back from its backup).
    Removed = "removed",
    /// It could not be done: see `error`.
    Failed = "failed",
}

/// Where a setting's value is read from.
pub enum SettingType {
    /// `key` is an environment variable of the login environment.
    EnvVar = "env_var",
    /// `key` is a `key = value` / `key value` / `key: value` line of `file`.
    Config = "config",
    /// (extension) `key` names a whitelisted read-only command.
    Command = "command",
}
}

api_type! {
/// `GET /api/v1/config/packs`.
pub struct ConfigPackListResponse {
    /// Every pack that loaded (invalid ones are skipped and logged).
    pub packs: Vec<ConfigPackMetadata>,
    /// Number of packs.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// One pack in the list.
pub struct ConfigPackMetadata {
    /// Pack id: the file name without `.yaml`.
    pub name: String,
    /// Display name from the file's `name:`.
    pub display_name: String,
    /// What the pack is for.
    pub description: String,
    /// Items including inherited ones.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub item_count: i64,
    /// Parent pack id.
    pub extends: Option<String>,
    /// The pack file's modification time.
    pub last_updated: DateTime<Utc>,
    /// (extension) The author's `version:` of the pack.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub version: Option<i64>,
}

/// `GET /api/v1/config/packs/{pack_name}`.
pub struct ConfigPack {
    /// Display name.
    pub name: String,
    /// What the pack is for.
    pub description: String,
    /// Parent pack id.
    pub extends: Option<String>,
    /// Items (inherited ones first when `resolve_extends`).
    pub items: PackItems,
    /// (extension) The author's `version:` of the pack.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub version: Option<i64>,
}

/// A pack's items.
pub struct PackItems {
    /// Managed files.
    pub files: Vec<FileItem>,
    /// Required packages.
    pub packages: Vec<PackageItem>,
    /// Expected settings.
    pub settings: Vec<SettingItem>,
    /// (extension) Managed directories.
    #[serde(default)]
    pub directories: Vec<DirectoryItem>,
    /// (extension) Service states.
    #[serde(default)]
    pub services: Vec<ServiceItem>,
}

/// A managed file.
pub struct FileItem {
    /// Path; `~/` is the login user's home.
    pub path: String,
    /// Octal mode, e.g. `0644` (empty when the pack does not check it).
    pub mode: String,
    /// Template file name under `templates/`.
    pub template: Option<String>,
    /// Expected `sha256:<hex>` of the content, when the pack fixes it
    /// (inline content; templates depend on the host).
    pub content_hash: Option<String>,
    /// What the file is.
    pub description: Option<String>,
    /// (extension) `user` or `user:group`.
    #[serde(default)]
    pub owner: Option<String>,
    /// (extension) `present` or `absent`.
    #[serde(default)]
    pub state: Option<PathState>,
    /// (extension) The inline content.
    #[serde(default)]
    pub content: Option<String>,
}

/// (extension) A managed directory.
pub struct DirectoryItem {
    /// Path; `~/` is the login user's home.
    pub path: String,
    /// Octal mode, when checked.
    pub mode: Option<String>,
    /// `user` or `user:group`.
    pub owner: Option<String>,
    /// `present` or `absent`.
    pub state: PathState,
    /// What the directory is for.
    pub description: Option<String>,
}

/// A required package.
pub struct PackageItem {
    /// Debian package name.
    pub name: String,
    /// Lowest acceptable version (dpkg ordering).
    pub min_version: Option<String>,
    /// What the package is for.
    pub description: Option<String>,
}

/// An expected setting.
pub struct SettingItem {
    /// Variable, config key, or (extension) whitelisted command name.
    pub key: String,
    /// Expected value.
    pub expected: String,
    /// `env_var`, `config`, or (extension) `command`.
    #[serde(rename = "type")]
    pub kind: SettingType,
    /// What the setting does.
    pub description: Option<String>,
    /// (extension) The file of a `config` setting.
    #[serde(default)]
    pub file: Option<String>,
}

/// (extension) A systemd unit's expected state.
pub struct ServiceItem {
    /// Unit name.
    pub name: String,
    /// Should be enabled at boot.
    pub enabled: Option<bool>,
    /// Should be running.
    pub running: Option<bool>,
    /// What the service is.
    pub description: Option<String>,
}

/// `GET`/`PUT /api/v1/servers/{server_id}/config/packs`.
pub struct PackAssignmentResponse {
    /// Server slug.
    pub server_id: String,
    /// Assigned pack ids (the machine-type default when none were set).
    pub assigned_packs: Vec<String>,
    /// Whether drift detection runs for this server.
    pub drift_detection_enabled: bool,
}

/// `PUT /api/v1/servers/{server_id}/config/packs`.
pub struct PackAssignmentRequest {
    /// Pack ids; must include `base`.
    pub packs: Vec<String>,
    /// (extension) Turn drift detection on or off; unchanged when absent.
    #[serde(default)]
    pub drift_detection_enabled: Option<bool>,
}

/// `POST /api/v1/servers/{server_id}/config/check`.
pub struct ConfigCheckRequest {
    /// Pack to check against.
    pub pack_name: String,
}

/// A check's result.
pub struct ConfigCheckResponse {
    /// Server slug.
    pub server_id: String,
    /// Pack checked.
    pub pack_name: String,
    /// No mismatches.
    pub is_compliant: bool,
    /// What differs.
    pub mismatches: Vec<MismatchItem>,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// How long it took.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub check_duration_ms: i64,
}

/// One difference.
pub struct MismatchItem {
    /// Kind of difference.
    #[serde(rename = "type")]
    pub kind: MismatchType,
    /// File path, package name, setting key or (extension) service name.
    pub item: String,
    /// What the pack wants.
    pub expected: MismatchExpected,
    /// What the host has.
    pub actual: MismatchActual,
}

/// Expected state (only the fields that matter for the item are set).
#[derive(Default)]
pub struct MismatchExpected {
    /// File should exist.
    pub exists: Option<bool>,
    /// Octal mode.
    pub mode: Option<String>,
    /// sha256 hex of the content.
    pub hash: Option<String>,
    /// Package should be installed.
    pub installed: Option<bool>,
    /// Lowest acceptable version.
    pub min_version: Option<String>,
    /// Setting value.
    pub value: Option<String>,
    /// (extension) `user` or `user:group`.
    #[serde(default)]
    pub owner: Option<String>,
    /// (extension) `file` or `directory`.
    #[serde(default)]
    pub file_type: Option<FileType>,
    /// (extension) Service enabled at boot.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// (extension) Service running.
    #[serde(default)]
    pub running: Option<bool>,
}

/// Actual state found.
#[derive(Default)]
pub struct MismatchActual {
    /// File exists.
    pub exists: Option<bool>,
    /// Octal mode.
    pub mode: Option<String>,
    /// sha256 hex of the content.
    pub hash: Option<String>,
    /// Package installed.
    pub installed: Option<bool>,
    /// Installed version.
    pub version: Option<String>,
    /// Setting value (`null`: unset / not found).
    pub value: Option<String>,
    /// (extension) `user:group`.
    #[serde(default)]
    pub owner: Option<String>,
    /// (extension) `file`, `directory`, `symlink` or `other`.
    #[serde(default)]
    pub file_type: Option<FileType>,
    /// (extension) Service enabled at boot.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// (extension) Service running.
    #[serde(default)]
    pub running: Option<bool>,
    /// (extension) Why the item could not be checked.
    #[serde(default)]
    pub error: Option<String>,
}

/// `GET /api/v1/servers/{server_id}/config/checks`.
pub struct ConfigCheckHistoryResponse {
    /// Server slug.
    pub server_id: String,
    /// Newest first.
    pub checks: Vec<ConfigCheckHistoryItem>,
    /// Checks stored for this server.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// One past check.
pub struct ConfigCheckHistoryItem {
    /// Check id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Pack checked.
    pub pack_name: String,
    /// No mismatches.
    pub is_compliant: bool,
    /// Number of mismatches.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub mismatch_count: i64,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// How long it took.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub check_duration_ms: i64,
}

/// `GET /api/v1/servers/{server_id}/config/diff?pack=`.
pub struct ConfigDiffResponse {
    /// Server slug.
    pub server_id: String,
    /// Pack checked.
    pub pack_name: String,
    /// No mismatches.
    pub is_compliant: bool,
    /// Counts.
    pub summary: DiffSummary,
    /// Mismatches with diffs.
    pub mismatches: Vec<DiffMismatchItem>,
    /// When the newest check ran.
    pub checked_at: DateTime<Utc>,
}

/// Counts of a diff.
pub struct DiffSummary {
    /// Items checked.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_items: i64,
    /// Items without a mismatch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub compliant: i64,
    /// Items with at least one mismatch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub mismatched: i64,
}

/// A mismatch with its category and, for content, a unified diff.
pub struct DiffMismatchItem {
    /// Kind of difference.
    #[serde(rename = "type")]
    pub kind: MismatchType,
    /// `files`, `packages`, `settings`; extensions: `services`, and
    /// `report` for a check report that could not be read as a whole.
    pub category: ItemCategory,
    /// File path, package name, setting key or service name.
    pub item: String,
    /// What the pack wants.
    pub expected: MismatchExpected,
    /// What the host has.
    pub actual: MismatchActual,
    /// Unified diff from the host's file (`---`) to the pack's (`+++`).
    pub diff: Option<String>,
}

/// `GET /api/v1/config/compliance`.
pub struct ComplianceSummaryResponse {
    /// Counts.
    pub summary: ComplianceSummaryStats,
    /// Every machine, checked or not.
    pub machines: Vec<ComplianceMachineSummary>,
}

/// Fleet counts.
pub struct ComplianceSummaryStats {
    /// Machines whose newest check found nothing.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub compliant: i64,
    /// Machines whose newest check found mismatches.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub non_compliant: i64,
    /// Machines never checked.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub never_checked: i64,
    /// All machines.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// One machine's compliance.
pub struct ComplianceMachineSummary {
    /// Server slug.
    pub id: String,
    /// Display name (hostname when unset).
    pub display_name: String,
    /// `compliant`, `non_compliant` or `never_checked`.
    pub status: ComplianceStatus,
    /// Pack of the newest check.
    pub pack: Option<String>,
    /// Mismatches of the newest check.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub mismatch_count: Option<i64>,
    /// When last checked.
    pub checked_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/servers/{server_id}/config/apply`.
pub struct ApplyRequest {
    /// Pack to apply.
    pub pack_name: String,
    /// Only return the plan; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// 202 answer to an apply: poll `GET .../config/apply/{apply_id}`.
pub struct ApplyInitiatedResponse {
    /// Apply run id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub apply_id: i64,
    /// Server slug.
    pub server_id: String,
    /// Pack applied.
    pub pack_name: String,
    /// `pending` or `running`.
    pub status: ApplyStatus,
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
}

/// 202 answer to a dry run: the plan, computed from a fresh check.
pub struct ApplyPreviewResponse {
    /// Server slug.
    pub server_id: String,
    /// Pack previewed.
    pub pack_name: String,
    /// Always true.
    pub dry_run: bool,
    /// Files to create or replace.
    pub files: Vec<DryRunFileItem>,
    /// Packages to install or upgrade.
    pub packages: Vec<DryRunPackageItem>,
    /// Settings to set.
    pub settings: Vec<DryRunSettingItem>,
    /// Number of planned changes (manual items included).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_items: i64,
    /// (extension) Directories to create, modes and owners to set, paths
    /// the pack wants absent.
    #[serde(default)]
    pub paths: Vec<DryRunPathItem>,
    /// (extension) Services to enable, disable, start or stop.
    #[serde(default)]
    pub services: Vec<DryRunServiceItem>,
    /// (extension) Differences the hub cannot fix, with the reason.
    #[serde(default)]
    pub manual: Vec<DryRunManualItem>,
    /// (extension) One line for a confirmation dialog, e.g.
    /// "Will install 2 packages and write 3 files".
    #[serde(default)]
    pub summary: String,
    /// (extension) Whether any step runs with sudo.
    #[serde(default)]
    pub needs_sudo: bool,
}

/// A planned file write.
pub struct DryRunFileItem {
    /// `create_file` or `update_file`.
    pub action: String,
    /// Path as written in the pack (`~/` = the SSH user's home).
    pub path: String,
    /// Mode it will have (`0644`); `-` keeps the host's.
    pub mode: String,
    /// What will change, for people.
    pub description: String,
    /// (extension) Unified diff from the host's file to the pack's, for updates.
    #[serde(default)]
    pub diff: Option<String>,
}

/// A planned package install.
pub struct DryRunPackageItem {
    /// `install_package` or `upgrade_package`.
    pub action: String,
    /// Debian package name.
    pub package: String,
    /// Minimum version the pack asks for.
    pub version: Option<String>,
    /// What will change, for people.
    pub description: String,
}

/// A planned setting change.
pub struct DryRunSettingItem {
    /// `set_env_var` or `set_config`.
    pub action: String,
    /// Setting key.
    pub key: String,
    /// Value it will have.
    pub value: String,
    /// What will change, for people.
    pub description: String,
}

/// (extension) A planned change to a path other than writing a file.
pub struct DryRunPathItem {
    /// `create_directory`, `set_attributes` or `remove`.
    pub action: String,
    /// Path as written in the pack.
    pub path: String,
    /// Mode it will have, or `-`.
    pub mode: String,
    /// What will change, for people.
    pub description: String,
}

/// (extension) A planned service change.
pub struct DryRunServiceItem {
    /// `enable`, `disable`, `start`, `stop` (several joined with `+`).
    pub action: String,
    /// systemd unit.
    pub service: String,
    /// What will change, for people.
    pub description: String,
}

/// (extension) A difference apply leaves to the operator.
pub struct DryRunManualItem {
    /// `file`, `directory`, `package`, `setting` or `service`.
    pub item_type: ItemType,
    /// Path, package, key or unit.
    pub item: String,
    /// Why, and what to do.
    pub reason: String,
}

/// `GET /api/v1/servers/{server_id}/config/apply/{apply_id}`.
pub struct ApplyStatusResponse {
    /// Apply run id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub apply_id: i64,
    /// Server slug.
    pub server_id: String,
    /// Pack applied.
    pub pack_name: String,
    /// Run state.
    pub status: ApplyStatus,
    /// Percent of planned steps done (0–100).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub progress: i64,
    /// Item being applied now.
    pub current_item: Option<String>,
    /// Planned changes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items_total: i64,
    /// Changes applied successfully.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items_completed: i64,
    /// Changes that failed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items_failed: i64,
    /// Result per item, in order.
    pub items: Vec<ApplyItemResult>,
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// Why the run failed as a whole.
    pub error: Option<String>,
    /// (extension) The compliance check run after applying.
    #[serde(default)]
    pub recheck: Option<ApplyRecheck>,
}

/// One item's apply result.
pub struct ApplyItemResult {
    /// Path, package name, setting key or service name.
    pub item: String,
    /// `created`, `updated`, `attributes_set`, `removed`,
    /// `directory_created`, `installed`, `set`, `enable`/`start`/...,
    /// `manual` or `failed`.
    pub action: String,
    /// Whether it succeeded.
    pub success: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// (extension) `file`, `directory`, `package`, `setting` or `service`.
    #[serde(default)]
    pub item_type: Option<ItemType>,
    /// (extension) Where the replaced file was saved.
    #[serde(default)]
    pub backup_path: Option<String>,
}

/// (extension) The check that ends an apply run.
pub struct ApplyRecheck {
    /// `config_checks` id (see `.../config/checks`).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub check_id: i64,
    /// No mismatch left.
    pub is_compliant: bool,
    /// Mismatches left.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub mismatch_count: i64,
}

/// `DELETE /api/v1/servers/{server_id}/config/apply`.
pub struct RemoveRequest {
    /// Pack to remove.
    pub pack_name: String,
    /// false: preview only; true: remove.
    #[serde(default)]
    pub confirm: bool,
}

/// What removing a pack would do.
pub struct RemovePreviewResponse {
    /// Server slug.
    pub server_id: String,
    /// Pack.
    pub pack_name: String,
    /// Always true.
    pub preview: bool,
    /// Managed files: deleted, or restored from their backup when one exists.
    pub files: Vec<RemovePreviewFileItem>,
    /// Packages stay installed.
    pub packages: Vec<RemovePreviewPackageItem>,
    /// Settings removed (environment variables the hub wrote).
    pub settings: Vec<RemovePreviewSettingItem>,
    /// Number of items listed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_items: i64,
    /// For the confirmation dialog.
    pub warning: String,
}

/// A managed file removal would touch.
pub struct RemovePreviewFileItem {
    /// `delete` (restored from `backup_path` if that exists).
    pub action: String,
    /// Path as written in the pack.
    pub path: String,
    /// `<path>.homelabcmd.bak`.
    pub backup_path: String,
    /// For people.
    pub note: String,
}

/// A package removal leaves alone.
pub struct RemovePreviewPackageItem {
    /// Always `skip`.
    pub action: String,
    /// Package name.
    pub package: String,
    /// Why.
    pub note: String,
}

/// A setting removal would undo.
pub struct RemovePreviewSettingItem {
    /// `remove` or `skip`.
    pub action: String,
    /// Setting key.
    pub key: String,
    /// For people.
    pub note: String,
}

/// Result of removing a pack.
pub struct RemoveResponse {
    /// Server slug.
    pub server_id: String,
    /// Pack removed.
    pub pack_name: String,
    /// Every item that could be removed was.
    pub success: bool,
    /// Result per item.
    pub items: Vec<RemoveItemResult>,
    /// Files deleted or restored from backup.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items_deleted: i64,
    /// Packages left installed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items_skipped: i64,
    /// Settings removed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items_removed: i64,
    /// Items that failed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items_failed: i64,
    /// When removal finished.
    pub removed_at: DateTime<Utc>,
}

/// One item's removal result.
pub struct RemoveItemResult {
    /// Path, package name or setting key.
    pub item: String,
    /// `file`, `package` or `setting`.
    pub item_type: ItemType,
    /// `deleted` (a file: removed, or replaced by its backup when
    /// `backup_path` is set), `skipped`, `removed` (a setting) or `failed`.
    pub action: RemoveAction,
    /// Whether it succeeded.
    pub success: bool,
    /// The backup restored, for files.
    pub backup_path: Option<String>,
    /// For people.
    pub note: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}
}
