//! The SSH executor wired into the product, end to end: the real hub binary
//! runs catalog commands and remediation actions on real OpenSSH hosts of
//! the test fleet (tests/src/fleet.rs), with credentials stored through the
//! API. The fleet hosts have no systemd, so success paths use configured
//! commands (`commands:` in the hub config) and `restart_service` shows a
//! clean failure. Skipped loudly without root (see `Fleet::start_or_skip`).

use std::thread;
use std::time::Duration;

use homelabcmd_e2e::contract::assert_conforms;
use homelabcmd_e2e::fleet::{Fleet, Host, KEY_USER, PASSWORD_USER, PASSWORD_USER_PASSWORD};
use homelabcmd_e2e::{
    Api, Hub, HubOptions, assert_error, assert_invalid_field, wait_for, wait_until,
};
use serde_json::{Value, json};

/// Operator commands the tests run; none needs systemd.
const COMMANDS: &str = "\
commands:
  whoami:
    argv: [id, -un]
  root-uid:
    argv: [id, -u]
    sudo: true
  nap:
    argv: [sleep, \"3\"]
    timeout_seconds: 20
  too-slow:
    argv: [sleep, \"30\"]
    timeout_seconds: 2
";

fn hub_with(fleet: &Fleet, extra: &[(&str, &str)]) -> Hub {
    let config = fleet.dir().join("hub.yaml");
    std::fs::write(&config, COMMANDS).expect("write hub config");
    let mut env = vec![(
        "HOMELAB_CMD_CONFIG".to_owned(),
        config.display().to_string(),
    )];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Hub::start(HubOptions {
        env,
        ..HubOptions::default()
    })
}

/// Register `id` at the fleet host's address, logging in as `user`.
fn register(api: &Api, id: &str, host: &Host, user: &str) {
    api.post(
        "/api/v1/servers",
        &json!({"id": id, "hostname": id, "ip_address": host.ip().to_string()}),
    )
    .expect(201);
    api.put(
        &format!("/api/v1/servers/{id}"),
        &json!({"ssh_username": user}),
    )
    .expect(200);
}

fn store(api: &Api, id: &str, credential_type: &str, value: &str) {
    let r = api.post(
        &format!("/api/v1/servers/{id}/credentials"),
        &json!({"credential_type": credential_type, "value": value}),
    );
    assert!(
        r.status == 200 || r.status == 201,
        "{}: {}",
        r.status,
        r.text
    );
}

/// A machine that logs in with the fleet's key (passwordless sudo).
fn key_machine(api: &Api, fleet: &Fleet, id: &str) {
    register(api, id, fleet.host(0), KEY_USER);
    store(api, id, "ssh_private_key", &fleet.client_private_key_pem());
}

fn execute(api: &Api, id: &str, command: &str, action_type: &str) -> homelabcmd_e2e::Resp {
    api.post(
        &format!("/api/v1/servers/{id}/commands/execute"),
        &json!({"command": command, "action_type": action_type}),
    )
}

fn audit(api: &Api, id: &str) -> Vec<Value> {
    api.get(&format!("/api/v1/audit?server_id={id}&limit=500"))
        .expect_json(200)["entries"]
        .as_array()
        .expect("entries")
        .clone()
}

fn outcomes(entries: &[Value]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn wait_for_status(api: &Api, action_id: i64, wanted: &[&str]) -> Value {
    wait_for(
        &format!("action {action_id} to reach {wanted:?}"),
        Duration::from_secs(30),
        || {
            let a = api
                .get(&format!("/api/v1/actions/{action_id}"))
                .expect_json(200);
            wanted
                .contains(&a["status"].as_str().unwrap_or_default())
                .then_some(a)
        },
    )
}

#[test]
fn configured_commands_run_for_real_and_are_audited() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let hub = hub_with(&fleet, &[]);
    let api = hub.api();
    key_machine(api, &fleet, "fleet-a");

    let out = execute(api, "fleet-a", "whoami", "custom").expect_json(200);
    assert_conforms(&out, "CommandExecuteResponse");
    assert_eq!(out["exit_code"], 0, "{out}");
    assert_eq!(out["stdout"], format!("{KEY_USER}\n"));
    assert!(out["duration_ms"].as_i64().unwrap() >= 0);
    // sudo (passwordless for this user) as the catalog entry asks.
    let out = execute(api, "fleet-a", "root-uid", "custom").expect_json(200);
    assert_eq!(
        (out["exit_code"].as_i64(), out["stdout"].as_str()),
        (Some(0), Some("0\n"))
    );
    // A non-zero exit is a result, not an error: `systemctl status` without systemd.
    let out = execute(api, "fleet-a", "systemctl status cron", "service").expect_json(200);
    assert_ne!(out["exit_code"], 0, "{out}");
    assert!(!out["stderr"].as_str().unwrap().is_empty(), "{out}");

    let entries = audit(api, "fleet-a");
    let o = outcomes(&entries);
    assert_eq!(
        o.iter()
            .filter(|(a, x)| a == "custom" && x == "allowed")
            .count(),
        2,
        "{o:?}"
    );
    assert_eq!(
        o.iter()
            .filter(|(a, x)| a == "custom" && x == "completed")
            .count(),
        2,
        "{o:?}"
    );
    let done = entries
        .iter()
        .find(|e| e["action"] == "service_status" && e["outcome"] == "completed")
        .expect("service_status completed row");
    assert_eq!(
        done["argv"],
        json!(["systemctl", "status", "--no-pager", "--", "cron"])
    );
    assert!(done["exit_code"].as_i64().is_some_and(|c| c != 0));
}

#[test]
fn injection_attempts_get_400_and_an_audit_row_and_never_reach_ssh() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let hub = hub_with(&fleet, &[]);
    let api = hub.api();
    key_machine(api, &fleet, "fleet-b");
    let attempts = [
        ("systemctl restart nginx; rm -rf /", "restart_service"),
        ("systemctl restart nginx && reboot", "restart_service"),
        ("systemctl restart $(reboot)", "restart_service"),
        ("systemctl restart `id`", "restart_service"),
        (
            "systemctl restart nginx | tee /etc/passwd",
            "restart_service",
        ),
        ("rm -rf /", "restart_service"),
        ("bash -c 'id'", "custom"),
        ("whoami --extra", "custom"),
        ("systemctl restart -nginx", "restart_service"),
        ("reboot", "restart_service"),
        ("systemctl restart nginx", "made_up_type"),
    ];
    for (command, action_type) in attempts {
        let r = execute(api, "fleet-b", command, action_type);
        assert_eq!(
            assert_error(&r, 400),
            "COMMAND_NOT_WHITELISTED",
            "{command}"
        );
        assert!(!r.json()["detail"]["message"].as_str().unwrap().is_empty());
    }
    let rejected = audit(api, "fleet-b")
        .into_iter()
        .filter(|e| e["outcome"] == "rejected")
        .count();
    assert_eq!(rejected, attempts.len());
    // Nothing reached SSH: no session was ever opened on the host.
    let host = fleet.host(0);
    assert_eq!(host.established_ssh_connections(), 0);
    assert!(
        !host.sshd_log().contains("Accepted"),
        "sshd saw a login: {}",
        host.sshd_log()
    );
    // Unknown machine: 404, before the catalog.
    assert_error(&execute(api, "nope", "whoami", "custom"), 404);
}

#[test]
fn a_changed_host_key_is_refused_alerted_and_accepted_explicitly() {
    let Some(mut fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let hub = hub_with(&fleet, &[]);
    let api = hub.api();
    key_machine(api, &fleet, "fleet-c");
    let original = fleet.host(0).host_key_fingerprint();
    execute(api, "fleet-c", "whoami", "custom").expect(200);
    let key = api
        .get("/api/v1/servers/fleet-c/ssh/host-key")
        .expect_json(200);
    assert_eq!(key["pinned"]["fingerprint_sha256"], original.as_str());
    assert!(key["pending"].is_null());

    fleet.hosts_mut()[0].rotate_host_key();
    let rotated = fleet.host(0).host_key_fingerprint();
    assert_ne!(rotated, original);
    let r = execute(api, "fleet-c", "whoami", "custom");
    assert_eq!(assert_error(&r, 500), "HOST_KEY_CHANGED");
    let msg = r.json()["detail"]["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("host key changed") && msg.contains(&rotated),
        "{msg}"
    );
    // A second refusal does not open a second alert.
    execute(api, "fleet-c", "whoami", "custom").expect(500);
    let alerts = api.get("/api/v1/alerts?server_id=fleet-c").expect_json(200);
    let host_key: Vec<&Value> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["alert_type"] == "host_key_changed")
        .collect();
    assert_eq!(host_key.len(), 1, "{alerts}");
    assert_eq!(host_key[0]["severity"], "critical");
    assert_eq!(host_key[0]["status"], "open");
    let alert_id = host_key[0]["id"].as_i64().unwrap();
    // test-ssh reports the refusal too, with the presented key.
    let t = api
        .post("/api/v1/servers/fleet-c/test-ssh", &json!({}))
        .expect_json(200);
    assert_eq!(t["success"], false);
    assert_eq!(t["host_key_fingerprint"], rotated.as_str());

    let key = api
        .get("/api/v1/servers/fleet-c/ssh/host-key")
        .expect_json(200);
    assert_eq!(key["pinned"]["fingerprint_sha256"], original.as_str());
    assert_eq!(key["pending"]["fingerprint_sha256"], rotated.as_str());
    // Only the exact key the operator saw can be accepted.
    let wrong = api.post(
        "/api/v1/servers/fleet-c/ssh/host-key/accept",
        &json!({"fingerprint_sha256": original}),
    );
    assert_error(&wrong, 409);
    let accepted = api
        .post(
            "/api/v1/servers/fleet-c/ssh/host-key/accept",
            &json!({"fingerprint_sha256": rotated}),
        )
        .expect_json(200);
    assert_eq!(accepted["pinned"]["fingerprint_sha256"], rotated.as_str());
    assert!(accepted["pending"].is_null());
    let out = execute(api, "fleet-c", "whoami", "custom").expect_json(200);
    assert_eq!(out["exit_code"], 0);
    let alert = api
        .get(&format!("/api/v1/alerts/{alert_id}"))
        .expect_json(200);
    assert_eq!(alert["status"], "resolved");
}

#[test]
fn actions_wait_for_approval_on_paused_machines_and_run_at_once_otherwise() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let hub = hub_with(&fleet, &[]);
    let api = hub.api();
    key_machine(api, &fleet, "fleet-d");
    api.put("/api/v1/servers/fleet-d/pause", &json!({}))
        .expect(200);

    let a = api
        .post(
            "/api/v1/actions",
            &json!({"server_id": "fleet-d", "action_type": "custom", "command_name": "whoami"}),
        )
        .expect_json(201);
    assert_conforms(&a, "ActionResponse");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["status"], "pending");
    assert!(a["approved_by"].is_null());
    // A control on an unpaused machine (same host): once its action has been
    // approved, run over SSH and finished, the hub has had every chance to
    // run the paused machine's action too.
    key_machine(api, &fleet, "control-d");
    let control = api
        .post(
            "/api/v1/actions",
            &json!({"server_id": "control-d", "action_type": "custom", "command_name": "whoami"}),
        )
        .expect_json(201);
    let control = wait_for_status(
        api,
        control["id"].as_i64().unwrap(),
        &["completed", "failed"],
    );
    assert_eq!(control["status"], "completed", "{control}");
    let still = api.get(&format!("/api/v1/actions/{id}")).expect_json(200);
    assert_eq!(still["status"], "pending", "{still}");
    // A rejection needs a reason.
    assert_invalid_field(
        &api.post(
            &format!("/api/v1/actions/{id}/reject"),
            &json!({"reason": ""}),
        ),
        "reason",
    );
    let approved = api
        .post(&format!("/api/v1/actions/{id}/approve"), &json!({}))
        .expect_json(200);
    assert_eq!(approved["approved_by"], "dashboard");
    let done = wait_for_status(api, id, &["completed", "failed"]);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["exit_code"], 0);
    assert_eq!(done["stdout"], format!("{KEY_USER}\n"));
    assert!(done["executed_at"].is_string() && done["completed_at"].is_string());
    for op in ["approve", "cancel"] {
        assert_error(
            &api.post(&format!("/api/v1/actions/{id}/{op}"), &json!({})),
            409,
        );
    }
    assert_error(
        &api.post(
            &format!("/api/v1/actions/{id}/reject"),
            &json!({"reason": "late"}),
        ),
        409,
    );

    // Paused: a duplicate restart is refused with the contract's body.
    let r = api
        .post("/api/v1/servers/fleet-d/services/nginx/restart", &json!({}))
        .expect_json(201);
    assert_conforms(&r, "RestartActionResponse");
    assert_eq!(
        (r["status"].as_str(), r["command"].as_str()),
        (Some("pending"), Some("systemctl restart nginx"))
    );
    let dup = api
        .post("/api/v1/servers/fleet-d/services/nginx/restart", &json!({}))
        .expect_json(409);
    assert_conforms(&dup, "DuplicateActionError");
    assert_eq!(dup["existing_action_id"], r["action_id"]);
    let rejected = api
        .post(
            &format!("/api/v1/actions/{}/reject", r["action_id"]),
            &json!({"reason": "not now"}),
        )
        .expect_json(200);
    assert_eq!(
        (
            rejected["status"].as_str(),
            rejected["rejection_reason"].as_str()
        ),
        (Some("rejected"), Some("not now"))
    );
    // Cancel while pending.
    let c = api
        .post(
            "/api/v1/actions",
            &json!({"server_id": "fleet-d", "action_type": "clear_logs"}),
        )
        .expect_json(201);
    let c = api
        .post(&format!("/api/v1/actions/{}/cancel", c["id"]), &json!({}))
        .expect_json(200);
    assert_eq!(c["status"], "cancelled");

    // Not paused: auto-approved and run; no systemd here, so the restart
    // fails cleanly with the host's own error captured.
    api.put("/api/v1/servers/fleet-d/unpause", &json!({}))
        .expect(200);
    let r = api
        .post("/api/v1/servers/fleet-d/services/nginx/restart", &json!({}))
        .expect_json(201);
    assert_eq!(r["status"], "approved");
    let id = r["action_id"].as_i64().unwrap();
    let done = wait_for_status(api, id, &["completed", "failed"]);
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["approved_by"], "auto");
    assert!(done["exit_code"].as_i64().is_some_and(|c| c != 0), "{done}");
    assert!(
        !done["stderr"].as_str().unwrap_or_default().is_empty(),
        "{done}"
    );

    // Refused by the catalog: 403 and audited.
    let bad = api.post(
        "/api/v1/actions",
        &json!({"server_id": "fleet-d", "action_type": "restart_service", "service_name": "x;reboot"}),
    );
    assert_error(&bad, 403);
    assert_invalid_field(
        &api.post(
            "/api/v1/actions",
            &json!({"server_id": "fleet-d", "action_type": "rm_rf"}),
        ),
        "action_type",
    );
    let list = api
        .get("/api/v1/actions?server_id=fleet-d&limit=100")
        .expect_json(200);
    assert_conforms(&list, "ActionListResponse");
    assert_eq!(list["total"], 4);
    let per_server = api
        .get("/api/v1/servers/fleet-d/actions?status=completed")
        .expect_json(200);
    assert_eq!(per_server["total"], 1);
    assert!(
        audit(api, "fleet-d")
            .iter()
            .any(|e| e["outcome"] == "rejected" && e["action"] == "restart_service")
    );
}

