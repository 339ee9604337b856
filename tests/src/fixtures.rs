//! Files under `tests/fixtures/`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A file under `tests/fixtures/`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A JSON fixture parsed into a value.
pub fn fixture_json(name: &str) -> Value {
    let path = fixture_path(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// A packs directory for a test hub: the shipped `base` pack and its
/// templates, plus one `fleet-test` pack with `yaml` as its text.
pub fn packs_dir_with_fleet_test(yaml: &str) -> tempfile::TempDir {
    let packs = tempfile::tempdir().unwrap();
    let shipped = crate::workspace_root().join("packs");
    fs::create_dir(packs.path().join("templates")).unwrap();
    for e in fs::read_dir(shipped.join("templates")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), packs.path().join("templates").join(e.file_name())).unwrap();
    }
    fs::copy(shipped.join("base.yaml"), packs.path().join("base.yaml")).unwrap();
    fs::write(packs.path().join("fleet-test.yaml"), yaml).unwrap();
    packs
}
