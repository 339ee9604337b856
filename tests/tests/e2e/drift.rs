//! Scheduled drift detection through the real hub binary: with
//! `HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS=5` the hub checks machines of
//! the test fleet (tests/src/fleet.rs) against their default packs on its
//! own, without any API check call. A missing managed file opens a
//! `config_drift` alert (and a Slack message to a fake receiver in this
//! process); fixing the file resolves it on the next scheduled check. A
//! workstation without a recent heartbeat is not checked until a heartbeat
//! arrives; an alert whose machine no longer watches drift is resolved.
//! Skipped loudly without root (see `Fleet::start_or_skip`).
//!
//! Machines are reached in `tailscale` mode with the fleet host's IP as
//! their Tailscale hostname: a heartbeat posted from this process records
//! 127.0.0.1 as the machine's `ip_address`, which must not change where SSH
//! goes.

use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use homelabcmd_e2e::fleet::{Fleet, KEY_USER, give_to_key_user};
use homelabcmd_e2e::{Api, Hub, HubOptions, heartbeat, wait_for};
use serde_json::{Value, json};

/// Generous: a debug hub on two shared cores, an SSH login per check, ticks
/// every 5 s.
const DEADLINE: Duration = Duration::from_secs(90);

/// A fake Slack incoming webhook: records each POST body, answers 200.
struct FakeSlack {
    url: String,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl FakeSlack {
    fn start() -> FakeSlack {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake Slack");
        let url = format!(
            "http://{}/services/T0/B0/drift",
            listener.local_addr().unwrap()
        );
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("content-length")
                    {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_ok() {
                    seen.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).into_owned());
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            }
        });
        FakeSlack { url, bodies }
    }

    /// The first body containing every one of `needles`.
    fn wait_for(&self, what: &str, needles: &[&str]) -> String {
        wait_for(what, DEADLINE, || {
            self.bodies
                .lock()
                .unwrap()
                .iter()
                .find(|b| needles.iter().all(|n| b.contains(n)))
                .cloned()
        })
    }
}

