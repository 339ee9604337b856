//! The delivery worker: sends the outbox.
//!
//! Woken at once when rows are enqueued (`Outbox::wake`, for the
//! alert-to-notification latency) and by a 1 s poll for retries and for rows
//! left by a previous run (a restart loses nothing: pending rows are simply
//! due). Each channel is delivered by its own task, so a slow Discord never
//! delays Slack; within a channel rows go in outbox order.
//!
//! Per send: 2xx → `delivered` at once (never sent again); 408/429/5xx or a
//! network error → retry with exponential backoff (jitter, capped) or the
//! receiver's `Retry-After`, and the channel waits behind that row so order
//! holds and a struggling receiver is not hammered; other 4xx → `dead`. A
//! row is given up (`dead`, logged) after `max_attempts` or `max_age`.
//! Many alerts opened together go as one digest (`homelabcmd_core::notify::digest`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::{AlertEvent, Channel, EventKind, Message, Notifier, Outbox, SendOutcome};
use crate::config::Config;
use crate::db::outbox::{FailedAttempt, OutboxRow};
use crate::db::{self, Db, now_ms};
use homelabcmd_core::notify::digest::{self, DigestRule};
use homelabcmd_core::notify::retry::{Backoff, MAX_RETRY_AFTER};

/// Tuning; [`Default`] is production, tests shorten the waits.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Look for due rows at least this often (retries, missed wake-ups).
    pub poll_interval: Duration,
    pub backoff: Backoff,
    /// Give up after this many attempts ...
    pub max_attempts: i64,
    /// ... or when the notification is this old.
    pub max_age: Duration,
    pub digest: DigestRule,
    /// How long a fresh `opened` row waits for others to join its digest;
    /// added to the latency of `opened` notifications, so kept short.
    pub digest_wait: Duration,
    pub request_timeout: Duration,
    /// Rows read per round.
    pub batch_limit: i64,
    /// Finished rows are deleted after this long.
    pub keep_finished: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            backoff: Backoff::default(),
            // 1+2+4+...+256 s, then every 5 min: about 2.5 h of retrying.
            max_attempts: 40,
            max_age: Duration::from_secs(24 * 60 * 60),
            digest: DigestRule::default(),
            digest_wait: Duration::from_millis(250),
            request_timeout: super::http::REQUEST_TIMEOUT,
            batch_limit: 200,
            keep_finished: Duration::from_secs(30 * 24 * 60 * 60),
        }
    }
}

/// The worker; [`run`] starts the production one.
pub struct Worker {
    db: Db,
    config: Arc<Config>,
    wake: Arc<Notify>,
    settings: WorkerSettings,
    /// Tests: these notifiers instead of the configured channels.
    fixed: Option<Vec<Arc<dyn Notifier>>>,
}

/// Run the production worker until the task is dropped.
pub async fn run(outbox: impl Into<Outbox>) {
    Worker::new(outbox).run().await
}

/// What the channel tasks share.
#[derive(Clone)]
struct Ctx {
    db: Db,
    settings: WorkerSettings,
}

impl Worker {
    pub fn new(outbox: impl Into<Outbox>) -> Self {
        let Outbox { db, config, wake } = outbox.into();
        Self {
            db,
            config,
            wake,
            settings: WorkerSettings::default(),
            fixed: None,
        }
    }

