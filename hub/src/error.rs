//! The hub's one API error type. Every handler returns `Result<_, ApiError>`;
//! the response bodies follow FastAPI's shapes so HomelabCmd clients parse
//! them unchanged: `{"detail": {"code", "message"}}` for most errors and
//! `{"detail": [{"loc", "msg", "type"}]}` for validation failures.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use homelabcmd_protocol::api::{ErrorDetail, ErrorResponse, HttpValidationError, ValidationError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid or missing API key")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("validation failed")]
    Validation(Vec<ValidationError>),
    #[error("request body too large (the limit is HOMELAB_CMD_MAX_BODY_BYTES)")]
    PayloadTooLarge,
    /// A status with the contract's own code, e.g. 400 `INVALID_CREDENTIAL_TYPE`
    /// or 503 `ENCRYPTION_KEY_MISSING`.
    #[error("{2}")]
    Coded(StatusCode, &'static str, String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::NotFound(format!("{what} '{id}' not found"))
    }

    /// A single validation failure at `loc` (e.g. `["body", "id"]`).
    pub fn invalid(loc: &[&str], msg: impl Into<String>, kind: &str) -> Self {
        Self::Validation(vec![ValidationError {
            loc: loc.iter().map(|s| serde_json::Value::from(*s)).collect(),
            msg: msg.into(),
            kind: kind.to_owned(),
        }])
    }
}

fn detail(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorResponse {
        detail: ErrorDetail {
            code: code.to_owned(),
            message,
        },
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest(m) => detail(StatusCode::BAD_REQUEST, "BAD_REQUEST", m),
            Self::Unauthorized => detail(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "Invalid or missing API key".into(),
            ),
            Self::Forbidden(m) => detail(StatusCode::FORBIDDEN, "FORBIDDEN", m),
            Self::NotFound(m) => detail(StatusCode::NOT_FOUND, "NOT_FOUND", m),
            Self::Conflict(m) => detail(StatusCode::CONFLICT, "CONFLICT", m),
            Self::Coded(status, code, m) => detail(status, code, m),
            Self::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(HttpValidationError { detail: errors }),
            )
                .into_response(),
            e @ Self::PayloadTooLarge => detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                e.to_string(),
            ),
            // Internal details go to the log, never to the client.
            Self::Database(e) => {
                tracing::error!(error = %e, "database error");
                detail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "internal server error".into(),
                )
            }
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                detail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "internal server error".into(),
                )
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
