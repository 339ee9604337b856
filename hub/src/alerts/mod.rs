//! Alerts: the pure decision core (`engine`) and the runner that feeds it
//! from the database on every heartbeat and on a timer.

pub mod engine;
pub mod runner;
pub mod suggest;
