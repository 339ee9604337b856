//! For the unit tests of `check` and `apply`: machine `nas` in a real
//! temporary database following pack `dev`, and the check reports its host
//! would print (the format of `homelabcmd_core::packs::report`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use homelabcmd_core::packs::ResolvedPack;
use homelabcmd_core::packs::compare::sha256_hex;
use homelabcmd_core::packs::loader::{parse_pack, resolve_all};
use homelabcmd_core::packs::report::{FOOTER, HEADER};

use crate::config::Config;
use crate::db::{self, test_db};
use crate::notify::Outbox;

/// The machine.
pub const SERVER: &str = "nas";
/// The SSH user's home, as the check reports it.
pub const HOME: &str = "/home/alice";
/// `~/.gitconfig` as the pack wants it.
pub const GITCONFIG: &str = "[user]\n  name = Alice\n";
/// `~/.gitconfig` as the host has it before an apply.
pub const HOST_GITCONFIG: &str = "[user]\n  name = alice\n";

/// Four items, one of each kind the check reports on.
const DEV: &str = r#"name: Dev
items:
  files:
    - path: ~/.gitconfig
      mode: "0644"
      content: "[user]\n  name = Alice\n"
  directories:
    - path: ~/.local/bin
  packages:
    - name: jq
  settings:
    - key: EDITOR
      expected: vim
      type: env_var
"#;

/// Pack `dev`.
pub fn pack() -> ResolvedPack {
    let loaded = parse_pack("dev", Path::new("dev.yaml"), DEV, Path::new("/nonexistent"))
        .unwrap_or_else(|e| panic!("pack dev: {e:?}"));
    let own = BTreeMap::from([("dev".to_string(), loaded)]);
    resolve_all(&own).0.remove("dev").expect("dev resolves")
}

/// A database with `nas` following `base` and `dev` (drift detection on),
/// and notifications going to Slack, so alerts queue outbox rows.
pub async fn outbox() -> (Outbox, tempfile::TempDir) {
    let (db, dir) = test_db().await;
    let machine = serde_json::from_value(serde_json::json!({
        "id": SERVER, "hostname": "nas.lan", "display_name": "The NAS",
    }))
    .unwrap();
    assert!(db::servers::create(&db, &machine).await.unwrap());
    db::packs::set_assignment(&db, SERVER, &["base".into(), "dev".into()], Some(true), 0)
        .await
        .unwrap();
    let config = Config {
        slack_webhook_url: Some("https://hooks.example/services/x".into()),
        ..Config::default()
    };
    let outbox = Outbox {
        db,
        config: Arc::new(config),
        wake: Arc::new(tokio::sync::Notify::new()),
    };
    (outbox, dir)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A whole report: what a login shell printed first, the header, the
/// facts, `lines`, the footer.
pub fn report(lines: &[String]) -> Vec<u8> {
    let mut out = format!(
        "welcome to nas\n{HEADER}\nFACT\tuser\t{}\nFACT\thome\t{}\nFACT\thostname\t{}\n",
        b64(b"alice"),
        b64(HOME.as_bytes()),
        b64(b"nas\n"),
    );
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(FOOTER);
    out.push('\n');
    out.into_bytes()
}

/// `~/.gitconfig` (file 0) with `content`: its whole text comes back only
/// when it is not the pack's.
pub fn gitconfig(content: &str) -> String {
    let sent = if content == GITCONFIG {
        "-".to_string()
    } else {
        format!("b:{}", b64(content.as_bytes()))
    };
    format!(
        "F\t0\t1\tf\t644\talice:alice\t{}\t{sent}",
        sha256_hex(content.as_bytes())
    )
}

/// `~/.local/bin` (directory 0) there, or missing.
pub fn local_bin(present: bool) -> String {
    if present {
        "D\t0\t1\td\t755\talice:alice\t-\t-".into()
    } else {
        "D\t0\t0".into()
    }
}

/// `jq` (package 0) installed, or not.
pub fn jq(installed: bool) -> String {
    if installed {
        "P\t0\tinstalled\t1.6-2.1".into()
    } else {
        "P\t0\tnot-installed\t-".into()
    }
}

/// `EDITOR` (setting 0) in the login shell: set to `value`, or unset.
pub fn editor(value: Option<&str>) -> String {
    let fenced = match value {
        Some(v) => format!("\u{1e}1\u{1e}{v}\u{1e}"),
        None => "\u{1e}\u{1e}\u{1e}".into(),
    };
    format!("S\t0\tb:{}", b64(fenced.as_bytes()))
}

/// The host as the pack wants it.
pub fn compliant() -> Vec<u8> {
    report(&[
        gitconfig(GITCONFIG),
        local_bin(true),
        jq(true),
        editor(Some("vim")),
    ])
}

/// Every item off: other `.gitconfig`, no `~/.local/bin`, no `jq`, no
/// `EDITOR`.
pub fn drifted() -> Vec<u8> {
    report(&[
        gitconfig(HOST_GITCONFIG),
        local_bin(false),
        jq(false),
        editor(None),
    ])
}
