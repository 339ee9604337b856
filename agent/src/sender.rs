//! Getting heartbeats to the hub: one HTTP client, retries, and the delivery
//! task that parks samples in the on-disk [`Buffer`] while the hub is away
//! and replays them, oldest first, once it answers again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use homelabcmd_protocol::heartbeat::{HeartbeatRequest, HeartbeatResponse};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::sync::{mpsc, watch};

use crate::buffer::Buffer;
use crate::config::ApiKey;

/// Retries after the first failed attempt of a fresh sample.
pub const RETRIES: u32 = 3;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Enough of a hub error body to see which field it refused.
const MAX_LOGGED_BODY: usize = 2048;

/// A heartbeat serialised once; the bytes are what gets sent, buffered and
/// replayed, so a replay is byte-for-byte the original.
#[derive(Debug, Clone)]
pub struct Sample {
    pub timestamp: DateTime<Utc>,
    pub body: Vec<u8>,
}

impl Sample {
    pub fn encode(heartbeat: &HeartbeatRequest) -> Result<Sample> {
        Ok(Sample {
            timestamp: heartbeat.timestamp,
            body: serde_json::to_vec(heartbeat).context("cannot serialise heartbeat")?,
        })
    }
}

/// What became of one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// The hub refused the sample itself (4xx): sending it again cannot help.
    Rejected,
    /// 401/403: the sample is fine but the key is not. Kept, since fixing
    /// the key (and restarting) should not lose the data.
    Unauthorized,
    /// Network error, timeout, 5xx, 408 or 429: worth another try later.
    Unreachable(String),
}

impl Outcome {
    fn keep_sample(&self) -> bool {
        matches!(self, Outcome::Unauthorized | Outcome::Unreachable(_))
    }
}

/// Classifies a hub answer by status alone.
pub fn classify(status: StatusCode) -> Outcome {
    match status.as_u16() {
        200..=299 => Outcome::Delivered,
        401 | 403 => Outcome::Unauthorized,
        408 | 429 => Outcome::Unreachable(format!("hub answered {status}")),
        400..=499 => Outcome::Rejected,
        _ => Outcome::Unreachable(format!("hub answered {status}")),
    }
}

pub struct HubClient {
    client: reqwest::Client,
    url: String,
    api_key: Option<HeaderValue>,
}

impl HubClient {
    pub fn new(hub_url: &str, api_key: Option<&ApiKey>) -> Result<HubClient> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("homelabcmd-agent/", env!("CARGO_PKG_VERSION")))
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect on POST is a misconfigured URL; following it would
            // turn the heartbeat into a GET.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the HTTP client")?;
        let api_key = api_key
            .map(|k| {
                let mut v = HeaderValue::from_str(k.expose()).context("API key")?;
                v.set_sensitive(true);
                anyhow::Ok(v)
            })
            .transpose()?;
        Ok(HubClient {
            client,
            url: format!("{hub_url}/api/v1/agents/heartbeat"),
            api_key,
        })
    }

    /// One attempt; logs refusals with the hub's explanation.
    pub async fn post(&self, body: &[u8]) -> Outcome {
        let mut request = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(key) = &self.api_key {
            request = request.header("X-API-Key", key.clone());
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Outcome::Unreachable(error_chain(&e)),
        };
        let status = response.status();
        let outcome = classify(status);
        let text = response.bytes().await.unwrap_or_default();
        match &outcome {
            Outcome::Delivered => {
                if let Ok(answer) = serde_json::from_slice::<HeartbeatResponse>(&text)
                    && answer.server_registered
                {
                    tracing::info!("hub registered this server");
                }
            }
            Outcome::Rejected => tracing::error!(
                %status,
                body = %truncated(&text),
                "hub rejected the heartbeat; dropping it"
            ),
            Outcome::Unauthorized => tracing::error!(
                %status,
                body = %truncated(&text),
                "hub refused the API key; check HOMELAB_AGENT_API_KEY / api_key"
            ),
            Outcome::Unreachable(_) => {}
        }
        outcome
    }

    /// First attempt plus [`RETRIES`] more, `delay` apart, while the failure
    /// is one that may pass.
    pub async fn post_with_retries(&self, body: &[u8], delay: Duration) -> Outcome {
        let mut attempt = 1;
        loop {
            let outcome = self.post(body).await;
            match &outcome {
                Outcome::Unreachable(why) if attempt <= RETRIES => {
                    tracing::warn!(
                        "heartbeat attempt {attempt}/{} failed: {why}; retrying in {}s",
                        RETRIES + 1,
                        delay.as_secs_f32()
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                _ => return outcome,
            }
        }
    }
}

fn truncated(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_LOGGED_BODY)]);
    text.into_owned()
}

/// reqwest's top-level message ("error sending request") hides the cause.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// Parks a sample on disk; used by the delivery task and, when the delivery
/// task is busy retrying, directly by the collection loop.
pub fn stash(buffer: &Mutex<Buffer>, sample: &Sample) {
    let mut buffer = buffer.lock().unwrap_or_else(|p| p.into_inner());
    match buffer.push(sample.timestamp, &sample.body) {
        Ok(0) => tracing::debug!(buffered = buffer.len(), "sample buffered"),
        Ok(dropped) => tracing::warn!(
            dropped,
            buffered = buffer.len(),
            "offline buffer full; dropped the oldest samples"
        ),
        Err(e) => tracing::error!("cannot buffer sample: {e}; it is lost"),
    }
}

