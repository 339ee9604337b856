//! Dashboard preferences and per-machine widget layouts.

use homelabcmd_e2e::{Hub, assert_error, assert_invalid_field, contract, heartbeat};
use serde_json::json;

#[test]
fn dashboard_preferences_round_trip() {
    let hub = Hub::start_default();
    let api = hub.api();

    // Card order.
    let initial = api.get("/api/v1/preferences/card-order").expect_json(200);
    contract::assert_conforms(&initial, "CardOrderLoadResponse");
    assert_eq!(initial["order"], json!([]), "{initial}");
    let saved = api
        .put(
            "/api/v1/preferences/card-order",
            &json!({ "order": ["b", "a", "c"] }),
        )
        .expect_json(200);
    contract::assert_conforms(&saved, "CardOrderSaveResponse");
    assert_eq!(saved["status"], "saved");
    let loaded = api.get("/api/v1/preferences/card-order").expect_json(200);
    assert_eq!(loaded["order"], json!(["b", "a", "c"]));
    assert_invalid_field(
        &api.put("/api/v1/preferences/card-order", &json!({ "order": "b,a" })),
        "order",
    );
    assert_eq!(
        api.get("/api/v1/preferences/card-order").expect_json(200)["order"],
        json!(["b", "a", "c"]),
        "a rejected save changes nothing"
    );

    // Collapsed sections.
    let initial = api
        .get("/api/v1/preferences/collapsed-sections")
        .expect_json(200);
    contract::assert_conforms(&initial, "CollapsedSectionsResponse");
    assert_eq!(initial["collapsed"], json!([]));
    let saved = api
        .put(
            "/api/v1/preferences/collapsed-sections",
            &json!({ "collapsed": ["workstations"] }),
        )
        .expect_json(200);
    contract::assert_conforms(&saved, "CardOrderSaveResponse");
    assert_eq!(
        api.get("/api/v1/preferences/collapsed-sections")
            .expect_json(200)["collapsed"],
        json!(["workstations"])
    );

    // Per-section order.
    let saved = api
        .put(
            "/api/v1/preferences/section-order",
            &json!({ "servers": ["s2", "s1"], "workstations": ["w1"] }),
        )
        .expect_json(200);
    contract::assert_conforms(&saved, "CardOrderSaveResponse");
    let loaded = api
        .get("/api/v1/preferences/section-order")
        .expect_json(200);
    contract::assert_conforms(&loaded, "SectionCardOrderResponse");
    assert_eq!(loaded["servers"], json!(["s2", "s1"]));
    assert_eq!(loaded["workstations"], json!(["w1"]));

    // Everything at once.
    let all = json!({
        "card_order": { "servers": ["s1", "s2"], "workstations": ["w2", "w1"] },
        "collapsed_sections": ["servers"],
        "view_mode": "list"
    });
    let saved = api
        .put("/api/v1/preferences/dashboard", &all)
        .expect_json(200);
    contract::assert_conforms(&saved, "DashboardPreferencesSaveResponse");
    assert_eq!(saved["status"], "saved");
    let loaded = api.get("/api/v1/preferences/dashboard").expect_json(200);
    contract::assert_conforms(&loaded, "DashboardPreferencesResponse");
    assert_eq!(loaded["card_order"], all["card_order"]);
    assert_eq!(loaded["collapsed_sections"], all["collapsed_sections"]);
    assert_eq!(loaded["view_mode"], "list");
    assert!(loaded["updated_at"].is_string(), "{loaded}");
}

#[test]
fn widget_layout_round_trip() {
    let hub = Hub::start_default();
    let api = hub.api();
    assert_error(&api.get("/api/v1/machines/ghost/layout"), 404);

    api.heartbeat(&heartbeat("layout-host")).expect(200);
    let path = "/api/v1/machines/layout-host/layout";
    let initial = api.get(path).expect_json(200);
    contract::assert_conforms(&initial, "WidgetLayoutResponse");
    assert!(
        initial["layouts"].is_null(),
        "no layout saved yet: {initial}"
    );

    let item = json!({ "i": "cpu_chart", "x": 0, "y": 0, "w": 6, "h": 4, "minW": 2, "minH": 2 });
    let layouts = json!({
        "lg": [item, { "i": "disk", "x": 6, "y": 0, "w": 6, "h": 4 }],
        "md": [{ "i": "cpu_chart", "x": 0, "y": 0, "w": 5, "h": 4 }],
        "sm": [],
        "xs": []
    });
    let saved = api
        .put(path, &json!({ "layouts": layouts }))
        .expect_json(200);
    contract::assert_conforms(&saved, "WidgetLayoutSaveResponse");
    assert_eq!(saved["status"], "saved");

    let loaded = api.get(path).expect_json(200);
    contract::assert_conforms(&loaded, "WidgetLayoutResponse");
    assert!(loaded["updated_at"].is_string(), "{loaded}");
    for bp in ["lg", "md", "sm", "xs"] {
        let got = loaded["layouts"][bp]
            .as_array()
            .unwrap_or_else(|| panic!("{bp}: {loaded}"));
        let want = layouts[bp].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{bp}: {loaded}");
        for (g, w) in got.iter().zip(want) {
            for (k, v) in w.as_object().unwrap() {
                assert_eq!(&g[k], v, "{bp}.{k}: {loaded}");
            }
        }
    }

    // Invalid items are refused and the saved layout stays.
    assert_invalid_field(
        &api.put(
            path,
            &json!({ "layouts": { "lg": [{ "i": "cpu_chart", "x": 0, "y": 0, "w": 0, "h": 4 }] } }),
        ),
        "w",
    );
    assert_eq!(api.get(path).expect_json(200)["layouts"]["lg"][0]["w"], 6);

    let deleted = api.delete(path).expect_json(200);
    contract::assert_conforms(&deleted, "WidgetLayoutDeleteResponse");
    assert_eq!(deleted["status"], "deleted");
    let after = api.get(path).expect_json(200);
    assert!(after["layouts"].is_null(), "reset to default: {after}");
}
