//! Online / offline / unknown, driven by `last_seen` and the per-machine
//! offline threshold (set to the 5 s minimum here). The hub works status out
//! when it is read, so no check interval is involved.

use std::time::{Duration, Instant};

use homelabcmd_e2e::{Hub, contract, heartbeat, wait_for};
use serde_json::json;

const THRESHOLD_SECS: u64 = 5;

fn status_of(hub: &Hub, id: &str) -> String {
    hub.api()
        .server(id)
        .unwrap_or_else(|| panic!("server {id} vanished"))["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_server_goes_offline_after_its_threshold_and_back_online() {
    let hub = Hub::start_default();
    let api = hub.api();
    let id = "flaky-box";
    api.heartbeat(&heartbeat(id)).expect(200);

    let updated = api
        .put(
            &format!("/api/v1/servers/{id}"),
            &json!({ "offline_threshold_seconds": THRESHOLD_SECS }),
        )
        .expect_json(200);
    contract::assert_conforms(&updated, "ServerResponse");
    assert_eq!(updated["offline_threshold_seconds"], THRESHOLD_SECS);

    // Fresh heartbeat: the threshold clock starts now.
    let t0 = Instant::now();
    api.heartbeat(&heartbeat(id)).expect(200);
    assert_eq!(status_of(&hub, id), "online");

    let offline_after = wait_for("server to go offline", Duration::from_secs(30), || {
        let s = status_of(&hub, id);
        assert_ne!(s, "unknown", "a server with a last_seen is never unknown");
        (s == "offline").then(|| t0.elapsed())
    });
    assert!(
        offline_after >= Duration::from_millis(THRESHOLD_SECS * 1000 - 200),
        "offline after {offline_after:?}, before the {THRESHOLD_SECS}s threshold"
    );
    assert!(
        offline_after <= Duration::from_secs(THRESHOLD_SECS + 5),
        "offline detected late: {offline_after:?}"
    );
    let listed = api.servers();
    let entry = listed.iter().find(|s| s["id"] == id).expect("in list");
    assert_eq!(entry["status"], "offline", "list agrees: {entry}");
    assert!(entry["last_seen"].is_string(), "last_seen kept: {entry}");

    // One heartbeat brings it back.
    api.heartbeat(&heartbeat(id)).expect(200);
    wait_for("server back online", Duration::from_secs(5), || {
        (status_of(&hub, id) == "online").then_some(())
    });
}

#[test]
fn a_workstation_that_stops_reporting_is_unknown_not_offline() {
    let hub = Hub::start_default();
    let api = hub.api();
    let id = "dev-laptop";
    let created = api
        .post(
            "/api/v1/servers",
            &json!({ "id": id, "hostname": "dev-laptop.lan", "machine_type": "workstation" }),
        )
        .expect_json(201);
    assert_eq!(created["machine_type"], "workstation");
    api.put(
        &format!("/api/v1/servers/{id}"),
        &json!({ "offline_threshold_seconds": THRESHOLD_SECS }),
    )
    .expect(200);

    let t0 = Instant::now();
    let resp = api.heartbeat(&heartbeat(id)).expect_json(200);
    assert_eq!(resp["server_registered"], false, "pre-created: {resp}");
    assert_eq!(status_of(&hub, id), "online");

    let went_unknown = wait_for("workstation to go stale", Duration::from_secs(30), || {
        let s = status_of(&hub, id);
        assert_ne!(s, "offline", "a workstation must never be offline");
        (s == "unknown").then(|| t0.elapsed())
    });
    assert!(
        went_unknown >= Duration::from_millis(THRESHOLD_SECS * 1000 - 200),
        "stale after {went_unknown:?}, before the threshold"
    );

    // Keep watching a while longer: still never offline.
    let watch_until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < watch_until {
        let s = api.server(id).expect("still there");
        assert_eq!(s["status"], "unknown", "stale workstation: {s}");
        assert!(s["last_seen"].is_string(), "last_seen shown: {s}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let listed = api.servers();
    let entry = listed.iter().find(|s| s["id"] == id).expect("in list");
    assert_eq!(entry["status"], "unknown", "{entry}");

    api.heartbeat(&heartbeat(id)).expect(200);
    wait_for("workstation back online", Duration::from_secs(5), || {
        (status_of(&hub, id) == "online").then_some(())
    });
}
