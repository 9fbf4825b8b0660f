//! Reads that may go to a streaming standby (issue 21): reports, report pages, the list and
//! exports. Each replica is probed every second for its lag; a read goes to a replica that
//! answered its last probe and lags no more than the bound, round robin, and to the primary
//! otherwise. Writes and idempotency checks never come here.

use super::{Db, StoreError};
use chrono::{DateTime, Utc};
use diesel::sql_types::{Bool, Double, Nullable};
use diesel::{QueryableByName, RunQueryDsl};
use secrecy::SecretString;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often each replica is probed.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Where a read goes, and how fresh what it reads is at least.
#[derive(Clone)]
pub struct ReadTarget {
    pub db: Db,
    /// Every change committed on the primary before this instant is visible to the read.
    pub as_of: DateTime<Utc>,
    /// Whether it is a replica (else the primary).
    pub replica: bool,
    /// Which replica, to report a failure.
    index: usize,
}

#[derive(Clone, Copy)]
struct Probe {
    /// When the probe answered, and the replay lag it saw then.
    at: DateTime<Utc>,
    lag: Duration,
}

struct Replica {
    db: Db,
    last: Mutex<Option<Probe>>,
}

/// The primary and the read replicas.
pub struct Reads {
    primary: Db,
    replicas: Vec<Replica>,
    max_lag: Duration,
    next: AtomicUsize,
}

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = Bool)]
    standby: bool,
    /// Whether it receives WAL from a primary now: a standby cut off from its primary has
    /// replayed all it received and is still behind, by an unknown amount.
    #[diesel(sql_type = Bool)]
    streaming: bool,
    /// Seconds behind the primary's last replayed commit; 0 when everything received is
    /// replayed (an idle primary makes no commits, and is not "behind" for it).
    #[diesel(sql_type = Nullable<Double>)]
    lag: Option<f64>,
}

impl Reads {
    /// Reads on `primary` only.
    pub fn primary_only(primary: Db) -> Arc<Self> {
        Reads::new(primary, &[], 1, Duration::ZERO)
    }

    /// Reads on the replicas at `urls` (pools of `size`), while they lag at most `max_lag`.
    pub fn new(primary: Db, urls: &[SecretString], size: u32, max_lag: Duration) -> Arc<Self> {
        let replicas =
            urls.iter().map(|url| Replica { db: Db::replica(url, size), last: Mutex::new(None) }).collect();
        Arc::new(Reads { primary, replicas, max_lag, next: AtomicUsize::new(0) })
    }

    /// Whether there are replicas to probe.
    pub fn has_replicas(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// Where the next read goes: a fresh replica in turn, else the primary.
    pub fn target(&self) -> ReadTarget {
        let now = Utc::now();
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            let replica = &self.replicas[(start + i) % n];
            let Some(probe) = *replica.last.lock().unwrap_or_else(|e| e.into_inner()) else { continue };
            // A probe older than two periods says nothing about now: the replica is unknown.
            let recent = now - probe.at <= chrono::Duration::from_std(PROBE_EVERY * 2).unwrap_or_default();
            if recent && probe.lag <= self.max_lag {
                let lag = chrono::Duration::from_std(probe.lag).unwrap_or_default();
                metrics::counter!("feedbackd_reads_total", "target" => "replica").increment(1);
                let index = (start + i) % n;
                return ReadTarget { db: replica.db.clone(), as_of: probe.at - lag, replica: true, index };
            }
        }
        self.primary()
    }

    /// A read on the primary, as fresh as now.
    pub fn primary(&self) -> ReadTarget {
        metrics::counter!("feedbackd_reads_total", "target" => "primary").increment(1);
        ReadTarget { db: self.primary.clone(), as_of: Utc::now(), replica: false, index: 0 }
    }

    /// A read on `target` failed for the database's sake: it is not read again until its
    /// next probe answers.
    pub fn failed(&self, target: &ReadTarget) {
        if let Some(replica) = self.replicas.get(target.index).filter(|_| target.replica) {
            *replica.last.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// Probes every replica once (each bounded by a timeout); run every [`PROBE_EVERY`].
    pub async fn probe(&self) {
        for (i, replica) in self.replicas.iter().enumerate() {
            let asked = Utc::now();
            let call = replica.db.run(|conn| {
                Ok::<_, StoreError>(
                    diesel::sql_query(
                        "SELECT pg_is_in_recovery() AS standby, \
                           EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming, CASE \
                           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                           ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS lag",
                    )
                    .get_result::<Lag>(conn)?,
                )
            });
            let probe = match tokio::time::timeout(PROBE_EVERY * 2, call).await {
                Ok(Ok(row)) => {
                    let lag = match (row.standby, row.streaming) {
                        (false, _) => Duration::ZERO,
                        (true, true) => Duration::from_secs_f64(row.lag.unwrap_or(0.0).max(0.0)),
                        (true, false) => Duration::MAX,
                    };
                    Some(Probe { at: asked, lag })
                }
                _ => None,
            };
            let label = i.to_string();
            metrics::gauge!("feedbackd_read_replica_up", "replica" => label.clone())
                .set(if probe.is_some() { 1.0 } else { 0.0 });
            if let Some(p) = probe {
                metrics::gauge!("feedbackd_read_replica_lag_seconds", "replica" => label)
                    .set(if p.lag == Duration::MAX { f64::INFINITY } else { p.lag.as_secs_f64() });
            }
            *replica.last.lock().unwrap_or_else(|e| e.into_inner()) = probe;
        }
    }
}
