//! Hub configuration: thresholds, notifications, cost.

use homelabcmd_e2e::{Hub, contract};
use serde_json::json;

#[test]
fn thresholds_and_notifications_round_trip() {
    let hub = Hub::start_default();
    let api = hub.api();

    let initial = api.get("/api/v1/config").expect_json(200);
    contract::assert_conforms(&initial, "ConfigResponse");
    // Contract defaults.
    assert_eq!(initial["thresholds"]["server_offline_seconds"], 180);
    assert_eq!(
        initial["notifications"]["cooldowns"]["critical_minutes"],
        30
    );
    assert_eq!(initial["notifications"]["cooldowns"]["high_minutes"], 240);
    assert_eq!(initial["notifications"]["slack_webhook_url"], "");

    // Partial, nested update of thresholds.
    let resp = api
        .put(
            "/api/v1/config/thresholds",
            &json!({ "cpu": { "high_percent": 70, "critical_percent": 90 }, "server_offline_seconds": 300 }),
        )
        .expect_json(200);
    contract::assert_conforms(&resp, "ThresholdsResponse");
    let updated: Vec<&str> = resp["updated"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u.as_str())
        .collect();
    for field in ["high_percent", "critical_percent", "server_offline_seconds"] {
        assert!(
            updated.iter().any(|u| u.contains(field)),
            "`updated` does not list {field}: {updated:?}"
        );
    }
    assert!(
        !updated
            .iter()
            .any(|u| u.contains("memory") || u.contains("disk")),
        "only changed fields are listed: {updated:?}"
    );
    let t = &resp["thresholds"];
    assert_eq!(t["cpu"]["high_percent"], 70);
    assert_eq!(t["cpu"]["critical_percent"], 90);
    assert_eq!(t["server_offline_seconds"], 300);
    assert_eq!(
        t["memory"], initial["thresholds"]["memory"],
        "memory untouched"
    );
    assert_eq!(t["disk"], initial["thresholds"]["disk"], "disk untouched");
    assert_eq!(
        t["cpu"]["sustained_seconds"], initial["thresholds"]["cpu"]["sustained_seconds"],
        "unnamed cpu fields kept"
    );
    let after = api.get("/api/v1/config").expect_json(200);
    assert_eq!(after["thresholds"], *t);

    // Out of range: refused, nothing changes.
    let bad = api.put(
        "/api/v1/config/thresholds",
        &json!({ "cpu": { "high_percent": 150 } }),
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(api.get("/api/v1/config").expect_json(200)["thresholds"], *t);

    // Notifications.
    let resp = api
        .put(
            "/api/v1/config/notifications",
            &json!({
                "slack_webhook_url": "https://hooks.slack.invalid/services/T0/B0/x",
                "cooldowns": { "critical_minutes": 15 },
                "notify_on_high": false
            }),
        )
        .expect_json(200);
    contract::assert_conforms(&resp, "NotificationsResponse");
    let n = &resp["notifications"];
    // The webhook URL is a secret: shown masked (docs/API.md).
    let shown = n["slack_webhook_url"].as_str().unwrap_or_default();
    assert!(
        shown.starts_with("https://hooks.slack.invalid/") && !shown.contains("T0/B0/x"),
        "webhook URL not masked: {shown:?}"
    );
    assert_eq!(n["cooldowns"]["critical_minutes"], 15);
    assert_eq!(n["cooldowns"]["high_minutes"], 240, "unnamed cooldown kept");
    assert_eq!(n["notify_on_high"], false);
    assert_eq!(
        n["notify_on_critical"],
        initial["notifications"]["notify_on_critical"]
    );
    let updated = resp["updated"].to_string();
    assert!(
        updated.contains("critical_minutes") && updated.contains("notify_on_high"),
        "{updated}"
    );
    let after = api.get("/api/v1/config").expect_json(200);
    assert_eq!(after["notifications"], *n);
    assert_eq!(after["thresholds"], *t, "thresholds unaffected");

    // Sending the masked value back (a form saved unchanged) keeps the URL.
    let resp = api
        .put(
            "/api/v1/config/notifications",
            &json!({ "slack_webhook_url": shown, "notify_on_high": true }),
        )
        .expect_json(200);
    assert_eq!(resp["notifications"]["slack_webhook_url"], shown);
    let updated = resp["updated"].to_string();
    assert!(
        !updated.contains("slack_webhook_url"),
        "masked echo is no change: {updated}"
    );
}

#[test]
fn cost_config_round_trip() {
    let hub = Hub::start_default();
    let api = hub.api();
    let initial = api.get("/api/v1/config/cost").expect_json(200);
    contract::assert_conforms(&initial, "CostConfigResponse");
    assert!(
        initial["electricity_rate"]
            .as_f64()
            .is_some_and(|r| r > 0.0),
        "{initial}"
    );

    let saved = api
        .put(
            "/api/v1/config/cost",
            &json!({ "electricity_rate": 0.30, "currency_symbol": "€" }),
        )
        .expect_json(200);
    contract::assert_conforms(&saved, "CostConfigResponse");
    assert_eq!(saved["electricity_rate"], 0.30);
    assert_eq!(saved["currency_symbol"], "€");
    assert!(saved["updated_at"].is_string(), "{saved}");

    // Partial update keeps the other field.
    let saved = api
        .put("/api/v1/config/cost", &json!({ "currency_symbol": "$" }))
        .expect_json(200);
    assert_eq!(saved["electricity_rate"], 0.30);
    assert_eq!(saved["currency_symbol"], "$");
    let loaded = api.get("/api/v1/config/cost").expect_json(200);
    assert_eq!(loaded["electricity_rate"], 0.30);
    assert_eq!(loaded["currency_symbol"], "$");

    let bad = api.put(
        "/api/v1/config/cost",
        &json!({ "electricity_rate": "cheap" }),
    );
    homelabcmd_e2e::assert_invalid_field(&bad, "electricity_rate");
    assert_eq!(api.get("/api/v1/config/cost").expect_json(200), loaded);
}
