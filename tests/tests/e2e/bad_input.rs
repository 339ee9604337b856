//! Bad requests get a 4xx that names the offending field, store nothing
//! (not even part of the request), and leave the hub healthy.

use chrono::Utc;
use homelabcmd_e2e::{
    Api, Hub, HubOptions, Resp, assert_error, assert_invalid_field, fixture_json,
};
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
    // A whole valid document followed by more text is not valid JSON.
    rejected(
        &hub,
        "valid heartbeat followed by garbage",
        |api| {
            api.post_raw(
                "/api/v1/agents/heartbeat",
                "application/json",
                format!("{valid} trailing garbage").into_bytes(),
            )
        },
        |r| {
            assert!(r.status == 400 || r.status == 422, "{}", r.text);
        },
    );
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

/// The body limit the oversized-body test runs the hub with (the default,
/// set explicitly so the test does not depend on it).
const BODY_LIMIT: usize = 1024 * 1024;

/// Send a request head plus the first `sent` bytes of its body, then stop
/// writing and read the answer.
///
/// Why not simply POST 3 MB with an HTTP client: the hub reads up to its
/// limit, answers 413 and closes without reading the rest, so the kernel
/// resets the connection while the client is still writing and the 413 is
/// often lost (`Broken pipe`). Stopping just past the limit leaves nothing
/// unread, so the answer is always there to read.
fn post_past_the_limit(hub: &Hub, path: &str, chunked: bool, declared: usize) -> Resp {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let sent = BODY_LIMIT + 1;
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", hub.port())).expect("connect to the hub");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {declared}")
    };
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {}\r\n\
         Content-Type: application/json\r\n{framing}\r\n\r\n",
        hub.api_key()
    )
    .into_bytes();
    if chunked {
        // One chunk announced as `declared` bytes, cut off after `sent`.
        request.extend_from_slice(format!("{declared:x}\r\n").as_bytes());
    }
    // A JSON string that never ends: nothing can parse it early.
    request.extend_from_slice(b"{\"hostname\": \"");
    request.resize(request.len() + sent - 14, b'x');
    stream
        .write_all(&request)
        .expect("send the head and body prefix");
    stream.flush().unwrap();

    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .unwrap_or_else(|e| panic!("no answer after {sent} body bytes: {e}"));
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut content_length = 0;
    let mut content_type = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("response headers");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = v.trim().parse().unwrap_or(0),
                "content-type" => content_type = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).expect("response body");
    Resp {
        status,
        content_type,
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

#[test]
fn an_oversized_body_is_413() {
    let hub = Hub::start(HubOptions {
        env: vec![(
            "HOMELAB_CMD_MAX_BODY_BYTES".to_owned(),
            BODY_LIMIT.to_string(),
        )],
        ..HubOptions::default()
    });
    let mut sample = fixture_json("heartbeat-sample.json");
    sample["server_id"] = json!(SEEDED);
    sample["timestamp"] = json!((Utc::now() - chrono::Duration::seconds(30)).to_rfc3339());
    hub.api().heartbeat(&sample).expect(200);

    let three_mb = 3 * 1024 * 1024;
    rejected(
        &hub,
        "3 MB heartbeat (Content-Length)",
        |_| post_past_the_limit(&hub, "/api/v1/agents/heartbeat", false, three_mb),
        |r| {
            assert_error(r, 413);
        },
    );
    rejected(
        &hub,
        "3 MB heartbeat (chunked)",
        |_| post_past_the_limit(&hub, "/api/v1/agents/heartbeat", true, three_mb),
        |r| {
            assert_error(r, 413);
        },
    );
    rejected(
        &hub,
        "3 MB server create",
        |_| post_past_the_limit(&hub, "/api/v1/servers", false, three_mb),
        |r| {
            assert_error(r, 413);
        },
    );
    // A body just under the limit is still read and judged on its content.
    let mut hb = changing_heartbeat();
    hb["hostname"] = json!("x".repeat(BODY_LIMIT - 30_000));
    let body = serde_json::to_vec(&hb).unwrap();
    assert!(body.len() < BODY_LIMIT, "body is {} bytes", body.len());
    rejected(
        &hub,
        "hostname over 255 characters",
        |api| api.post_raw("/api/v1/agents/heartbeat", "application/json", body),
        |r| {
            assert_invalid_field(r, "hostname");
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