/// The machine's `config_drift` alerts, newest first.
fn drift_alerts(api: &Api, server_id: &str) -> Vec<Value> {
    let v = api
        .get(&format!("/api/v1/alerts?server_id={server_id}&limit=100"))
        .expect_json(200);
    v["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("alerts list without `alerts`: {v}"))
        .iter()
        .filter(|a| a["alert_type"] == "config_drift")
        .cloned()
        .collect()
}

fn checks(api: &Api, server_id: &str) -> Value {
    api.get(&format!(
        "/api/v1/servers/{server_id}/config/checks?limit=100"
    ))
    .expect_json(200)
}

fn register(api: &Api, fleet: &Fleet, id: &str, machine_type: &str) {
    api.add_ssh_machine(
        &json!({
            "id": id,
            "hostname": id,
            "machine_type": machine_type,
            "tailscale_hostname": fleet.host(0).ip().to_string(),
        }),
        KEY_USER,
        &[("ssh_private_key", &fleet.client_private_key_pem())],
    );
}

#[test]
fn scheduled_checks_open_and_clear_drift_and_wait_for_workstations() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    // The fleet's hosts share this machine's filesystem: the managed file
    // lives in the fleet's own directory, owned by the SSH user.
    let root = fleet.shared_dir("managed-drift");
    give_to_key_user(&root);
    let wanted = root.join("app.conf");

    // `base` is every machine's default pack; here it manages one file.
    let packs = tempfile::tempdir().unwrap();
    fs::write(
        packs.path().join("base.yaml"),
        format!(
            "name: Drift base\nitems:\n  files:\n    - path: {}\n      mode: \"0644\"\n      content: \"mode = strict\\n\"\n",
            wanted.display()
        ),
    )
    .unwrap();

    let slack = FakeSlack::start();
    let hub = Hub::start(HubOptions {
        env: vec![
            (
                "HOMELAB_CMD_PACKS_DIR".into(),
                packs.path().display().to_string(),
            ),
            (
                "HOMELAB_CMD_DRIFT_CHECK_INTERVAL_SECONDS".into(),
                "5".into(),
            ),
            ("SLACK_WEBHOOK_URL".into(), slack.url.clone()),
        ],
        ..HubOptions::default()
    });
    let api = hub.api();
    api.put(
        "/api/v1/settings/connectivity",
        &json!({"mode": "tailscale"}),
    )
    .expect(200);
    register(api, &fleet, "srv", "server");
    register(api, &fleet, "ws", "workstation");

    // Nobody asks: the scheduler checks the server and opens the alert.
    let alert = wait_for("a config_drift alert on srv", DEADLINE, || {
        drift_alerts(api, "srv")
            .into_iter()
            .find(|a| a["status"] == "open")
    });
    assert_eq!(alert["severity"], "high", "{alert}");
    assert_eq!(
        alert["title"], "Config drift: 1 item differs from Drift base",
        "{alert}"
    );
    let message = alert["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{} (missing file)", wanted.display())),
        "{message}"
    );
    let history = checks(api, "srv");
    assert_eq!(history["checks"][0]["pack_name"], "base", "{history}");
    assert_eq!(history["checks"][0]["is_compliant"], false, "{history}");
    let audit = api
        .get("/api/v1/audit?server_id=srv&limit=50")
        .expect_json(200);
    let actors: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "config_check")
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        !actors.is_empty() && actors.iter().all(|a| *a == "drift-scheduler"),
        "{audit}"
    );
    // The same pass looked at the workstation: no heartbeat, no check.
    assert_eq!(checks(api, "ws")["total"], 0);
    assert!(drift_alerts(api, "ws").is_empty());
    slack.wait_for("the drift message in Slack", &["Config drift", "srv"]);

    // Still drifting: later checks keep the one alert.
    wait_for("a second scheduled check of srv", DEADLINE, || {
        (checks(api, "srv")["total"].as_i64() >= Some(2)).then_some(())
    });
    assert_eq!(drift_alerts(api, "srv").len(), 1);

    // Fix the host: the next scheduled check resolves the alert by itself.
    fs::write(&wanted, "mode = strict\n").unwrap();
    fs::set_permissions(&wanted, fs::Permissions::from_mode(0o644)).unwrap();
    give_to_key_user(&root);
    let resolved = wait_for("the drift alert resolved", DEADLINE, || {
        drift_alerts(api, "srv")
            .into_iter()
            .find(|a| a["id"] == alert["id"] && a["status"] == "resolved")
    });
    assert_eq!(resolved["auto_resolved"], true, "{resolved}");
    assert_eq!(checks(api, "srv")["checks"][0]["is_compliant"], true);
    slack.wait_for(
        "the resolved message in Slack",
        &["Resolved", "Config drift"],
    );

    // Still nothing for the sleeping workstation, several ticks later.
    assert_eq!(checks(api, "ws")["total"], 0);
    // It wakes up: its heartbeat makes it online, the next tick checks it.
    api.heartbeat(&heartbeat("ws")).expect(200);
    let ws = wait_for("a scheduled check of the workstation", DEADLINE, || {
        let h = checks(api, "ws");
        (h["total"].as_i64() >= Some(1)).then_some(h)
    });
    assert_eq!(ws["checks"][0]["pack_name"], "base", "{ws}");
    assert_eq!(ws["checks"][0]["is_compliant"], true, "{ws}");
    assert!(drift_alerts(api, "ws").is_empty());

    // Drift again: a new alert opens on the next scheduled check.
    fs::remove_file(&wanted).unwrap();
    let again = wait_for("a second drift alert on srv", DEADLINE, || {
        drift_alerts(api, "srv")
            .into_iter()
            .find(|a| a["status"] == "open")
    });
    assert_ne!(again["id"], alert["id"]);
    // Drift detection turned off for the machine: nothing will check it,
    // so its alert is resolved rather than left open for ever.
    api.put(
        "/api/v1/servers/srv/config/packs",
        &json!({"packs": ["base"], "drift_detection_enabled": false}),
    )
    .expect(200);
    wait_for("the unwatched drift alert resolved", DEADLINE, || {
        drift_alerts(api, "srv")
            .into_iter()
            .find(|a| a["id"] == again["id"] && a["status"] == "resolved")
    });
}
