//! Bad requests get a 4xx that names the offending field, store nothing
//! (not even part of the request), and leave the hub healthy.

use chrono::Utc;
use homelabcmd_e2e::{Api, Hub, Resp, assert_error, assert_invalid_field, fixture_json};
use serde_json::{Value, json};

const SEEDED: &str = "seeded-host";

/// A hub holding one server reported by the sample heartbeat (129 packages).
fn seeded_hub() -> Hub {
    let hub = Hub::start_default();
    let mut sample = fixture_json("heartbeat-sample.json");
    sample["server_id"] = json!(SEEDED);
    sample["timestamp"] = json!((Utc::now() - chrono::Duration::seconds(30)).to_rfc3339());
    hub.api().heartbeat(&sample).expect(200);
    hub
}

/// A heartbeat for the seeded server that would change what is stored if
/// any of it got through: a new sample, one package instead of 129, new
/// metrics. Tests break one field of it.
fn changing_heartbeat() -> Value {
    let mut hb = fixture_json("heartbeat-sample.json");
    hb["server_id"] = json!(SEEDED);
    hb["hostname"] = json!("renamed");
    hb["timestamp"] = json!(Utc::now().to_rfc3339());
    hb["updates_available"] = json!(1);
    hb["security_updates"] = json!(0);
    hb["packages"] = json!([hb["packages"][0].clone()]);
    hb["metrics"]["cpu_percent"] = json!(1.0);
    hb
}

/// What is stored, as the API shows it.
fn snapshot(api: &Api) -> Value {
    let mut servers = api.servers();
    for s in &mut servers {
        s.as_object_mut().unwrap().remove("status");
    }
    servers.sort_by_key(|s| s["id"].as_str().unwrap_or_default().to_owned());
    json!({
        "servers": servers,
        "packages": api.get(&format!("/api/v1/servers/{SEEDED}/packages")).expect_json(200),
        "metrics": api.exported_timestamps(SEEDED).iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
    })
}

/// Send a bad request, check the answer with `check`, then check nothing
/// changed and the hub still answers.
fn rejected(hub: &Hub, what: &str, send: impl FnOnce(&Api) -> Resp, check: impl FnOnce(&Resp)) {
    let api = hub.api();
    let before = snapshot(api);
    let resp = send(api);
    assert!(
        (400..500).contains(&resp.status),
        "{what}: expected a 4xx, got {}: {}",
        resp.status,
        resp.text
    );
    check(&resp);
    let after = snapshot(api);
    assert_eq!(before, after, "{what}: stored data changed");
    api.with_key(None).get("/api/v1/system/health").expect(200);
}

fn heartbeat_with(hub: &Hub, what: &str, field: &str, edit: impl FnOnce(&mut Value)) {
    let mut hb = changing_heartbeat();
    edit(&mut hb);
    rejected(
        hub,
        what,
        |api| api.heartbeat(&hb),
        |r| {
            assert_invalid_field(r, field);
        },
    );
}

#[test]
fn malformed_json_is_rejected() {
    let hub = seeded_hub();
    let valid = serde_json::to_string(&changing_heartbeat()).unwrap();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated document",
            valid.as_bytes()[..valid.len() / 2].to_vec(),
        ),
        ("not JSON at all", b"server_id=seeded-host".to_vec()),
        ("empty body", Vec::new()),
        ("trailing garbage", format!("{valid}}}").into_bytes()),
        (
            "invalid UTF-8",
            [b"{\"server_id\": \"".as_slice(), &[0xff, 0xfe], b"\"}"].concat(),
        ),
    ];
    for (what, body) in bodies {
        rejected(
            &hub,
            what,
            |api| api.post_raw("/api/v1/agents/heartbeat", "application/json", body),
            |r| {
                assert!(
                    r.status == 400 || r.status == 422,
                    "{what}: malformed JSON is 400 or 422, got {}: {}",
                    r.status,
                    r.text
                );
                assert!(
                    r.json().get("detail").is_some(),
                    "{what}: error body has `detail`: {}",
                    r.text
                );
            },
        );
    }
    // A JSON document that is not an object.
    rejected(
        &hub,
        "array instead of object",
        |api| api.post("/api/v1/agents/heartbeat", &json!([1, 2, 3])),
        |r| {
            assert_eq!(r.status, 422, "{}", r.text);
        },
    );
}

