//! Servers: create, list, update, pause/unpause, delete.

use homelabcmd_e2e::{Hub, assert_error, contract, heartbeat, parse_ts};
use serde_json::json;

#[test]
fn server_round_trip() {
    let hub = Hub::start_default();
    let api = hub.api();

    let empty = api.get("/api/v1/servers").expect_json(200);
    contract::assert_conforms(&empty, "ServerListResponse");
    assert_eq!(empty["total"], 0);

    // Create.
    let created = api
        .post(
            "/api/v1/servers",
            &json!({
                "id": "nas-01",
                "hostname": "nas.lan",
                "display_name": "NAS",
                "ip_address": "192.168.1.10",
                "tdp_watts": 35
            }),
        )
        .expect_json(201);
    contract::assert_conforms(&created, "ServerResponse");
    assert_eq!(created["id"], "nas-01");
    assert_eq!(created["hostname"], "nas.lan");
    assert_eq!(created["display_name"], "NAS");
    assert_eq!(created["ip_address"], "192.168.1.10");
    assert_eq!(created["tdp_watts"], 35);
    assert_eq!(created["machine_type"], "server", "default machine_type");
    assert_eq!(created["is_paused"], false);
    assert_eq!(created["status"], "unknown", "never reported yet");
    assert!(created["last_seen"].is_null(), "{created}");
    let created_at = parse_ts(created["created_at"].as_str().unwrap());

    // Duplicate.
    let dup = api.post(
        "/api/v1/servers",
        &json!({ "id": "nas-01", "hostname": "other.lan" }),
    );
    assert_error(&dup, 409);
    assert_eq!(api.server("nas-01").unwrap()["hostname"], "nas.lan");

    // List.
    let list = api.get("/api/v1/servers").expect_json(200);
    contract::assert_conforms(&list, "ServerListResponse");
    assert_eq!(list["total"], 1);
    assert_eq!(list["servers"][0]["id"], "nas-01");

    // Partial update: named fields change, the rest stays.
    let updated = api
        .put(
            "/api/v1/servers/nas-01",
            &json!({ "display_name": "Big NAS", "tdp_watts": 40, "machine_type": "workstation" }),
        )
        .expect_json(200);
    contract::assert_conforms(&updated, "ServerResponse");
    assert_eq!(updated["display_name"], "Big NAS");
    assert_eq!(updated["tdp_watts"], 40);
    assert_eq!(updated["machine_type"], "workstation");
    assert_eq!(updated["hostname"], "nas.lan");
    assert_eq!(updated["ip_address"], "192.168.1.10");
    assert!(parse_ts(updated["updated_at"].as_str().unwrap()) >= created_at);
    let fetched = api.server("nas-01").unwrap();
    assert_eq!(fetched["display_name"], "Big NAS");
    assert_eq!(fetched["machine_type"], "workstation");

    // Pause / unpause.
    let paused = api
        .put_empty("/api/v1/servers/nas-01/pause")
        .expect_json(200);
    contract::assert_conforms(&paused, "ServerResponse");
    assert_eq!(paused["is_paused"], true);
    assert!(paused["paused_at"].is_string(), "{paused}");
    assert_eq!(api.server("nas-01").unwrap()["is_paused"], true);
    let unpaused = api
        .put_empty("/api/v1/servers/nas-01/unpause")
        .expect_json(200);
    assert_eq!(unpaused["is_paused"], false);
    assert!(unpaused["paused_at"].is_null(), "{unpaused}");
    assert_eq!(api.server("nas-01").unwrap()["is_paused"], false);

    // Delete.
    let deleted = api.delete("/api/v1/servers/nas-01").expect(204);
    assert!(
        deleted.text.is_empty(),
        "204 has no body: {:?}",
        deleted.text
    );
    assert!(api.server("nas-01").is_none());
    assert_error(&api.delete("/api/v1/servers/nas-01"), 404);
    assert_eq!(api.get("/api/v1/servers").expect_json(200)["total"], 0);
}

#[test]
fn a_deleted_server_that_reports_again_is_registered_anew() {
    let hub = Hub::start_default();
    let api = hub.api();
    let first = api.heartbeat(&heartbeat("phoenix")).expect_json(200);
    assert_eq!(first["server_registered"], true);
    api.delete("/api/v1/servers/phoenix").expect(204);
    assert!(api.server("phoenix").is_none());

    let again = api.heartbeat(&heartbeat("phoenix")).expect_json(200);
    assert_eq!(again["server_registered"], true, "{again}");
    // Its old samples went with it.
    assert_eq!(api.exported_timestamps("phoenix").len(), 1);
}
