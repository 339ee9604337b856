//! HomelabCmd end to end: the real hub and agent binaries as processes,
//! driven over HTTP (harness in `tests/src`). One test binary with a module
//! per area, so the hub library and the harness are linked once.
//!
//! Build the binaries first: `cargo build -p homelabcmd -p homelabcmd-agent`,
//! then `cargo nextest run -p homelabcmd-e2e` (one area:
//! `-E 'test(/^ssh_pool::/)'`). Tests that need a fleet of SSH hosts (root,
//! network namespaces, sshd) say so and skip where those are missing.

mod agent;
mod alerts;
mod auth;
mod bad_input;
mod browser_compliance;
mod cli;
mod concurrency;
mod config;
mod containers;
mod drift;
mod heartbeat_sample;
mod outage;
mod packs;
mod packs_api;
mod packs_apply;
mod persistence;
mod preferences;
mod servers_crud;
mod services;
mod ssh_credentials;
mod ssh_executor;
mod ssh_pool;
mod status;
