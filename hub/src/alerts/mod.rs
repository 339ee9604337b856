//! Alerts: the runner that feeds the pure decision engine
//! (`homelabcmd_core::alerts::engine`) from the database on every heartbeat
//! and on a timer.

pub mod runner;
