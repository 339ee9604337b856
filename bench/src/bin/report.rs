//! `report`: the summary table of a results file written by the other
//! benchmark binaries: each headline number next to its target (from the
//! issue) and, for ingest, the Python hub's baseline as a ratio.
//!
//! ```text
//! report RESULTS.jsonl [--markdown]
//! ```

use std::path::PathBuf;

use clap::Parser;
use homelabcmd_bench::results::{Record, fmt_num, load};

#[derive(Debug, Parser)]
#[command(about = "Summarise benchmark results against their targets")]
struct Args {
    results: PathBuf,
    /// A Markdown table (for docs/benchmarks.md) instead of plain text.
    #[arg(long)]
    markdown: bool,
}

#[derive(Clone, Copy)]
enum Goal {
    AtLeast(f64),
    Below(f64),
    AtMost(f64),
}

impl Goal {
    fn met(self, v: f64) -> bool {
        match self {
            Goal::AtLeast(t) => v >= t,
            Goal::Below(t) => v < t,
            Goal::AtMost(t) => v <= t,
        }
    }
    fn text(self, unit: &str) -> String {
        match self {
            Goal::AtLeast(t) => format!("≥ {} {unit}", fmt_num(t)),
            Goal::Below(t) => format!("< {} {unit}", fmt_num(t)),
            Goal::AtMost(t) => format!("≤ {} {unit}", fmt_num(t)),
        }
    }
}

/// The Python hub's number and whether more is better.
#[derive(Clone, Copy)]
struct Baseline {
    value: f64,
    higher_is_better: bool,
}

struct Row {
    bench: &'static str,
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    goal: Option<Goal>,
    baseline: Option<Baseline>,
}

const fn row(
    bench: &'static str,
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    goal: Option<Goal>,
    baseline: Option<Baseline>,
) -> Row {
    Row {
        bench,
        key,
        label,
        unit,
        goal,
        baseline,
    }
}

