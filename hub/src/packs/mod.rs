//! Configuration packs: YAML files describing the files, directories,
//! packages, settings and services a machine should have (docs/packs.md),
//! and the compliance check against a host.
//!
//! Pure core, thin shell: [`loader`] reads a directory into a [`PackSet`]
//! (bad packs reported with `file:line:column` and skipped),
//! [`check_script::build`] turns a resolved pack into one read-only shell
//! script, [`report::parse`] reads its output defensively, and
//! [`compare::compare`] yields the mismatches. The loader reads files; the
//! SSH round trip lives with the caller (one `sh -c <script>` exec).

pub mod apply_script;
pub mod check_script;
pub mod compare;
pub mod fleet;
pub mod loader;
pub mod model;
pub mod plan;
pub mod report;
pub mod template;

pub use compare::{Comparison, compare};
pub use loader::{PackError, PackSet, ResolvedPack, load_dir};

use report::Counts;

impl ResolvedPack {
    /// Item counts, for [`report::parse`].
    pub fn counts(&self) -> Counts {
        Counts {
            files: self.items.files.len(),
            directories: self.items.directories.len(),
            packages: self.items.packages.len(),
            settings: self.items.settings.len(),
            services: self.items.services.len(),
        }
    }
}

/// Check a pack against a host's check-script output: parse, then compare.
pub fn evaluate(pack: &ResolvedPack, stdout: &[u8]) -> Comparison {
    compare(pack, &report::parse(stdout, pack.counts()))
}

/// The packs directory: `HOMELAB_CMD_PACKS_DIR`, else `./packs`.
pub fn dir_from_env() -> std::path::PathBuf {
    std::env::var_os("HOMELAB_CMD_PACKS_DIR")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("packs"))
}

/// `homelabcmd packs validate [DIR]`: print each pack with its item count
/// and every error as `file:line:column: field: message`; the exit code is
/// 1 when any pack is invalid (or none was found), else 0.
pub fn validate_cli(dir: Option<&std::path::Path>) -> std::process::ExitCode {
    let dir = dir
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(dir_from_env);
    let set = load_dir(&dir);
    for p in set.resolved.values() {
        println!(
            "ok    {} ({}): {} items{}",
            p.id,
            p.name,
            p.items.len(),
            p.extends
                .as_deref()
                .map(|e| format!(", extends {e}"))
                .unwrap_or_default()
        );
    }
    for e in &set.errors {
        eprintln!("error {e}");
    }
    if set.errors.is_empty() && !set.resolved.is_empty() {
        println!("{} packs valid in {}", set.resolved.len(), dir.display());
        std::process::ExitCode::SUCCESS
    } else {
        if set.resolved.is_empty() && set.errors.is_empty() {
            eprintln!("error {}: no *.yaml packs found", dir.display());
        }
        std::process::ExitCode::FAILURE
    }
}

/// Load the packs at hub start: each bad pack is logged and skipped; the
/// hub starts regardless.
pub fn load_at_start(dir: &std::path::Path) -> PackSet {
    let set = load_dir(dir);
    for e in &set.errors {
        tracing::warn!(error = %e, "config pack skipped");
    }
    tracing::info!(
        dir = %dir.display(),
        loaded = set.resolved.len(),
        skipped = set.errors.len(),
        "config packs loaded"
    );
    set
}
