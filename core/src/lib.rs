//! HomelabCmd's pure domain: decisions over values, no I/O crates.
//!
//! The hub (`homelabcmd`) wraps these with SQLite, SSH and HTTP; everything
//! here is unit-tested on its own. The rule is kept by `Cargo.toml`: no
//! sqlx, tokio, axum, reqwest, hyper or russh.

pub mod alerts;
pub mod audit;
pub mod catalog;
pub mod costs;
pub mod credentials;
pub mod notify;
pub mod packs;
pub mod shell;
pub mod status;
