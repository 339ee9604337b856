//! `packs`: a 30-item configuration-pack compliance check through the real
//! hub (`POST /api/v1/servers/{id}/config/check`, release build) against
//! `ansible-playbook --check --diff` with the equivalent playbook, on one
//! host and on 10 hosts at once. The hosts are the test fleet (network
//! namespaces + sshd, tests/src/fleet.rs), so it must run as root; they
//! share this machine's filesystem, so the managed paths live in the
//! fleet's directory. Pack and playbook come from one item list
//! (`homelabcmd_bench::pack_fixture`); the bench checks that HomelabCmd's
//! mismatches and Ansible's changed tasks are the same count on every host.
//!
//!   scripts/bench packs      (or: target/release/packs --runs 30 --ansible-runs 5)
//!
//! Without `ansible-playbook` on PATH the Ansible half is skipped with a
//! message (`apt-get install ansible`: Debian 12 ships 7.7.0).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Parser;
use homelabcmd_bench::ms;
use homelabcmd_bench::pack_fixture::{Fixture, PACK_ID, inventory, parse_recap};
use homelabcmd_bench::results::Record;
use homelabcmd_e2e::fleet::{Fleet, KEY_USER};
use homelabcmd_e2e::{Api, Hub, HubOptions};
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Warm HomelabCmd checks (one host) and warm rounds (all hosts).
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Ansible runs per case after the first (cold) one.
    #[arg(long, default_value_t = 5)]
    ansible_runs: usize,
    #[arg(long, default_value_t = 10)]
    hosts: usize,
    /// Only the default (facts gathered) Ansible runs, not also gather_facts: false.
    #[arg(long)]
    facts_only: bool,
    /// Only the HomelabCmd half (an A/B of the hub, Ansible measured before).
    #[arg(long)]
    skip_ansible: bool,
    #[arg(long)]
    results: Option<PathBuf>,
}

fn percentile(samples: &[Duration], p: f64) -> f64 {
    let mut s = samples.to_vec();
    s.sort();
    let i = ((s.len() as f64 - 1.0) * p).round() as usize;
    ms(s[i])
}

fn server_id(i: usize) -> String {
    format!("fleet-{i:02}")
}

/// One check through the API; its response must show `expected` mismatches.
/// Returns the hub's own `check_duration_ms`.
fn check(api: &Api, id: &str, expected: usize) -> anyhow::Result<f64> {
    let r = api
        .try_post(
            &format!("/api/v1/servers/{id}/config/check"),
            &json!({"pack_name": PACK_ID}),
        )
        .with_context(|| format!("check {id}"))?;
    ensure!(r.status == 200, "check {id}: HTTP {}: {}", r.status, r.text);
    let body: Value = serde_json::from_str(&r.text)?;
    let n = body["mismatches"].as_array().map_or(0, Vec::len);
    ensure!(
        n == expected && body["is_compliant"] == false,
        "check {id}: {n} mismatches, expected {expected}: {body}"
    );
    Ok(body["check_duration_ms"].as_f64().unwrap_or(f64::NAN))
}

/// Checks of all `ids` at once; wall time until the last answers.
fn check_all(api: &Api, ids: &[String], expected: usize) -> anyhow::Result<Duration> {
    let t = Instant::now();
    std::thread::scope(|s| {
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| s.spawn(move || check(api, id, expected)))
            .collect();
        for task in tasks {
            task.join().expect("check thread panicked")?;
        }
        anyhow::Ok(())
    })?;
    Ok(t.elapsed())
}