#[test]
fn wrong_types_name_the_field() {
    let hub = seeded_hub();
    heartbeat_with(&hub, "cpu_percent as text", "cpu_percent", |hb| {
        hb["metrics"]["cpu_percent"] = json!("very high")
    });
    heartbeat_with(&hub, "server_id as number", "server_id", |hb| {
        hb["server_id"] = json!(42)
    });
    heartbeat_with(&hub, "timestamp not a time", "timestamp", |hb| {
        hb["timestamp"] = json!("yesterday-ish")
    });
    heartbeat_with(&hub, "metrics as list", "metrics", |hb| {
        hb["metrics"] = json!([1, 2])
    });
    heartbeat_with(&hub, "packages as object", "packages", |hb| {
        hb["packages"] = json!({ "name": "bash" })
    });
    heartbeat_with(&hub, "is_security as text", "is_security", |hb| {
        hb["packages"][0]["is_security"] = json!("yes")
    });
    heartbeat_with(
        &hub,
        "memory_total_mb fractional",
        "memory_total_mb",
        |hb| hb["metrics"]["memory_total_mb"] = json!(1.5),
    );
    // Through the servers API too.
    rejected(
        &hub,
        "tdp_watts as text",
        |api| {
            api.put(
                &format!("/api/v1/servers/{SEEDED}"),
                &json!({ "tdp_watts": "lots" }),
            )
        },
        |r| {
            assert_invalid_field(r, "tdp_watts");
        },
    );
}

#[test]
fn missing_required_fields_name_the_field() {
    let hub = seeded_hub();
    for field in ["server_id", "hostname", "timestamp"] {
        heartbeat_with(&hub, &format!("no {field}"), field, |hb| {
            hb.as_object_mut().unwrap().remove(field);
        });
    }
    heartbeat_with(&hub, "package without a name", "name", |hb| {
        hb["packages"][0].as_object_mut().unwrap().remove("name");
    });
    heartbeat_with(&hub, "service without a status", "status", |hb| {
        hb["services"][0].as_object_mut().unwrap().remove("status");
    });
    rejected(
        &hub,
        "server create without hostname",
        |api| api.post("/api/v1/servers", &json!({ "id": "no-hostname" })),
        |r| {
            assert_invalid_field(r, "hostname");
        },
    );
}

#[test]
fn out_of_range_values_name_the_field() {
    let hub = seeded_hub();
    heartbeat_with(&hub, "cpu_percent 150", "cpu_percent", |hb| {
        hb["metrics"]["cpu_percent"] = json!(150.0)
    });
    heartbeat_with(&hub, "memory_percent -1", "memory_percent", |hb| {
        hb["metrics"]["memory_percent"] = json!(-1.0)
    });
    heartbeat_with(&hub, "disk_percent 100.5", "disk_percent", |hb| {
        hb["metrics"]["disk_percent"] = json!(100.5)
    });
    heartbeat_with(&hub, "filesystem percent 150", "percent", |hb| {
        hb["filesystems"][0]["percent"] = json!(150.0)
    });
    heartbeat_with(&hub, "negative rx_bytes", "rx_bytes", |hb| {
        hb["network_interfaces"][0]["rx_bytes"] = json!(-5)
    });
    heartbeat_with(&hub, "service status not in the set", "status", |hb| {
        hb["services"][0]["status"] = json!("exploded")
    });
    for bad_id in ["Bad_ID!", "UPPER", "", "has space", &"x".repeat(101)] {
        heartbeat_with(&hub, &format!("server_id {bad_id:?}"), "server_id", |hb| {
            hb["server_id"] = json!(bad_id)
        });
    }
    heartbeat_with(&hub, "empty hostname", "hostname", |hb| {
        hb["hostname"] = json!("")
    });

    // A bad first heartbeat must not register the server either.
    let mut fresh = changing_heartbeat();
    fresh["server_id"] = json!("never-registered");
    fresh["metrics"]["cpu_percent"] = json!(150.0);
    rejected(
        &hub,
        "new server with cpu_percent 150",
        |api| api.heartbeat(&fresh),
        |r| {
            assert_invalid_field(r, "cpu_percent");
        },
    );
    assert!(hub.api().server("never-registered").is_none());

    // Servers API.
    rejected(
        &hub,
        "server create with a bad id",
        |api| {
            api.post(
                "/api/v1/servers",
                &json!({ "id": "Bad_ID!", "hostname": "x" }),
            )
        },
        |r| {
            assert_invalid_field(r, "id");
        },
    );
    rejected(
        &hub,
        "server create with machine_type toaster",
        |api| {
            api.post(
                "/api/v1/servers",
                &json!({ "id": "toaster", "hostname": "x", "machine_type": "toaster" }),
            )
        },
        |r| {
            assert_invalid_field(r, "machine_type");
        },
    );
    rejected(
        &hub,
        "offline threshold below the 5 s minimum",
        |api| {
            api.put(
                &format!("/api/v1/servers/{SEEDED}"),
                &json!({ "offline_threshold_seconds": 1 }),
            )
        },
        |r| {
            assert_invalid_field(r, "offline_threshold_seconds");
        },
    );
}

