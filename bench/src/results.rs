//! One benchmark result, appended as a JSON line to the results file that
//! `scripts/bench` collects and `report` turns into the summary table.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// `ingest`, `query`, `agent` or `storage`.
    pub bench: String,
    /// Which variant, e.g. `sample` or `no-packages`.
    pub scenario: String,
    /// Named numbers (units in the name: `_ms`, `_mib`, `_per_s`, ...).
    pub values: BTreeMap<String, f64>,
    /// Free-text facts worth keeping with the numbers (parameters, caveats).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Record {
    pub fn new(bench: &str, scenario: &str) -> Self {
        Self {
            bench: bench.into(),
            scenario: scenario.into(),
            values: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    pub fn set(&mut self, key: &str, value: f64) -> &mut Self {
        self.values.insert(key.into(), value);
        self
    }

    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.notes.push(text.into());
        self
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.get(key).copied()
    }

    /// Print `key = value` lines and, if a results file is given, append the JSON line.
    pub fn emit(&self, results: Option<&Path>) -> anyhow::Result<()> {
        println!("--- {} [{}]", self.bench, self.scenario);
        for (k, v) in &self.values {
            println!("    {k:<28} {}", fmt_num(*v));
        }
        for n in &self.notes {
            println!("    note: {n}");
        }
        if let Some(path) = results {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?;
            writeln!(f, "{}", serde_json::to_string(self)?)?;
        }
        Ok(())
    }
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Record>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("bad result line: {l}")))
        .collect()
}

/// Up to three decimals, fewer for big numbers.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}
