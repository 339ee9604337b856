//! Small pieces every handler shares: query-parameter parsing that names
//! the parameter in its 422, the configured cipher (or the contract's 503),
//! and the mapping of executor failures to status codes.

use axum::http::StatusCode;
use homelabcmd_core::credentials::ResolveError;
use homelabcmd_protocol::names::WireName;
use homelabcmd_ssh::SshError;

use crate::error::{ApiError, ApiResult};
use crate::http::validate::Checker;
use crate::remote::crypto::{Cipher, CryptoError};
use crate::remote::executor::ExecError;
use crate::state::AppState;

/// Parse an integer query parameter, naming it in the 422.
pub fn int_param(name: &str, v: Option<&str>, default: i64, min: i64, max: i64) -> ApiResult<i64> {
    let Some(v) = v else { return Ok(default) };
    let n: i64 = v.trim().parse().map_err(|_| {
        ApiError::invalid(
            &["query", name],
            "Input should be a valid integer",
            "int_parsing",
        )
    })?;
    let mut c = Checker::with_prefix(&["query"]);
    c.range_i64(name, Some(n), min, Some(max));
    c.finish()?;
    Ok(n)
}

/// Parse a query parameter naming one of `T`'s values, naming the
/// parameter and the accepted values in the 422.
pub fn name_param<T: WireName>(name: &str, v: Option<&str>) -> ApiResult<Option<T>> {
    v.map(|v| {
        T::parse_name(v).map_err(|e| {
            ApiError::invalid(
                &["query", name],
                format!("Input should be one of: {}", e.expected.join(", ")),
                "enum",
            )
        })
    })
    .transpose()
}

/// 503 telling the operator to set `HOMELABCMD_ENCRYPTION_KEY`: the same
/// answer wherever a stored secret is needed without a key.
fn key_missing() -> ApiError {
    ApiError::Coded(
        StatusCode::SERVICE_UNAVAILABLE,
        "ENCRYPTION_KEY_MISSING",
        CryptoError::KeyMissing.to_string(),
    )
}

/// The configured cipher, or 503 telling the operator how to set one up.
pub fn cipher(state: &AppState) -> ApiResult<Cipher> {
    Cipher::from_config(&state.config).map_err(|e| match e {
        CryptoError::KeyMissing => key_missing(),
        other => ApiError::Internal(other.into()),
    })
}

/// Map an executor failure to the contract's status codes. Messages are
/// written for operators and carry no secret.
pub fn exec_error(e: ExecError) -> ApiError {
    let coded = |status, code, m: String| ApiError::Coded(status, code, m);
    match e {
        ExecError::NotFound(id) => ApiError::not_found("Server", &id),
        ExecError::Busy(..) => coded(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_COMMANDS",
            e.to_string(),
        ),
        ExecError::NoTailscaleHostname(_) => coded(
            StatusCode::BAD_REQUEST,
            "NO_TAILSCALE_HOSTNAME",
            e.to_string(),
        ),
        ExecError::Resolve(r) => match r {
            ResolveError::NoCredentials(_) => {
                coded(StatusCode::BAD_REQUEST, "NO_SSH_KEY", r.to_string())
            }
            ResolveError::NoAddress(_) => {
                coded(StatusCode::BAD_REQUEST, "NO_ADDRESS", r.to_string())
            }
            ResolveError::SudoPasswordMissing(_) => coded(
                StatusCode::BAD_REQUEST,
                "SUDO_PASSWORD_MISSING",
                r.to_string(),
            ),
        },
        ExecError::Crypto(CryptoError::KeyMissing) => key_missing(),
        ExecError::Crypto(c) => coded(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CREDENTIAL_DECRYPT_FAILED",
            c.to_string(),
        ),
        ExecError::Ssh(s) => {
            let code = match &s {
                SshError::Timeout { .. } => {
                    return coded(
                        StatusCode::REQUEST_TIMEOUT,
                        "COMMAND_TIMEOUT",
                        s.to_string(),
                    );
                }
                SshError::HostKeyMismatch { .. } => "HOST_KEY_CHANGED",
                SshError::AuthFailed { .. } => "SSH_AUTH_FAILED",
                SshError::ConnectTimeout { .. } | SshError::ConnectFailed { .. } => {
                    "SSH_CONNECTION_FAILED"
                }
                _ => "SSH_ERROR",
            };
            coded(StatusCode::INTERNAL_SERVER_ERROR, code, s.to_string())
        }
        ExecError::Db(e) => ApiError::Database(e),
    }
}
