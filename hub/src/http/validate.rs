//! Request validation with FastAPI-compatible 422 bodies.
//!
//! [`ApiJson`] parses a body with `serde_path_to_error`, so a type error names
//! the exact field (`["body", "metrics", "cpu_percent"]`), then runs the
//! type's [`Validate`] rules (ranges, lengths, patterns) and reports every
//! failure at once. Nothing reaches a handler unless the whole body is valid,
//! so nothing is ever half-stored.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use homelabcmd_protocol::api::ValidationError;
use homelabcmd_protocol::names::{Requested, WireName};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// Field rules of a request body.
pub trait Validate {
    fn validate(&self, c: &mut Checker);
}

/// A JSON body that parsed and passed [`Validate`].
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::invalid(&["body"], rejection.body_text(), "body_read_error")
            }
        })?;
        let value = parse_json::<T>(&bytes)?;
        let mut checker = Checker::body();
        value.validate(&mut checker);
        checker.finish()?;
        Ok(Self(value))
    }
}

/// Parse `bytes` as `T`, mapping serde errors to 422 entries with a `loc`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Fast path: plain serde_json accepts exactly the same bodies, while path
    // tracking allocates for every key it passes (a 20 KB heartbeat has
    // hundreds). Only a body that fails is parsed again to say where.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|err| {
        let inner = err.inner();
        let mut loc: Vec<Value> = vec!["body".into()];
        if inner.is_syntax() || inner.is_eof() {
            loc.push(Value::from(inner.column()));
            return ApiError::Validation(vec![ValidationError {
                loc,
                msg: format!("JSON decode error: {inner}"),
                kind: "json_invalid".into(),
            }]);
        }
        for seg in err.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => loc.push(Value::from(*index)),
                serde_path_to_error::Segment::Map { key } => loc.push(Value::from(key.as_str())),
                serde_path_to_error::Segment::Enum { variant } => {
                    loc.push(Value::from(variant.as_str()))
                }
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let msg = inner.to_string();
        let kind = if let Some(field) = missing_field(&msg) {
            loc.push(Value::from(field));
            "missing"
        } else if msg.starts_with("invalid type") {
            "type_error"
        } else {
            "value_error"
        };
        // serde appends " at line L column C"; the loc already says where.
        let msg = msg
            .split(" at line ")
            .next()
            .unwrap_or(&msg)
            .replace("missing field", "Field required:");
        ApiError::Validation(vec![ValidationError {
            loc,
            msg,
            kind: kind.into(),
        }])
    })?;
    // A valid document followed by anything but whitespace is not JSON.
    de.end().map_err(|e| {
        ApiError::Validation(vec![ValidationError {
            loc: vec!["body".into(), Value::from(e.column())],
            msg: format!("JSON decode error: {e}"),
            kind: "json_invalid".into(),
        }])
    })?;
    Ok(value)
}

fn missing_field(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// Collects validation failures under a location prefix.
pub struct Checker {
    prefix: Vec<Value>,
    errors: Vec<ValidationError>,
}

impl Checker {
    pub fn body() -> Self {
        Self::with_prefix(&["body"])
    }

    pub fn with_prefix(prefix: &[&str]) -> Self {
        Self {
            prefix: prefix.iter().map(|s| Value::from(*s)).collect(),
            errors: Vec::new(),
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    pub fn fail(&mut self, field: &str, msg: impl Into<String>, kind: &str) {
        let mut loc = self.prefix.clone();
        loc.push(Value::from(field));
        self.errors.push(ValidationError {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        });
    }

    /// Run `f` with `segment` appended to the location (a field or index).
    pub fn nested(&mut self, segment: impl Into<Value>, f: impl FnOnce(&mut Checker)) {
        self.prefix.push(segment.into());
        f(self);
        self.prefix.pop();
    }

    /// Validate each element of a list under `field`.
    pub fn each<T: Validate>(&mut self, field: &str, items: Option<&[T]>) {
        if let Some(items) = items {
            self.nested(field, |c| {
                for (i, item) in items.iter().enumerate() {
                    c.nested(i, |c| item.validate(c));
                }
            });
        }
    }

    pub fn len(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.fail(
                field,
                format!("String should have at least {min} character(s)"),
                "string_too_short",
            );
        } else if n > max {
            self.fail(
                field,
                format!("String should have at most {max} characters"),
                "string_too_long",
            );
        }
    }

    pub fn opt_len(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            self.len(field, v, 0, max);
        }
    }

    /// Report `field` as not matching `pattern` unless `ok`.
    pub fn pattern(&mut self, field: &str, ok: bool, pattern: &str) {
        if !ok {
            self.fail(
                field,
                format!("String should match pattern '{pattern}'"),
                "string_pattern_mismatch",
            );
        }
    }

    pub fn range_f64(&mut self, field: &str, value: Option<f64>, min: f64, max: Option<f64>) {
        let Some(v) = value else { return };
        if !v.is_finite() || v < min {
            self.fail(
                field,
                format!("Input should be greater than or equal to {min}"),
                "greater_than_equal",
            );
        } else if let Some(max) = max.filter(|m| v > *m) {
            self.fail(
                field,
                format!("Input should be less than or equal to {max}"),
                "less_than_equal",
            );
        }
    }

    pub fn range_i64(&mut self, field: &str, value: Option<i64>, min: i64, max: Option<i64>) {
        let Some(v) = value else { return };
        if v < min {
            self.fail(
                field,
                format!("Input should be greater than or equal to {min}"),
                "greater_than_equal",
            );
        } else if let Some(max) = max.filter(|m| v > *m) {
            self.fail(
                field,
                format!("Input should be less than or equal to {max}"),
                "less_than_equal",
            );
        }
    }

    /// Report `field` unless the name sent is one of `allowed`: the same
    /// 422 entry as [`Checker::one_of`] gives a string field.
    pub fn known<T: WireName>(&mut self, field: &str, value: Option<&Requested<T>>, allowed: &[T]) {
        if let Some(v) = value
            && !v.known().is_some_and(|k| allowed.contains(&k))
        {
            let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
            self.one_of(field, Some(v.as_str()), &names);
        }
    }

    pub fn one_of(&mut self, field: &str, value: Option<&str>, allowed: &[&str]) {
        if let Some(v) = value
            && !allowed.contains(&v)
        {
            self.fail(
                field,
                format!("Input should be one of: {}", allowed.join(", ")),
                "enum",
            );
        }
    }
}

/// The value of a field [`Checker::known`] accepted. Bodies are validated
/// before a handler runs, so an unknown name here is a bug: a 500, not a
/// panic.
pub fn accepted<T: WireName>(field: &str, value: &Requested<T>) -> Result<T, ApiError> {
    value.known().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "{field} '{}' reached a handler unvalidated",
            value.as_str().escape_default()
        ))
    })
}

