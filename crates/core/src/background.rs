//! The service's periodic work, off the request path: sealing finished days into the day
//! rollups, and analysing new comments (sentiment and themes). (Retention is
//! [`crate::privacy`]'s.) Each pass is safe beside other replicas' passes: sealing takes
//! the writers' lock, scoring claims its rows with `SKIP LOCKED`.

use chrono::{DateTime, Utc};
use feedbackd_store::seals::{self, SealReport};
use feedbackd_store::{comment_analysis, Db, StoreError};
use std::time::Duration;

/// Seals the finished days before `up_to` of every survey into the day rollups.
pub async fn seal_days(db: &Db, up_to: DateTime<Utc>) -> Result<SealReport, StoreError> {
    db.run(move |conn| seals::seal_all(conn, up_to)).await
}

/// Seals finished days into the day rollups now and then. An hour's grace after midnight
/// keeps the late answers of the day just ended (clocks, slow networks) off the day rows'
/// write path; sealing later costs nothing in exactness.
pub fn spawn_sealer(db: Db, every: Duration) {
    tokio::spawn(async move {
        // The first pass waits a little: migrations may still be running in the background.
        let first = tokio::time::Instant::now() + every.min(Duration::from_secs(30));
        let mut tick = tokio::time::interval_at(first, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match seal_days(&db, Utc::now() - chrono::Duration::hours(1)).await {
                Ok(r) if r.steps > 0 => tracing::info!(surveys = r.surveys, steps = r.steps, "sealed days"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sealing days failed; trying again later"),
            }
        }
    });
}

/// Comments analysed per transaction: some 20 ms of work, so a PATCH that waits on a
/// claimed row waits little.
const ANALYSIS_BATCH: i64 = 200;

/// Answers per second written by this process below which ingest counts as quiet, and
/// the comment task works flat out.
const QUIET_INGEST_PER_SEC: f64 = 50.0;

/// Analyses new and changed comments off the write path (sentiment, language, themes):
/// each pass takes batches until the queue is empty, then sleeps `every`. Ingest never
/// waits for it. While ingest is busy (`written`, this process's count of answers written,
/// grows by more than [`QUIET_INGEST_PER_SEC`]), it works at most `share` (0..=1) of the
/// time: after each full batch it rests `(1 − share) / share` times as long as the batch
/// took (its own work and PostgreSQL's), so a burst keeps the cores for ingest and the
/// task catches up afterwards, flat out once ingest is quiet.
pub fn spawn_comment_analyser(
    db: Db,
    every: Duration,
    share: f64,
    written: impl Fn() -> u64 + Send + 'static,
) {
    let share = share.clamp(0.01, 1.0);
    let rest_per_busy = (1.0 - share) / share;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            loop {
                let (started, written_before) = (tokio::time::Instant::now(), written());
                match db.run(|conn| comment_analysis::analyse_pending(conn, ANALYSIS_BATCH)).await {
                    Ok(n) if n as i64 == ANALYSIS_BATCH => {
                        let busy = started.elapsed();
                        let ingest = (written() - written_before) as f64 / busy.as_secs_f64().max(1e-3);
                        if ingest > QUIET_INGEST_PER_SEC {
                            tokio::time::sleep(busy.mul_f64(rest_per_busy)).await;
                        }
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "analysing comments failed; trying again later");
                        break;
                    }
                }
            }
        }
    });
}
