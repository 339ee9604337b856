//! Config-pack compliance on real hosts: checks over SSH (`check`), one-click
//! apply and pack removal (`apply`), drift alerts after every stored check
//! (`drift`) and the scheduler that re-checks assigned packs (`scheduler`).
//! The pack logic itself (model, loader, scripts, compare, plan) is pure and
//! lives in `homelabcmd_core::packs`; `packs_dir` loads it at start.

pub mod apply;
pub mod check;
pub mod drift;
pub mod packs_dir;
pub mod scheduler;
#[cfg(test)]
mod testing;

pub use check::{CHECK_ACTION, CHECK_TIMEOUT, CheckError, CheckOutcome, run_check};
