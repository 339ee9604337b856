//! `agent`: cost of a running `homelabcmd-agent`. After a warm-up, counts
//! the heartbeats the hub stored for the agent's machine over `--duration`
//! seconds and the agent's CPU time (utime+stime from `/proc/<pid>/stat`)
//! over the same window, and reports CPU per heartbeat, its RSS (VmRSS,
//! VmHWM) and the size of the agent binary.
//!
//! ```text
//! agent --pid PID --hub http://127.0.0.1:PORT --api-key KEY --server-id ID \
//!       --binary target/release/homelabcmd-agent [--warmup 15] [--duration 60]
//! ```
//!
//! Run the agent with `HOMELAB_AGENT_HEARTBEAT_INTERVAL=1` to measure many
//! heartbeats quickly; `scripts/bench agent` does all of this.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use homelabcmd_bench::http::{Conn, parse_hub};
use homelabcmd_bench::procfs::ProcSample;
use homelabcmd_bench::results::Record;
use homelabcmd_bench::{MIB, ms};

#[derive(Debug, Parser)]
#[command(about = "Agent CPU per heartbeat, RSS and binary size")]
struct Args {
    /// The agent's pid.
    #[arg(long)]
    pid: u32,
    #[arg(long)]
    hub: String,
    #[arg(long, env = "HOMELAB_CMD_API_KEY")]
    api_key: String,
    /// The agent's server id (HOMELAB_AGENT_SERVER_ID).
    #[arg(long)]
    server_id: String,
    /// The agent binary, for its size.
    #[arg(long)]
    binary: PathBuf,
    /// Seconds after the first stored heartbeat before measuring (start-up,
    /// first apt check).
    #[arg(long, default_value_t = 15.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// The interval the agent was started with (for the record only).
    #[arg(long, default_value_t = 1)]
    interval: u64,
    #[arg(long, default_value = "interval-1s")]
    scenario: String,
    #[arg(long)]
    results: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let addr = parse_hub(&args.hub)?;
    let mut conn = Conn::connect(addr, &args.api_key).await?;
    let started = Instant::now();

    // Wait for the first stored heartbeat.
    let deadline = started + Duration::from_secs(60);
    loop {
        if stored(&mut conn, &args.server_id).await?.unwrap_or(0) > 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("no heartbeat from {} within 60 s", args.server_id);
        }
        ProcSample::read(args.pid).context("the agent exited")?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first_after = started.elapsed();
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;

    let n0 = stored(&mut conn, &args.server_id).await?.unwrap_or(0);
    let p0 = ProcSample::read(args.pid)?;
    let t0 = Instant::now();
    let mut peak_rss = p0.rss_kib;
    let end = t0 + Duration::from_secs_f64(args.duration);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(500).min(end - Instant::now())).await;
        peak_rss = peak_rss.max(
            ProcSample::read(args.pid)
                .context("the agent exited")?
                .rss_kib,
        );
    }
    let p1 = ProcSample::read(args.pid)?;
    let elapsed = t0.elapsed().as_secs_f64();
    let n1 = stored(&mut conn, &args.server_id).await?.unwrap_or(0);
    let beats = n1.saturating_sub(n0);
    if beats == 0 {
        bail!(
            "the hub stored no heartbeat from {} in {elapsed:.0} s",
            args.server_id
        );
    }
    let cpu = p1.cpu_secs - p0.cpu_secs;
    let sched = p1.sched_secs - p0.sched_secs;
    let children = p1.children_cpu_secs - p0.children_cpu_secs;
    let size = std::fs::metadata(&args.binary)
        .with_context(|| format!("{}", args.binary.display()))?
        .len();

    let mut r = Record::new("agent", &args.scenario);
    r.set("cpu_ms_per_heartbeat", 1000.0 * cpu / beats as f64)
        .set("sched_cpu_ms_per_heartbeat", 1000.0 * sched / beats as f64)
        .set("children_cpu_ms_per_heartbeat", 1000.0 * children / beats as f64)
        .set("cpu_pct", 100.0 * cpu / elapsed)
        .set("heartbeats", beats as f64)
        .set("rss_mib", p1.rss_mib())
        .set("rss_peak_mib", peak_rss as f64 / 1024.0)
        .set("hwm_mib", p1.hwm_mib())
        .set("rss_anon_mib", p1.anon_kib as f64 / 1024.0)
        .set("rss_file_mib", p1.file_kib as f64 / 1024.0)
        .set("binary_mib", size as f64 / MIB)
        .set("binary_bytes", size as f64)
        .set("first_heartbeat_ms", ms(first_after))
        .set("uptime_s", args.warmup + elapsed + first_after.as_secs_f64())
        .note(format!(
            "interval {} s, {:.0} s warm-up after the first stored heartbeat, {elapsed:.0} s measured; \
             cpu_ms_per_heartbeat is utime+stime ({} ms ticks), sched_cpu_ms_per_heartbeat the \
             ns-resolution schedstat of the live threads",
            args.interval,
            args.warmup,
            1000 / homelabcmd_bench::procfs::clock_ticks()
        ));
    r.emit(args.results.as_deref())
}

/// Samples the hub holds for the machine in the last 24 h (`None` before it registered).
async fn stored(conn: &mut Conn, id: &str) -> anyhow::Result<Option<u64>> {
    let (status, body) = conn
        .get(&format!("/api/v1/servers/{id}/metrics?range=24h"))
        .await?;
    if status == hyper::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    anyhow::ensure!(
        status == hyper::StatusCode::OK,
        "metrics for {id}: HTTP {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(v["total_points"].as_u64())
}
