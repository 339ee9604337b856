//! Hub handler tests, one binary: the real router (`app().oneshot`), the
//! real database on a temp file, no hub process. Process-level tests live in
//! the workspace `tests/` crate.

// Shared with any other hub test binary; `common/` has no `main.rs`, so
// cargo does not build it as a test of its own.
#[path = "../common/mod.rs"]
mod common;

mod alerts;
mod api;
mod costs;
mod notify;
mod packs_api;
