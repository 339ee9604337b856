//! End-to-end harness for HomelabCmd: the real `homelabcmd` hub and
//! `homelabcmd-agent` binaries run as processes, driven over HTTP.
//!
//! Each test starts its own [`Hub`] (own port on 127.0.0.1, bound by the hub
//! itself; own temp dir with a real SQLite file), so tests run in parallel
//! safely. Process output goes to a log file in the temp dir and is printed
//! when a test fails.
//!
//! The binaries are not dependencies of this crate: build them first
//! (`cargo build -p homelabcmd -p homelabcmd-agent`, or `scripts/test`, which
//! builds the whole workspace). `HOMELABCMD_HUB_BIN` / `HOMELABCMD_AGENT_BIN`
//! point at other builds.
//!
//! The tests themselves are one binary, `tests/tests/e2e/`, a module per area.

pub mod agent;
pub mod api;
pub mod binaries;
pub mod contract;
pub mod error_body;
pub mod fixtures;
pub mod fleet;
pub mod heartbeat;
pub mod hub;
mod process;
pub mod wait;

pub use agent::{Agent, AgentOptions, agent_print_once};
pub use api::{Api, Resp, export_points, parse_ts, try_parse_ts};
pub use binaries::{binary, workspace_root};
pub use error_body::{assert_error, assert_invalid_field, validation_locs};
pub use fixtures::{fixture_json, fixture_path, packs_dir_with_fleet_test};
pub use heartbeat::{heartbeat, heartbeat_at};
pub use hub::{Hub, HubOptions, TEST_API_KEY, TEST_EXTERNAL_URL, hub_command};
pub use wait::{wait_for, wait_until, wait_until_async};
