//! Alerts as values: the decision engine (what to open, update, resolve)
//! and the suggested fix for an alert type.

pub mod engine;
pub mod suggest;
