//! Group commit for heartbeats: handlers queue them to one writer task,
//! which stores whatever has queued up in a single transaction.
//!
//! SQLite allows one writer, and sqlx drives each connection from its own
//! thread, so every statement and every BEGIN/COMMIT is a thread hand-off.
//! Batching shares the BEGIN/COMMIT (and the WAL append) between all
//! heartbeats that arrived while the previous batch was being written: under
//! load batches grow by themselves, when idle a batch is one heartbeat and
//! nothing waits. A handler gets its answer only after the batch committed,
//! so a 200 still means "on disk".

use std::sync::Arc;

use homelabcmd_protocol::heartbeat::HeartbeatRequest;
use tokio::sync::{mpsc, oneshot};

use crate::db::Db;
use crate::db::heartbeat::{IngestError, Ingested, KnownMachines, ingest, ingest_in};

/// Most heartbeats written in one transaction; bounds how long the writer
/// connection is held away from other writers.
const MAX_BATCH: usize = 64;
/// Queued heartbeats beyond which handlers wait to enqueue (back-pressure).
const QUEUE_DEPTH: usize = 1024;

struct Job {
    hb: Arc<HeartbeatRequest>,
    now_ms: i64,
    client_ip: Option<String>,
    reply: oneshot::Sender<Result<Ingested, IngestError>>,
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
}

impl Ingestor {
    /// Start the writer task on the current runtime.
    pub fn spawn(db: Db) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(writer(db, rx));
        Self { tx }
    }

    /// Store one heartbeat; resolves once its batch is committed.
    pub async fn ingest(
        &self,
        hb: Arc<HeartbeatRequest>,
        now_ms: i64,
        client_ip: Option<String>,
    ) -> Result<Ingested, IngestError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            hb,
            now_ms,
            client_ip,
            reply,
        };
        self.tx.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> IngestError {
    IngestError::Db(sqlx::Error::PoolClosed)
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&db, &mut batch).await;
    }
}