#[test]
fn timeouts_are_408_and_the_per_machine_limit_is_429() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let hub = hub_with(
        &fleet,
        &[("HOMELAB_CMD_SSH_MAX_CONCURRENT_PER_SERVER", "1")],
    );
    let api = hub.api();
    key_machine(api, &fleet, "fleet-e");
    let r = execute(api, "fleet-e", "too-slow", "custom");
    assert_eq!(assert_error(&r, 408), "COMMAND_TIMEOUT");
    assert!(
        audit(api, "fleet-e").iter().any(
            |e| e["outcome"] == "failed" && e["reason"].as_str().unwrap().contains("timed out")
        )
    );

    let busy_api = api.clone();
    let long = thread::spawn(move || execute(&busy_api, "fleet-e", "nap", "custom"));
    // `nap` holds the machine's only slot once its `sleep 3` runs there.
    let host = fleet.host(0);
    wait_until(
        "`nap` (sleep 3) running on the host",
        Duration::from_secs(10),
        || host.process_args().iter().any(|p| p.ends_with("sleep 3")),
    );
    let r = execute(api, "fleet-e", "whoami", "custom");
    assert_eq!(assert_error(&r, 429), "TOO_MANY_COMMANDS");
    let first = long.join().unwrap().expect_json(200);
    assert_eq!(first["exit_code"], 0);
    execute(api, "fleet-e", "whoami", "custom").expect(200);
}

