//! Finding the workspace's binaries, and keeping a developer's environment
//! out of the processes tests start.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Path of a workspace binary (`homelabcmd`, `homelabcmd-agent`).
///
/// Looks, in order, at the env override, next to this test executable
/// (`target/<profile>/deps/..`, which follows `CARGO_TARGET_DIR`, profiles and
/// `--target`), then `$CARGO_TARGET_DIR/debug` and `<workspace>/target/debug`.
pub fn binary(name: &str) -> PathBuf {
    let env_override = match name {
        "homelabcmd" => "HOMELABCMD_HUB_BIN",
        "homelabcmd-agent" => "HOMELABCMD_AGENT_BIN",
        _ => "",
    };
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os(env_override).filter(|_| !env_override.is_empty()) {
        candidates.push(PathBuf::from(p));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(profile_dir) = exe.parent().and_then(Path::parent)
    {
        candidates.push(profile_dir.join(name));
    }
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        let dir = if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
        candidates.push(dir.join(profile).join(name));
    }
    candidates.push(workspace_root().join("target").join(profile).join(name));

    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "binary `{name}` not found (looked at {candidates:?}); \
                 build it first: cargo build -p homelabcmd -p homelabcmd-agent"
            )
        })
}

/// The cargo workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate has a parent dir")
        .to_path_buf()
}

/// Remove our variables from a child's environment so a developer's shell
/// (or `scripts/run`) cannot leak configuration into a test process.
pub(crate) fn scrub_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("HOMELAB_")
            || key.starts_with("HOMELABCMD_")
            || key.eq_ignore_ascii_case("http_proxy")
            || key.eq_ignore_ascii_case("https_proxy")
            || key.eq_ignore_ascii_case("all_proxy")
        {
            cmd.env_remove(key);
        }
    }
}
