//! Alerts: the pure decision core (`engine`), the runner that feeds it from
//! the database on every heartbeat and on a timer, and storage.

pub mod engine;
