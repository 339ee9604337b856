//! The dashboard: the Vite build in `frontend/dist`, embedded into the
//! binary (read from disk in debug builds). Unknown paths get `index.html`
//! so client-side routes survive a reload.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::{HeaderMap, StatusCode, Uri, header};
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

/// Text assets worth compressing (images and fonts already are).
fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("json")
        || mime.contains("svg")
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|q| matches!(q.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// gzip of an asset, made once per path at the best level and kept: the
/// assets never change while the binary runs (a few hundred KB in all),
/// so a phone on Tailscale gets a third of the bytes and the hub pays
/// for compressing each file once. `None`: not smaller.
/// Per asset path: its gzip, or `None` when gzip does not make it smaller.
type GzipCache = Mutex<HashMap<String, Option<Arc<Vec<u8>>>>>;

fn gzipped(path: &str, data: &[u8]) -> Option<Arc<Vec<u8>>> {
    static CACHE: OnceLock<GzipCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().ok()?.get(path) {
        return hit.clone();
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let gz = enc
        .write_all(data)
        .and_then(|()| enc.finish())
        .ok()
        .filter(|gz| gz.len() + 64 < data.len())
        .map(Arc::new);
    cache.lock().ok()?.insert(path.to_string(), gz.clone());
    gz
}

pub async fn dashboard(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = Dashboard::get(path).filter(|_| !path.is_empty()) {
        let cache = if path.starts_with("assets/") {
            // Vite fingerprints these file names.
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let mime = file.metadata.mimetype().to_owned();
        let common = [
            (header::CONTENT_TYPE, mime.clone()),
            (header::CACHE_CONTROL, cache.to_owned()),
            (header::VARY, "Accept-Encoding".to_owned()),
        ];
        if compressible(&mime)
            && accepts_gzip(&headers)
            && let Some(gz) = gzipped(path, &file.data)
        {
            return (
                common,
                [(header::CONTENT_ENCODING, "gzip")],
                gz.as_ref().clone(),
            )
                .into_response();
        }
        return (common, file.data).into_response();
    }
    match Dashboard::get("index.html") {
        Some(index) => ([(header::CACHE_CONTROL, "no-cache")], Html(index.data)).into_response(),
        None if path.is_empty() => Html(NOT_BUILT).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use std::io::Read as _;

    fn headers(accept: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = accept {
            h.insert(header::ACCEPT_ENCODING, a.parse().unwrap());
        }
        h
    }

    #[test]
    fn gzip_is_accepted_unless_refused() {
        assert!(accepts_gzip(&headers(Some("gzip, deflate, br, zstd"))));
        assert!(accepts_gzip(&headers(Some("br;q=1.0, gzip;q=0.8"))));
        assert!(accepts_gzip(&headers(Some("*"))));
        assert!(!accepts_gzip(&headers(Some("br"))));
        assert!(!accepts_gzip(&headers(Some("gzip;q=0"))));
        assert!(!accepts_gzip(&headers(None)));
        assert!(compressible("text/javascript") && compressible("image/svg+xml"));
        assert!(!compressible("font/woff2") && !compressible("image/png"));
    }

    /// The largest built script comes back gzipped (the same bytes once
    /// inflated) to a browser that asks, plain to one that does not.
    /// Needs the built dashboard (`npm run build`, done by scripts/test).
    #[tokio::test]
    async fn built_scripts_are_served_gzipped_to_browsers_that_ask() {
        let Some(script) = Dashboard::iter()
            .filter(|p| p.ends_with(".js"))
            .max_by_key(|p| Dashboard::get(p).map(|f| f.data.len()).unwrap_or(0))
        else {
            // Not built: the hub's page says how to build it.
            let r = dashboard("/".parse().unwrap(), headers(Some("gzip"))).await;
            let body = to_bytes(r.into_body(), 1 << 20).await.unwrap();
            assert!(String::from_utf8_lossy(&body).contains("npm run build"));
            eprintln!("frontend/dist not built: only the not-built page was tested");
            return;
        };
        let plain = Dashboard::get(&script).unwrap().data.to_vec();
        let uri: Uri = format!("/{script}").parse().unwrap();
        let r = dashboard(uri.clone(), headers(Some("gzip, br"))).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(r.headers()[header::VARY], "Accept-Encoding");
        let gz = to_bytes(r.into_body(), 16 << 20).await.unwrap();
        assert!(
            gz.len() * 2 < plain.len(),
            "{} vs {}",
            gz.len(),
            plain.len()
        );
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut inflated)
            .unwrap();
        assert_eq!(inflated, plain);
        let r = dashboard(uri, headers(None)).await;
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        let body = to_bytes(r.into_body(), 16 << 20).await.unwrap();
        assert_eq!(body.to_vec(), plain);
    }
}
