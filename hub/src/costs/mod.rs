//! Electricity cost: the maths is pure (`homelabcmd_core::costs`); this
//! folder runs it against stored data (`service`: per-machine estimates; `snapshots`: the daily snapshot task).

pub mod service;
pub mod snapshots;
