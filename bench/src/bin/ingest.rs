//! `ingest`: heartbeat load generator. Posts `POST /api/v1/agents/heartbeat`
//! to a running hub from `--servers` simulated machines over `--concurrency`
//! keep-alive connections, for a warm-up and then a measured window, and
//! reports throughput, latency (HDR histogram), errors and the hub's memory
//! and CPU (from `/proc/<hub-pid>`).
//!
//! Each machine has its own UUID v4 guid and strictly increasing sample
//! timestamps, and is served by one connection only, so every request is a
//! new sample the hub really stores (it ignores a repeated `(server, ts)`).
//!
//! ```text
//! ingest --hub http://127.0.0.1:PORT --api-key KEY --hub-pid PID \
//!        [--body sample|no-packages] [--vary-packages] [--warmup 3] [--duration 20]
//! ```
//!
//! `scripts/bench ingest` starts a fresh hub and runs this.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use hdrhistogram::Histogram;
use homelabcmd_bench::body::{BodyKind, BodyTemplate};
use homelabcmd_bench::http::{Conn, parse_hub};
use homelabcmd_bench::procfs::{ProcSample, machine_busy_secs};
use homelabcmd_bench::results::Record;
use homelabcmd_bench::{MIB, SAMPLE_HEARTBEAT, server_id};

const HEARTBEAT_PATH: &str = "/api/v1/agents/heartbeat";

#[derive(Debug, Parser)]
#[command(about = "Heartbeat ingest load generator (loopback hubs only)")]
struct Args {
    /// Hub base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    hub: String,
    #[arg(long, env = "HOMELAB_CMD_API_KEY")]
    api_key: String,
    /// The hub's pid, for its RSS and CPU.
    #[arg(long)]
    hub_pid: Option<u32>,
    #[arg(long, default_value_t = 50)]
    servers: usize,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds of unmeasured load first (registration, first package lists, caches).
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    #[arg(long, value_enum, default_value = "sample")]
    body: BodyKind,
    /// Change one package's version in every request: the hub rewrites the
    /// whole list each time (worst case; a real agent repeats its list).
    #[arg(long)]
    vary_packages: bool,
    /// Override the sample's `metrics.cpu_percent` (100.0 in the sample,
    /// which breaches the default CPU alert threshold on every heartbeat).
    #[arg(long)]
    cpu_percent: Option<f64>,
    /// Simulated time between one machine's samples, ms.
    #[arg(long, default_value_t = 1000)]
    step_ms: i64,
    /// Scenario name in the results (default: from --body / --vary-packages).
    #[arg(long)]
    scenario: Option<String>,
    /// The hub's database file, to report its size afterwards.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Append the result as a JSON line here.
    #[arg(long)]
    results: Option<PathBuf>,
}

/// One simulated machine.
struct Machine {
    template: BodyTemplate,
    seq: u64,
}

#[derive(Default)]
struct Tally {
    /// Latency of measured requests, µs.
    hist: Option<Histogram<u64>>,
    measured_ok: u64,
    last_done: Option<Instant>,
    warmup_requests: u64,
    non_200: std::collections::BTreeMap<u16, u64>,
    transport: u64,
    first_error: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let addr = parse_hub(&args.hub)?;
    anyhow::ensure!(args.concurrency >= 1 && args.servers >= 1);
    let scenario = args.scenario.clone().unwrap_or_else(|| {
        match (args.body, args.vary_packages) {
            (BodyKind::Sample, false) => "sample",
            (BodyKind::Sample, true) => "sample-packages-change",
            (BodyKind::NoPackages, _) => "no-packages",
        }
        .into()
    });

    // Machines dealt round-robin to connections: one machine's requests go
    // out one after another, so its timestamps arrive in order.
    let mut per_worker: Vec<Vec<Machine>> = (0..args.concurrency).map(|_| Vec::new()).collect();
    let mut body_bytes = 0;
    for i in 0..args.servers {
        let guid = uuid::Uuid::new_v4().to_string();
        let template = BodyTemplate::new(
            SAMPLE_HEARTBEAT,
            args.body,
            &server_id(i),
            &guid,
            args.vary_packages,
            args.cpu_percent,
        )?;
        body_bytes = template.render(chrono::Utc::now(), 0).len();
        per_worker[i % args.concurrency].push(Machine { template, seq: 0 });
    }
    per_worker.retain(|w| !w.is_empty());

