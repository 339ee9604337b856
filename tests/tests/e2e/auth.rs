//! `X-API-Key` on everything but the health check.

use homelabcmd_e2e::{Hub, assert_error, contract, heartbeat};
use serde_json::json;

#[test]
fn health_needs_no_key() {
    let hub = Hub::start_default();
    let anon = hub.api().with_key(None);
    let health = anon.get("/api/v1/system/health").expect_json(200);
    contract::assert_conforms(&health, "HealthResponse");
    assert!(
        health["status"].as_str().is_some_and(|s| !s.is_empty()),
        "{health}"
    );
    assert!(health["version"].as_str().is_some_and(|s| !s.is_empty()));
    // A wrong key does not break it either.
    hub.api()
        .with_key(Some("wrong"))
        .get("/api/v1/system/health")
        .expect(200);
}

#[test]
fn missing_or_wrong_key_is_401_and_changes_nothing() {
    let hub = Hub::start_default();
    let good = hub.api();
    good.post(
        "/api/v1/servers",
        &json!({ "id": "guarded", "hostname": "guarded.lan" }),
    )
    .expect(201);

    let key = hub.api_key();
    let wrong_keys = [
        None,
        Some(String::new()),
        Some("wrong-key".to_owned()),
        // A prefix of the real key, the key plus a suffix, another case.
        Some(key[..key.len() - 1].to_owned()),
        Some(format!("{key}x")),
        Some(key.to_uppercase()),
    ];
    for key in &wrong_keys {
        let api = good.with_key(key.as_deref());
        let what = format!("key {key:?}");
        for path in [
            "/api/v1/servers",
            "/api/v1/servers/guarded",
            "/api/v1/servers/guarded/metrics?range=24h",
            "/api/v1/servers/guarded/packages",
            "/api/v1/config",
            "/api/v1/config/cost",
            "/api/v1/preferences/card-order",
            "/api/v1/machines/guarded/layout",
        ] {
            let r = api.get(path);
            assert_eq!(r.status, 401, "GET {path} with {what}: {}", r.text);
            assert_error(&r, 401);
        }
        let r = api.heartbeat(&heartbeat("sneaky"));
        assert_eq!(r.status, 401, "heartbeat with {what}: {}", r.text);
        assert_error(&r, 401);
        let r = api.put(
            "/api/v1/servers/guarded",
            &json!({ "display_name": "pwned" }),
        );
        assert_error(&r, 401);
        let r = api.put_empty("/api/v1/servers/guarded/pause");
        assert_error(&r, 401);
        let r = api.delete("/api/v1/servers/guarded");
        assert_error(&r, 401);
        let r = api.put("/api/v1/config/cost", &json!({ "electricity_rate": 9.99 }));
        assert_error(&r, 401);
    }

    // None of it got through.
    let servers = good.servers();
    assert_eq!(servers.len(), 1, "{servers:?}");
    let s = &servers[0];
    assert_eq!(s["id"], "guarded");
    assert!(s["display_name"].is_null(), "{s}");
    assert_eq!(s["is_paused"], false, "{s}");
    let cost = good.get("/api/v1/config/cost").expect_json(200);
    assert_ne!(cost["electricity_rate"], 9.99, "{cost}");
}
