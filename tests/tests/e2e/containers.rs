//! Containers an agent reports come back on the machine (extension field
//! `ServerResponse.containers`); a heartbeat without the field keeps them.

use chrono::{Duration as ChronoDuration, Utc};
use homelabcmd_e2e::{Hub, contract, heartbeat_at};
use serde_json::json;

#[test]
fn reported_containers_are_shown_on_the_server() {
    let hub = Hub::start_default();
    let api = hub.api();
    let t0 = Utc::now() - ChronoDuration::seconds(60);

    // Never reported: null, in the detail and in the list.
    api.heartbeat(&heartbeat_at("docker-01", t0))
        .expect_json(200);
    let server = api.server("docker-01").expect("registered");
    assert!(server["containers"].is_null(), "{server}");

    let containers = json!([
        {"name": "web", "image": "nginx:1.27", "state": "running", "status": "Up 3 hours"},
        {"name": "db", "image": "postgres:16", "state": "exited", "status": "Exited (1) 2 minutes ago"},
    ]);
    let mut hb = heartbeat_at("docker-01", t0 + ChronoDuration::seconds(30));
    hb["containers"] = containers.clone();
    api.heartbeat(&hb).expect_json(200);

    let server = api.server("docker-01").expect("registered");
    contract::assert_conforms(&server, "ServerResponse");
    assert_eq!(server["containers"], containers, "{server}");
    let listed = api
        .servers()
        .into_iter()
        .find(|s| s["id"] == "docker-01")
        .expect("in the list");
    assert_eq!(listed["containers"], containers);

    // A newer heartbeat without containers leaves the last report in place.
    api.heartbeat(&heartbeat_at("docker-01", t0 + ChronoDuration::seconds(50)))
        .expect_json(200);
    let server = api.server("docker-01").expect("registered");
    assert_eq!(server["containers"], containers, "{server}");

    // An empty list is a report too: no containers now.
    let mut hb = heartbeat_at("docker-01", t0 + ChronoDuration::seconds(55));
    hb["containers"] = json!([]);
    api.heartbeat(&hb).expect_json(200);
    let server = api.server("docker-01").expect("registered");
    assert_eq!(server["containers"], json!([]), "{server}");
}