    // Samples from a day ago onwards, one `step_ms` apart per machine:
    // realistic times, never in the future at any plausible rate.
    let base_ms = chrono::Utc::now().timestamp_millis() - 86_400_000;
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let end = measure_from + Duration::from_secs_f64(args.duration);

    let mut conns = Vec::new();
    for _ in 0..per_worker.len() {
        conns.push(Conn::connect(addr, &args.api_key).await?);
    }

    let monitor = spawn_monitor(args.hub_pid, measure_from, end);

    let mut tasks = tokio::task::JoinSet::new();
    for (machines, conn) in per_worker.into_iter().zip(conns) {
        tasks.spawn(worker(
            machines,
            conn,
            base_ms,
            args.step_ms,
            measure_from,
            end,
        ));
    }
    let mut total = Tally {
        hist: Some(new_hist()),
        ..Default::default()
    };
    while let Some(t) = tasks.join_next().await {
        let t = t.context("worker panicked")?;
        if let (Some(h), Some(th)) = (total.hist.as_mut(), t.hist.as_ref()) {
            h.add(th)?;
        }
        total.measured_ok += t.measured_ok;
        total.warmup_requests += t.warmup_requests;
        total.last_done = total.last_done.max(t.last_done);
        for (code, n) in t.non_200 {
            *total.non_200.entry(code).or_default() += n;
        }
        total.transport += t.transport;
        if total.first_error.is_none() {
            total.first_error = t.first_error;
        }
    }

    let hist = total.hist.take().unwrap_or_else(new_hist);
    let window = total
        .last_done
        .map(|d| d.saturating_duration_since(measure_from))
        .unwrap_or_default()
        .max(Duration::from_secs_f64(args.duration));
    let non_200: u64 = total.non_200.values().sum();
    let errors = non_200 + total.transport;
    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;

    let mut r = Record::new("ingest", &scenario);
    r.set(
        "heartbeats_per_s",
        total.measured_ok as f64 / window.as_secs_f64(),
    )
    .set("requests_ok", total.measured_ok as f64)
    .set("p50_ms", q(0.50))
    .set("p90_ms", q(0.90))
    .set("p99_ms", q(0.99))
    .set("p999_ms", q(0.999))
    .set("max_ms", hist.max() as f64 / 1000.0)
    .set("errors", errors as f64)
    .set("errors_non_200", non_200 as f64)
    .set("errors_transport", total.transport as f64)
    .set(
        "error_pct",
        100.0 * errors as f64 / (total.measured_ok + total.warmup_requests + errors).max(1) as f64,
    )
    .set("body_bytes", body_bytes as f64);
    let usage = monitor.await.context("monitor panicked")??;
    let secs = usage.window.as_secs_f64();
    let mut others = usage.machine_cpu - usage.loadgen_cpu;
    r.set("loadgen_cpu_pct", 100.0 * usage.loadgen_cpu / secs);
    if let (Some(before), Some(after)) = (usage.hub_before, usage.hub_after) {
        let cpu = after.cpu_secs - before.cpu_secs;
        others -= cpu;
        r.set("hub_rss_peak_mib", usage.hub_peak_rss_kib as f64 / 1024.0)
            .set("hub_rss_end_mib", after.rss_mib())
            .set("hub_hwm_mib", after.hwm_mib())
            .set("hub_rss_anon_mib", after.anon_kib as f64 / 1024.0)
            .set("hub_cpu_pct", 100.0 * cpu / secs)
            .set(
                "hub_cpu_us_per_heartbeat",
                1e6 * cpu / total.measured_ok.max(1) as f64,
            );
    }
    // Percent of one core used by everything else (other engineers' builds):
    // well above a few percent means the numbers are pessimistic.
    r.set("other_cpu_pct", (100.0 * others / secs).max(0.0));
    if let Some(db) = &args.db {
        let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = db.clone().into_os_string();
        wal.push("-wal");
        r.set("db_mib", size(db.clone()) as f64 / MIB)
            .set("db_wal_mib", size(wal.into()) as f64 / MIB);
    }
    r.note(format!(
        "{} machines, concurrency {}, {}s warm-up + {}s measured, {} B body, {} warm-up requests",
        args.servers,
        args.concurrency,
        args.warmup,
        args.duration,
        body_bytes,
        total.warmup_requests
    ));
    if !total.non_200.is_empty() {
        r.note(format!("non-200 by status: {:?}", total.non_200));
    }
    if let Some(e) = &total.first_error {
        r.note(format!("first error: {e}"));
    }
    r.emit(args.results.as_deref())?;
    Ok(())
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds")
}

