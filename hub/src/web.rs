//! The dashboard: the Vite build in `frontend/dist`, embedded into the
//! binary (read from disk in debug builds). Unknown paths get `index.html`
//! so client-side routes survive a reload.

use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../frontend/dist/"]
#[allow_missing = true]
struct Dashboard;

const NOT_BUILT: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>HomelabCmd</title><style>body{background:#0D1117;color:#C9D1D9;font-family:sans-serif;
margin:4rem auto;max-width:40rem}a{color:#22D3EE}</style></head><body>
<h1>HomelabCmd hub is running</h1>
<p>The dashboard has not been built into this binary (run <code>npm ci &amp;&amp; npm run build</code>
in <code>frontend/</code>, then rebuild the hub).</p>
<p>The API is at <a href="/api/docs">/api/docs</a>.</p></body></html>"#;

pub async fn dashboard(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = Dashboard::get(path).filter(|_| !path.is_empty()) {
        let cache = if path.starts_with("assets/") {
            // Vite fingerprints these file names.
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [
                (header::CONTENT_TYPE, file.metadata.mimetype().to_owned()),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
            file.data,
        )
            .into_response();
    }
    match Dashboard::get("index.html") {
        Some(index) => ([(header::CACHE_CONTROL, "no-cache")], Html(index.data)).into_response(),
        None if path.is_empty() => Html(NOT_BUILT).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