    pub fn with_settings(mut self, settings: WorkerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Deliver through `notifiers` (one per channel) instead of the
    /// channels configured in settings and environment.
    pub fn with_notifiers(mut self, notifiers: Vec<Arc<dyn Notifier>>) -> Self {
        self.fixed = Some(notifiers);
        self
    }

    /// Start on the current runtime; abort (or drop the runtime) to stop.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    pub async fn run(self) {
        let client = match super::http::client(self.settings.request_timeout) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the HTTP client: notifications are NOT delivered");
                return;
            }
        };
        match db::outbox::pending_count(&self.db).await {
            Ok(0) => tracing::debug!("notification worker started"),
            Ok(n) => tracing::info!(
                pending = n,
                "notification worker started; delivering pending notifications"
            ),
            Err(e) => tracing::warn!(error = %e, "notification worker: cannot count the outbox"),
        }
        let ctx = Ctx {
            db: self.db.clone(),
            settings: self.settings.clone(),
        };
        let mut cache = NotifierCache::default();
        // Dropping the set (the worker stops) aborts sends in flight; their
        // rows stay pending and are sent by the next worker.
        let mut tasks: JoinSet<(Channel, Option<i64>)> = JoinSet::new();
        let mut task_channel: HashMap<tokio::task::Id, Channel> = HashMap::new();
        let mut busy: HashSet<Channel> = HashSet::new();
        // Channel → ms before which it is not tried (Retry-After, backoff of
        // the row at its head).
        let mut held: HashMap<Channel, i64> = HashMap::new();
        let mut last_prune: Option<Instant> = None;
        loop {
            let now = now_ms();
            held.retain(|_, until| *until > now);
            let dispatched = self
                .dispatch(
                    &ctx,
                    &client,
                    &mut cache,
                    &mut tasks,
                    &mut task_channel,
                    &mut busy,
                    &held,
                    now,
                )
                .await;
            if let Err(e) = &dispatched {
                tracing::warn!(error = %e, "notification worker: reading the outbox failed");
            }
            if last_prune.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                last_prune = Some(Instant::now());
                let before = now - self.settings.keep_finished.as_millis() as i64;
                match db::outbox::prune(&self.db, before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "old notifications pruned"),
                    Err(e) => tracing::warn!(error = %e, "pruning the outbox failed"),
                }
            }
            // After a failed round, wait a poll instead of retrying at once.
            let wait = match dispatched {
                Ok(()) => self.next_wait(&busy, &held).await,
                Err(_) => self.settings.poll_interval,
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    finished(done, &mut task_channel, &mut busy, &mut held);
                }
                _ = tokio::time::sleep(wait) => {}
            }
            while let Some(done) = tasks.try_join_next_with_id() {
                finished(done, &mut task_channel, &mut busy, &mut held);
            }
        }
    }

    /// Start a delivery task for every idle channel with due rows.
    #[allow(clippy::too_many_arguments)]
    async fn dispatch(
        &self,
        ctx: &Ctx,
        client: &reqwest::Client,
        cache: &mut NotifierCache,
        tasks: &mut JoinSet<(Channel, Option<i64>)>,
        task_channel: &mut HashMap<tokio::task::Id, Channel>,
        busy: &mut HashSet<Channel>,
        held: &HashMap<Channel, i64>,
        now: i64,
    ) -> anyhow::Result<()> {
        let rows = db::outbox::due(&self.db, now, self.settings.batch_limit).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let notifiers = match &self.fixed {
            Some(fixed) => fixed.iter().map(|n| (n.channel(), n.clone())).collect(),
            None => {
                let settings = super::load_settings(&self.db).await?;
                cache.get(super::targets(&settings, &self.config), client)
            }
        };
        let mut by_channel: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
        for row in rows {
            by_channel.entry(row.channel.clone()).or_default().push(row);
        }
        for (name, rows) in by_channel {
            let notifier = Channel::parse(&name).and_then(|c| notifiers.get(&c).cloned());
            let Some(notifier) = notifier else {
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                tracing::info!(channel = %name, count = ids.len(), "channel not configured; notifications suppressed");
                db::outbox::suppress(&self.db, &ids, "channel not configured").await?;
                continue;
            };
            let channel = notifier.channel();
            if busy.contains(&channel) || held.contains_key(&channel) {
                continue;
            }
            busy.insert(channel);
            let handle = tasks.spawn(deliver(ctx.clone(), notifier, rows));
            task_channel.insert(handle.id(), channel);
        }
        Ok(())
    }

    /// Until the next row of an idle channel is due, at most the poll interval.
    async fn next_wait(&self, busy: &HashSet<Channel>, held: &HashMap<Channel, i64>) -> Duration {
        let poll = self.settings.poll_interval;
        let Ok(next) = db::outbox::next_due_by_channel(&self.db).await else {
            return poll;
        };
        let now = now_ms();
        next.into_iter()
            .filter_map(|(name, at)| {
                let channel = Channel::parse(&name);
                if channel.is_some_and(|c| busy.contains(&c)) {
                    return None;
                }
                let hold = channel.and_then(|c| held.get(&c)).copied().unwrap_or(0);
                Some(at.max(hold))
            })
            .min()
            .map(|at| Duration::from_millis((at - now).max(0) as u64).min(poll))
            .unwrap_or(poll)
    }
}

