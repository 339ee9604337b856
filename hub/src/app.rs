//! The router: `/api/v1/*` behind the API key, health, OpenAPI + Swagger UI,
//! and the embedded dashboard as the fallback.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::http::api;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HomelabCmd API",
        description = "Self-hosted homelab fleet manager: HomelabCmd v1 API, implemented in Rust."
    ),
    modifiers(&SecurityAddon),
    security(("APIKeyHeader" = []))
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "APIKeyHeader",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The whole application; tests drive it with `oneshot`.
pub fn app(state: AppState) -> Router {
    let (protected, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api::routes())
        .split_for_parts();
    // The key check wraps only these routes; health stays public.
    let protected = protected.layer(middleware::from_fn_with_state(
        state.clone(),
        crate::http::auth::require_api_key,
    ));
    let (public, public_doc) = OpenApiRouter::new()
        .nest("/api/v1", api::public_routes())
        .split_for_parts();
    openapi.merge(public_doc);

    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(public)
        .merge(protected)
        .route("/api/{*rest}", any(api_not_found))
        .merge(api::docs::routes(openapi))
        .fallback(crate::http::web::dashboard)
        .layer(DefaultBodyLimit::max(limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn api_not_found(uri: Uri) -> Response {
    ApiError::NotFound(format!("no API endpoint at {}", uri.path())).into_response()
}