async fn worker(
    mut machines: Vec<Machine>,
    mut conn: Conn,
    base_ms: i64,
    step_ms: i64,
    measure_from: Instant,
    end: Instant,
) -> Tally {
    let mut t = Tally {
        hist: Some(new_hist()),
        ..Default::default()
    };
    let mut i = 0;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let n = machines.len();
        let m = &mut machines[i % n];
        i += 1;
        m.seq += 1;
        let ts = homelabcmd::db::to_dt(base_ms + m.seq as i64 * step_ms);
        let body = m.template.render(ts, m.seq);
        let outcome = conn.post_json(HEARTBEAT_PATH, body).await;
        let done = Instant::now();
        let measured = sent >= measure_from;
        match outcome {
            Ok((status, _)) if status == hyper::StatusCode::OK => {
                if measured {
                    let us = done.duration_since(sent).as_micros() as u64;
                    if let Some(h) = t.hist.as_mut() {
                        h.saturating_record(us.max(1));
                    }
                    t.measured_ok += 1;
                    t.last_done = Some(done);
                } else {
                    t.warmup_requests += 1;
                }
            }
            Ok((status, body)) => {
                *t.non_200.entry(status.as_u16()).or_default() += 1;
                if t.first_error.is_none() {
                    t.first_error = Some(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    ));
                }
            }
            Err(e) => {
                t.transport += 1;
                if t.first_error.is_none() {
                    t.first_error = Some(format!("transport: {e:#}"));
                }
                // Back off a little so a dead hub does not spin the loop.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Err(e) = conn.reconnect().await {
                    t.first_error
                        .get_or_insert_with(|| format!("reconnect: {e:#}"));
                }
            }
        }
    }
    t
}

struct Usage {
    hub_before: Option<ProcSample>,
    hub_after: Option<ProcSample>,
    hub_peak_rss_kib: u64,
    /// This process over the measured window, CPU seconds.
    loadgen_cpu: f64,
    /// The whole machine over the measured window, busy CPU seconds.
    machine_cpu: f64,
    window: Duration,
}

/// CPU of the hub, this process and the machine over the measured window,
/// and the hub's RSS every 100 ms.
fn spawn_monitor(
    pid: Option<u32>,
    from: Instant,
    end: Instant,
) -> tokio::task::JoinHandle<anyhow::Result<Usage>> {
    tokio::spawn(async move {
        tokio::time::sleep_until(from.into()).await;
        let t0 = Instant::now();
        let hub_before = pid.map(ProcSample::read).transpose()?;
        let self_before = ProcSample::read_self()?;
        let machine_before = machine_busy_secs()?;
        let mut hub_peak_rss_kib = hub_before.map(|h| h.rss_kib).unwrap_or(0);
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        while Instant::now() < end {
            tick.tick().await;
            if let Some(pid) = pid {
                hub_peak_rss_kib = hub_peak_rss_kib.max(ProcSample::read(pid)?.rss_kib);
            }
        }
        let hub_after = pid.map(ProcSample::read).transpose()?;
        let self_after = ProcSample::read_self()?;
        let machine_after = machine_busy_secs()?;
        if let Some(h) = hub_after {
            hub_peak_rss_kib = hub_peak_rss_kib.max(h.rss_kib);
        }
        Ok(Usage {
            hub_before,
            hub_after,
            hub_peak_rss_kib,
            loadgen_cpu: self_after.cpu_secs - self_before.cpu_secs,
            machine_cpu: machine_after - machine_before,
            window: t0.elapsed(),
        })
    })
}
