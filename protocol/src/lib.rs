//! Wire types of HomelabCmd's v1 API, shared by the hub, the agent and (as
//! generated TypeScript) the dashboard.
//!
//! These types only describe shapes; validation of ranges and patterns lives
//! in the hub, which answers FastAPI-style 422 bodies naming each field.
//! Fields added after the first release carry `#[serde(default)]` so older
//! agents and clients keep working. 64-bit integers are exported to
//! TypeScript as `number`: byte counters stay far below 2^53.

pub mod actions;
pub mod alerts;
pub mod api;
pub mod heartbeat;
pub mod names;
pub mod packs;
pub mod ssh;

/// Version of the wire protocol this crate describes (HomelabCmd API v1).
pub const PROTOCOL_VERSION: &str = "1.0.0";