/// The delivery task: sends fresh samples, buffers what fails, replays the
/// buffer in timestamp order whenever the hub answers.
pub struct Delivery {
    pub hub: HubClient,
    pub buffer: Arc<Mutex<Buffer>>,
    pub retry_delay: Duration,
    hub_down: bool,
}

impl Delivery {
    pub fn new(hub: HubClient, buffer: Arc<Mutex<Buffer>>, retry_delay: Duration) -> Delivery {
        Delivery {
            hub,
            buffer,
            retry_delay,
            hub_down: false,
        }
    }

    fn buffered(&self) -> usize {
        self.buffer.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Runs until `shutdown` turns true or the sending side closes; whatever
    /// is still in flight or queued then goes to the buffer.
    pub async fn run(
        mut self,
        mut samples: mpsc::Receiver<Sample>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            let sample = tokio::select! {
                s = samples.recv() => match s {
                    Some(s) => s,
                    None => break,
                },
                _ = shutdown.wait_for(|stop| *stop) => break,
            };
            if !self.handle(sample, &mut samples, &mut shutdown).await {
                break;
            }
        }
        while let Ok(sample) = samples.try_recv() {
            stash(&self.buffer, &sample);
        }
    }

    /// Returns false when interrupted by shutdown.
    async fn handle(
        &mut self,
        sample: Sample,
        queue: &mut mpsc::Receiver<Sample>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> bool {
        if self.buffered() == 0 {
            let outcome = tokio::select! {
                o = self.hub.post_with_retries(&sample.body, self.retry_delay) => o,
                _ = shutdown.wait_for(|stop| *stop) => {
                    stash(&self.buffer, &sample);
                    return false;
                }
            };
            self.note(&outcome);
            if outcome.keep_sample() {
                stash(&self.buffer, &sample);
                return true;
            }
        } else {
            // Behind older samples: queue up so the hub gets them in order.
            stash(&self.buffer, &sample);
        }
        if self.buffered() > 0 {
            // Samples the collection loop queued meanwhile are newer than
            // the buffer's; file them too so replay order stays sample order.
            while let Ok(s) = queue.try_recv() {
                stash(&self.buffer, &s);
            }
            return self.replay(shutdown).await;
        }
        true
    }

    /// Sends buffered samples oldest first, one attempt each, until the
    /// buffer is empty or the hub fails again. Returns false on shutdown.
    async fn replay(&mut self, shutdown: &mut watch::Receiver<bool>) -> bool {
        loop {
            let next = {
                let buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
                buffer.oldest().map(|key| (key, buffer.read(key)))
            };
            let Some((key, body)) = next else {
                return true;
            };
            let body = match body {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!("cannot read buffered sample {key}: {e}; dropping it");
                    self.remove(key);
                    continue;
                }
            };
            let outcome = tokio::select! {
                o = self.hub.post(&body) => o,
                _ = shutdown.wait_for(|stop| *stop) => return false,
            };
            self.note(&outcome);
            if outcome.keep_sample() {
                return true;
            }
            self.remove(key);
        }
    }

    fn remove(&self, key: crate::buffer::Key) {
        let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = buffer.remove(key) {
            // Left on disk it would be sent again after a restart.
            tracing::error!("cannot remove delivered sample {key}: {e}");
        }
    }

    /// Logs hub outages once at each edge instead of at every tick.
    fn note(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Unreachable(why) if !self.hub_down => {
                self.hub_down = true;
                tracing::warn!("hub unreachable ({why}); buffering heartbeats on disk");
            }
            Outcome::Unreachable(why) => tracing::debug!("hub still unreachable: {why}"),
            Outcome::Delivered | Outcome::Rejected if self.hub_down => {
                self.hub_down = false;
                tracing::info!(
                    buffered = self.buffered(),
                    "hub reachable again; replaying buffered heartbeats"
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decide_keep_or_drop() {
        let s = |c: u16| classify(StatusCode::from_u16(c).unwrap());
        assert_eq!(s(200), Outcome::Delivered);
        assert_eq!(s(204), Outcome::Delivered);
        assert_eq!(s(422), Outcome::Rejected);
        assert_eq!(s(400), Outcome::Rejected);
        assert_eq!(s(401), Outcome::Unauthorized);
        assert!(s(408).keep_sample());
        assert!(s(429).keep_sample());
        assert!(s(500).keep_sample());
        assert!(s(503).keep_sample());
        assert!(s(302).keep_sample());
        assert!(!s(413).keep_sample());
    }

    #[test]
    fn api_key_header_is_marked_sensitive() {
        let key = crate::config::Config::load(
            Some(std::path::Path::new("/dev/null")),
            &|k| (k == "HOMELAB_AGENT_API_KEY").then(|| "k3y".to_owned()),
            "h",
        )
        .unwrap()
        .api_key
        .unwrap();
        let hub = HubClient::new("http://127.0.0.1:9", Some(&key)).unwrap();
        let header = hub.api_key.as_ref().unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("k3y"));
    }
}
