//! Group commit. Handlers hand validated answers to a few writer threads over one bounded
//! channel; each thread takes everything waiting (up to a batch), writes it in one
//! multi-row statement and one transaction (rollups follow by trigger), commits, and only
//! then answers every waiting handler. Throughput comes from batching, durability from the
//! commit: a 2xx always means committed.

use super::IngestError;
use crate::settings::WriterConfig;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use feedbackd_store::models::NewAnswer;
use feedbackd_store::responses::{insert_batch, Stored};
use feedbackd_store::StoreError;
use feedbackd_store::{connect, Conn};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use uuid::Uuid;

/// Answers of one request, waiting to be written, and where to send the outcome.
struct Job {
    rows: Vec<NewAnswer>,
    reply: oneshot::Sender<Result<Vec<Stored>, IngestError>>,
}

/// Counters of the writer, read by metrics and benchmarks.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub transactions: AtomicU64,
    pub rows_written: AtomicU64,
    pub rows_created: AtomicU64,
    pub failures: AtomicU64,
    /// Whether the last attempt to reach the database failed.
    pub database_down: AtomicBool,
    /// Requests handed to the writer and not answered yet (queued or being written).
    pub in_flight: AtomicUsize,
}

/// Counts a request in flight for as long as it lives (a handler whose client went away
/// drops it too).
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The handlers' side of the writer. Cheap to clone.
#[derive(Clone)]
pub struct WriterHandle {
    tx: Sender<Job>,
    timeout: Duration,
    stats: Arc<WriterStats>,
}

/// The running writer threads. [`Writer::join`] lets them drain what is queued, then stops them.
pub struct Writer {
    threads: Vec<JoinHandle<()>>,
    stopping: Arc<AtomicBool>,
}

/// How often an idle writer checks whether it should stop.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// After a failed connection attempt, requests are answered 503 at once for this long
/// instead of each waiting for its own connection timeout.
const RECONNECT_BACKOFF: Duration = Duration::from_millis(250);

impl Writer {
    /// Starts the writer threads against `url`.
    pub fn start(url: SecretString, config: &WriterConfig) -> (Writer, WriterHandle) {
        let (tx, rx) = crossbeam_channel::bounded(config.queue);
        let stats = Arc::new(WriterStats::default());
        let stopping = Arc::new(AtomicBool::new(false));
        let threads = (0..config.writers)
            .map(|n| {
                let worker = Worker {
                    rx: rx.clone(),
                    url: url.clone(),
                    batch: config.batch,
                    duplicate_window: config.duplicate_window,
                    stats: stats.clone(),
                    stopping: stopping.clone(),
                    conn: None,
                    last_failure: None,
                };
                std::thread::Builder::new()
                    .name(format!("feedbackd-writer-{n}"))
                    .spawn(move || worker.run())
                    .expect("spawning a writer thread")
            })
            .collect();
        let handle = WriterHandle { tx, timeout: config.timeout, stats };
        (Writer { threads, stopping }, handle)
    }

    /// Waits for the threads to write what is queued, then stops them. Call it once no
    /// handler can enqueue any more (the HTTP server has stopped).
    pub fn join(self) {
        self.stopping.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

impl WriterHandle {
    /// Writes `rows` durably; one [`Stored`] per row, in order. Returns fast with
    /// [`IngestError::Overloaded`] when the queue is full, and [`IngestError::Unavailable`]
    /// when the commit does not come within the configured time.
    pub async fn write(&self, rows: Vec<NewAnswer>) -> Result<Vec<Stored>, IngestError> {
        let (reply, outcome) = oneshot::channel();
        let _in_flight = InFlight::enter(&self.stats.in_flight);
        let refused = |reason: &'static str| {
            metrics::counter!("feedbackd_writer_refused_total", "reason" => reason).increment(1);
        };
        self.tx.try_send(Job { rows, reply }).map_err(|e| match e {
            TrySendError::Full(_) => {
                refused("queue_full");
                IngestError::Overloaded
            }
            TrySendError::Disconnected(_) => IngestError::ShuttingDown,
        })?;
        match tokio::time::timeout(self.timeout, outcome).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(IngestError::ShuttingDown),
            // It may still commit; the client's retry with the same id is then a replay.
            Err(_) => {
                refused("commit_timeout");
                Err(IngestError::Unavailable)
            }
        }
    }

    /// Counters of the writer.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Requests waiting in the queue.
    pub fn queued(&self) -> usize {
        self.tx.len()
    }

    /// Requests waiting for their commit: queued, or in a batch being written.
    pub fn in_flight(&self) -> usize {
        self.stats.in_flight.load(Ordering::Relaxed)
    }

    /// Requests the queue holds before new ones are refused.
    pub fn capacity(&self) -> usize {
        self.tx.capacity().unwrap_or(usize::MAX)
    }
}

struct Worker {
    rx: Receiver<Job>,
    url: SecretString,
    batch: usize,
    duplicate_window: Duration,
    stats: Arc<WriterStats>,
    stopping: Arc<AtomicBool>,
    conn: Option<Conn>,
    last_failure: Option<Instant>,
}

