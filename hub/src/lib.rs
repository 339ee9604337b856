//! HomelabCmd hub as a library, so integration tests can build the router
//! without a process. The binary is `src/main.rs`.
//!
//! Feature folders (docs/ARCHITECTURE.md): `http` (the API edge), `db` (SQL
//! only), `fleet`, `alerts`, `notify`, `costs`, `remote` (SSH executor,
//! crypto), `actions`, `compliance`. Pure logic is in `homelabcmd_core`; the
//! SSH transport in `homelabcmd_ssh`.

pub mod actions;
pub mod admin_cli;
pub mod alerts;
pub mod app;
pub mod compliance;
pub mod config;
pub mod costs;
pub mod db;
pub mod error;
pub mod fleet;
pub mod http;
pub mod notify;
pub mod remote;
pub mod settings;
pub mod state;
