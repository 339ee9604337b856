//! `ssh`: SSH executor latency against a real OpenSSH host on this machine
//! (the test fleet: network namespaces + sshd, so it must run as root).
//!
//! Measures `true` run through: the pooled russh connection (hub/src/ssh);
//! a fresh russh connection per command; a fresh OpenSSH `ssh` per command;
//! OpenSSH ControlMaster (one master, `ssh` per command over it); and one
//! command fanned out to 10 hosts at once on a warm pool.
//!
//!   scripts/bench ssh        (or: target/release/ssh --runs 500 --results out.jsonl)

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use homelabcmd_bench::ms;
use homelabcmd_bench::results::Record;
use homelabcmd_e2e::fleet::{Fleet, Host, KEY_USER};
use homelabcmd_ssh::{Auth, ExecRequest, MemoryHostKeyStore, PoolConfig, SshPool, Target};

#[derive(Parser)]
struct Args {
    /// Pooled and ControlMaster runs.
    #[arg(long, default_value_t = 500)]
    runs: usize,
    /// Runs that open a new connection each time (slower).
    #[arg(long, default_value_t = 50)]
    fresh_runs: usize,
    /// Fan-out rounds over 10 hosts.
    #[arg(long, default_value_t = 100)]
    fanout_rounds: usize,
    #[arg(long, default_value_t = 10)]
    hosts: usize,
    #[arg(long)]
    results: Option<PathBuf>,
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    ms(samples[i])
}

fn target(fleet: &Fleet, host: &Host) -> Target {
    Target {
        host: host.ip().to_string(),
        port: 22,
        username: KEY_USER.into(),
        auth: Auth::Key {
            private_key_pem: fleet.client_private_key_pem().into(),
            passphrase: None,
        },
        host_key_id: host.namespace().to_string(),
    }
}

fn new_pool() -> SshPool {
    SshPool::new(PoolConfig::default(), Arc::new(MemoryHostKeyStore::new()))
}

fn emit(
    scenario: &str,
    samples: &mut [Duration],
    results: Option<&std::path::Path>,
) -> anyhow::Result<(f64, f64)> {
    let (p50, p99) = (percentile(samples, 0.5), percentile(samples, 0.99));
    let mut rec = Record::new("ssh", scenario);
    rec.set("p50_ms", p50)
        .set("p99_ms", p99)
        .set("runs", samples.len() as f64);
    rec.emit(results)?;
    Ok((p50, p99))
}

/// OpenSSH client arguments shared by the fresh and ControlMaster runs.
fn ssh_command(fleet: &Fleet, host: &Host, extra: &[String]) -> Command {
    ssh_running(fleet, host, extra, "true")
}

/// Like [`ssh_command`], running `remote` (shell text) on the host.
fn ssh_running(fleet: &Fleet, host: &Host, extra: &[String], remote: &str) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.arg("-i")
        .arg(fleet.client_key_path())
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args(["-o", "BatchMode=yes", "-o", "LogLevel=ERROR"])
        .args(extra)
        .arg(format!("{KEY_USER}@{}", host.ip()))
        .arg(remote)
        .stdin(Stdio::null());
    cmd
}

