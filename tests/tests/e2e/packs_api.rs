//! Config packs through the real hub binary: a machine of the test fleet
//! (tests/src/fleet.rs) is registered with its address and key through the
//! API, `POST /servers/{id}/config/check` runs the pack's read-only script
//! over SSH, and the stored result shows in the diff, the history and the
//! fleet summary. Skipped loudly without root (see `Fleet::start_or_skip`).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use homelabcmd_e2e::contract::assert_conforms;
use homelabcmd_e2e::fleet::{Fleet, KEY_USER, give_to_key_user};
use homelabcmd_e2e::{Hub, HubOptions, assert_error, packs_dir_with_fleet_test};
use serde_json::{Value, json};

#[test]
fn a_check_over_ssh_is_stored_and_shows_in_diff_history_and_compliance() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    // The fleet's hosts share this machine's filesystem: the managed files
    // live in the fleet's own directory, owned by the SSH user.
    let root = fleet.shared_dir("managed-api");
    fs::write(root.join("motd"), "welcome\n").unwrap();
    give_to_key_user(&root);
    let r = root.display();

    // The shipped packs plus one pointing at the managed directory.
    let packs = packs_dir_with_fleet_test(&format!(
        "name: Fleet test\nitems:\n  files:\n    - path: {r}/motd\n      mode: \"0644\"\n      content: \"welcome\\n\"\n    - path: {r}/missing.conf\n      mode: \"0600\"\n      content: \"x = 1\\n\"\n    - path: {r}/also-missing.conf\n      content: \"y = 2\\n\"\n"
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
        &json!({"id": "fleet-a", "hostname": "fleet-a", "ip_address": host.ip().to_string()}),
        KEY_USER,
        &[("ssh_private_key", &fleet.client_private_key_pem())],
    );
    api.post(
        "/api/v1/servers",
        &json!({"id": "never", "hostname": "never", "display_name": "Never checked"}),
    )
    .expect(201);

    let list = api.get("/api/v1/config/packs").expect_json(200);
    assert_eq!(list["total"], 2, "{list}");

    let check = api
        .post(
            "/api/v1/servers/fleet-a/config/check",
            &json!({"pack_name": "fleet-test"}),
        )
        .expect_json(200);
    assert_conforms(&check, "ConfigCheckResponse");
    assert_eq!(check["is_compliant"], false);
    let missing: Vec<(&str, &str)> = check["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["type"].as_str().unwrap(), m["item"].as_str().unwrap()))
        .collect();
    let (m1, m2) = (
        format!("{r}/missing.conf"),
        format!("{r}/also-missing.conf"),
    );
    assert_eq!(
        missing,
        [("missing_file", m1.as_str()), ("missing_file", m2.as_str())],
        "{check}"
    );

    let diff = api
        .get("/api/v1/servers/fleet-a/config/diff?pack=fleet-test")
        .expect_json(200);
    assert_conforms(&diff, "ConfigDiffResponse");
    assert_eq!(
        diff["summary"],
        json!({"total_items": 3, "compliant": 1, "mismatched": 2})
    );
    assert_eq!(diff["mismatches"][0]["item"], m1.as_str());
    assert_eq!(diff["mismatches"][0]["category"], "files");
    assert_eq!(diff["mismatches"][0]["expected"]["exists"], true);
    assert_eq!(diff["mismatches"][0]["actual"]["exists"], false);

    let history = api
        .get("/api/v1/servers/fleet-a/config/checks")
        .expect_json(200);
    assert_eq!(history["total"], 1);
    assert_eq!(history["checks"][0]["mismatch_count"], 2);

    let summary = api.get("/api/v1/config/compliance").expect_json(200);
    assert_conforms(&summary, "ComplianceSummaryResponse");
    assert_eq!(
        summary["summary"],
        json!({"compliant": 0, "non_compliant": 1, "never_checked": 1, "total": 2})
    );
    let machine = |id: &str| -> Value {
        summary["machines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing from {summary}"))
    };
    assert_eq!(machine("fleet-a")["status"], "non_compliant");
    assert_eq!(machine("fleet-a")["pack"], "fleet-test");
    assert_eq!(machine("fleet-a")["mismatch_count"], 2);
    assert_eq!(machine("never")["status"], "never_checked");
    assert_eq!(machine("never")["display_name"], "Never checked");

    // The audit trail names the pack, never the script body.
    let audit = api
        .get("/api/v1/audit?server_id=fleet-a&limit=50")
        .expect_json(200);
    let rows: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "config_check")
        .collect();
    let outcomes: Vec<&str> = rows
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["completed", "allowed"], "{audit}");
    assert_eq!(
        rows[0]["argv"],
        json!(["sh", "-c", "<pack check: fleet-test>"])
    );
    assert!(!audit.to_string().contains("missing.conf"), "{audit}");

    // Fix the host: the next check is compliant and the summary follows.
    fs::write(root.join("missing.conf"), "x = 1\n").unwrap();
    fs::set_permissions(root.join("missing.conf"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(root.join("also-missing.conf"), "y = 2\n").unwrap();
    give_to_key_user(&root);
    let check = api
        .post(
            "/api/v1/servers/fleet-a/config/check",
            &json!({"pack_name": "fleet-test"}),
        )
        .expect_json(200);
    assert_eq!(check["is_compliant"], true, "{check}");
    let summary = api.get("/api/v1/config/compliance").expect_json(200);
    assert_eq!(summary["summary"]["compliant"], 1, "{summary}");

    // A machine that cannot be reached (nothing to log in to at 127.0.0.2):
    // 503, and nothing is stored.
    api.post(
        "/api/v1/servers",
        &json!({"id": "down", "hostname": "down", "ip_address": "127.0.0.2"}),
    )
    .expect(201);
    let cred = api.post(
        "/api/v1/servers/down/credentials",
        &json!({"credential_type": "ssh_private_key", "value": fleet.client_private_key_pem()}),
    );
    assert!(cred.status == 200 || cred.status == 201, "{}", cred.text);
    let r = api.post(
        "/api/v1/servers/down/config/check",
        &json!({"pack_name": "fleet-test"}),
    );
    assert_eq!(assert_error(&r, 503), "SSH_UNAVAILABLE");
    let history = api
        .get("/api/v1/servers/down/config/checks")
        .expect_json(200);
    assert_eq!(history["total"], 0);
}
