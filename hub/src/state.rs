//! Shared application state handed to every handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use crate::config::Config;
use crate::db::Db;
use crate::fleet::ingest::Ingestor;
use crate::notify::Outbox;
use crate::remote::executor::Executor;
use homelabcmd_core::packs::PackSet;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub started: Instant,
    /// Earliest sample time stored since the last rollup run (ms); the
    /// rollup task recomputes buckets from here. `i64::MAX` when clean.
    pub rollup_dirty_from: Arc<AtomicI64>,
    /// Wakes the notification worker as soon as the outbox has new rows.
    pub notifier_wake: Arc<tokio::sync::Notify>,
    /// The heartbeat group-commit writer.
    pub ingestor: Ingestor,
    /// Runs catalog actions over SSH (pool, host keys, credentials, audit).
    pub executor: Executor,
    /// Configuration packs loaded at start (bad ones were logged and
    /// skipped); empty until [`AppState::with_packs`].
    pub packs: Arc<PackSet>,
}

impl AppState {
    /// Build the state; starts the heartbeat writer task, so call it inside
    /// a Tokio runtime.
    pub fn new(db: Db, config: Config) -> Self {
        let config = Arc::new(config);
        let notifier_wake = Arc::new(tokio::sync::Notify::new());
        Self {
            ingestor: Ingestor::spawn(db.clone()),
            executor: Executor::new(db.clone(), config.clone(), notifier_wake.clone()),
            db,
            config,
            started: Instant::now(),
            rollup_dirty_from: Arc::new(AtomicI64::new(i64::MAX)),
            notifier_wake,
            packs: Arc::new(PackSet::default()),
        }
    }

    /// Use these loaded packs (`packs::load_at_start`).
    pub fn with_packs(mut self, packs: PackSet) -> Self {
        self.packs = Arc::new(packs);
        self
    }

    pub fn mark_dirty(&self, sample_ms: i64) {
        self.rollup_dirty_from
            .fetch_min(sample_ms, Ordering::Relaxed);
    }

    pub fn take_dirty(&self) -> Option<i64> {
        let from = self.rollup_dirty_from.swap(i64::MAX, Ordering::Relaxed);
        (from != i64::MAX).then_some(from)
    }
}

impl From<&AppState> for Outbox {
    fn from(state: &AppState) -> Self {
        Outbox {
            db: state.db.clone(),
            config: state.config.clone(),
            wake: state.notifier_wake.clone(),
        }
    }
}

impl From<AppState> for Outbox {
    fn from(state: AppState) -> Self {
        Outbox::from(&state)
    }
}