fn time_ssh(mut cmd: Command) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let status = cmd.status().context("run ssh")?;
    if !status.success() {
        bail!("ssh failed: {status}");
    }
    Ok(t.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let results = args.results.as_deref();
    if let Some(reason) = homelabcmd_e2e::fleet::unavailable_reason() {
        bail!("the SSH benchmark needs the test fleet: {reason}");
    }
    let fleet = tokio::task::spawn_blocking(move || Fleet::start(args.hosts.max(1))).await?;
    let host = fleet.host(0);
    let one = target(&fleet, host);
    let request = ExecRequest::new(["true"]);

    // Pooled: one warm-up connects, then every run reuses it.
    let pool = new_pool();
    pool.exec(&one, &request).await?;
    let mut pooled = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let t = Instant::now();
        let out = pool.exec(&one, &request).await?;
        pooled.push(t.elapsed());
        anyhow::ensure!(out.success(), "true failed: {out:?}");
    }
    let (pooled_p50, _) = emit("pooled russh", &mut pooled, results)?;
    anyhow::ensure!(pool.stats().connections_opened == 1, "pool reconnected");

    // Fresh russh connection per command (a new pool each time).
    let mut fresh = Vec::with_capacity(args.fresh_runs);
    for _ in 0..args.fresh_runs {
        let p = new_pool();
        let t = Instant::now();
        p.exec(&one, &request).await?;
        fresh.push(t.elapsed());
        p.close_all().await;
    }
    emit("fresh russh connection", &mut fresh, results)?;

    // Fresh OpenSSH client per command.
    let mut openssh = Vec::with_capacity(args.fresh_runs);
    for _ in 0..args.fresh_runs {
        openssh.push(time_ssh(ssh_command(&fleet, host, &[]))?);
    }
    emit("fresh OpenSSH ssh", &mut openssh, results)?;

    // OpenSSH ControlMaster: the first call starts the master.
    let control = [
        "-o".to_string(),
        "ControlMaster=auto".into(),
        "-o".into(),
        format!("ControlPath={}/cm-%C", fleet.dir().display()),
        "-o".into(),
        "ControlPersist=60".into(),
    ];
    time_ssh(ssh_command(&fleet, host, &control))?;
    let mut cm = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        cm.push(time_ssh(ssh_command(&fleet, host, &control))?);
    }
    let (cm_p50, _) = emit("OpenSSH ControlMaster", &mut cm, results)?;
    // The same over ControlMaster, but running what the pool runs for
    // `true`: the pool wraps every command in `timeout` so that a command
    // past its time is killed on the host, which costs a fork and an exec.
    let same = "exec timeout -k 2 61 true";
    let mut cm_same = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        cm_same.push(time_ssh(ssh_running(&fleet, host, &control, same))?);
    }
    let (cm_same_p50, _) = emit(
        "OpenSSH ControlMaster, the pool's command (timeout wrapper)",
        &mut cm_same,
        results,
    )?;
    // Stop the master we started (it would otherwise linger 60 s).
    let mut exit = ssh_command(&fleet, host, &control);
    let _ = exit.args(["-O", "exit"]).stderr(Stdio::null()).status();

    // One command on every host at once, on a warm pool.
    let targets: Vec<Target> = fleet.hosts().iter().map(|h| target(&fleet, h)).collect();
    for t in &targets {
        pool.exec(t, &request).await?;
    }
    let mut fanout = Vec::with_capacity(args.fanout_rounds);
    for _ in 0..args.fanout_rounds {
        let t = Instant::now();
        let tasks: Vec<_> = targets
            .iter()
            .map(|target| {
                let (pool, target, request) = (pool.clone(), target.clone(), request.clone());
                tokio::spawn(async move { pool.exec(&target, &request).await })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        fanout.push(t.elapsed());
    }
    let (fan_p50, fan_p99) = (percentile(&mut fanout, 0.5), percentile(&mut fanout, 0.99));
    let mut rec = Record::new("ssh", &format!("fan-out to {} hosts", targets.len()));
    rec.set("fanout_p50_ms", fan_p50)
        .set("fanout_p99_ms", fan_p99)
        .set("hosts", targets.len() as f64)
        .set("rounds", fanout.len() as f64);
    rec.emit(results)?;

    let mut summary = Record::new("ssh", "pooled vs ControlMaster");
    summary
        .set("pooled_p50_ms", pooled_p50)
        .set("controlmaster_p50_ms", cm_p50)
        .set("pooled_over_controlmaster", pooled_p50 / cm_p50)
        .set("controlmaster_same_command_p50_ms", cm_same_p50)
        .set(
            "pooled_over_controlmaster_same_command",
            pooled_p50 / cm_same_p50,
        );
    summary.emit(results)?;
    pool.close_all().await;
    drop(fleet);
    Ok(())
}