/// Targets from the benchmark issue; baseline: HomelabCmd's Python hub on
/// the same kind of machine (19 heartbeats/s, p99 4.1 s, 0.5 % HTTP 500s).
const ROWS: &[Row] = &[
    row(
        "ssh",
        "pooled_p50_ms",
        "pooled exec p50",
        "ms",
        Some(Goal::AtMost(3.0)),
        None,
    ),
    row(
        "ssh",
        "pooled_over_controlmaster",
        "pooled / ControlMaster p50",
        "×",
        Some(Goal::AtMost(0.5)),
        None,
    ),
    row(
        "ssh",
        "fanout_p50_ms",
        "10-host fan-out p50",
        "ms",
        Some(Goal::AtMost(50.0)),
        None,
    ),
    row(
        "ingest",
        "heartbeats_per_s",
        "throughput",
        "heartbeats/s",
        Some(Goal::AtLeast(2000.0)),
        Some(Baseline {
            value: 19.0,
            higher_is_better: true,
        }),
    ),
    row("ingest", "p50_ms", "latency p50", "ms", None, None),
    row(
        "ingest",
        "p99_ms",
        "latency p99",
        "ms",
        Some(Goal::Below(20.0)),
        Some(Baseline {
            value: 4100.0,
            higher_is_better: false,
        }),
    ),
    row(
        "ingest",
        "error_pct",
        "errors",
        "%",
        Some(Goal::AtMost(0.0)),
        Some(Baseline {
            value: 0.5,
            higher_is_better: false,
        }),
    ),
    row(
        "ingest",
        "hub_rss_peak_mib",
        "hub RSS peak (sampled)",
        "MiB",
        Some(Goal::AtMost(30.0)),
        None,
    ),
    row(
        "ingest",
        "hub_hwm_mib",
        "hub RSS high-water (VmHWM)",
        "MiB",
        Some(Goal::AtMost(30.0)),
        None,
    ),
    row(
        "ingest",
        "hub_cpu_us_per_heartbeat",
        "hub CPU per heartbeat",
        "µs",
        None,
        None,
    ),
    row(
        "ingest",
        "other_cpu_pct",
        "CPU used by other processes",
        "% of a core",
        None,
        None,
    ),
    row(
        "agent",
        "rss_mib",
        "agent RSS",
        "MiB",
        Some(Goal::AtMost(5.0)),
        None,
    ),
    row(
        "agent",
        "hwm_mib",
        "agent RSS high-water",
        "MiB",
        Some(Goal::AtMost(5.0)),
        None,
    ),
    row(
        "agent",
        "cpu_ms_per_heartbeat",
        "agent CPU per heartbeat",
        "ms",
        Some(Goal::AtMost(2.0)),
        None,
    ),
    row(
        "agent",
        "sched_cpu_ms_per_heartbeat",
        "agent CPU per heartbeat (schedstat)",
        "ms",
        Some(Goal::AtMost(2.0)),
        None,
    ),
    row(
        "agent",
        "binary_mib",
        "agent binary (stripped)",
        "MiB",
        Some(Goal::AtMost(4.0)),
        None,
    ),
    row(
        "storage",
        "db_mib",
        "database size",
        "MiB",
        Some(Goal::AtMost(100.0)),
        None,
    ),
    row(
        "storage",
        "db_30d_estimate_mib",
        "database size at 30 d (estimate)",
        "MiB",
        Some(Goal::AtMost(100.0)),
        None,
    ),
    row(
        "storage",
        "ingest_heartbeats_per_s",
        "in-process store rate",
        "heartbeats/s",
        None,
        None,
    ),
    row(
        "packs",
        "one_host_p50_ms",
        "30-item pack check, 1 host, p50",
        "ms",
        Some(Goal::AtMost(100.0)),
        None,
    ),
    row(
        "packs",
        "all_hosts_p50_ms",
        "30-item pack check, 10 hosts at once, p50",
        "ms",
        Some(Goal::AtMost(300.0)),
        None,
    ),
    row(
        "packs",
        "ansible_over_homelabcmd_one_host",
        "Ansible --check (facts) / HomelabCmd, 1 host",
        "×",
        None,
        None,
    ),
    row(
        "packs",
        "ansible_over_homelabcmd_all_hosts",
        "Ansible --check (facts) / HomelabCmd, 10 hosts",
        "×",
        None,
        None,
    ),
    row("query", "p50_ms", "history query p50", "ms", None, None),
    row("query", "p99_ms", "history query p99", "ms", None, None),
];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let records = load(&args.results)?;
    let mut lines: Vec<[String; 6]> = Vec::new();
    let mut missed = 0;
    for rec in &records {
        for row in ROWS.iter().filter(|r| r.bench == rec.bench) {
            let Some(v) = rec.get(row.key) else { continue };
            let (target, verdict) = match row.goal {
                // The storage target is for 30 days; a shorter run says so.
                Some(g) if row.key == "db_mib" && rec.get("days") != Some(30.0) => (
                    format!("{} (at 30 d)", g.text(row.unit)),
                    "n/a (not 30 d)".to_string(),
                ),
                Some(g) => {
                    let ok = g.met(v);
                    if !ok {
                        missed += 1;
                    }
                    (
                        g.text(row.unit),
                        if ok { "met" } else { "MISSED" }.to_string(),
                    )
                }
                None => (String::new(), String::new()),
            };
            let baseline = row.baseline.map(|b| ratio(v, b)).unwrap_or_default();
            lines.push([
                format!("{} [{}]", rec.bench, rec.scenario),
                row.label.to_string(),
                format!("{} {}", fmt_num(v), row.unit),
                target,
                verdict,
                baseline,
            ]);
        }
    }
    let header = [
        "benchmark",
        "measure",
        "value",
        "target",
        "verdict",
        "vs Python hub",
    ];
    if args.markdown {
        println!("| {} |", header.join(" | "));
        println!("|{}", "---|".repeat(header.len()));
        for l in &lines {
            println!("| {} |", l.join(" | "));
        }
    } else {
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                lines
                    .iter()
                    .map(|l| l[i].chars().count())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let print = |cells: &[String]| {
            let s: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            println!("{}", s.join("  ").trim_end());
        };
        print(&header.map(String::from));
        print(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
        for l in &lines {
            print(l);
        }
        let notes: Vec<&Record> = records.iter().filter(|r| !r.notes.is_empty()).collect();
        for r in notes {
            for n in &r.notes {
                println!("  {} [{}]: {n}", r.bench, r.scenario);
            }
        }
    }
    if missed > 0 {
        eprintln!("{missed} target(s) missed");
    }
    Ok(())
}

/// "×105 throughput" style comparison with the Python hub.
fn ratio(v: f64, b: Baseline) -> String {
    if b.higher_is_better {
        format!("×{} (Python: {})", fmt_num(v / b.value), fmt_num(b.value))
    } else if v <= 0.0 {
        format!("Python: {}", fmt_num(b.value))
    } else {
        format!("÷{} (Python: {})", fmt_num(b.value / v), fmt_num(b.value))
    }
}
