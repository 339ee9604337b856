//! The fleet's data path: heartbeats in (`ingest`, a group-commit writer)
//! and raw samples out (`retention`). Machine status is worked out when read,
//! by the pure `homelabcmd_core::status`.

pub mod ingest;
pub mod retention;
