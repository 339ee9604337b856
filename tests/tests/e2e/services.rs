//! Expected services, with their live status from heartbeats.

use homelabcmd_e2e::{Hub, assert_error, assert_invalid_field, contract, heartbeat, parse_ts};
use serde_json::json;

#[test]
fn expected_services_round_trip_with_status_from_heartbeats() {
    let hub = Hub::start_default();
    let api = hub.api();
    let id = "svc-host";
    api.heartbeat(&heartbeat(id)).expect(200);
    let base = format!("/api/v1/servers/{id}/services");

    let empty = api.get(&base).expect_json(200);
    contract::assert_conforms(&empty, "ExpectedServiceListResponse");
    assert_eq!(empty["total"], 0);

    let created = api
        .post(
            &base,
            &json!({ "service_name": "nginx", "display_name": "Web", "is_critical": true }),
        )
        .expect_json(201);
    contract::assert_conforms(&created, "ExpectedServiceResponse");
    assert_eq!(created["service_name"], "nginx");
    assert_eq!(created["display_name"], "Web");
    assert_eq!(created["is_critical"], true);
    assert_eq!(created["enabled"], true);
    assert!(
        created["current_status"].is_null(),
        "no report yet: {created}"
    );

    assert_error(&api.post(&base, &json!({ "service_name": "nginx" })), 409);
    assert_invalid_field(
        &api.post(&base, &json!({ "service_name": "Bad Name!" })),
        "service_name",
    );
    api.post(&base, &json!({ "service_name": "postgresql@15-main" }))
        .expect(201);

    // A heartbeat reports nginx running, postgres failed, cron (not
    // expected) stopped.
    let mut hb = heartbeat(id);
    hb["services"] = json!([
        { "name": "nginx", "status": "running", "pid": 1234, "memory_mb": 50.5, "cpu_percent": 1.5 },
        { "name": "postgresql@15-main", "status": "failed", "status_reason": "exit-code" },
        { "name": "cron", "status": "stopped" }
    ]);
    api.heartbeat(&hb).expect(200);

    let list = api.get(&base).expect_json(200);
    contract::assert_conforms(&list, "ExpectedServiceListResponse");
    assert_eq!(
        list["total"], 2,
        "only expected services are listed: {list}"
    );
    let services = list["services"].as_array().unwrap();
    let find = |name: &str| {
        services
            .iter()
            .find(|s| s["service_name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {list}"))
    };
    let nginx = &find("nginx")["current_status"];
    assert_eq!(nginx["status"], "running", "{nginx}");
    assert_eq!(nginx["pid"], 1234);
    assert_eq!(nginx["memory_mb"], 50.5);
    assert_eq!(nginx["cpu_percent"], 1.5);
    parse_ts(nginx["last_seen"].as_str().expect("last_seen"));
    let pg = &find("postgresql@15-main")["current_status"];
    assert_eq!(pg["status"], "failed", "{pg}");
    assert_eq!(pg["status_reason"], "exit-code");

    // Update.
    let updated = api
        .put(
            &format!("{base}/nginx"),
            &json!({ "display_name": "Nginx", "is_critical": false, "enabled": false }),
        )
        .expect_json(200);
    contract::assert_conforms(&updated, "ExpectedServiceResponse");
    assert_eq!(updated["display_name"], "Nginx");
    assert_eq!(updated["is_critical"], false);
    assert_eq!(updated["enabled"], false);
    assert_error(
        &api.put(&format!("{base}/nope"), &json!({ "enabled": true })),
        404,
    );

    // Delete.
    api.delete(&format!("{base}/nginx")).expect(204);
    let after = api.get(&base).expect_json(200);
    assert_eq!(after["total"], 1);
    assert_eq!(after["services"][0]["service_name"], "postgresql@15-main");
    assert_error(&api.delete(&format!("{base}/nginx")), 404);
}
