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