fn finished(
    done: Result<(tokio::task::Id, (Channel, Option<i64>)), tokio::task::JoinError>,
    task_channel: &mut HashMap<tokio::task::Id, Channel>,
    busy: &mut HashSet<Channel>,
    held: &mut HashMap<Channel, i64>,
) {
    match done {
        Ok((id, (channel, hold))) => {
            task_channel.remove(&id);
            busy.remove(&channel);
            if let Some(until) = hold {
                held.insert(channel, until);
            }
        }
        Err(e) => {
            if let Some(channel) = task_channel.remove(&e.id()) {
                busy.remove(&channel);
            }
            tracing::error!(error = %e, "notification delivery task failed");
        }
    }
}

/// Notifiers for the configured channels, rebuilt only when a URL changes
/// (so connections to the receivers are reused).
#[derive(Default)]
struct NotifierCache {
    targets: Vec<(Channel, String)>,
    notifiers: HashMap<Channel, Arc<dyn Notifier>>,
}

impl NotifierCache {
    fn get(
        &mut self,
        targets: Vec<(Channel, String)>,
        client: &reqwest::Client,
    ) -> HashMap<Channel, Arc<dyn Notifier>> {
        if targets != self.targets {
            self.notifiers = targets
                .iter()
                .map(|(c, url)| (*c, super::notifier_for(*c, url, client)))
                .collect();
            self.targets = targets;
        }
        self.notifiers.clone()
    }
}

/// Deliver one channel's due rows in order. Returns the channel and, after a
/// retryable failure, when it may be tried again.
async fn deliver(
    ctx: Ctx,
    notifier: Arc<dyn Notifier>,
    mut rows: Vec<OutboxRow>,
) -> (Channel, Option<i64>) {
    let channel = notifier.channel();
    let s = &ctx.settings;
    if notifier.digests() && s.digest.min_events > 1 {
        // A storm arrives over a few hundred milliseconds: let a fresh
        // `opened` row wait briefly so its siblings join one digest.
        let wait_ms = s.digest_wait.as_millis() as i64;
        let now = now_ms();
        let fresh = rows
            .iter()
            .filter(|r| {
                now - r.created_at < wait_ms && r.event().is_ok_and(|e| e.kind == EventKind::Opened)
            })
            .map(|r| r.created_at)
            .min();
        if let Some(created) = fresh {
            tokio::time::sleep(Duration::from_millis(
                (created + wait_ms - now).max(0) as u64
            ))
            .await;
            match db::outbox::due_for_channel(&ctx.db, channel, now_ms(), s.batch_limit).await {
                Ok(fresh_rows) => rows = fresh_rows,
                Err(e) => tracing::warn!(error = %e, "re-reading the outbox failed"),
            }
        }
    }

    let mut events: Vec<(OutboxRow, AlertEvent)> = Vec::with_capacity(rows.len());
    for row in rows {
        match row.event() {
            Ok(e) => events.push((row, e)),
            Err(e) => {
                tracing::error!(outbox_id = row.id, error = %e, "unreadable outbox event; giving up");
                let dead = [FailedAttempt {
                    id: row.id,
                    error: format!("unreadable event: {e}"),
                    next_attempt_at: None,
                }];
                if let Err(e) = db::outbox::record_failures(&ctx.db, &dead).await {
                    tracing::warn!(error = %e, "recording a failure failed");
                }
            }
        }
    }
    let shape: Vec<(EventKind, i64)> = events.iter().map(|(r, e)| (e.kind, r.created_at)).collect();
    for batch in digest::plan(&shape, &s.digest, notifier.digests()) {
        let rows: Vec<&OutboxRow> = batch.rows.iter().map(|&i| &events[i].0).collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let request = if batch.digest {
            let list: Vec<AlertEvent> = batch.rows.iter().map(|&i| events[i].1.clone()).collect();
            notifier.render(Message::Digest(&list), ids[0])
        } else {
            notifier.render(Message::Single(&events[batch.rows[0]].1), ids[0])
        };
        let outcome = notifier.send(request).await;
        let now = now_ms();
        match outcome {
            SendOutcome::Delivered => {
                mark_delivered(&ctx.db, &ids, now).await;
                tracing::debug!(channel = channel.as_str(), outbox_ids = ?ids, digest = batch.digest, "notification delivered");
            }
            SendOutcome::Failed(error) => {
                tracing::error!(channel = channel.as_str(), outbox_ids = ?ids, %error, "notification refused; giving up");
                let dead: Vec<FailedAttempt> = ids
                    .iter()
                    .map(|&id| FailedAttempt {
                        id,
                        error: error.clone(),
                        next_attempt_at: None,
                    })
                    .collect();
                if let Err(e) = db::outbox::record_failures(&ctx.db, &dead).await {
                    tracing::warn!(error = %e, "recording a failure failed");
                }
            }
            SendOutcome::Retry { error, retry_after } => {
                let failures = schedule(&rows, &error, retry_after, s, now, rand::random::<f64>());
                for f in &failures {
                    if f.next_attempt_at.is_none() {
                        tracing::error!(channel = channel.as_str(), outbox_id = f.id, %error, "notification given up after retries");
                    }
                }
                tracing::warn!(channel = channel.as_str(), outbox_ids = ?ids, %error, retry_in_ms = ?failures.iter().filter_map(|f| f.next_attempt_at).min().map(|t| t - now), "notification not delivered; will retry");
                if let Err(e) = db::outbox::record_failures(&ctx.db, &failures).await {
                    tracing::warn!(error = %e, "recording a failure failed");
                }
                // The rest waits behind this row: order holds, and a
                // receiver that is down or rate limiting is not hammered.
                let hold = failures.iter().filter_map(|f| f.next_attempt_at).min();
                return (channel, hold);
            }
        }
    }
    (channel, None)
}

