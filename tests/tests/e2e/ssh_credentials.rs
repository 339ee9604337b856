//! SSH credentials, uploaded keys and the audit trail through the real hub
//! binary: secrets never come back (API or log), `rotate-key` re-encrypts
//! them, `audit verify` catches a row edited behind the hub's back.

use std::process::Output;

use homelabcmd_e2e::{Hub, Resp, hub_command};
use serde_json::{Value, json};

/// The harness's HOMELABCMD_ENCRYPTION_KEY.
const HUB_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const NEW_KEY: &str = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE=";
const NEWER_KEY: &str = "YW5vdGhlci1rZXktYW5vdGhlci1rZXktYW5vdGhlcjE=";
const SUDO_SECRET: &str = "sudo-s3cret-e2e-value";
const SSH_SECRET: &str = "ssh-pa55word-e2e-value";
const PRIVATE_KEY: &str = include_str!("../../fixtures/ssh/id_ed25519");

fn cli(hub: &Hub, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = hub_command();
    cmd.args(args)
        .env("HOMELAB_CMD_DATABASE_URL", hub.db_path())
        .env("HOMELABCMD_ENCRYPTION_KEY", HUB_KEY);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run homelabcmd")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn create_server(hub: &Hub, id: &str) {
    hub.api()
        .post(
            "/api/v1/servers",
            &json!({"id": id, "hostname": format!("{id}.lan")}),
        )
        .expect(201);
}