fn register(api: &Api, fleet: &Fleet, i: usize) -> anyhow::Result<()> {
    let id = server_id(i);
    let ip = fleet.host(i).ip().to_string();
    // Setup, not measured: these panic on transport errors.
    let steps = [
        api.post(
            "/api/v1/servers",
            &json!({"id": id, "hostname": id, "ip_address": ip}),
        ),
        api.put(
            &format!("/api/v1/servers/{id}"),
            &json!({"ssh_username": KEY_USER}),
        ),
        api.post(
            &format!("/api/v1/servers/{id}/credentials"),
            &json!({"credential_type": "ssh_private_key", "value": fleet.client_private_key_pem()}),
        ),
    ];
    for r in steps {
        ensure!(
            (200..300).contains(&r.status),
            "registering {id}: HTTP {}: {}",
            r.status,
            r.text
        );
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

struct AnsibleCase<'a> {
    dir: &'a Path,
    playbook: &'a Path,
    limit: Option<&'a str>,
    hosts: usize,
    expected_changed: usize,
    label: String,
    /// Names the case's ControlMaster directory and log.
    id: usize,
}

/// One `ansible-playbook --check --diff` run; checks the recap (every host
/// reached, nothing failed, `expected_changed` changed tasks per host).
fn ansible_once(case: &AnsibleCase, control_dir: &Path, log: &Path) -> anyhow::Result<Duration> {
    let mut cmd = Command::new("ansible-playbook");
    cmd.current_dir(case.dir)
        .args(["--check", "--diff", "-f", "10", "-i"])
        .arg(case.dir.join("inventory.ini"))
        .arg(case.playbook)
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_SSH_CONTROL_PATH_DIR", control_dir)
        .stdin(Stdio::null());
    if let Some(l) = case.limit {
        cmd.args(["--limit", l]);
    }
    let t = Instant::now();
    let out = cmd.output().context("run ansible-playbook")?;
    let took = t.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    std::fs::write(
        log,
        format!("{text}\n{}", String::from_utf8_lossy(&out.stderr)),
    )?;
    let recap = parse_recap(&text);
    let ok = out.status.success()
        && recap.len() == case.hosts
        && recap.iter().all(|r| {
            r.failed == 0 && r.unreachable == 0 && r.changed as usize == case.expected_changed
        });
    if !ok {
        // The fleet's directory (and the log) goes when the fleet stops.
        let all = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = all.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        bail!(
            "{}: ansible-playbook {} (expected {} changed per host on {} hosts): {recap:?}\n{tail}",
            case.label,
            out.status,
            case.expected_changed,
            case.hosts,
        );
    }
    Ok(took)
}

/// The first run (its own SSH ControlMaster directory, so cold) and then
/// `runs` more (ControlPersist keeps the masters: Ansible's default).
fn ansible_case(case: &AnsibleCase, runs: usize, results: Option<&Path>) -> anyhow::Result<f64> {
    // Short: the ControlMaster socket path must fit a Unix socket name.
    let control = case.dir.join(format!("cp{}", case.id));
    std::fs::create_dir_all(&control)?;
    let log = case.dir.join(format!("run{}.log", case.id));
    let first = ansible_once(case, &control, &log)?;
    let mut warm = Vec::with_capacity(runs);
    for _ in 0..runs {
        warm.push(ansible_once(case, &control, &log)?);
    }
    let median = percentile(&warm, 0.5);
    let mut rec = Record::new("packs", &case.label);
    rec.set("first_ms", ms(first))
        .set("median_ms", median)
        .set("min_ms", percentile(&warm, 0.0))
        .set("max_ms", percentile(&warm, 1.0))
        .set("runs", warm.len() as f64)
        .set("hosts", case.hosts as f64);
    rec.emit(results)?;
    Ok(median)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let results = args.results.as_deref();
    ensure!(
        args.runs > 0 && args.hosts > 0,
        "--runs and --hosts must be > 0"
    );
    if let Some(reason) = homelabcmd_e2e::fleet::unavailable_reason() {
        bail!("the packs benchmark needs the test fleet: {reason}");
    }
    let hub_bin = homelabcmd_e2e::binary("homelabcmd");
    println!("hub binary: {}", hub_bin.display());
    let fleet = Fleet::start(args.hosts);

    // The managed paths, owned by the SSH user (hosts share this filesystem).
    let fixture = Fixture::standard();
    let root = fleet.dir().join("pack-bench");
    fixture.lay_out(&root)?;
    let status = Command::new("chown")
        .args(["-R", &format!("{KEY_USER}:{KEY_USER}")])
        .arg(&root)
        .status()?;
    ensure!(status.success(), "chown {}", root.display());
    let missing = fixture.missing_packages();
    let (mismatches, changed) = fixture.expected_differences(missing);
    println!(
        "pack: {} items, {mismatches} not compliant on every host ({missing} package(s) not installed)",
        fixture.item_count()
    );

    let packs_dir = fleet.dir().join("packs");
    std::fs::create_dir_all(&packs_dir)?;
    std::fs::write(
        packs_dir.join(format!("{PACK_ID}.yaml")),
        fixture.pack_yaml(&root),
    )?;
    // Reference: the hub's check script run here with `sh -c` (no SSH, no
    // hub): how much of a check is the host's own work.
    let set = homelabcmd_core::packs::load_dir(&packs_dir);
    ensure!(set.errors.is_empty(), "pack errors: {:?}", set.errors);
    let pack = set.get(PACK_ID).context("pack not loaded")?;
    let script = homelabcmd_core::packs::check_script::build(pack);
    let mut local = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let t = Instant::now();
        let out = Command::new("sh").args(["-c", &script]).output()?;
        local.push(t.elapsed());
        let c = homelabcmd_core::packs::evaluate(pack, &out.stdout);
        ensure!(c.mismatches.len() == mismatches, "local script: {c:?}");
    }
    let mut rec = Record::new("packs", "check script alone (sh -c here, no SSH, no hub)");
    rec.set("p50_ms", percentile(&local, 0.5))
        .set("p95_ms", percentile(&local, 0.95))
        .set("script_bytes", script.len() as f64)
        .set("runs", local.len() as f64);
    rec.emit(results)?;

    let mut hub = Hub::start(HubOptions {
        env: vec![(
            "HOMELAB_CMD_PACKS_DIR".into(),
            packs_dir.display().to_string(),
        )],
        ..HubOptions::default()
    });
    for i in 0..args.hosts {
        register(hub.api(), &fleet, i)?;
    }
    let ids: Vec<String> = (0..args.hosts).map(server_id).collect();

    // All hosts at once: the first round connects every host.
    let api = hub.api().with_key(Some(hub.api_key()));
    let cold_all = check_all(&api, &ids, mismatches)?;
    let mut rounds = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        rounds.push(check_all(&api, &ids, mismatches)?);
    }
    let mut rec = Record::new("packs", &format!("homelabcmd, {} hosts at once", ids.len()));
    rec.set("cold_ms", ms(cold_all))
        .set("p50_ms", percentile(&rounds, 0.5))
        .set("p95_ms", percentile(&rounds, 0.95))
        .set("rounds", rounds.len() as f64)
        .set("hosts", ids.len() as f64);
    rec.emit(results)?;
    let all_p50 = percentile(&rounds, 0.5);

    // One host, from a restarted hub (an empty SSH pool).
    hub.restart();
    let api = hub.api().with_key(Some(hub.api_key()));
    let t = Instant::now();
    check(&api, &ids[0], mismatches)?;
    let cold_one = t.elapsed();
    let mut one = Vec::with_capacity(args.runs);
    let mut hub_side = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let t = Instant::now();
        hub_side.push(check(&api, &ids[0], mismatches)?);
        one.push(t.elapsed());
    }
    hub_side.sort_by(f64::total_cmp);
    let one_p50 = percentile(&one, 0.5);
    let mut rec = Record::new("packs", "homelabcmd, 1 host");
    rec.set("cold_ms", ms(cold_one))
        .set("p50_ms", one_p50)
        .set("p95_ms", percentile(&one, 0.95))
        .set("hub_check_duration_p50_ms", hub_side[hub_side.len() / 2])
        .set("runs", one.len() as f64);
    rec.emit(results)?;
    drop(hub);

    let mut summary = Record::new("packs", "vs ansible-playbook --check --diff");
    summary
        .set("one_host_p50_ms", one_p50)
        .set("all_hosts_p50_ms", all_p50)
        .set("hosts", ids.len() as f64)
        .set("items", fixture.item_count() as f64)
        .set("mismatches_per_host", mismatches as f64);

    if args.skip_ansible {
        println!("--skip-ansible: the Ansible comparison was not run");
    } else if on_path("ansible-playbook") {
        let dir = fleet.dir().join("ansible");
        std::fs::create_dir_all(&dir)?;
        let addresses: Vec<String> = fleet.hosts().iter().map(|h| h.ip().to_string()).collect();
        std::fs::write(
            dir.join("inventory.ini"),
            inventory(&addresses, KEY_USER, &fleet.client_key_path()),
        )?;
        let version = Command::new("ansible-playbook").arg("--version").output()?;
        let version = String::from_utf8_lossy(&version.stdout);
        println!("{}", version.lines().next().unwrap_or("ansible-playbook ?"));
        let variants: &[(bool, &str)] = if args.facts_only {
            &[(true, "facts gathered")]
        } else {
            &[(true, "facts gathered"), (false, "gather_facts false")]
        };
        let mut cases = 0;
        for &(facts, facts_label) in variants {
            let playbook = dir.join(format!("playbook-facts-{facts}.yml"));
            std::fs::write(&playbook, fixture.playbook_yaml(&root, facts))?;
            for (limit, hosts) in [(Some("h0"), 1), (None, ids.len())] {
                let case = AnsibleCase {
                    dir: &dir,
                    playbook: &playbook,
                    limit,
                    hosts,
                    expected_changed: changed,
                    id: cases,
                    label: format!(
                        "ansible-playbook --check --diff, {hosts} host{}, {facts_label}",
                        if hosts == 1 { "" } else { "s at once" }
                    ),
                };
                cases += 1;
                let median = ansible_case(&case, args.ansible_runs.max(1), results)?;
                let (key, ours) = if hosts == 1 {
                    ("one_host", one_p50)
                } else {
                    ("all_hosts", all_p50)
                };
                let tag = if facts { "" } else { "_no_facts" };
                summary
                    .set(&format!("ansible_{key}{tag}_median_ms"), median)
                    .set(
                        &format!("ansible_over_homelabcmd_{key}{tag}"),
                        median / ours,
                    );
            }
        }
    } else {
        summary.note(
            "ansible-playbook not found: the Ansible half was skipped (apt-get install ansible)",
        );
        eprintln!("packs: ansible-playbook not on PATH: skipping the Ansible comparison");
    }
    summary.emit(results)?;
    drop(fleet);
    Ok(())
}