/// `^[a-z0-9-]+$`: server slugs.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `^[a-z0-9@._-]+$`: systemd unit names.
pub fn is_service_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'@' | b'.' | b'_' | b'-')
        })
}

/// Lower-case UUID v4 as the contract's pattern requires.
pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => c == b'-',
            14 => c == b'4',
            19 => matches!(c, b'8' | b'9' | b'a' | b'b'),
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        };
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        inner: Inner,
    }
    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        value: f64,
    }

    fn loc_of(err: ApiError) -> (Vec<Value>, String) {
        match err {
            ApiError::Validation(v) => (v[0].loc.clone(), v[0].kind.clone()),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_type_names_the_nested_field() {
        let err = parse_json::<Outer>(br#"{"name":"a","inner":{"value":"x"}}"#).unwrap_err();
        let (loc, kind) = loc_of(err);
        assert_eq!(
            loc,
            vec![Value::from("body"), "inner".into(), "value".into()]
        );
        assert_eq!(kind, "type_error");
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = parse_json::<Outer>(br#"{"inner":{"value":1}}"#).unwrap_err();
        let (loc, kind) = loc_of(err);
        assert_eq!(loc, vec![Value::from("body"), "name".into()]);
        assert_eq!(kind, "missing");
    }

    #[test]
    fn malformed_json_is_json_invalid() {
        let (_, kind) = loc_of(parse_json::<Outer>(b"{\"name\": ").unwrap_err());
        assert_eq!(kind, "json_invalid");
        let trailing = br#"{"name":"a","inner":{"value":1}} garbage"#;
        let (_, kind) = loc_of(parse_json::<Outer>(trailing).unwrap_err());
        assert_eq!(kind, "json_invalid");
    }

    #[test]
    fn patterns() {
        assert!(is_slug("peer-agent-01"));
        assert!(!is_slug("Peer"));
        assert!(!is_slug(""));
        assert!(is_service_name("docker@x.service"));
        assert!(is_uuid_v4("4f8e2a1c-7b3d-4e9a-8c1f-2d5b6a7e9f01"));
        assert!(!is_uuid_v4("4f8e2a1c-7b3d-3e9a-8c1f-2d5b6a7e9f01"));
    }

    #[test]
    fn ranges_report_each_failure() {
        let mut c = Checker::body();
        c.nested("metrics", |c| {
            c.range_f64("cpu_percent", Some(150.0), 0.0, Some(100.0))
        });
        c.range_i64("tdp_watts", Some(-1), 0, Some(10_000));
        let ApiError::Validation(errs) = c.finish().unwrap_err() else {
            panic!()
        };
        assert_eq!(errs.len(), 2);
        assert_eq!(
            errs[0].loc,
            vec![Value::from("body"), "metrics".into(), "cpu_percent".into()]
        );
        assert_eq!(errs[0].kind, "less_than_equal");
    }
}
