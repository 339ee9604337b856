//! Shared pieces of the benchmark binaries (`ingest`, `query`, `agent`,
//! `storage`, `report`). Everything here measures; nothing here is a test.
//! `scripts/bench` starts the hub and agent processes and runs these.

pub mod body;
pub mod http;
pub mod pack_fixture;
pub mod procfs;
pub mod results;

/// The heartbeat the hub's own tests use: 20 KB, 129 pending packages, one
/// filesystem, three interfaces. Same file as `/work/shared/api/heartbeat-sample.json`.
pub const SAMPLE_HEARTBEAT: &str =
    include_str!("../../protocol/tests/fixtures/heartbeat-sample.json");

/// `bench-00` .. `bench-49`.
pub fn server_id(i: usize) -> String {
    format!("bench-{i:02}")
}

/// Milliseconds as a float, for reports.
pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub const MIB: f64 = 1024.0 * 1024.0;
