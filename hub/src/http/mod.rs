//! The HTTP edge: API handlers (`api`, one module per resource), API-key
//! auth, request validation and the embedded dashboard (`web`). Handlers
//! parse, call the feature folders, and map the result.

pub mod api;
pub mod auth;
pub mod extract;
pub mod validate;
pub mod web;