fn statuses(v: &Value) -> Vec<(String, bool, String)> {
    v["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["credential_type"].as_str().unwrap().to_owned(),
                c["configured"].as_bool().unwrap(),
                c["scope"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn assert_no_secret(what: &str, body: &str) {
    for s in [
        SUDO_SECRET,
        SSH_SECRET,
        "OPENSSH PRIVATE KEY",
        HUB_KEY,
        NEW_KEY,
    ] {
        assert!(!body.contains(s), "{what} contains a secret ({s}):\n{body}");
    }
}

#[test]
fn credentials_are_write_only_and_survive_key_rotation() {
    let mut hub = Hub::start_default();
    let api = hub.api().clone();
    create_server(&hub, "nas");

    let r = api.post(
        "/api/v1/servers/nas/credentials",
        &json!({"credential_type": "sudo_password", "value": SUDO_SECRET}),
    );
    let body = r.expect_json(200);
    assert_eq!(body["credential_type"], "sudo_password");
    assert_eq!(body["server_id"], "nas");
    api.post(
        "/api/v1/servers/nas/credentials",
        &json!({"credential_type": "ssh_password", "value": SSH_SECRET}),
    )
    .expect(200);
    let r = api.post(
        "/api/v1/settings/ssh/keys",
        &json!({"name": "fleet key", "private_key": PRIVATE_KEY, "username": "ops"}),
    );
    let key = r.expect_json(201);
    assert_eq!(key["id"], "fleet_key");
    assert_eq!(key["type"], "ED25519");
    assert_eq!(key["is_default"], true);
    assert!(key["fingerprint"].as_str().unwrap().starts_with("SHA256:"));

    // Contract errors: unknown type 400 with the contract's code, bad key 400.
    let r = api.post(
        "/api/v1/servers/nas/credentials",
        &json!({"credential_type": "invalid", "value": "x"}),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["detail"]["code"], "INVALID_CREDENTIAL_TYPE");
    let r = api.post(
        "/api/v1/settings/ssh/keys",
        &json!({"name": "bad", "private_key": "-----BEGIN RSA PRIVATE KEY-----\nxx\n"}),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("private_key"), "{}", r.text);
    api.post(
        "/api/v1/servers/ghost/credentials",
        &json!({"credential_type": "ssh_password", "value": "x"}),
    )
    .expect(404);

    let get = api.get("/api/v1/servers/nas/credentials");
    assert_no_secret("GET credentials", &get.text);
    let v = get.expect_json(200);
    let s = statuses(&v);
    assert!(
        s.contains(&("sudo_password".into(), true, "per_server".into())),
        "{s:?}"
    );
    assert!(
        s.contains(&("ssh_password".into(), true, "per_server".into())),
        "{s:?}"
    );
    assert!(
        s.contains(&("ssh_private_key".into(), false, "none".into())),
        "{s:?}"
    );
    assert_eq!(v["sudo_mode"], "passwordless");
    let keys = api.get("/api/v1/settings/ssh/keys");
    assert_no_secret("GET keys", &keys.text);
    let audit = api.get("/api/v1/audit?server_id=nas").expect_json(200);
    assert_eq!(audit["total"], 2, "{audit}");
    assert_no_secret("GET audit", &audit.to_string());

    // Rotate with the hub stopped: every secret re-encrypted in one go.
    hub.stop();
    let out = cli(
        &hub,
        &["rotate-key"],
        &[("HOMELABCMD_NEW_ENCRYPTION_KEY", NEW_KEY)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("re-encrypted 2 credential(s) and 1 SSH key(s)"),
        "{}",
        text(&out)
    );
    assert_no_secret("rotate-key output", &text(&out));
    // The old key no longer opens anything: nothing changes, exit 1.
    let again = cli(
        &hub,
        &["rotate-key"],
        &[("HOMELABCMD_NEW_ENCRYPTION_KEY", NEWER_KEY)],
    );
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("another key"), "{}", text(&again));
    // The new key does: rotating onward from it decrypts every secret.
    let onward = cli(
        &hub,
        &["rotate-key"],
        &[
            ("HOMELABCMD_ENCRYPTION_KEY", NEW_KEY),
            ("HOMELABCMD_NEW_ENCRYPTION_KEY", NEWER_KEY),
        ],
    );
    assert!(onward.status.success(), "{}", text(&onward));
    // Missing new key is a usage error.
    assert_eq!(cli(&hub, &["rotate-key"], &[]).status.code(), Some(2));

    hub.start_again();
    let v = hub
        .api()
        .get("/api/v1/servers/nas/credentials")
        .expect_json(200);
    assert!(statuses(&v).contains(&("sudo_password".into(), true, "per_server".into())));
    let keys = hub.api().get("/api/v1/settings/ssh/keys").expect_json(200);
    assert_eq!(keys["keys"][0]["id"], "fleet_key");
    hub.api()
        .delete("/api/v1/servers/nas/credentials/sudo_password")
        .expect(200);
    hub.api()
        .delete("/api/v1/servers/nas/credentials/sudo_password")
        .expect(404);
    hub.stop();
    assert_no_secret("hub log", &hub.log());
}

#[test]
fn missing_encryption_key_is_a_503_that_says_how_to_fix_it() {
    let hub = Hub::start(homelabcmd_e2e::HubOptions {
        unset: vec!["HOMELABCMD_ENCRYPTION_KEY".into()],
        ..Default::default()
    });
    create_server(&hub, "pi");
    let r: Resp = hub.api().post(
        "/api/v1/servers/pi/credentials",
        &json!({"credential_type": "ssh_password", "value": "pw"}),
    );
    assert_eq!(r.status, 503, "{}", r.text);
    let msg = r.json()["detail"]["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("HOMELABCMD_ENCRYPTION_KEY") && msg.contains("generate-key"),
        "{msg}"
    );
}

#[test]
fn audit_verify_passes_then_names_a_row_edited_behind_the_hubs_back() {
    let mut hub = Hub::start_default();
    create_server(&hub, "nas");
    for t in ["ssh_password", "sudo_password", "ssh_password"] {
        hub.api()
            .post(
                "/api/v1/servers/nas/credentials",
                &json!({"credential_type": t, "value": "v"}),
            )
            .expect(200);
    }
    hub.stop();
    let out = cli(&hub, &["audit", "verify"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("audit chain OK (3 entries)"),
        "{}",
        text(&out)
    );

    // The triggers refuse edits...
    let db = hub.db_path();
    let sql = |q: &str| {
        std::process::Command::new("sqlite3")
            .arg(&db)
            .arg(q)
            .output()
            .expect("run sqlite3")
    };
    let refused = sql("UPDATE audit_log SET reason = 'nothing' WHERE id = 2;");
    assert!(!refused.status.success());
    assert!(text(&refused).contains("append-only"), "{}", text(&refused));
    // ...so an attacker drops them first; the chain still gives it away.
    let edited = sql(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET reason = 'nothing' WHERE id = 2;",
    );
    assert!(edited.status.success(), "{}", text(&edited));
    let out = cli(&hub, &["audit", "verify"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("row 2"), "{}", text(&out));
}