#[test]
fn test_ssh_and_scan_test_report_success_and_failure() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let hub = hub_with(&fleet, &[]);
    let api = hub.api();
    let host = fleet.host(0);
    // Nothing stored yet: 400 with the contract's code.
    register(api, "fleet-f", host, KEY_USER);
    let r = api.post("/api/v1/servers/fleet-f/test-ssh", &json!({}));
    assert_eq!(assert_error(&r, 400), "NO_SSH_KEY");
    store(
        api,
        "fleet-f",
        "ssh_private_key",
        &fleet.client_private_key_pem(),
    );
    let ok = api
        .post("/api/v1/servers/fleet-f/test-ssh", &json!({}))
        .expect_json(200);
    assert_eq!(ok["success"], true, "{ok}");
    assert!(ok["latency_ms"].as_i64().is_some());
    assert!(ok["error"].is_null());
    assert_eq!(ok["key_used"], "per-server ssh_private_key");
    assert_eq!(
        ok["host_key_fingerprint"],
        host.host_key_fingerprint().as_str()
    );

    register(api, "fleet-pw", host, PASSWORD_USER);
    store(api, "fleet-pw", "ssh_password", "not-the-password");
    let bad = api
        .post("/api/v1/servers/fleet-pw/test-ssh", &json!({}))
        .expect_json(200);
    assert_eq!(bad["success"], false);
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .contains("authentication failed"),
        "{bad}"
    );
    assert!(bad["latency_ms"].is_null());
    assert_error(&api.post("/api/v1/servers/nope/test-ssh", &json!({})), 404);

    // Tailscale mode without a tailscale_hostname: refused with its code.
    let c = api
        .put(
            "/api/v1/settings/connectivity",
            &json!({"mode": "tailscale"}),
        )
        .expect_json(200);
    assert_conforms(&c, "ConnectivityUpdateResponse");
    let r = api.post("/api/v1/servers/fleet-f/test-ssh", &json!({}));
    assert_eq!(assert_error(&r, 400), "NO_TAILSCALE_HOSTNAME");
    api.put(
        "/api/v1/settings/connectivity",
        &json!({"mode": "direct_ssh"}),
    )
    .expect(200);
    let status = api.get("/api/v1/settings/connectivity").expect_json(200);
    assert_conforms(&status, "ConnectivityStatusResponse");
    assert_eq!(
        (
            status["mode"].as_str(),
            status["mode_auto_detected"].as_bool()
        ),
        (Some("direct_ssh"), Some(false))
    );

    // /scan/test: global credentials (an uploaded default key with its user).
    let scan = json!({"hostname": host.ip().to_string()});
    let none = api.post("/api/v1/scan/test", &scan).expect_json(200);
    assert_eq!(none["status"], "failed");
    assert!(
        none["error"]
            .as_str()
            .unwrap()
            .contains("no SSH credentials"),
        "{none}"
    );
    api.post(
        "/api/v1/settings/ssh/keys",
        &json!({"name": "fleet", "private_key": fleet.client_private_key_pem(), "username": KEY_USER}),
    )
    .expect(201);
    let ok = api.post("/api/v1/scan/test", &scan).expect_json(200);
    assert_conforms(&ok, "TestConnectionResponse");
    assert_eq!(ok["status"], "success", "{ok}");
    assert!(!ok["remote_hostname"].as_str().unwrap().is_empty());
    assert!(ok["response_time_ms"].as_i64().is_some());
    let bar = api
        .get("/api/v1/settings/connectivity/status")
        .expect_json(200);
    assert_conforms(&bar, "ConnectivityStatusBarResponse");
    assert_eq!(bar["healthy"], true);
    let closed = api
        .post(
            "/api/v1/scan/test",
            &json!({"hostname": host.ip().to_string(), "port": 2}),
        )
        .expect_json(200);
    assert_eq!(closed["status"], "failed");
    assert!(
        closed["error"].as_str().unwrap().contains("connect"),
        "{closed}"
    );
    assert_invalid_field(
        &api.post("/api/v1/scan/test", &json!({"hostname": "a b; reboot"})),
        "hostname",
    );
}

