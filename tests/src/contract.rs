//! Checks JSON bodies against the API contract: the component schemas of
//! `tests/fixtures/openapi.json` (a copy of the contract the hub implements).
//!
//! Deliberately small: `$ref`, `anyOf`/`allOf`, `type`, `enum`/`const`,
//! `items`, `properties`, `required`, `additionalProperties` and the
//! `date-time` format. That is all the contract uses for response bodies.
//! Optional fields may be absent; fields the contract does not name are
//! reported unless listed in [`EXTENSIONS`].

use std::sync::OnceLock;

use serde_json::Value;

/// Fields the hub adds on purpose beyond the contract: (schema, field).
/// Documented in `docs/API.md` ("Extensions").
pub const EXTENSIONS: &[(&str, &str)] = &[
    ("ApplyPreviewResponse", "paths"),
    ("ApplyPreviewResponse", "services"),
    ("ApplyPreviewResponse", "manual"),
    ("ApplyPreviewResponse", "summary"),
    ("ApplyPreviewResponse", "needs_sudo"),
    ("DryRunFileItem", "diff"),
    ("ApplyStatusResponse", "recheck"),
    ("ApplyItemResult", "item_type"),
    ("ApplyItemResult", "backup_path"),
    ("ServerResponse", "offline_threshold_seconds"),
    ("ServerResponse", "seconds_since_seen"),
    ("ServerResponse", "containers"),
    ("AlertResponse", "suggested_action"),
    ("ServerCreate", "offline_threshold_seconds"),
    ("ServerCreate", "tailscale_hostname"),
    ("ServerUpdate", "offline_threshold_seconds"),
    ("ServerUpdate", "tailscale_hostname"),
    ("ServerUpdate", "drift_detection_enabled"),
    ("HeartbeatRequest", "containers"),
    // Sent by the contract's own sample heartbeat (a real HomelabCmd agent)
    // though the schema omits it.
    ("MetricsPayload", "reboot_required"),
    ("MetricPoint", "cpu_max"),
    ("MetricPoint", "memory_max"),
    ("MetricPoint", "load_1m"),
    ("NotificationsConfig", "discord_webhook_url"),
    ("NotificationsConfig", "ntfy_url"),
    ("NotificationsConfig", "webhook_url"),
    ("NotificationsUpdate", "discord_webhook_url"),
    ("NotificationsUpdate", "ntfy_url"),
    ("NotificationsUpdate", "webhook_url"),
    ("CommandExecuteResponse", "stdout_truncated"),
    ("CommandExecuteResponse", "stderr_truncated"),
    // Config packs (docs/packs.md): directories, services, owners and
    // check errors beyond the contract's files / packages / settings.
    ("MismatchExpected", "owner"),
    ("MismatchExpected", "file_type"),
    ("MismatchExpected", "enabled"),
    ("MismatchExpected", "running"),
    ("MismatchActual", "owner"),
    ("MismatchActual", "file_type"),
    ("MismatchActual", "enabled"),
    ("MismatchActual", "running"),
    ("MismatchActual", "error"),
    ("FileItem", "owner"),
    ("FileItem", "state"),
    ("FileItem", "content"),
    ("PackItems", "directories"),
    ("PackItems", "services"),
    ("SettingItem", "file"),
    ("ConfigPack", "version"),
    ("ConfigPackMetadata", "version"),
    ("PackAssignmentRequest", "drift_detection_enabled"),
];

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| crate::fixture_json("openapi.json"))
}

/// The component schema called `name`.
pub fn schema(name: &str) -> &'static Value {
    let s = &spec()["components"]["schemas"][name];
    assert!(s.is_object(), "no schema {name} in the contract");
    s
}

fn resolve(reference: &str) -> (&'static Value, Option<&'static str>) {
    let name = reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
    let spec = spec();
    let (key, s) = spec["components"]["schemas"]
        .as_object()
        .and_then(|m| m.get_key_value(name))
        .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    (s, Some(key.as_str()))
}

/// Every way `value` departs from schema `name`, as `path: problem` lines.
pub fn violations(value: &Value, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    check(value, schema(name), Some(name), "$", &mut out);
    out
}

/// Panic listing the violations, if any.
#[track_caller]
pub fn assert_conforms(value: &Value, name: &str) {
    let v = violations(value, name);
    assert!(
        v.is_empty(),
        "body does not match contract schema {name}:\n  {}\nbody: {value}",
        v.join("\n  ")
    );
}

fn type_matches(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn check(
    value: &Value,
    schema: &'static Value,
    name: Option<&str>,
    path: &str,
    out: &mut Vec<String>,
) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let (s, n) = resolve(r);
        return check(value, s, n, path, out);
    }
    if let Some(alts) = schema.get("anyOf").and_then(Value::as_array) {
        // Pick the alternative with the fewest complaints; report its ones.
        let mut best: Option<Vec<String>> = None;
        for alt in alts {
            let mut v = Vec::new();
            check(value, alt, None, path, &mut v);
            if best.as_ref().is_none_or(|b| v.len() < b.len()) {
                best = Some(v);
            }
        }
        out.extend(best.unwrap_or_default());
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check(value, s, name, path, out);
        }
    }
    if let Some(ty) = schema.get("type") {
        let ok = match ty {
            Value::String(t) => type_matches(value, t),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| type_matches(value, t)),
            _ => true,
        };
        if !ok {
            out.push(format!("{path}: expected type {ty}, got {value}"));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        out.push(format!("{path}: {value} is not one of {options:?}"));
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        out.push(format!("{path}: expected constant {c}, got {value}"));
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time")
        && let Some(s) = value.as_str()
        && crate::try_parse_ts(s).is_none()
    {
        out.push(format!("{path}: {s:?} is not a date-time"));
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            check(item, items, None, &format!("{path}[{i}]"), out);
        }
    }
    let Some(obj) = value.as_object() else { return };
    let props = schema.get("properties").and_then(Value::as_object);
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for field in required.iter().filter_map(Value::as_str) {
            if !obj.contains_key(field) {
                out.push(format!("{path}: missing required field `{field}`"));
            }
        }
    }
    if let Some(props) = props {
        for (key, v) in obj {
            match props.get(key) {
                Some(s) => check(v, s, None, &format!("{path}.{key}"), out),
                None => {
                    let extension = name.is_some_and(|n| {
                        EXTENSIONS
                            .iter()
                            .any(|(s, f)| *s == n && *f == key.as_str())
                    });
                    let open = schema
                        .get("additionalProperties")
                        .is_some_and(|a| a != &Value::Bool(false));
                    if !extension && !open {
                        out.push(format!(
                            "{path}: field `{key}` is not in the contract{}",
                            name.map(|n| format!(" ({n})")).unwrap_or_default()
                        ));
                    }
                }
            }
        }
    } else if let Some(extra) = schema.get("additionalProperties")
        && extra.is_object()
    {
        for (key, v) in obj {
            check(v, extra, None, &format!("{path}.{key}"), out);
        }
    }
}
