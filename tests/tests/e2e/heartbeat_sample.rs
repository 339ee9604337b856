//! The contract's sample heartbeat (from a real agent) is accepted as is,
//! and everything in it becomes visible through the API.

use std::collections::BTreeMap;

use chrono::{Duration as ChronoDuration, Utc};
use homelabcmd_e2e::{Hub, contract, fixture_json, heartbeat_at};
use serde_json::Value;

#[test]
fn sample_heartbeat_is_accepted_unchanged_and_fully_visible() {
    let hub = Hub::start_default();
    let api = hub.api();
    let sample = fixture_json("heartbeat-sample.json");
    let id = sample["server_id"].as_str().unwrap();

    let resp = api.heartbeat(&sample).expect_json(200);
    contract::assert_conforms(&resp, "HeartbeatResponse");
    assert_eq!(resp["status"], "ok", "{resp}");
    assert_eq!(resp["server_registered"], true, "{resp}");

    // The server and its inventory.
    let server = api.server(id).expect("server registered by its heartbeat");
    contract::assert_conforms(&server, "ServerResponse");
    assert_eq!(server["id"], id);
    assert_eq!(server["guid"], sample["server_guid"]);
    assert_eq!(server["hostname"], sample["hostname"]);
    assert_eq!(server["os_distribution"], sample["os_info"]["distribution"]);
    assert_eq!(server["os_version"], sample["os_info"]["version"]);
    assert_eq!(server["kernel_version"], sample["os_info"]["kernel"]);
    assert_eq!(server["architecture"], sample["os_info"]["architecture"]);
    assert_eq!(server["cpu_model"], sample["cpu_info"]["cpu_model"]);
    assert_eq!(server["cpu_cores"], sample["cpu_info"]["cpu_cores"]);
    assert_eq!(server["agent_version"], sample["agent_version"]);
    assert_eq!(server["agent_mode"], sample["agent_mode"]);
    assert_eq!(server["updates_available"], 129);
    assert_eq!(server["security_updates"], 79);
    assert!(
        server["last_seen"].is_string(),
        "last_seen not set: {server}"
    );
    let status = server["status"].as_str().unwrap_or_default();
    assert!(
        ["online", "offline", "unknown"].contains(&status),
        "status {status:?} is not online/offline/unknown"
    );

    let latest = &server["latest_metrics"];
    for (field, value) in sample["metrics"].as_object().unwrap() {
        if field == "reboot_required" {
            continue; // not part of LatestMetrics
        }
        assert_eq!(
            latest[field].as_f64(),
            value.as_f64(),
            "latest_metrics.{field}: {latest}"
        );
    }

    // Filesystems and interfaces, field by field.
    let fs = server["filesystems"].as_array().expect("filesystems list");
    assert_eq!(fs, sample["filesystems"].as_array().unwrap(), "filesystems");
    let by_name = |list: &Value| -> BTreeMap<String, Value> {
        list.as_array()
            .unwrap_or_else(|| panic!("not a list: {list}"))
            .iter()
            .map(|i| (i["name"].as_str().unwrap().to_owned(), i.clone()))
            .collect()
    };
    assert_eq!(
        by_name(&server["network_interfaces"]),
        by_name(&sample["network_interfaces"]),
        "network interfaces"
    );

    // Pending packages: 129, 79 of them security.
    let pk = api
        .get(&format!("/api/v1/servers/{id}/packages"))
        .expect_json(200);
    contract::assert_conforms(&pk, "PackageListResponse");
    assert_eq!(pk["server_id"], id);
    assert_eq!(pk["total_count"], 129);
    assert_eq!(pk["security_count"], 79);
    let got: BTreeMap<String, Value> = pk["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p.clone()))
        .collect();
    assert_eq!(got.len(), 129, "distinct package names");
    for want in sample["packages"].as_array().unwrap() {
        let name = want["name"].as_str().unwrap();
        let have = got
            .get(name)
            .unwrap_or_else(|| panic!("package {name} missing"));
        for f in [
            "current_version",
            "new_version",
            "repository",
            "is_security",
        ] {
            assert_eq!(have[f], want[f], "package {name}: {f}");
        }
    }

    // The same document again is a plain update, not a new registration.
    let again = api.heartbeat(&sample).expect_json(200);
    assert_eq!(again["server_registered"], false, "{again}");
    let servers = api.servers();
    assert_eq!(servers.len(), 1, "one server after two heartbeats");
    let pk2 = api
        .get(&format!("/api/v1/servers/{id}/packages"))
        .expect_json(200);
    assert_eq!(pk2["total_count"], 129);
}

#[test]
fn a_sample_sent_twice_is_stored_once() {
    let hub = Hub::start_default();
    let api = hub.api();
    let ts = Utc::now() - ChronoDuration::seconds(30);
    let hb = heartbeat_at("dup-host", ts);
    api.heartbeat(&hb).expect(200);
    api.heartbeat(&hb).expect(200);
    let later = heartbeat_at("dup-host", ts + ChronoDuration::seconds(10));
    api.heartbeat(&later).expect(200);

    let stamps = api.exported_timestamps("dup-host");
    assert_eq!(stamps.len(), 2, "stored samples: {stamps:?}");
    assert!(
        stamps
            .iter()
            .any(|t| (*t - ts).num_milliseconds().abs() < 1),
        "first sample stored at its own timestamp {ts}: {stamps:?}"
    );

    let history = api
        .get("/api/v1/servers/dup-host/metrics?range=24h")
        .expect_json(200);
    contract::assert_conforms(&history, "MetricsHistoryResponse");
    assert_eq!(history["total_points"], 2, "{history}");
}
