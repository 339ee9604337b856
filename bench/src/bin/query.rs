//! `query`: latency of the metrics history endpoint
//! (`GET /api/v1/servers/{id}/metrics?range=30d`) against a hub whose
//! database `storage` filled. Sequential requests on one keep-alive
//! connection, cycling through the machines; p50/p99 from an HDR histogram.
//!
//! ```text
//! query --hub http://127.0.0.1:PORT --api-key KEY [--requests 200] [--range 30d]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, ensure};
use clap::Parser;
use hdrhistogram::Histogram;
use homelabcmd_bench::http::{Conn, parse_hub};
use homelabcmd_bench::results::Record;
use homelabcmd_bench::server_id;

#[derive(Debug, Parser)]
#[command(about = "Metrics history query latency (loopback hubs only)")]
struct Args {
    #[arg(long)]
    hub: String,
    #[arg(long, env = "HOMELAB_CMD_API_KEY")]
    api_key: String,
    #[arg(long, default_value_t = 50)]
    servers: usize,
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Unmeasured requests first.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// `24h`, `7d`, `30d` or `12m`.
    #[arg(long, default_value = "30d")]
    range: String,
    #[arg(long)]
    results: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let addr = parse_hub(&args.hub)?;
    let mut conn = Conn::connect(addr, &args.api_key).await?;
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut points, mut bytes) = (0u64, 0u64);
    for i in 0..args.warmup + args.requests {
        let id = server_id(i % args.servers);
        let path = format!("/api/v1/servers/{id}/metrics?range={}", args.range);
        let t = Instant::now();
        let (status, body) = conn.get(&path).await?;
        let us = t.elapsed().as_micros() as u64;
        ensure!(
            status == hyper::StatusCode::OK,
            "GET {path}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
        if i >= args.warmup {
            hist.saturating_record(us.max(1));
            let v: serde_json::Value = serde_json::from_slice(&body).context("response JSON")?;
            points += v["total_points"].as_u64().unwrap_or(0);
            bytes += body.len() as u64;
        }
    }
    let n = args.requests.max(1) as f64;
    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;
    let mut r = Record::new("query", &format!("metrics-{}", args.range));
    r.set("p50_ms", q(0.5))
        .set("p99_ms", q(0.99))
        .set("max_ms", hist.max() as f64 / 1000.0)
        .set("points_per_response", points as f64 / n)
        .set("bytes_per_response", bytes as f64 / n)
        .set("requests", args.requests as f64)
        .note(format!(
            "sequential, one connection, {} machines, {} warm-up requests",
            args.servers, args.warmup
        ));
    r.emit(args.results.as_deref())
}
