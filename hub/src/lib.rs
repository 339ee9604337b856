//! HomelabCmd hub as a library, so integration tests can build the router
//! without a process. The binary is `src/main.rs`.

pub mod actions;
pub mod admin_cli;
pub mod alerts;
pub mod api;
pub mod app;
pub mod apply;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod compliance;
pub mod config;
pub mod cost_snapshots;
pub mod costs;
pub mod credentials;
pub mod crypto;
pub mod db;
pub mod drift;
pub mod drift_scheduler;
pub mod error;
pub mod executor;
pub mod ingest;
pub mod notify;
pub mod packs;
pub mod retention;
pub mod settings;
pub mod ssh;
pub mod state;
pub mod status;
pub mod validate;
pub mod web;