#[test]
fn bad_query_parameters_name_the_parameter() {
    let hub = seeded_hub();
    for (path, param) in [
        (
            format!("/api/v1/servers/{SEEDED}/metrics?range=1y"),
            "range",
        ),
        (
            format!("/api/v1/servers/{SEEDED}/metrics/export?range=24h&format=xml"),
            "format",
        ),
        (
            format!("/api/v1/servers/{SEEDED}/metrics/export?range=forever&format=json"),
            "range",
        ),
    ] {
        rejected(
            &hub,
            &path,
            |api| api.get(&path),
            |r| {
                assert_invalid_field(r, param);
            },
        );
    }
    // Free-form parameters checked by the handler: any 4xx that names it.
    for (path, param) in [
        (
            format!("/api/v1/servers/{SEEDED}/metrics/sparkline?metric=bogomips&period=30m"),
            "metric",
        ),
        (
            format!("/api/v1/servers/{SEEDED}/metrics/sparkline?metric=cpu_percent&period=3w"),
            "period",
        ),
    ] {
        rejected(
            &hub,
            &path,
            |api| api.get(&path),
            |r| {
                assert!(
                    r.text.to_lowercase().contains(param),
                    "{path}: error does not name `{param}`: {}",
                    r.text
                );
            },
        );
    }
}

#[test]
fn an_oversized_body_is_413() {
    let hub = seeded_hub();
    // A valid heartbeat, just huge: ~3 MB of packages.
    let mut hb = changing_heartbeat();
    let pkg = hb["packages"][0].clone();
    let mut packages = Vec::new();
    while packages.len() * 120 < 3 * 1024 * 1024 {
        let mut p = pkg.clone();
        p["name"] = json!(format!("pkg-{}-{}", packages.len(), "x".repeat(40)));
        packages.push(p);
    }
    hb["packages"] = json!(packages);
    let body = serde_json::to_vec(&hb).unwrap();
    assert!(body.len() > 3 * 1024 * 1024, "body is {} bytes", body.len());
    rejected(
        &hub,
        "3 MB heartbeat",
        |api| api.post_raw("/api/v1/agents/heartbeat", "application/json", body),
        |r| {
            assert_eq!(r.status, 413, "{}", r.text);
        },
    );
}

#[test]
fn unknown_server_ids_are_404() {
    let hub = seeded_hub();
    let gets = [
        "/api/v1/servers/nope",
        "/api/v1/servers/nope/metrics?range=24h",
        "/api/v1/servers/nope/metrics/sparkline?metric=cpu_percent&period=30m",
        "/api/v1/servers/nope/metrics/export?range=24h&format=json",
        "/api/v1/servers/nope/packages",
        "/api/v1/servers/nope/services",
        "/api/v1/machines/nope/layout",
    ];
    for path in gets {
        rejected(
            &hub,
            path,
            |api| api.get(path),
            |r| {
                assert_error(r, 404);
            },
        );
    }
    rejected(
        &hub,
        "PUT unknown server",
        |api| api.put("/api/v1/servers/nope", &json!({ "display_name": "x" })),
        |r| {
            assert_error(r, 404);
        },
    );
    rejected(
        &hub,
        "pause unknown server",
        |api| api.put_empty("/api/v1/servers/nope/pause"),
        |r| {
            assert_error(r, 404);
        },
    );
    rejected(
        &hub,
        "DELETE unknown server",
        |api| api.delete("/api/v1/servers/nope"),
        |r| {
            assert_error(r, 404);
        },
    );
    rejected(
        &hub,
        "service on unknown server",
        |api| {
            api.post(
                "/api/v1/servers/nope/services",
                &json!({ "service_name": "ssh" }),
            )
        },
        |r| {
            assert_error(r, 404);
        },
    );
    assert!(hub.api().server("nope").is_none());
}