impl Worker {
    fn run(mut self) {
        loop {
            // Stops only once the queue is empty: shutdown drains.
            let first = match self.rx.recv_timeout(IDLE_POLL) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) if self.stopping.load(Ordering::Relaxed) => return,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut jobs = vec![first];
            let mut rows = jobs[0].rows.len();
            while rows < self.batch {
                match self.rx.try_recv() {
                    Ok(job) => {
                        rows += job.rows.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.write(jobs);
        }
    }

    fn write(&mut self, jobs: Vec<Job>) {
        let duplicate_window = self.duplicate_window;
        let Some(conn) = self.connection() else {
            return answer_all(jobs, || IngestError::Unavailable);
        };
        let (rows, placement) = merge(&jobs);
        let started = Instant::now();
        let result = insert_batch(conn, &rows, duplicate_window);
        metrics::counter!("feedbackd_db_calls_total").increment(1);
        metrics::histogram!("feedbackd_writer_commit_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("feedbackd_writer_batch_rows").record(rows.len() as f64);
        match result {
            Ok(stored) => {
                self.stats.transactions.fetch_add(1, Ordering::Relaxed);
                self.stats.rows_written.fetch_add(rows.len() as u64, Ordering::Relaxed);
                let created = stored.iter().filter(|s| s.created).count() as u64;
                self.stats.rows_created.fetch_add(created, Ordering::Relaxed);
                for (job, places) in jobs.into_iter().zip(placement) {
                    let outcome = places
                        .into_iter()
                        .map(|(index, first)| Stored {
                            created: stored[index].created && first,
                            ..stored[index]
                        })
                        .collect();
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(error) if error.is_connection_lost() => {
                tracing::warn!(error = %error, "database connection lost; answering 503 until it is back");
                self.conn = None;
                self.last_failure = Some(Instant::now());
                self.stats.database_down.store(true, Ordering::Relaxed);
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                answer_all(jobs, || IngestError::Unavailable);
            }
            Err(error) if jobs.len() > 1 => {
                // One request's rows may be at fault (say, its survey was just deleted):
                // write each request alone so the others are not refused with it.
                tracing::warn!(error = ?error, "batch failed; retrying its requests one by one");
                for job in jobs {
                    self.write(vec![job]);
                }
            }
            Err(error) => {
                tracing::error!(error = ?error, "writing answers failed");
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                answer_all(jobs, || IngestError::Store(StoreError::Internal("write failed".into())));
            }
        }
    }

    /// The writer's connection, made if needed; `None` while the database is unreachable.
    fn connection(&mut self) -> Option<&mut Conn> {
        if self.conn.is_none() {
            if self.last_failure.is_some_and(|t| t.elapsed() < RECONNECT_BACKOFF) {
                return None;
            }
            match connect(&self.url) {
                Ok(conn) => {
                    if self.stats.database_down.swap(false, Ordering::Relaxed) {
                        tracing::info!("database reachable again");
                    }
                    self.conn = Some(conn);
                }
                Err(error) => {
                    tracing::warn!(error = %error, "cannot reach the database");
                    self.stats.database_down.store(true, Ordering::Relaxed);
                    self.last_failure = Some(Instant::now());
                    return None;
                }
            }
        }
        self.conn.as_mut()
    }
}

fn answer_all(jobs: Vec<Job>, error: impl Fn() -> IngestError) {
    for job in jobs {
        let _ = job.reply.send(Err(error()));
    }
}

/// Merges the jobs' rows into one insert: unique by `(project_id, id)` (the first
/// occurrence writes, later ones are replays) and sorted by it so that concurrent writers
/// lock rows in the same order. Returns the rows and, per job and row, the index of its
/// row in the insert and whether it was the first occurrence.
fn merge(jobs: &[Job]) -> (Vec<NewAnswer>, Vec<Vec<(usize, bool)>>) {
    let mut first_seen: HashMap<(Uuid, Uuid), usize> = HashMap::new();
    let mut unique: Vec<&NewAnswer> = Vec::new();
    let mut placement: Vec<Vec<(usize, bool)>> = Vec::with_capacity(jobs.len());
    for job in jobs {
        let places = job
            .rows
            .iter()
            .map(|row| match first_seen.get(&(row.project_id, row.id)) {
                Some(&at) => (at, false),
                None => {
                    first_seen.insert((row.project_id, row.id), unique.len());
                    unique.push(row);
                    (unique.len() - 1, true)
                }
            })
            .collect();
        placement.push(places);
    }
    let mut order: Vec<usize> = (0..unique.len()).collect();
    order.sort_by_key(|&i| (unique[i].project_id, unique[i].id));
    let mut new_index = vec![0; unique.len()];
    for (sorted, &original) in order.iter().enumerate() {
        new_index[original] = sorted;
    }
    let rows = order.iter().map(|&i| unique[i].clone()).collect();
    for places in &mut placement {
        for place in places.iter_mut() {
            place.0 = new_index[place.0];
        }
    }
    (rows, placement)
}
