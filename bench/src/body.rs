//! Heartbeat bodies for the load generator, pre-serialised once per server
//! so a request costs a memcpy and a timestamp, not a JSON encode: the load
//! generator shares two cores with the hub it measures.

use anyhow::Context as _;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

const TS_SLOT: &str = "@@BENCH_TIMESTAMP@@";
const PKG_SLOT: &str = "@@BENCH_PACKAGE_VERSION@@";

/// Which heartbeat to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BodyKind {
    /// The 20 KB sample with its 129 pending packages.
    Sample,
    /// The sample without `packages` (what an agent sends between apt checks
    /// when it omits the list).
    NoPackages,
}

enum Segment {
    Lit(Bytes),
    Timestamp,
    PackageVersion,
}

/// One server's heartbeat with the timestamp (and optionally one package's
/// version) left open.
pub struct BodyTemplate {
    segments: Vec<Segment>,
    len_hint: usize,
}

impl BodyTemplate {
    /// `sample` is the heartbeat JSON; `server_id` and `guid` replace its
    /// identity. With `vary_packages`, the first package's `new_version`
    /// changes on every request, so the hub rewrites the whole list each time.
    pub fn new(
        sample: &str,
        kind: BodyKind,
        server_id: &str,
        guid: &str,
        vary_packages: bool,
        cpu_percent: Option<f64>,
    ) -> anyhow::Result<Self> {
        let mut v: Value = serde_json::from_str(sample).context("parsing the sample heartbeat")?;
        let o = v.as_object_mut().context("heartbeat is not an object")?;
        if let Some(cpu) = cpu_percent {
            let metrics = o
                .get_mut("metrics")
                .and_then(Value::as_object_mut)
                .context("the sample has no metrics")?;
            metrics.insert("cpu_percent".into(), cpu.into());
        }
        o.insert("server_id".into(), server_id.into());
        o.insert("server_guid".into(), guid.into());
        o.insert("hostname".into(), server_id.into());
        o.insert("timestamp".into(), TS_SLOT.into());
        match kind {
            BodyKind::Sample => {
                if vary_packages {
                    let first = o
                        .get_mut("packages")
                        .and_then(|p| p.get_mut(0))
                        .and_then(Value::as_object_mut)
                        .context("the sample has no packages to vary")?;
                    first.insert("new_version".into(), PKG_SLOT.into());
                }
            }
            BodyKind::NoPackages => {
                o.remove("packages");
            }
        }
        let text = serde_json::to_string(&v)?;
        Ok(Self::split(&text))
    }

    fn split(text: &str) -> Self {
        let mut segments = Vec::new();
        let mut rest = text;
        loop {
            let next = [
                (rest.find(TS_SLOT), TS_SLOT, Segment::Timestamp),
                (rest.find(PKG_SLOT), PKG_SLOT, Segment::PackageVersion),
            ]
            .into_iter()
            .filter_map(|(at, slot, seg)| at.map(|at| (at, slot, seg)))
            .min_by_key(|(at, _, _)| *at);
            match next {
                Some((at, slot, seg)) => {
                    segments.push(Segment::Lit(Bytes::copy_from_slice(&rest.as_bytes()[..at])));
                    segments.push(seg);
                    rest = &rest[at + slot.len()..];
                }
                None => {
                    segments.push(Segment::Lit(Bytes::copy_from_slice(rest.as_bytes())));
                    break;
                }
            }
        }
        Self {
            segments,
            len_hint: text.len() + 16,
        }
    }

    /// The body for sample number `seq` of this server, taken at `ts`.
    pub fn render(&self, ts: DateTime<Utc>, seq: u64) -> Bytes {
        let mut out = Vec::with_capacity(self.len_hint);
        for s in &self.segments {
            match s {
                Segment::Lit(b) => out.extend_from_slice(b),
                Segment::Timestamp => out
                    .extend_from_slice(ts.to_rfc3339_opts(SecondsFormat::Millis, true).as_bytes()),
                Segment::PackageVersion => {
                    out.extend_from_slice(format!("9.9.{seq}").as_bytes());
                }
            }
        }
        Bytes::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homelabcmd_protocol::heartbeat::HeartbeatRequest;

    const GUID: &str = "0b7c8e2a-1111-4222-8333-444455556666";

    fn parse(b: &Bytes) -> HeartbeatRequest {
        serde_json::from_slice(b).unwrap()
    }

    #[test]
    fn renders_valid_heartbeats() {
        let ts = chrono::Utc::now();
        let t = BodyTemplate::new(
            crate::SAMPLE_HEARTBEAT,
            BodyKind::Sample,
            "bench-07",
            GUID,
            false,
            None,
        )
        .unwrap();
        let hb = parse(&t.render(ts, 1));
        assert_eq!(hb.server_id, "bench-07");
        assert_eq!(hb.server_guid.as_deref(), Some(GUID));
        assert_eq!(hb.timestamp.timestamp_millis(), ts.timestamp_millis());
        assert_eq!(hb.packages.unwrap().len(), 129);

        let t = BodyTemplate::new(
            crate::SAMPLE_HEARTBEAT,
            BodyKind::NoPackages,
            "bench-07",
            GUID,
            false,
            None,
        )
        .unwrap();
        assert!(parse(&t.render(ts, 1)).packages.is_none());
    }

    #[test]
    fn varied_packages_differ_per_request() {
        let ts = chrono::Utc::now();
        let t = BodyTemplate::new(
            crate::SAMPLE_HEARTBEAT,
            BodyKind::Sample,
            "bench-00",
            GUID,
            true,
            None,
        )
        .unwrap();
        let a = parse(&t.render(ts, 1)).packages.unwrap();
        let b = parse(&t.render(ts, 2)).packages.unwrap();
        assert_eq!(a.len(), 129);
        assert_ne!(a[0].new_version, b[0].new_version);
        assert_eq!(a[1..], b[1..]);
    }
}
