//! First attempts: each endpoint's stream over its project's feed. A batch starts no send
//! after a third of its lease, so even at the 15 s timeout it ends well inside the lease;
//! what was not started is the next batch's, and what fails goes on the retry schedule as
//! a delivery row.

use super::{Batch, Dispatcher, StoreError};
use chrono::{DateTime, Utc};
use feedbackd_store::events::delivery_id;
use feedbackd_store::insights::answers_by_keys;
use feedbackd_store::surveys;
use feedbackd_store::webhook_streams::{self as streams, FirstAttempt, StreamClaim};
use feedbackd_store::webhooks::{Claimed, Settle};
use futures_util::StreamExt;
use std::sync::Arc;

/// Events a batch reads from the feed at most (those the endpoint does not want are passed
/// over cheaply).
const READ: i64 = 2_000;
/// Rounds of the endpoint's concurrency one batch sends at most.
const ROUNDS: usize = 8;
/// Streams one pass takes at most.
const STREAMS_PER_PASS: i64 = 16;

impl Dispatcher {
    pub(super) async fn claim_streams(&self, now: DateTime<Utc>) -> Result<Vec<StreamClaim>, StoreError> {
        let lease_until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        self.db.run(move |conn| streams::claim(conn, now, lease_until, STREAMS_PER_PASS)).await
    }

    /// Sends the next batch of a claimed stream and moves it on; how many were attempted
    /// and delivered.
    pub(super) async fn stream_batch(
        &self,
        claim: StreamClaim,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError> {
        // The endpoint's room beside the retries this process is sending to it, held for
        // the batch so retries claimed meanwhile see it taken.
        let room = {
            let mut counts = self.lock_in_flight();
            let used = counts.get(&claim.endpoint_id).copied().unwrap_or(0).max(0) as usize;
            let room = self.settings.per_endpoint.saturating_sub(used).max(1);
            *counts.entry(claim.endpoint_id).or_default() += room as i32;
            room
        };
        let sent = self.send_stream_batch(&claim, room, now).await;
        self.release_in_flight(claim.endpoint_id, room as i32);
        let (reached, sent) = sent?;
        let attempted = sent.len() as u64;
        let delivered = sent.iter().filter(|s| s.record.settle == Settle::Delivered).count() as u64;
        let endpoint_id = claim.endpoint_id;
        match self.db.run(move |conn| streams::advance(conn, &claim, reached, &sent)).await? {
            None => tracing::info!(
                endpoint = %endpoint_id,
                "a webhook stream's lease ran out during its batch; the next holder sends it again"
            ),
            Some(disabled) => {
                for (endpoint, reason) in disabled {
                    tracing::warn!(%endpoint, reason, "webhook endpoint disabled");
                }
            }
        }
        Ok((attempted, delivered))
    }

    /// Reads the batch and sends it, `room` at a time; the position reached and the attempts.
    async fn send_stream_batch(
        &self,
        claim: &StreamClaim,
        room: usize,
        now: DateTime<Utc>,
    ) -> Result<(i64, Vec<FirstAttempt>), StoreError> {
        // The endpoint and the events the stream read are the batch's own: only the answers
        // and surveys they name are read besides.
        let c = claim.clone();
        let read = self
            .db
            .run(move |conn| {
                let Some((endpoint, events, reached)) = streams::next_batch(conn, &c, READ, room * ROUNDS)?
                else {
                    return Ok::<_, StoreError>(None);
                };
                let places: Vec<(i64, i64)> = events.iter().map(|e| (e.id, e.position)).collect();
                let (answer_keys, survey_keys) = Batch::named_by(&events);
                let answers = answers_by_keys(conn, &answer_keys)?;
                let surveys = surveys::by_keys(conn, &survey_keys)?;
                Ok(Some((Batch::new(vec![endpoint], events, answers, surveys), places, reached)))
            })
            .await?;
        let Some((batch, places, reached)) = read else {
            return Ok((claim.position, Vec::new()));
        };
        if places.is_empty() {
            return Ok((reached, Vec::new()));
        }
        let claimed: Vec<(Claimed, i64)> = places
            .into_iter()
            .map(|(event_id, position)| {
                let c = Claimed {
                    project_id: claim.project_id,
                    id: delivery_id(claim.endpoint_id, event_id),
                    endpoint_id: claim.endpoint_id,
                    event_id,
                    attempts: 0,
                    retry_base: 0,
                };
                (c, position)
            })
            .collect();
        let batch = Arc::new(batch);
        let started = std::time::Instant::now();
        let budget = self.settings.lease / 3;
        let results: Vec<(i64, Option<FirstAttempt>)> = futures_util::stream::iter(claimed)
            .map(|(c, position)| {
                let batch = batch.clone();
                async move {
                    // Sends start in order, so those past the budget are the batch's tail.
                    if started.elapsed() > budget {
                        return (position, None);
                    }
                    let record = self.try_once(&batch, &c, now).await;
                    (position, Some(FirstAttempt { event_id: c.event_id, record }))
                }
            })
            .buffer_unordered(room)
            .collect()
            .await;
        // The stream stops before the first event not sent.
        let reached =
            results.iter().filter(|(_, a)| a.is_none()).map(|(p, _)| p - 1).min().unwrap_or(reached);
        Ok((reached, results.into_iter().filter_map(|(_, a)| a).collect()))
    }
}
