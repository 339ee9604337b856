//! Browser end-to-end for the dashboard's SSH settings and pack apply: a
//! real SSH host of the test fleet (tests/src/fleet.rs), the real hub with a
//! packs directory, and Chromium driven by frontend/e2e/compliance.test.mjs.
//! The host starts with one file drifted and one missing; the browser sees
//! the diff, opens Apply, checks the preview against the hub's dry run,
//! confirms, follows the progress and reads a compliant re-check; then
//! removes the pack (preview, confirm) and the host is as it was.
//!
//! Skipped loudly without root (the fleet) or without node, Chromium,
//! frontend/node_modules or frontend/dist; under CI (`CI` set) those are
//! failures instead.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use homelabcmd_e2e::fleet::{Fleet, KEY_USER, give_to_key_user};
use homelabcmd_e2e::{Hub, HubOptions, packs_dir_with_fleet_test, workspace_root};
use serde_json::json;

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Why this machine cannot run the browser part, if it cannot.
fn browser_unavailable(frontend: &Path) -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("`node` not found".into());
    }
    if !chromium().exists() {
        return Some(format!(
            "{} not found (install chromium)",
            chromium().display()
        ));
    }
    if !frontend.join("node_modules/playwright-core").exists() {
        return Some("frontend/node_modules missing (npm ci in frontend/)".into());
    }
    if !frontend.join("dist/index.html").exists() {
        return Some("frontend/dist missing (npm run build in frontend/)".into());
    }
    None
}

#[test]
fn browser_compliance_apply_preview_progress_and_recheck() {
    let frontend = workspace_root().join("frontend");
    if let Some(reason) = browser_unavailable(&frontend) {
        if std::env::var_os("CI").is_some() {
            panic!("browser e2e unavailable under CI: {reason}");
        }
        eprintln!("\n!!!!!!!!!! SKIPPED: browser compliance e2e: {reason} !!!!!!!!!!\n");
        return;
    }
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };

    // The host shares this filesystem: the managed files live in the
    // fleet's directory. One file drifted, one missing.
    let root = fleet.shared_dir("managed-browser");
    fs::write(root.join("motd"), "hello from before\n").unwrap();
    give_to_key_user(&root);
    let r = root.display();

    let packs = packs_dir_with_fleet_test(&format!(
        "name: Fleet test\nitems:\n  files:\n    - path: {r}/motd\n      mode: \"0644\"\n      content: \"welcome to the lab\\n\"\n    - path: {r}/app.conf\n      mode: \"0644\"\n      content: \"listen = 8080\\n\"\n"
    ));

    let hub = Hub::start(HubOptions {
        env: vec![(
            "HOMELAB_CMD_PACKS_DIR".into(),
            packs.path().display().to_string(),
        )],
        ..HubOptions::default()
    });
    let api = hub.api();
    let host = fleet.host(0);
    api.add_ssh_machine(
        &json!({"id": "fleet-a", "hostname": "fleet-a", "display_name": "Lab host",
                "ip_address": host.ip().to_string()}),
        KEY_USER,
        &[("ssh_private_key", &fleet.client_private_key_pem())],
    );
    api.put(
        "/api/v1/servers/fleet-a/config/packs",
        &json!({"packs": ["base", "fleet-test"]}),
    )
    .expect(200);
    let check = api
        .post(
            "/api/v1/servers/fleet-a/config/check",
            &json!({"pack_name": "fleet-test"}),
        )
        .expect_json(200);
    assert_eq!(check["is_compliant"], false, "{check}");

    let mut node = Command::new("node");
    node.current_dir(&frontend)
        .args(["--test", "e2e/compliance.test.mjs"])
        .env("HUB_URL", hub.url())
        .env("API_KEY", hub.api_key())
        .env("SERVER_ID", "fleet-a")
        .env("PACK_NAME", "fleet-test");
    let out = node.output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "the browser test failed ({}); hub log tail:\n{}",
        out.status,
        hub.log()
            .chars()
            .rev()
            .take(4000)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    );
    // node --test exits 0 when every test was skipped: make sure they ran.
    assert!(
        stdout.contains("# pass 4"),
        "expected 4 passing browser tests:\n{stdout}"
    );

    // The browser's removal undid the apply on the host: the replaced file
    // is back from its backup, the created one is gone.
    assert_eq!(
        fs::read_to_string(root.join("motd")).unwrap(),
        "hello from before\n"
    );
    assert!(!root.join("app.conf").exists());
    assert!(!root.join("motd.homelabcmd.bak").exists());
}
