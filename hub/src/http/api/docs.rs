//! `/api/openapi.json` (generated from the handlers by utoipa) and Swagger
//! UI at `/api/docs`, its assets embedded from npm's `swagger-ui-dist`.

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use utoipa::openapi::OpenApi;

use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "../frontend/node_modules/swagger-ui-dist/"]
#[include = "swagger-ui.css"]
#[include = "swagger-ui-bundle.js"]
#[include = "favicon-32x32.png"]
#[allow_missing = true]
struct SwaggerAssets;

const INDEX: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HomelabCmd API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" href="/api/docs/favicon-32x32.png">
<style>body{margin:0;background:#fafafa}</style></head>
<body><div id="ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#ui", persistAuthorization: true});</script>
</body></html>"##;

pub fn routes(openapi: OpenApi) -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || async move { Json(openapi) }),
        )
        .route("/api/docs", get(index))
        .route("/api/docs/", get(index))
        .route("/api/docs/{file}", get(asset))
}

async fn index() -> Response {
    if SwaggerAssets::get("swagger-ui-bundle.js").is_none() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Swagger UI assets are missing: run `npm ci` in frontend/ and rebuild. \
             The spec itself is at /api/openapi.json.",
        )
            .into_response();
    }
    Html(INDEX).into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    match SwaggerAssets::get(&file) {
        Some(f) => (
            [(header::CONTENT_TYPE, f.metadata.mimetype().to_owned())],
            f.data,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