/// Write `batch` in one transaction and answer every job. If the batch
/// fails as a whole (a database error in one heartbeat, or the commit), it
/// is rolled back and each heartbeat is retried in its own transaction, so
/// one bad heartbeat cannot cost the others theirs.
async fn write_batch(db: &Db, batch: &mut Vec<Job>) {
    match try_batch(db, batch).await {
        Ok(results) => {
            for (job, result) in batch.drain(..).zip(results) {
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            if batch.len() > 1 {
                tracing::warn!(error = %e, size = batch.len(), "heartbeat batch failed; storing one by one");
            }
            for job in batch.drain(..) {
                let result = ingest(db, &job.hb, job.now_ms, job.client_ip.as_deref()).await;
                let _ = job.reply.send(result);
            }
        }
    }
}

/// The per-heartbeat outcomes (refusals included) if the transaction
/// committed; the database error otherwise.
async fn try_batch(
    db: &Db,
    batch: &[Job],
) -> Result<Vec<Result<Ingested, IngestError>>, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let mut machines = KnownMachines::prefetch(&mut tx, batch.iter().map(|j| &*j.hb)).await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let ip = job.client_ip.as_deref();
        match ingest_in(&mut tx, &job.hb, job.now_ms, ip, &mut machines).await {
            Err(IngestError::Db(e)) => return Err(e),
            Err(IngestError::Json(e)) => return Err(sqlx::Error::Encode(Box::new(e))),
            other => results.push(other),
        }
    }
    tx.commit().await?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db;

    fn sample(id: &str, minute: i64) -> Arc<HeartbeatRequest> {
        let mut hb: HeartbeatRequest = serde_json::from_str(include_str!(
            "../../../protocol/tests/fixtures/heartbeat-sample.json"
        ))
        .unwrap();
        hb.server_id = id.into();
        hb.server_guid = None;
        hb.timestamp += chrono::Duration::minutes(minute);
        Arc::new(hb)
    }

    #[tokio::test]
    async fn concurrent_heartbeats_are_all_stored_once_with_their_own_answers() {
        let (db, _dir) = test_db().await;
        let ingestor = Ingestor::spawn(db.clone());
        let mut tasks = Vec::new();
        for m in 0..20 {
            for id in ["a", "b", "c"] {
                let ing = ingestor.clone();
                tasks.push(tokio::spawn(async move {
                    ing.ingest(sample(id, m), 1_000, None).await
                }));
            }
        }
        let mut registered = 0;
        for t in tasks {
            let out = t.await.unwrap().unwrap();
            assert!(out.sample_stored);
            registered += usize::from(out.registered);
        }
        assert_eq!(registered, 3, "each machine registered exactly once");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM metrics")
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(n, 60);
    }

    #[tokio::test]
    async fn a_batch_matches_machines_as_one_by_one_ingest_would() {
        let (db, _dir) = test_db().await;
        let ingestor = Ingestor::spawn(db.clone());
        let guid = |n: u8| format!("4f8e2a1c-7b3d-4e9a-8c1f-0000000000{n:02}");
        let with_guid = |id: &str, minute: i64, g: Option<String>| {
            let mut hb = (*sample(id, minute)).clone();
            hb.server_guid = g;
            Arc::new(hb)
        };
        // Known by id without a guid, known by guid, and one to register.
        ingestor
            .ingest(with_guid("legacy", 0, None), 1_000, None)
            .await
            .unwrap();
        ingestor
            .ingest(with_guid("modern", 0, Some(guid(1))), 1_000, None)
            .await
            .unwrap();
        let (upgraded, renamed, mismatch, fresh, again) = tokio::join!(
            // An upgraded agent now reports a guid: it is recorded.
            ingestor.ingest(with_guid("legacy", 1, Some(guid(2))), 2_000, None),
            // The guid wins over a changed server_id.
            ingestor.ingest(with_guid("renamed", 1, Some(guid(1))), 2_000, None),
            // Another guid for a known id is refused.
            ingestor.ingest(with_guid("legacy", 2, Some(guid(3))), 2_000, None),
            ingestor.ingest(with_guid("fresh", 1, Some(guid(4))), 2_000, None),
            ingestor.ingest(with_guid("fresh", 2, Some(guid(4))), 2_000, None),
        );
        assert_eq!(upgraded.unwrap().server_id, "legacy");
        let renamed = renamed.unwrap();
        assert_eq!(renamed.server_id, "modern");
        assert!(!renamed.registered);
        assert!(matches!(mismatch, Err(IngestError::GuidMismatch(_))));
        assert!(fresh.unwrap().registered);
        let again = again.unwrap();
        assert!(!again.registered && again.sample_stored && again.is_newest);
        let stored: Option<String> =
            sqlx::query_scalar("SELECT guid FROM servers WHERE id = 'legacy'")
                .fetch_one(&db.read)
                .await
                .unwrap();
        assert_eq!(stored, Some(guid(2)));
    }

    #[tokio::test]
    async fn a_refused_heartbeat_does_not_spoil_its_batch() {
        let (db, _dir) = test_db().await;
        let ingestor = Ingestor::spawn(db.clone());
        ingestor
            .ingest(sample("gone", 0), 1_000, None)
            .await
            .unwrap();
        sqlx::query("UPDATE servers SET is_inactive = 1 WHERE id = 'gone'")
            .execute(&db.write)
            .await
            .unwrap();
        let (refused, stored) = tokio::join!(
            ingestor.ingest(sample("gone", 1), 2_000, None),
            ingestor.ingest(sample("fine", 1), 2_000, None),
        );
        assert!(matches!(refused, Err(IngestError::Inactive(_))));
        assert!(stored.unwrap().sample_stored);
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM metrics WHERE server_id = 'gone'")
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(n, 1, "nothing stored for the refused heartbeat");
    }
}
