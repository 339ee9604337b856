//! The state directory and the server GUID persisted in it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::{Config, validate_guid};

const GUID_FILE: &str = "server_guid";

/// Picks a usable state directory. A configured one must work as given;
/// the built-in default falls back to a per-user directory so that running
/// the agent by hand as a normal user still works.
pub fn prepare_state_dir(config: &Config) -> Result<PathBuf> {
    match ensure_writable(&config.state_dir) {
        Ok(()) => Ok(config.state_dir.clone()),
        Err(e) if config.state_dir_explicit => Err(e).with_context(|| {
            format!(
                "state directory {} is not usable (set by HOMELAB_AGENT_STATE_DIR or state_dir)",
                config.state_dir.display()
            )
        }),
        Err(e) => {
            let Some(fallback) = user_state_dir() else {
                return Err(e).with_context(|| {
                    format!(
                        "state directory {} is not usable; set HOMELAB_AGENT_STATE_DIR",
                        config.state_dir.display()
                    )
                });
            };
            ensure_writable(&fallback).with_context(|| {
                format!(
                    "neither {} ({e:#}) nor {} is usable as state directory; set HOMELAB_AGENT_STATE_DIR",
                    config.state_dir.display(),
                    fallback.display()
                )
            })?;
            tracing::warn!(
                "state directory {} is not usable ({e:#}); using {} instead",
                config.state_dir.display(),
                fallback.display()
            );
            Ok(fallback)
        }
    }
}

fn user_state_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    nonempty("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| nonempty("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|d| d.join("homelabcmd-agent"))
}

fn ensure_writable(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"").with_context(|| format!("cannot write in {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The GUID from the state dir, or a new UUID v4 written there first so the
/// hub sees the same identity after every restart.
pub fn load_or_create_guid(state_dir: &Path) -> Result<String> {
    let path = state_dir.join(GUID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return validate_guid(&path.display().to_string(), &text).with_context(|| {
                format!(
                    "{} is corrupt; delete it to get a new identity, or set HOMELAB_AGENT_SERVER_GUID",
                    path.display()
                )
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let guid = uuid::Uuid::new_v4().hyphenated().to_string();
    write_atomically(&path, format!("{guid}\n").as_bytes())
        .with_context(|| format!("cannot persist server GUID to {}", path.display()))?;
    tracing::info!(%guid, path = %path.display(), "generated a new server GUID");
    Ok(guid)
}

/// Write to a temp file, flush to disk, then rename: a crash leaves either the
/// old file or the complete new one, never a torn one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let Some(name) = path.file_name() else {
        return Err(std::io::Error::other("path has no file name"));
    };
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// For `--print`, which must work even where no state can be written.
pub fn guid_for_print(config: &Config) -> String {
    if let Some(g) = &config.server_guid {
        return g.clone();
    }
    match prepare_state_dir(config).and_then(|dir| load_or_create_guid(&dir)) {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!("{e:#}; printing a throw-away GUID");
            uuid::Uuid::new_v4().hyphenated().to_string()
        }
    }
}

/// The configured GUID, else the persisted (or newly generated) one.
pub fn resolve_guid(config: &Config, state_dir: &Path) -> Result<String> {
    match &config.server_guid {
        Some(g) => Ok(g.clone()),
        None => load_or_create_guid(state_dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_guid(dir.path()).unwrap();
        let second = load_or_create_guid(dir.path()).unwrap();
        assert_eq!(first, second);
        assert!(validate_guid("x", &first).is_ok());
        assert!(!dir.path().join("server_guid.tmp").exists());
    }

    #[test]
    fn corrupt_guid_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(GUID_FILE), "garbage").unwrap();
        let err = format!("{:#}", load_or_create_guid(dir.path()).unwrap_err());
        assert!(err.contains("server_guid"), "{err}");
    }

    #[test]
    fn unusable_state_dir_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let err = ensure_writable(&file.join("sub")).unwrap_err();
        assert!(format!("{err:#}").contains("a-file"));
    }
}
