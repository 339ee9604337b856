//! Handler tests through the real router (`app().oneshot`), no sockets.
//! Process-level tests live in the workspace `tests/` crate.

use axum::http::StatusCode;
use homelabcmd::config::Config;
use homelabcmd::state::AppState;
use serde_json::{Value, json};

use crate::common::{self, KEY, SAMPLE, call_as as call};

async fn state() -> (AppState, tempfile::TempDir) {
    common::state_with(Config {
        max_body_bytes: 256 * 1024,
        ..common::config()
    })
    .await
}

#[tokio::test]
async fn health_is_public_and_everything_else_needs_the_key() {
    let (s, _d) = state().await;
    let (status, body) = call(&s, "GET", "/api/v1/system/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "healthy");
    let (status, body) = call(&s, "GET", "/api/v1/servers", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["detail"]["code"], "UNAUTHORIZED");
    let (status, _) = call(&s, "GET", "/api/v1/servers", Some("wrong-key"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = call(&s, "GET", "/api/v1/servers", Some(KEY), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 0);
}

#[tokio::test]
async fn the_sample_heartbeat_registers_once() {
    let (s, _d) = state().await;
    let (status, body) = call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(KEY),
        Some(SAMPLE.into()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["server_registered"], true);
    assert_eq!(body["pending_commands"], json!([]));
    let (_, body) = call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(KEY),
        Some(SAMPLE.into()),
    )
    .await;
    assert_eq!(body["server_registered"], false);
    let (_, server) = call(&s, "GET", "/api/v1/servers/peer-agent-01", Some(KEY), None).await;
    assert_eq!(server["status"], "online");
    assert_eq!(server["security_updates"], 79);
    assert_eq!(server["filesystems"][0]["mount_point"], "/");
    assert_eq!(server["network_interfaces"].as_array().unwrap().len(), 3);
    assert_eq!(server["latest_metrics"]["memory_total_mb"], 24105);
}

#[tokio::test]
async fn bad_bodies_name_the_field_and_oversized_ones_get_413() {
    let (s, _d) = state().await;
    let mut hb: Value = serde_json::from_str(SAMPLE).unwrap();
    hb.as_object_mut().unwrap().remove("server_id");
    let (status, body) = call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(KEY),
        Some(hb.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "server_id"]));
    assert_eq!(body["detail"][0]["type"], "missing");

    let mut hb: Value = serde_json::from_str(SAMPLE).unwrap();
    hb["packages"][3]["is_security"] = json!("yes");
    let (status, body) = call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(KEY),
        Some(hb.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "packages", 3, "is_security"])
    );

    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    let (status, body) = call(&s, "POST", "/api/v1/agents/heartbeat", Some(KEY), Some(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["detail"]["code"], "PAYLOAD_TOO_LARGE");

    let (_, list) = call(&s, "GET", "/api/v1/servers", Some(KEY), None).await;
    assert_eq!(list["total"], 0, "nothing was half-stored");
}

#[tokio::test]
async fn query_parameters_are_validated_by_name() {
    let (s, _d) = state().await;
    call(
        &s,
        "POST",
        "/api/v1/agents/heartbeat",
        Some(KEY),
        Some(SAMPLE.into()),
    )
    .await;
    let (status, body) = call(
        &s,
        "GET",
        "/api/v1/servers/peer-agent-01/metrics?range=2d",
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "range"]));
    let (status, body) = call(
        &s,
        "GET",
        "/api/v1/servers/peer-agent-01/actions?limit=500",
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "limit"]));
    let (status, _) = call(&s, "GET", "/api/v1/servers/nope/metrics", Some(KEY), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn openapi_describes_every_route_with_the_api_key_scheme() {
    let (s, _d) = state().await;
    let (status, doc) = call(&s, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/system/health",
        "/api/v1/agents/heartbeat",
        "/api/v1/servers/{server_id}/metrics/export",
        "/api/v1/machines/{machine_id}/layout",
        "/api/v1/config/cost",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["APIKeyHeader"]["name"],
        "X-API-Key"
    );
    // Every operation we serve exists in the HomelabCmd contract too.
    let contract: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/contract-paths.json"
        ))
        .unwrap(),
    )
    .unwrap();
    // Extensions are new paths listed in docs/API.md as `METHOD /path`.
    let api_doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md")).unwrap();
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let documented_extension = contract.get(path).is_none()
                && api_doc.contains(&format!("`{} {path}`", method.to_uppercase()));
            let known = documented_extension
                || contract[path]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|x| x == method));
            assert!(
                known,
                "{method} {path} is not in the contract (extensions must be new paths, documented)"
            );
        }
    }
}
