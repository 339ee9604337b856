//! The packs directory on the hub: where it is, loading it at start (bad
//! packs logged and skipped), and `homelabcmd packs validate`.

use homelabcmd_core::packs::{PackSet, load_dir};

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
