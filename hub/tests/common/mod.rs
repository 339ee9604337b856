//! What every handler test needs: a hub state on a fresh temp SQLite file,
//! and requests sent through the real router (`app().oneshot`, no sockets).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homelabcmd::app::app;
use homelabcmd::config::Config;
use homelabcmd::db::Db;
use homelabcmd::state::AppState;
use http_body_util::BodyExt;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// The API key of every test state.
pub const KEY: &str = "test-key";

/// The contract's sample heartbeat (from a real agent).
pub const SAMPLE: &str = include_str!("../../../protocol/tests/fixtures/heartbeat-sample.json");

/// The default configuration with [`KEY`].
pub fn config() -> Config {
    Config {
        api_key: KEY.into(),
        ..Config::default()
    }
}

/// A state on a new SQLite file in a temp dir; keep the dir alive as long as
/// the state.
pub async fn state_with(config: Config) -> (AppState, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("hub.db")).await.unwrap();
    (AppState::new(db, config), dir)
}

/// One request through the router with `key` (none: no header) and a raw
/// JSON body; returns the status and the body as JSON (`Null` when it is
/// not JSON).
pub async fn call_as(
    state: &AppState,
    method: &str,
    uri: &str,
    key: Option<&str>,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    let req = req
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// [`call_as`] with [`KEY`] and a JSON body.
pub async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_as(state, method, uri, Some(KEY), body.map(|b| b.to_string())).await
}
