//! `X-API-Key` check for every endpoint but health, in constant time.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

pub async fn require_api_key(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let given = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if given.is_empty() || !bool::from(given.as_bytes().ct_eq(state.config.api_key.as_bytes())) {
        return Err(ApiError::Unauthorized);
    }
    Ok(next.run(req).await)
}
