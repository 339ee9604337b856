//! A blocking HTTP client for the hub's API, and reading what it returns.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// A response read to the end: status, raw body, and the body as JSON when
/// it parses.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: Option<String>,
    pub text: String,
}

impl Resp {
    /// The body as JSON; panics (showing the body) when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}); status {}: {}",
                self.status, self.text
            )
        })
    }

    /// Assert the status, showing the body on mismatch; returns self.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "expected HTTP {status}, got {}: {}",
            self.status, self.text
        );
        self
    }

    /// Assert the status and return the JSON body.
    #[track_caller]
    pub fn expect_json(self, status: u16) -> Value {
        self.expect(status).json()
    }
}

/// A small blocking client for the hub's API that sends `X-API-Key`.
#[derive(Clone)]
pub struct Api {
    base: String,
    key: Option<String>,
    http: reqwest::blocking::Client,
}

impl Api {
    pub fn new(base: impl Into<String>, key: Option<&str>) -> Self {
        let http = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("build HTTP client");
        Api {
            base: base.into(),
            key: key.map(str::to_owned),
            http,
        }
    }

    /// The same hub with another key (`None`: no key header at all).
    pub fn with_key(&self, key: Option<&str>) -> Self {
        Api {
            base: self.base.clone(),
            key: key.map(str::to_owned),
            http: self.http.clone(),
        }
    }

    /// The same key and client against another base URL.
    pub fn with_base(&self, base: impl Into<String>) -> Self {
        Api {
            base: base.into(),
            key: self.key.clone(),
            http: self.http.clone(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn send(&self, req: reqwest::blocking::RequestBuilder) -> Result<Resp, reqwest::Error> {
        let req = match &self.key {
            Some(k) => req.header("X-API-Key", k),
            None => req,
        };
        let resp = req.send()?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text()?;
        Ok(Resp {
            status,
            content_type,
            text,
        })
    }

    fn must(&self, what: String, r: Result<Resp, reqwest::Error>) -> Resp {
        r.unwrap_or_else(|e| panic!("{what}: request failed: {e:?}"))
    }

    /// GET, panicking on transport errors (not on HTTP error statuses).
    pub fn get(&self, path: &str) -> Resp {
        self.must(format!("GET {path}"), self.try_get(path))
    }

    pub fn try_get(&self, path: &str) -> Result<Resp, reqwest::Error> {
        self.send(self.http.get(self.url(path)))
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.must(format!("POST {path}"), self.try_post(path, body))
    }

    pub fn try_post(&self, path: &str, body: &Value) -> Result<Resp, reqwest::Error> {
        self.send(self.http.post(self.url(path)).json(body))
    }

    /// POST an arbitrary body (malformed JSON, oversized payloads).
    pub fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        self.must(
            format!("POST {path} (raw)"),
            self.send(
                self.http
                    .post(self.url(path))
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(body),
            ),
        )
    }

    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.must(
            format!("PUT {path}"),
            self.send(self.http.put(self.url(path)).json(body)),
        )
    }

    /// PUT with no body (pause/unpause).
    pub fn put_empty(&self, path: &str) -> Resp {
        self.must(
            format!("PUT {path}"),
            self.send(self.http.put(self.url(path))),
        )
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.must(
            format!("DELETE {path}"),
            self.send(self.http.delete(self.url(path))),
        )
    }

    /// Register a machine the hub reaches over SSH: `POST /servers` with
    /// `create` (201), its `ssh_username`, then each `(credential_type,
    /// value)` (200).
    pub fn add_ssh_machine(&self, create: &Value, user: &str, credentials: &[(&str, &str)]) {
        let id = create["id"].as_str().expect("create body has an id");
        self.post("/api/v1/servers", create).expect(201);
        self.put(
            &format!("/api/v1/servers/{id}"),
            &serde_json::json!({"ssh_username": user}),
        )
        .expect(200);
        for (kind, value) in credentials {
            self.post(
                &format!("/api/v1/servers/{id}/credentials"),
                &serde_json::json!({"credential_type": kind, "value": value}),
            )
            .expect(200);
        }
    }

    /// DELETE with a JSON body (`DELETE .../config/apply`).
    pub fn delete_json(&self, path: &str, body: &Value) -> Resp {
        self.must(
            format!("DELETE {path}"),
            self.send(self.http.delete(self.url(path)).json(body)),
        )
    }

    // -- typed-ish helpers over the contract --------------------------------

    /// POST a heartbeat; returns the response as is.
    pub fn heartbeat(&self, hb: &Value) -> Resp {
        self.post("/api/v1/agents/heartbeat", hb)
    }

    /// `GET /api/v1/servers/{id}` as JSON, or `None` on 404.
    pub fn server(&self, id: &str) -> Option<Value> {
        let r = self.get(&format!("/api/v1/servers/{id}"));
        match r.status {
            404 => None,
            200 => Some(r.json()),
            s => panic!("GET /api/v1/servers/{id}: unexpected {s}: {}", r.text),
        }
    }

    /// The `servers` array of `GET /api/v1/servers`.
    pub fn servers(&self) -> Vec<Value> {
        let v = self.get("/api/v1/servers").expect_json(200);
        v["servers"]
            .as_array()
            .unwrap_or_else(|| panic!("servers list has no `servers` array: {v}"))
            .clone()
    }

    /// Sample timestamps stored for a server over the last 24 h, from
    /// `/metrics/export?range=24h&format=json`, in the order returned.
    pub fn exported_timestamps(&self, id: &str) -> Vec<DateTime<Utc>> {
        let v = self
            .get(&format!(
                "/api/v1/servers/{id}/metrics/export?range=24h&format=json"
            ))
            .expect_json(200);
        export_points(&v)
            .iter()
            .map(|p| {
                let ts = p["timestamp"]
                    .as_str()
                    .unwrap_or_else(|| panic!("export point without timestamp: {p}"));
                parse_ts(ts)
            })
            .collect()
    }
}

/// The data points of a JSON metrics export: `{..., "data_points": [...]}`
/// per the contract (a bare array is accepted too).
pub fn export_points(v: &Value) -> Vec<Value> {
    if let Some(a) = v.as_array() {
        return a.clone();
    }
    v["data_points"]
        .as_array()
        .unwrap_or_else(|| panic!("metrics export has no `data_points` array: {v}"))
        .clone()
}

/// Parse a timestamp as the hub writes it: RFC 3339, or naive (UTC).
pub fn try_parse_ts(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
        .map(|t| t.and_utc())
}

/// [`try_parse_ts`], panicking on garbage.
pub fn parse_ts(s: &str) -> DateTime<Utc> {
    try_parse_ts(s).unwrap_or_else(|| panic!("unparseable timestamp {s:?}"))
}
