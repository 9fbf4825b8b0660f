//! Records attempts in batches. Sends end one by one, but a transaction per attempt (a WAL
//! flush each) held one busy endpoint near a thousand deliveries a second; what ended
//! while the last batch committed is written in one transaction instead.

use feedbackd_store::webhooks::{self as rows, Record};
use feedbackd_store::Db;
use tokio::sync::{mpsc, oneshot};

/// Attempts one transaction records at most.
const BATCH: usize = 500;

/// The senders' side: cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::Sender<(Record, oneshot::Sender<()>)>,
}

impl Recorder {
    /// Starts the task that writes the batches (on the current runtime).
    pub fn start(db: Db) -> Recorder {
        let (queue, waiting) = mpsc::channel(BATCH * 4);
        tokio::spawn(write_batches(db, waiting));
        Recorder { queue }
    }

    /// Records one attempt; returns once it is committed (or its batch failed, which the
    /// log says: the delivery's lease then runs out and it is sent again, never lost).
    pub async fn record(&self, record: Record) {
        let (done, committed) = oneshot::channel();
        if self.queue.send((record, done)).await.is_ok() {
            let _ = committed.await;
        }
    }
}

async fn write_batches(db: Db, mut waiting: mpsc::Receiver<(Record, oneshot::Sender<()>)>) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (records, replies): (Vec<Record>, Vec<oneshot::Sender<()>>) = batch.into_iter().unzip();
        metrics::histogram!("feedbackd_webhook_record_batch").record(records.len() as f64);
        match db.run(move |conn| rows::record_attempts(conn, &records)).await {
            Ok(disabled) => {
                for (endpoint, reason) in disabled {
                    tracing::warn!(%endpoint, reason, "webhook endpoint disabled");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "recording webhook attempts failed; their leases will bring them back")
            }
        }
        for reply in replies {
            let _ = reply.send(());
        }
    }
}
