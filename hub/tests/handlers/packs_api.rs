//! Handler tests for the config pack endpoints (`app().oneshot`), with the
//! repository's packs loaded. The SSH check itself is covered end to end in
//! tests/tests/e2e/packs_api.rs.

use axum::http::StatusCode;
use homelabcmd::db;
use homelabcmd::state::AppState;
use homelabcmd_core::packs;
use homelabcmd_protocol::packs::{
    DiffMismatchItem, ItemCategory, MismatchActual, MismatchExpected, MismatchType,
};
use serde_json::{Value, json};

use crate::common::{self, call};

async fn state() -> (AppState, tempfile::TempDir) {
    let set = packs::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs"));
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let (state, dir) = common::state_with(common::config()).await;
    (state.with_packs(set), dir)
}

async fn server(s: &AppState, id: &str, machine_type: &str) {
    let (st, b) = call(
        s,
        "POST",
        "/api/v1/servers",
        Some(json!({"id": id, "hostname": id, "machine_type": machine_type})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn packs_are_listed_and_shown_with_or_without_inherited_items() {
    let (s, _d) = state().await;
    let (st, list) = call(&s, "GET", "/api/v1/config/packs", None).await;
    assert_eq!(st, StatusCode::OK);
    let names: Vec<&str> = list["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["base", "developer-lite", "developer-max"]);
    assert_eq!(list["total"], 3);

    let (st, full) = call(&s, "GET", "/api/v1/config/packs/developer-lite", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(full["extends"], "base");
    let (_, own) = call(
        &s,
        "GET",
        "/api/v1/config/packs/developer-lite?resolve_extends=false",
        None,
    )
    .await;
    let files = |v: &Value| v["items"]["files"].as_array().unwrap().len();
    assert!(files(&own) < files(&full), "{own}");

    let (st, b) = call(&s, "GET", "/api/v1/config/packs/nope", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(b["detail"]["message"].as_str().unwrap().contains("nope"));
    let (st, b) = call(
        &s,
        "GET",
        "/api/v1/config/packs/base?resolve_extends=maybe",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["detail"][0]["loc"], json!(["query", "resolve_extends"]));
}

#[tokio::test]
async fn assignments_default_by_machine_type_and_are_validated() {
    let (s, _d) = state().await;
    server(&s, "srv", "server").await;
    server(&s, "ws", "workstation").await;
    let (st, b) = call(&s, "GET", "/api/v1/servers/srv/config/packs", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(b["assigned_packs"], json!(["base"]));
    assert_eq!(b["drift_detection_enabled"], true);
    let (_, b) = call(&s, "GET", "/api/v1/servers/ws/config/packs", None).await;
    assert_eq!(b["assigned_packs"], json!(["base", "developer-lite"]));
    let (st, _) = call(&s, "GET", "/api/v1/servers/ghost/config/packs", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let put = |packs: Value| {
        let s = s.clone();
        async move { call(&s, "PUT", "/api/v1/servers/srv/config/packs", Some(packs)).await }
    };
    let (st, b) = put(json!({"packs": []})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["detail"][0]["loc"], json!(["body", "packs"]));
    let (st, b) = put(json!({})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (st, b) = put(json!({"packs": ["developer-max"]})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(b["detail"]["code"], "BASE_PACK_REQUIRED");
    let (st, b) = put(json!({"packs": ["base", "invalid-pack"]})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(b["detail"]["code"], "UNKNOWN_PACK");
    assert_eq!(b["detail"]["message"], "Unknown pack: invalid-pack");

    let (st, b) =
        put(json!({"packs": ["developer-max", "base"], "drift_detection_enabled": false})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["assigned_packs"], json!(["base", "developer-max"]));
    let (_, b) = call(&s, "GET", "/api/v1/servers/srv/config/packs", None).await;
    assert_eq!(b["assigned_packs"], json!(["base", "developer-max"]));
    assert_eq!(b["drift_detection_enabled"], false);
    // The flag is the machine's own `drift_detection_enabled`.
    let (_, srv) = call(&s, "GET", "/api/v1/servers/srv", None).await;
    assert_eq!(srv["drift_detection_enabled"], false);
    assert_eq!(srv["assigned_packs"], json!(["base", "developer-max"]));
    let (_, ws) = call(&s, "GET", "/api/v1/servers/ws", None).await;
    assert_eq!(ws["assigned_packs"], json!(["base", "developer-lite"]));
    // Omitting the flag keeps the stored value.
    let (_, b) = put(json!({"packs": ["base"]})).await;
    assert_eq!(b["drift_detection_enabled"], false);
    let (st, _) = call(
        &s,
        "PUT",
        "/api/v1/servers/ghost/config/packs",
        Some(json!({"packs": ["base"]})),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stored_checks_feed_history_diff_and_the_fleet_summary() {
    let (s, _d) = state().await;
    server(&s, "a", "server").await;
    server(&s, "b", "server").await;

    let (st, b) = call(&s, "GET", "/api/v1/config/compliance", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        b["summary"],
        json!({"compliant": 0, "non_compliant": 0, "never_checked": 2, "total": 2})
    );

    let (st, b) = call(&s, "GET", "/api/v1/servers/a/config/diff", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["detail"][0]["loc"], json!(["query", "pack"]));
    let (st, _) = call(&s, "GET", "/api/v1/servers/a/config/diff?pack=base", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = call(&s, "GET", "/api/v1/servers/ghost/config/checks", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, b) = call(&s, "GET", "/api/v1/servers/a/config/checks?limit=0", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["detail"][0]["loc"], json!(["query", "limit"]));

    let mismatch = DiffMismatchItem {
        kind: MismatchType::MissingFile,
        category: ItemCategory::Files,
        item: "~/.bashrc.d/aliases".into(),
        expected: MismatchExpected {
            exists: Some(true),
            ..Default::default()
        },
        actual: MismatchActual {
            exists: Some(false),
            ..Default::default()
        },
        diff: Some("--- a\n+++ b\n".into()),
    };
    let mismatches = serde_json::to_string(&[mismatch]).unwrap();
    for (at, ok, n, list) in [
        (1_000, true, 0, "[]"),
        (2_000, false, 1, mismatches.as_str()),
    ] {
        db::packs::insert_check(
            &s.db,
            &db::packs::NewCheck {
                server_id: "a",
                pack_name: "base",
                checked_at: at,
                is_compliant: ok,
                mismatch_count: n,
                total_items: 10,
                mismatched_items: n,
                check_duration_ms: 42,
                mismatches: list.into(),
            },
        )
        .await
        .unwrap();
    }

    let (st, h) = call(&s, "GET", "/api/v1/servers/a/config/checks?limit=1", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(h["total"], 2);
    assert_eq!(h["checks"].as_array().unwrap().len(), 1);
    assert_eq!(h["checks"][0]["is_compliant"], false);
    assert_eq!(h["checks"][0]["mismatch_count"], 1);

    let (st, d) = call(&s, "GET", "/api/v1/servers/a/config/diff?pack=base", None).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(
        d["summary"],
        json!({"total_items": 10, "compliant": 9, "mismatched": 1})
    );
    assert_eq!(d["mismatches"][0]["type"], "missing_file");
    assert_eq!(d["mismatches"][0]["category"], "files");
    assert_eq!(d["mismatches"][0]["diff"], "--- a\n+++ b\n");

    let (_, c) = call(&s, "GET", "/api/v1/config/compliance", None).await;
    assert_eq!(
        c["summary"],
        json!({"compliant": 0, "non_compliant": 1, "never_checked": 1, "total": 2})
    );
    assert_eq!(c["machines"][0]["id"], "a");
    assert_eq!(c["machines"][0]["status"], "non_compliant");
    assert_eq!(c["machines"][0]["pack"], "base");
    assert_eq!(c["machines"][0]["mismatch_count"], 1);
    assert_eq!(c["machines"][1]["status"], "never_checked");

    // Deleting a machine removes its checks.
    let (st, _) = call(&s, "DELETE", "/api/v1/servers/a", None).await;
    assert!(st.is_success());
    assert_eq!(db::packs::count_checks(&s.db.read, "a").await.unwrap(), 0);
}

#[tokio::test]
async fn a_check_needs_a_known_machine_and_pack() {
    let (s, _d) = state().await;
    server(&s, "a", "server").await;
    let (st, b) = call(
        &s,
        "POST",
        "/api/v1/servers/a/config/check",
        Some(json!({"pack_name": "nope"})),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(b["detail"]["message"].as_str().unwrap().contains("nope"));
    let (st, _) = call(
        &s,
        "POST",
        "/api/v1/servers/ghost/config/check",
        Some(json!({"pack_name": "base"})),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, b) = call(
        &s,
        "POST",
        "/api/v1/servers/a/config/check",
        Some(json!({})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["detail"][0]["loc"], json!(["body", "pack_name"]));
    // No credentials and no encryption key: refused before SSH, nothing stored.
    let (st, _) = call(
        &s,
        "POST",
        "/api/v1/servers/a/config/check",
        Some(json!({"pack_name": "base"})),
    )
    .await;
    assert!(st.is_client_error() || st.is_server_error());
    assert_eq!(db::packs::count_checks(&s.db.read, "a").await.unwrap(), 0);
}

#[tokio::test]
async fn only_the_newest_checks_per_machine_and_pack_are_kept() {
    let (s, _d) = state().await;
    server(&s, "a", "server").await;
    let keep = db::packs::KEEP_CHECKS_PER_PACK;
    for (pack, n) in [("base", keep + 5), ("developer-lite", 2)] {
        for i in 0..n {
            db::packs::insert_check(
                &s.db,
                &db::packs::NewCheck {
                    server_id: "a",
                    pack_name: pack,
                    checked_at: i,
                    is_compliant: true,
                    mismatch_count: 0,
                    total_items: 1,
                    mismatched_items: 0,
                    check_duration_ms: 1,
                    mismatches: "[]".into(),
                },
            )
            .await
            .unwrap();
        }
    }
    assert_eq!(
        db::packs::count_checks(&s.db.read, "a").await.unwrap(),
        keep + 2
    );
    let newest = db::packs::latest_check(&s.db.read, "a", "base")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newest.checked_at, keep + 4);
}