/// Next attempt of each row after a retryable failure, or `None` (dead)
/// once it has had `max_attempts` or is older than `max_age`.
pub fn schedule(
    rows: &[&OutboxRow],
    error: &str,
    retry_after: Option<Duration>,
    s: &WorkerSettings,
    now: i64,
    jitter: f64,
) -> Vec<FailedAttempt> {
    rows.iter()
        .map(|r| {
            let attempts = r.attempts + 1;
            let expired =
                attempts >= s.max_attempts || now - r.created_at >= s.max_age.as_millis() as i64;
            let delay = retry_after
                .map(|d| d.min(MAX_RETRY_AFTER))
                .unwrap_or_else(|| {
                    s.backoff
                        .delay(attempts.clamp(1, u32::MAX as i64) as u32, jitter)
                });
            FailedAttempt {
                id: r.id,
                error: error.to_owned(),
                next_attempt_at: (!expired).then(|| now + delay.as_millis() as i64),
            }
        })
        .collect()
}

/// Mark delivered, retrying a failed write briefly: a row left pending after
/// its 2xx would be sent a second time.
async fn mark_delivered(db: &Db, ids: &[i64], now: i64) {
    for attempt in 1..=5 {
        match db::outbox::mark_delivered(db, ids, now).await {
            Ok(()) => return,
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, attempt, "marking a notification delivered failed; retrying");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, outbox_ids = ?ids, "cannot mark notifications delivered; they may be sent again");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, attempts: i64, created_at: i64) -> OutboxRow {
        OutboxRow {
            id,
            created_at,
            channel: "slack".into(),
            event: "{}".into(),
            alert_id: None,
            status: "pending".into(),
            attempts,
            next_attempt_at: created_at,
            last_error: None,
            delivered_at: None,
        }
    }

    #[test]
    fn failures_back_off_honour_retry_after_and_give_up() {
        let s = WorkerSettings::default();
        let now = 100_000_000;
        let fresh = row(1, 0, now - 10);
        let third = row(2, 2, now - 10);
        let last = row(3, s.max_attempts - 1, now - 10);
        let old = row(4, 0, now - 25 * 3600 * 1000);
        let out = schedule(
            &[&fresh, &third, &last, &old],
            "HTTP 503",
            None,
            &s,
            now,
            0.5,
        );
        assert_eq!(out[0].next_attempt_at, Some(now + 1_000));
        assert_eq!(out[1].next_attempt_at, Some(now + 4_000));
        assert_eq!(out[2].next_attempt_at, None, "max attempts");
        assert_eq!(out[3].next_attempt_at, None, "older than 24 h");
        assert!(out.iter().all(|f| f.error == "HTTP 503"));

        let out = schedule(
            &[&third],
            "HTTP 429",
            Some(Duration::from_secs(30)),
            &s,
            now,
            0.5,
        );
        assert_eq!(
            out[0].next_attempt_at,
            Some(now + 30_000),
            "Retry-After wins over backoff"
        );
        let out = schedule(
            &[&fresh],
            "HTTP 429",
            Some(Duration::from_secs(86_400)),
            &s,
            now,
            0.5,
        );
        assert_eq!(
            out[0].next_attempt_at,
            Some(now + 3_600_000),
            "absurd Retry-After capped"
        );
    }
}
