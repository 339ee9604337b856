//! Assertions on the hub's error bodies: 422 validation details and the
//! `{"detail": {"code", "message"}}` shape.

use serde_json::Value;

use crate::api::Resp;
use crate::contract;

/// The `detail[*].loc` arrays of a 422 validation body, each joined by `.`.
pub fn validation_locs(body: &Value) -> Vec<String> {
    body["detail"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|d| {
                    d["loc"]
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .map(|p| match p {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Assert a 422 validation error whose `detail[*].loc` names `field`
/// (matched as one of the loc's segments, so `cpu_percent` matches
/// `body.metrics.cpu_percent`). Returns the body.
#[track_caller]
pub fn assert_invalid_field(resp: &Resp, field: &str) -> Value {
    assert_eq!(
        resp.status, 422,
        "expected 422 naming `{field}`, got {}: {}",
        resp.status, resp.text
    );
    let body = resp.json();
    contract::assert_conforms(&body, "HTTPValidationError");
    let locs = validation_locs(&body);
    assert!(
        locs.iter().any(|l| l.split('.').any(|seg| seg == field)),
        "422 body does not name `{field}` in detail[].loc (locs: {locs:?}): {body}"
    );
    for item in body["detail"].as_array().into_iter().flatten() {
        assert!(
            item["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "validation item without a message: {item}"
        );
    }
    body
}

/// Assert an error status with the `{"detail": {"code", "message"}}` body.
/// Returns the `detail.code`.
#[track_caller]
pub fn assert_error(resp: &Resp, status: u16) -> String {
    assert_eq!(
        resp.status, status,
        "expected HTTP {status}, got {}: {}",
        resp.status, resp.text
    );
    let body = resp.json();
    contract::assert_conforms(&body, "ErrorResponse");
    let code = body["detail"]["code"].as_str().unwrap_or_default();
    assert!(!code.is_empty(), "error without a code: {body}");
    assert!(
        body["detail"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error without a message: {body}"
    );
    code.to_owned()
}