#[test]
fn secrets_never_appear_in_responses_or_the_hub_log() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let hub = hub_with(&fleet, &[]);
    let api = hub.api();
    let host = fleet.host(0);
    register(api, "fleet-s", host, PASSWORD_USER);
    api.put("/api/v1/servers/fleet-s", &json!({"sudo_mode": "password"}))
        .expect(200);
    store(api, "fleet-s", "ssh_password", PASSWORD_USER_PASSWORD);
    // Sudo without a stored sudo password is refused before SSH.
    let r = execute(api, "fleet-s", "root-uid", "custom");
    assert_eq!(assert_error(&r, 400), "SUDO_PASSWORD_MISSING");
    store(api, "fleet-s", "sudo_password", PASSWORD_USER_PASSWORD);
    let key_pem = fleet.client_private_key_pem();
    key_machine(api, &fleet, "fleet-k");

    let mut bodies = vec![
        execute(api, "fleet-s", "root-uid", "custom")
            .expect(200)
            .text,
        execute(api, "fleet-s", "whoami", "custom").expect(200).text,
        execute(api, "fleet-k", "whoami", "custom").expect(200).text,
        api.post("/api/v1/servers/fleet-s/test-ssh", &json!({}))
            .expect(200)
            .text,
        api.post("/api/v1/servers/fleet-k/test-ssh", &json!({}))
            .expect(200)
            .text,
    ];
    let root = serde_json::from_str::<Value>(&bodies[0]).unwrap();
    assert_eq!(
        root["stdout"], "0\n",
        "sudo with the stored password: {root}"
    );
    let a = api
        .post(
            "/api/v1/actions",
            &json!({"server_id": "fleet-s", "action_type": "custom", "command_name": "root-uid"}),
        )
        .expect_json(201);
    let done = wait_for_status(api, a["id"].as_i64().unwrap(), &["completed", "failed"]);
    assert_eq!(done["status"], "completed", "{done}");
    for path in [
        "/api/v1/servers/fleet-s",
        "/api/v1/servers/fleet-s/credentials",
        "/api/v1/servers/fleet-k/credentials",
        "/api/v1/actions",
        "/api/v1/audit?limit=500",
        "/api/v1/settings/connectivity",
        "/api/v1/servers/fleet-k/ssh/host-key",
    ] {
        bodies.push(api.get(path).expect(200).text);
    }
    let key_body = key_pem.lines().nth(1).expect("a key body line").to_owned();
    let log = hub.log();
    assert!(
        log.contains("running SSH command"),
        "the log covers the runs"
    );
    for (what, text) in bodies
        .iter()
        .map(|b| ("response", b.as_str()))
        .chain([("hub log", log.as_str())])
    {
        assert!(
            !text.contains(PASSWORD_USER_PASSWORD),
            "password in {what}: {text}"
        );
        assert!(!text.contains(&key_body), "private key in {what}");
        assert!(!text.contains("PRIVATE KEY"), "private key in {what}");
    }
}
