//! What the hub stored survives a restart: graceful (SIGTERM) or a crash
//! (SIGKILL, no shutdown code runs).

use chrono::Utc;
use homelabcmd_e2e::{Api, Hub, fixture_json, heartbeat_at};
use serde_json::{Value, json};

/// Store a bit of everything; return the id of the reporting server.
fn seed(api: &Api) -> &'static str {
    let id = "persist-host";
    let mut sample = fixture_json("heartbeat-sample.json");
    sample["server_id"] = json!(id);
    sample["timestamp"] = json!((Utc::now() - chrono::Duration::seconds(20)).to_rfc3339());
    api.heartbeat(&sample).expect(200);
    for s in [10, 5] {
        api.heartbeat(&heartbeat_at(id, Utc::now() - chrono::Duration::seconds(s)))
            .expect(200);
    }
    api.post(
        "/api/v1/servers",
        &json!({ "id": "manual-box", "hostname": "manual.lan", "tdp_watts": 25 }),
    )
    .expect(201);
    api.put(
        "/api/v1/servers/manual-box",
        &json!({ "display_name": "Manual Box" }),
    )
    .expect(200);
    api.put_empty("/api/v1/servers/manual-box/pause")
        .expect(200);
    api.post(
        &format!("/api/v1/servers/{id}/services"),
        &json!({ "service_name": "ssh", "is_critical": true }),
    )
    .expect(201);
    api.put(
        "/api/v1/preferences/card-order",
        &json!({ "order": ["manual-box", id] }),
    )
    .expect(200);
    api.put(
        "/api/v1/config/cost",
        &json!({ "electricity_rate": 0.31, "currency_symbol": "€" }),
    )
    .expect(200);
    api.put(
        "/api/v1/config/thresholds",
        &json!({ "cpu": { "high_percent": 71 } }),
    )
    .expect(200);
    id
}

/// Everything `seed` stored, as the API shows it (status is live state,
/// not stored data, so it is left out).
fn snapshot(api: &Api, id: &str) -> Value {
    let mut servers = api.servers();
    servers.sort_by_key(|s| s["id"].as_str().unwrap_or_default().to_owned());
    for s in &mut servers {
        s.as_object_mut().unwrap().remove("status");
    }
    let get = |p: &str| api.get(p).expect_json(200);
    let services = get(&format!("/api/v1/servers/{id}/services"));
    let mut services_stored = services.clone();
    for s in services_stored["services"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        s.as_object_mut().unwrap().remove("current_status");
    }
    json!({
        "servers": servers,
        "packages": get(&format!("/api/v1/servers/{id}/packages")),
        "metrics": get(&format!("/api/v1/servers/{id}/metrics/export?range=24h&format=json"))["data_points"],
        "services": services_stored,
        "card_order": get("/api/v1/preferences/card-order"),
        "cost": get("/api/v1/config/cost"),
        "config": get("/api/v1/config"),
    })
}

fn assert_same(before: &Value, after: &Value) {
    for key in before.as_object().unwrap().keys() {
        assert_eq!(
            before[key], after[key],
            "`{key}` changed across the restart"
        );
    }
}

fn check_seeded(snap: &Value) {
    assert_eq!(snap["servers"].as_array().unwrap().len(), 2, "{snap}");
    assert_eq!(snap["packages"]["total_count"], 129);
    assert_eq!(snap["metrics"].as_array().unwrap().len(), 3);
    assert_eq!(snap["services"]["total"], 1);
    assert_eq!(
        snap["card_order"]["order"],
        json!(["manual-box", "persist-host"])
    );
    assert_eq!(snap["cost"]["currency_symbol"], "€");
    assert_eq!(snap["config"]["thresholds"]["cpu"]["high_percent"], 71);
    let manual = &snap["servers"][0];
    assert_eq!(manual["id"], "manual-box");
    assert_eq!(manual["display_name"], "Manual Box");
    assert_eq!(manual["is_paused"], true);
}

#[test]
fn data_survives_a_graceful_restart() {
    let mut hub = Hub::start_default();
    let id = seed(hub.api());
    let before = snapshot(hub.api(), id);
    check_seeded(&before);

    let status = hub.stop().expect("hub was running");
    assert!(
        status.success(),
        "SIGTERM should exit 0, got {status}:\n{}",
        hub.log()
    );
    hub.start_again();

    let after = snapshot(hub.api(), id);
    assert_same(&before, &after);
    // Still writable, and the old data is still counted with the new.
    hub.api()
        .heartbeat(&heartbeat_at(id, Utc::now()))
        .expect(200);
    assert_eq!(hub.api().exported_timestamps(id).len(), 4);
}

#[test]
fn data_survives_a_crash() {
    let mut hub = Hub::start_default();
    let id = seed(hub.api());
    let before = snapshot(hub.api(), id);
    check_seeded(&before);

    hub.kill();
    hub.start_again();

    let after = snapshot(hub.api(), id);
    assert_same(&before, &after);
    let resp = hub
        .api()
        .heartbeat(&heartbeat_at(id, Utc::now()))
        .expect_json(200);
    assert_eq!(resp["server_registered"], false, "{resp}");
}
