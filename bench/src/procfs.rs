//! Memory and CPU of a process from `/proc`, the numbers `ps` and `top`
//! show: resident set (VmRSS), its high-water mark (VmHWM) and user+system
//! CPU time.

use std::sync::OnceLock;

use anyhow::{Context as _, bail};

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcSample {
    /// Resident set now, KiB.
    pub rss_kib: u64,
    /// Highest resident set so far, KiB.
    pub hwm_kib: u64,
    /// Of the resident set: heap and stacks (RssAnon), KiB.
    pub anon_kib: u64,
    /// Of the resident set: mapped files, i.e. the binary and shared
    /// libraries (RssFile), KiB.
    pub file_kib: u64,
    /// utime + stime, seconds.
    pub cpu_secs: f64,
    /// cutime + cstime (children that were waited for), seconds.
    pub children_cpu_secs: f64,
    /// Time on CPU of the live threads, from `/proc/<pid>/task/*/schedstat`:
    /// nanosecond resolution where `cpu_secs` has USER_HZ ticks (10 ms),
    /// but threads that already exited are missing.
    pub sched_secs: f64,
}

impl ProcSample {
    pub fn read(pid: u32) -> anyhow::Result<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("process {pid} is gone"))?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .with_context(|| format!("process {pid} is gone"))?;
        let (rss_kib, hwm_kib) = parse_status(&status)?;
        let extra = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        let (ticks, child_ticks) = parse_stat(&stat)?;
        let tck = clock_ticks() as f64;
        Ok(Self {
            rss_kib,
            hwm_kib,
            anon_kib: extra("RssAnon:"),
            file_kib: extra("RssFile:"),
            cpu_secs: ticks as f64 / tck,
            children_cpu_secs: child_ticks as f64 / tck,
            sched_secs: sched_ns(pid) as f64 / 1e9,
        })
    }

    pub fn read_self() -> anyhow::Result<Self> {
        Self::read(std::process::id())
    }

    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    pub fn hwm_mib(&self) -> f64 {
        self.hwm_kib as f64 / 1024.0
    }
}

/// Sum of the first `schedstat` field (ns on CPU) over the live threads.
fn sched_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// `(VmRSS, VmHWM)` in KiB.
fn parse_status(text: &str) -> anyhow::Result<(u64, u64)> {
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("no {name} in /proc/<pid>/status"))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .with_context(|| format!("bad {name} line: {line}"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// `(utime + stime, cutime + cstime)` in clock ticks.
fn parse_stat(text: &str) -> anyhow::Result<(u64, u64)> {
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let Some(close) = text.rfind(')') else {
        bail!("unexpected /proc/<pid>/stat: {text}");
    };
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state); utime is field 14.
    let num = |field: usize| -> anyhow::Result<u64> {
        rest.get(field - 3)
            .context("short /proc/<pid>/stat")?
            .parse()
            .context("bad /proc/<pid>/stat field")
    };
    Ok((num(14)? + num(15)?, num(16)? + num(17)?))
}

/// CPU seconds the whole machine spent busy (all cores, everything but
/// idle and iowait) since boot, from `/proc/stat`. The difference over a
/// window, less the processes being measured, is what else was running:
/// other builds on a shared machine skew every number here.
pub fn machine_busy_secs() -> anyhow::Result<f64> {
    let text = std::fs::read_to_string("/proc/stat")?;
    let line = text.lines().next().context("empty /proc/stat")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().context("bad /proc/stat"))
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(v.len() >= 8, "short /proc/stat line: {line}");
    // user nice system idle iowait irq softirq steal
    let busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    Ok(busy as f64 / clock_ticks() as f64)
}

/// USER_HZ; `getconf` rather than `sysconf` because the workspace forbids
/// `unsafe`. It is 100 on every Linux in practice.
pub fn clock_ticks() -> u64 {
    static TCK: OnceLock<u64> = OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_stat() {
        let status = "Name:\tx\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\n";
        assert_eq!(parse_status(status).unwrap(), (1024, 2048));
        let stat = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
        // utime=11 stime=12 cutime=13 cstime=14
        assert_eq!(parse_stat(stat).unwrap(), (23, 27));
    }

    #[test]
    fn reads_this_process() {
        let s = ProcSample::read_self().unwrap();
        assert!(s.rss_kib > 0 && s.hwm_kib >= s.rss_kib);
    }
}
