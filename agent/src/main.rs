//! `homelabcmd-agent`: the HomelabCmd agent. It samples this machine (CPU,
//! memory, disks, network, OS, services, pending apt updates, Docker
//! containers) every `heartbeat_interval` seconds and pushes each sample to
//! the hub as `POST {hub}/api/v1/agents/heartbeat`. While the hub is
//! unreachable, samples wait in a bounded on-disk buffer in the state
//! directory and are replayed, in order and with their original timestamps,
//! once it is back.
//!
//! Run it:
//!
//! ```text
//! HOMELAB_AGENT_HUB_URL=http://hub:8080 HOMELAB_AGENT_API_KEY=... homelabcmd-agent
//! homelabcmd-agent -c /etc/homelabcmd/agent.yaml   # YAML config, env overrides it
//! homelabcmd-agent --once --print                   # show one heartbeat, send nothing
//! homelabcmd-agent --once                           # send one heartbeat, exit 0/1
//! ```
//!
//! In production it runs under systemd (`homelabcmd-agent.service`).

mod buffer;
mod collect;
mod config;
mod sender;
mod state;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use tokio::sync::{mpsc, watch};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::buffer::Buffer;
use crate::collect::Collector;
use crate::config::Config;
use crate::sender::{Delivery, HubClient, Outcome, Sample};

/// How long the first heartbeat waits for the first apt check, so it
/// carries package data rather than nulls.
const FIRST_PACKAGE_WAIT: Duration = Duration::from_secs(10);
/// Samples queued between collection and delivery before the collection
/// loop starts writing straight to the buffer.
const QUEUE: usize = 2;

/// HomelabCmd agent: pushes this machine's metrics to the HomelabCmd hub.
///
/// Configuration comes from the YAML file, overridden by HOMELAB_AGENT_*
/// environment variables (HOMELAB_AGENT_HUB_URL, HOMELAB_AGENT_API_KEY, ...).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// YAML config file; the default path may be absent, an explicit one must exist.
    #[arg(short, long, value_name = "PATH", env = "HOMELAB_AGENT_CONFIG")]
    config: Option<PathBuf>,
    /// Collect and send a single heartbeat, then exit (non-zero if it was not delivered).
    #[arg(long)]
    once: bool,
    /// Print the heartbeat as JSON on stdout instead of sending it (implies --once).
    #[arg(long)]
    print: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // `Targets` rather than `EnvFilter`: same `RUST_LOG=info,hyper=warn`
    // syntax for what the agent needs, without a regex engine in the binary.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // No colour codes in the journal.
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let hostname = sysinfo::System::host_name().unwrap_or_default();
    let env = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let config = Config::load(cli.config.as_deref(), &env, &hostname)?;

    if cli.print {
        return print_one(&config).await;
    }

    let hub_url = config
        .hub_url
        .as_deref()
        .context("no hub URL: set HOMELAB_AGENT_HUB_URL or hub_url in the config file")?;
    if config.api_key.is_none() {
        tracing::warn!(
            "no API key set (HOMELAB_AGENT_API_KEY / api_key); the hub will likely refuse heartbeats"
        );
    }
    let state_dir = state::prepare_state_dir(&config)?;
    let guid = state::resolve_guid(&config, &state_dir)?;
    let hub = HubClient::new(hub_url, config.api_key.as_ref())?;
    tracing::info!(
        version = collect::AGENT_VERSION,
        hub = %without_password(hub_url),
        server_id = %config.server_id,
        server_guid = %guid,
        interval_s = config.heartbeat_interval.as_secs(),
        state_dir = %state_dir.display(),
        "homelabcmd-agent starting"
    );

    let mut collector = Collector::new(&config, guid)?;
    if cli.once {
        return send_one(&config, &mut collector, &hub).await;
    }
    let buffer = Buffer::open(&state_dir.join("buffer"), config.buffer_max_samples)
        .with_context(|| format!("cannot open the offline buffer in {}", state_dir.display()))?;
    if !buffer.is_empty() {
        tracing::info!(
            buffered = buffer.len(),
            "found heartbeats buffered by an earlier run"
        );
    }
    run_forever(&config, collector, hub, Arc::new(Mutex::new(buffer))).await
}

/// For logging: a hub URL may carry basic-auth credentials.
fn without_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

async fn first_heartbeat_ready(collector: &mut Collector) {
    // CPU usage is a difference of two readings; sysinfo needs them apart.
    tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL).await;
    collector.wait_for_packages(FIRST_PACKAGE_WAIT).await;
}

async fn print_one(config: &Config) -> Result<ExitCode> {
    let guid = state::guid_for_print(config);
    let mut collector = Collector::new(config, guid)?;
    first_heartbeat_ready(&mut collector).await;
    let heartbeat = collector.collect().await;
    let json = serde_json::to_string_pretty(&heartbeat).context("cannot serialise heartbeat")?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

/// `--once` leaves the buffer alone: it is a probe, not a second agent.
async fn send_one(config: &Config, collector: &mut Collector, hub: &HubClient) -> Result<ExitCode> {
    first_heartbeat_ready(collector).await;
    let heartbeat = collector.collect().await;
    let sample = Sample::encode(&heartbeat)?;
    match hub
        .post_with_retries(&sample.body, config.retry_delay)
        .await
    {
        Outcome::Delivered => {
            tracing::info!("heartbeat delivered");
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Unreachable(why) => {
            tracing::error!("heartbeat not delivered: {why}");
            Ok(ExitCode::FAILURE)
        }
        // Already logged with the hub's answer.
        Outcome::Rejected | Outcome::Unauthorized => Ok(ExitCode::FAILURE),
    }
}

async fn run_forever(
    config: &Config,
    mut collector: Collector,
    hub: HubClient,
    buffer: Arc<Mutex<Buffer>>,
) -> Result<ExitCode> {
    let (queue, samples) = mpsc::channel::<Sample>(QUEUE);
    let (stop, stopped) = watch::channel(false);
    let delivery = tokio::spawn(
        Delivery::new(hub, Arc::clone(&buffer), config.retry_delay).run(samples, stopped),
    );
    let mut shutdown = std::pin::pin!(shutdown_signal());

    tokio::select! {
        () = first_heartbeat_ready(&mut collector) => {}
        () = &mut shutdown => return Ok(ExitCode::SUCCESS),
    }
    let mut ticks = tokio::time::interval(config.heartbeat_interval);
    // A late tick (suspended machine) is not made up with a burst.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = &mut shutdown => break,
        }
        let heartbeat = collector.collect().await;
        let sample = Sample::encode(&heartbeat);
        collector.recycle(heartbeat);
        let sample = match sample {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e:#}");
                continue;
            }
        };
        match queue.try_send(sample) {
            Ok(()) => {}
            // Delivery is busy retrying: never let that hold up sampling.
            Err(mpsc::error::TrySendError::Full(sample)) => sender::stash(&buffer, &sample),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                anyhow::bail!("delivery task ended unexpectedly");
            }
        }
    }

    tracing::info!("shutting down");
    let _ = stop.send(true);
    drop(queue);
    if tokio::time::timeout(Duration::from_secs(5), delivery)
        .await
        .is_err()
    {
        tracing::warn!("delivery did not stop in time");
    }
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
