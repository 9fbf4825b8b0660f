//! The dispatcher: numbers new events (the sequencer), streams each endpoint's feed to it
//! ([`stream`]: first attempts), takes due retries with a lease, sends each signed, and
//! records the attempt and what follows from it (the next try on the retry schedule, a
//! disabled endpoint). Every replica runs one; the database decides who does what, so they
//! never send the same attempt twice while a lease holds, and a dead replica's work comes
//! back when its lease ends.

mod stream;

use super::egress::{Egress, Outcome};
use super::payload;
use super::recorder::Recorder;
use super::signing::{message_id, signature_header, EndpointSecret};
use super::WebhookSettings;
use chrono::{DateTime, Utc};
use feedbackd_domain::webhook::{retry_delay, EventType, DISABLE_AFTER_FAILING};
use feedbackd_store::events::{self, FeedEvent};
use feedbackd_store::insights::{answers_by_keys, ListedAnswer};
use feedbackd_store::models::Survey;
use feedbackd_store::webhooks::{self as rows, Attempt, Claimed, Endpoint, EndpointHealth, Record, Settle};
use feedbackd_store::{surveys, Db, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Events one sequencer transaction numbers at most.
const SEQUENCE_BATCH: i64 = 5_000;

/// How often the dispatcher prunes the feed and the log, and how many rows per statement.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const PRUNE_BATCH: i64 = 5_000;

/// Ingest requests waiting for their commit, on average, from which the dispatcher gives
/// way. By Little's law that is ingest's rate times its latency: 32 is 3,200 answers/s
/// waiting 10 ms each, the latency at which answers start to queue on a small machine.
/// (The queue's own length is no signal: the writers empty it into each batch.)
const INGEST_BUSY: f64 = 32.0;
/// How often that count is sampled, and each sample's weight in the average: about the
/// last 100 ms, so a passing spike at a steady rate does not hold deliveries back while a
/// burst at ingest's limit does.
const LOAD_SAMPLE: Duration = Duration::from_millis(10);
const LOAD_WEIGHT: f64 = 0.1;
/// While it gives way, it still sends a batch this often.
const WHILE_BUSY: Duration = Duration::from_secs(1);

/// What one pass did, for tests and logs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub sequenced: u64,
    /// First attempts and retries.
    pub attempted: u64,
    pub delivered: u64,
}

/// Sends the deliveries. Cheap to clone: clones share the in-flight counts.
#[derive(Clone)]
pub struct Dispatcher {
    db: Db,
    settings: WebhookSettings,
    egress: Arc<Egress>,
    /// Deliveries this process is sending, by endpoint: the per-endpoint bound.
    in_flight: Arc<Mutex<HashMap<Uuid, i32>>>,
    /// Endpoints whose failure streak this process last reported, to zero them once healed.
    reported_failing: Arc<Mutex<Vec<Uuid>>>,
    /// Rung when a send ends: an endpoint that was at its bound has room again.
    slot_freed: Arc<tokio::sync::Notify>,
    recorder: Recorder,
    /// This process's ingest: while answers wait to be written, sends wait (see `spawn`).
    ingest: Option<crate::ingest::WriterHandle>,
    /// The average number of answers waiting for their commit (an `f64`'s bits).
    ingest_load: Arc<AtomicU64>,
}

/// Everything the claimed deliveries of one pass need, read in a few queries.
struct Batch {
    endpoints: HashMap<(Uuid, Uuid), Endpoint>,
    events: HashMap<(Uuid, i64), FeedEvent>,
    answers: HashMap<(Uuid, Uuid), ListedAnswer>,
    surveys: HashMap<(Uuid, Uuid), Survey>,
}

/// Rows named by `(project_id, id)`.
type Keys = Vec<(Uuid, Uuid)>;

impl Batch {
    /// The (project, id) keys of the answers and of the surveys `events` name: what a
    /// batch reads besides its endpoints and events.
    fn named_by(events: &[FeedEvent]) -> (Keys, Keys) {
        let answers = events.iter().filter_map(|e| Some((e.project_id, e.response_id?))).collect();
        let surveys = events.iter().filter_map(|e| Some((e.project_id, e.survey_id?))).collect();
        (answers, surveys)
    }

    fn new(
        endpoints: Vec<Endpoint>,
        events: Vec<FeedEvent>,
        answers: Vec<ListedAnswer>,
        surveys: Vec<Survey>,
    ) -> Batch {
        let project_of: HashMap<Uuid, Uuid> =
            events.iter().filter_map(|e| Some((e.response_id?, e.project_id))).collect();
        Batch {
            endpoints: endpoints.into_iter().map(|e| ((e.project_id, e.id), e)).collect(),
            answers: answers.into_iter().filter_map(|a| Some(((*project_of.get(&a.id)?, a.id), a))).collect(),
            surveys: surveys.into_iter().map(|s| ((s.project_id, s.id), s)).collect(),
            events: events.into_iter().map(|e| ((e.project_id, e.id), e)).collect(),
        }
    }
}

impl Dispatcher {
    pub fn new(db: Db, settings: WebhookSettings, egress: Egress) -> Self {
        Dispatcher {
            recorder: Recorder::start(db.clone()),
            db,
            settings,
            egress: Arc::new(egress),
            in_flight: Arc::default(),
            reported_failing: Arc::default(),
            slot_freed: Arc::default(),
            ingest: None,
            ingest_load: Arc::default(),
        }
    }

    /// Gives way to `ingest`: while its queue holds answers waiting to be written, the
    /// loop sends at most one batch a second, so webhooks never slow the acknowledgement
    /// of answers; what waits is sent once the burst is over (delayed, never lost).
    pub fn yielding_to(self, ingest: crate::ingest::WriterHandle) -> Self {
        Dispatcher { ingest: Some(ingest), ..self }
    }

    /// Whether answers are waiting to be written, on average over the last moments.
    fn ingest_busy(&self) -> bool {
        f64::from_bits(self.ingest_load.load(Ordering::Relaxed)) >= INGEST_BUSY
    }

    /// Keeps `ingest_load` up to date while the process runs.
    fn sample_ingest_load(&self) {
        let (Some(writer), load) = (self.ingest.clone(), self.ingest_load.clone()) else { return };
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LOAD_SAMPLE);
            let mut average = 0.0;
            loop {
                tick.tick().await;
                average += LOAD_WEIGHT * (writer.in_flight() as f64 - average);
                load.store(average.to_bits(), Ordering::Relaxed);
            }
        });
    }

    /// Numbers every committed event; how many.
    pub async fn sequence(&self) -> Result<u64, StoreError> {
        self.db
            .run(move |conn| {
                let mut numbered = 0;
                loop {
                    let report = events::sequence(conn, SEQUENCE_BATCH)?;
                    numbered += report.events;
                    if report.events < SEQUENCE_BATCH as u64 {
                        return Ok(numbered);
                    }
                }
            })
            .await
    }

    /// One pass at `now`: sequence, stream every endpoint's feed until it is caught up,
    /// then claim the retries that are due, send them, and wait for the outcomes. Tests
    /// drive time through `now`; the loop ([`Dispatcher::spawn`]) passes the clock.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<PassReport, StoreError> {
        let sequenced = self.sequence().await?;
        let (mut attempted, mut delivered) = (0, 0);
        loop {
            let streams = self.claim_streams(now).await?;
            if streams.is_empty() {
                break;
            }
            for claim in streams {
                let (a, d) = self.stream_batch(claim, now).await?;
                attempted += a;
                delivered += d;
            }
        }
        let claimed = self.claim(now).await?;
        attempted += claimed.len() as u64;
        let outcomes = self.send_all(claimed, now).await?;
        delivered += futures_util::future::join_all(outcomes)
            .await
            .into_iter()
            .filter(|d| matches!(d, Ok(true)))
            .count() as u64;
        Ok(PassReport { sequenced, attempted, delivered })
    }

    async fn claim(&self, now: DateTime<Utc>) -> Result<Vec<Claimed>, StoreError> {
        let in_flight: Vec<(Uuid, i32)> = self.lock_in_flight().iter().map(|(k, v)| (*k, *v)).collect();
        let lease_until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        let per_endpoint = self.settings.per_endpoint as i32;
        let limit = self.settings.batch as i64;
        let claimed = self
            .db
            .run(move |conn| rows::claim_due(conn, now, lease_until, limit, per_endpoint, &in_flight))
            .await?;
        let mut counts = self.lock_in_flight();
        for c in &claimed {
            *counts.entry(c.endpoint_id).or_default() += 1;
        }
        Ok(claimed)
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, i32>> {
        self.in_flight.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts sending every claimed delivery; each future resolves to whether it was
    /// delivered, once its attempt is recorded.
    async fn send_all(
        &self,
        claimed: Vec<Claimed>,
        now: DateTime<Utc>,
    ) -> Result<Vec<tokio::task::JoinHandle<bool>>, StoreError> {
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let batch = Arc::new(self.load(&claimed).await?);
        Ok(claimed
            .into_iter()
            .map(|c| {
                let (this, batch) = (self.clone(), batch.clone());
                tokio::spawn(async move {
                    let endpoint_id = c.endpoint_id;
                    let delivered = this.attempt(&batch, c, now).await;
                    this.release_in_flight(endpoint_id, 1);
                    this.slot_freed.notify_one();
                    delivered
                })
            })
            .collect())
    }

    async fn load(&self, claimed: &[Claimed]) -> Result<Batch, StoreError> {
        let mut endpoint_keys: Vec<(Uuid, Uuid)> =
            claimed.iter().map(|c| (c.project_id, c.endpoint_id)).collect();
        endpoint_keys.sort_unstable();
        endpoint_keys.dedup();
        let event_keys: Vec<(Uuid, i64)> = claimed.iter().map(|c| (c.project_id, c.event_id)).collect();
        self.db
            .run(move |conn| {
                let endpoints = rows::endpoints_by_keys(conn, &endpoint_keys)?;
                let events = events::by_keys(conn, &event_keys)?;
                let (answer_keys, survey_keys) = Batch::named_by(&events);
                let answers = answers_by_keys(conn, &answer_keys)?;
                let surveys = surveys::by_keys(conn, &survey_keys)?;
                Ok(Batch::new(endpoints, events, answers, surveys))
            })
            .await
    }

    /// Gives back `n` of the endpoint's places in this process's bound.
    fn release_in_flight(&self, endpoint_id: Uuid, n: i32) {
        let mut counts = self.lock_in_flight();
        if let Some(count) = counts.get_mut(&endpoint_id) {
            *count -= n;
        }
        counts.retain(|_, count| *count > 0);
    }

    /// Makes one attempt and records it; whether it was delivered.
    async fn attempt(&self, batch: &Batch, claimed: Claimed, now: DateTime<Utc>) -> bool {
        let record = self.try_once(batch, &claimed, now).await;
        let delivered = record.settle == Settle::Delivered;
        self.recorder.record(record).await;
        delivered
    }

    /// Makes one attempt; what to record.
    async fn try_once(&self, batch: &Batch, claimed: &Claimed, now: DateTime<Utc>) -> Record {
        let number = claimed.attempts + 1;
        let record = |outcome: &str, status: Option<u16>, latency: Duration, response: String| Attempt {
            project_id: claimed.project_id,
            delivery_id: claimed.id,
            attempt: number,
            attempted_at: now,
            outcome: outcome.to_string(),
            status: status.map(|s| s as i16),
            latency_ms: latency.as_millis().min(i32::MAX as u128) as i32,
            response,
        };
        let prepared = self.prepare(batch, claimed, now);
        let (attempt, settle, health) = match prepared {
            Prepared::Skip(why) => (
                record("skipped", None, Duration::ZERO, why.into()),
                Settle::Skipped,
                EndpointHealth::Unknown,
            ),
            Prepared::Fail(why) => {
                let failures = (number - claimed.retry_base).max(1) as u32;
                (
                    record("refused", None, Duration::ZERO, why),
                    self.after_failure(failures, None, now),
                    self.failed(now),
                )
            }
            Prepared::Send { url, headers, body } => {
                let sent = self.egress.send(&url, &headers, body.into()).await;
                let failures = (number - claimed.retry_base).max(1) as u32;
                let (name, settle, health) = match &sent.outcome {
                    Outcome::Delivered => ("delivered", Settle::Delivered, EndpointHealth::Succeeded),
                    Outcome::Gone => (
                        "gone",
                        Settle::Failed,
                        EndpointHealth::Disable("the endpoint answered 410 Gone".to_string()),
                    ),
                    Outcome::RetryLater => {
                        ("retry_later", self.after_failure(failures, sent.retry_after, now), self.failed(now))
                    }
                    Outcome::Failed => ("failed", self.after_failure(failures, None, now), self.failed(now)),
                    Outcome::Refused { .. } => {
                        ("refused", self.after_failure(failures, None, now), self.failed(now))
                    }
                    Outcome::Unreachable { .. } => {
                        ("unreachable", self.after_failure(failures, None, now), self.failed(now))
                    }
                };
                let response = match &sent.outcome {
                    Outcome::Refused { reason } | Outcome::Unreachable { reason } => reason.clone(),
                    _ => sent.body_prefix.clone(),
                };
                metrics::histogram!("feedbackd_webhook_attempt_seconds").record(sent.latency.as_secs_f64());
                (record(name, sent.status, sent.latency, response), settle, health)
            }
        };
        metrics::counter!("feedbackd_webhook_attempts_total", "outcome" => attempt.outcome.clone())
            .increment(1);
        Record { attempt, endpoint_id: claimed.endpoint_id, settle, health }
    }

    fn failed(&self, now: DateTime<Utc>) -> EndpointHealth {
        let horizon = now - chrono::Duration::from_std(DISABLE_AFTER_FAILING).unwrap_or_default();
        EndpointHealth::Failed { disable_if_failing_since: horizon }
    }

    fn after_failure(&self, failures: u32, retry_after: Option<Duration>, now: DateTime<Utc>) -> Settle {
        match retry_delay(failures, retry_after, rand::random::<f64>()) {
            Some(wait) => {
                let wait = wait.mul_f64(self.settings.retry_scale);
                Settle::RetryAt(now + chrono::Duration::from_std(wait).unwrap_or_default())
            }
            None => Settle::Failed,
        }
    }

    /// The request for one delivery, or why there is none.
    fn prepare(&self, batch: &Batch, claimed: &Claimed, now: DateTime<Utc>) -> Prepared {
        let Some(endpoint) = batch.endpoints.get(&(claimed.project_id, claimed.endpoint_id)) else {
            return Prepared::Skip("the endpoint was deleted");
        };
        let Some(event) = batch.events.get(&(claimed.project_id, claimed.event_id)) else {
            return Prepared::Skip("the event is no longer kept");
        };
        let Ok(kind) = event.event_type() else { return Prepared::Skip("unknown event type") };
        let answer = event.response_id.and_then(|id| batch.answers.get(&(event.project_id, id)));
        if matches!(kind, EventType::ResponseCreated | EventType::ResponseUpdated) && answer.is_none() {
            return Prepared::Skip("the answer was erased before it went out");
        }
        let survey = event.survey_id.and_then(|id| batch.surveys.get(&(event.project_id, id)));
        let format = endpoint.format.parse().unwrap_or_default();
        let public_url = self.settings.public_url.as_deref();
        let Some(body) = payload::body(format, event, kind, answer, survey, public_url) else {
            return Prepared::Skip("nothing to say in this format");
        };
        let secrets = match self.secrets(endpoint, now) {
            Ok(secrets) => secrets,
            Err(why) => return Prepared::Fail(why),
        };
        let url = match super::egress::validate_url(&endpoint.url, &self.settings.egress) {
            Ok(url) => url,
            Err(problem) => return Prepared::Fail(problem.to_string()),
        };
        let id = message_id(claimed.id);
        let timestamp = now.timestamp();
        let refs: Vec<&EndpointSecret> = secrets.iter().collect();
        let signature = signature_header(&refs, &id, timestamp, &body);
        let headers = vec![
            ("webhook-id", id),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        Prepared::Send { url, headers, body }
    }

    /// The secrets that sign for the endpoint now: its own, and the one before a rotation
    /// while the overlap lasts.
    fn secrets(&self, endpoint: &Endpoint, now: DateTime<Utc>) -> Result<Vec<EndpointSecret>, String> {
        let Some(sealer) = self.settings.secrets.as_deref() else {
            return Err("FEEDBACKD_WEBHOOK_KEY is not set, so nothing can be signed".into());
        };
        let open = |sealed: &[u8]| {
            sealer.open(endpoint.id, sealed).map_err(|e| format!("cannot open the secret: {e}"))
        };
        let mut secrets = vec![open(&endpoint.secret)?];
        if let (Some(previous), Some(until)) =
            (&endpoint.previous_secret, endpoint.previous_secret_expires_at)
        {
            if until > now {
                secrets.push(open(previous)?);
            }
        }
        Ok(secrets)
    }

    /// Runs passes until the process ends: every `poll`, or at once after a pass that was
    /// busy. Sends of one pass overlap the next claim, bounded per endpoint. Survey digests
    /// are made in a task of their own, so computing figures never holds up deliveries.
    pub fn spawn(self) {
        self.sample_ingest_load();
        tokio::spawn(super::digest::run_every(self.db.clone()));
        tokio::spawn(async move {
            let mut last_gauges = std::time::Instant::now() - Duration::from_secs(60);
            let mut last_prune = std::time::Instant::now();
            let mut last_sequenced = std::time::Instant::now() - self.settings.poll;
            let mut last_sent = std::time::Instant::now();
            loop {
                if self.ingest_busy() && last_sent.elapsed() < WHILE_BUSY {
                    tokio::time::sleep(self.settings.poll.min(Duration::from_millis(50))).await;
                    continue;
                }
                last_sent = std::time::Instant::now();
                let now = Utc::now();
                // New events are numbered every `poll`; due deliveries are claimed as soon as
                // an endpoint has room, so a busy endpoint is sent to back to back.
                let sequence = last_sequenced.elapsed() >= self.settings.poll;
                if sequence {
                    last_sequenced = std::time::Instant::now();
                }
                let busy = match self.pass_in_background(now, sequence).await {
                    Ok(busy) => busy,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook dispatch failed; trying again");
                        false
                    }
                };
                if last_gauges.elapsed() >= Duration::from_secs(10) {
                    last_gauges = std::time::Instant::now();
                    self.report_gauges().await;
                }
                if last_prune.elapsed() >= PRUNE_EVERY {
                    last_prune = std::time::Instant::now();
                    match self.prune(Utc::now()).await {
                        Ok((events, deliveries)) if events + deliveries > 0 => {
                            tracing::info!(events, deliveries, "pruned the change feed and the delivery log")
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "pruning the change feed failed; trying again later")
                        }
                    }
                }
                if !busy {
                    let wait = self.settings.poll.saturating_sub(last_sequenced.elapsed());
                    tokio::select! {
                        _ = self.slot_freed.notified() => {}
                        _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
                    }
                }
            }
        });
    }

    /// Numbers new events if asked, then claims and starts sending the due retries and the
    /// next batch of each stream that is behind; whether there may be more to claim at once.
    async fn pass_in_background(&self, now: DateTime<Utc>, sequence: bool) -> Result<bool, StoreError> {
        let sequenced = if sequence { self.sequence().await? } else { 0 };
        let claimed = self.claim(now).await?;
        let streams = self.claim_streams(now).await?;
        let busy = sequenced > 0 || !claimed.is_empty() || !streams.is_empty();
        self.send_all(claimed, now).await?;
        for claim in streams {
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.stream_batch(claim, now).await {
                    tracing::warn!(error = %e, "streaming to a webhook endpoint failed; its lease will bring the batch back");
                }
                this.slot_freed.notify_one();
            });
        }
        Ok(busy)
    }

    /// Deletes events past the feed's retention (never one a pending delivery needs) and
    /// settled deliveries past the log's; returns how many of each.
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        let feed_horizon = now - chrono::Duration::from_std(self.settings.feed_retention).unwrap_or_default();
        let log_horizon = now - chrono::Duration::from_std(self.settings.log_retention).unwrap_or_default();
        self.db
            .run(move |conn| {
                let events = feedbackd_store::in_batches(PRUNE_BATCH, || {
                    events::delete_before(conn, feed_horizon, PRUNE_BATCH)
                })?;
                let deliveries = feedbackd_store::in_batches(PRUNE_BATCH, || {
                    rows::delete_settled_before(conn, log_horizon, PRUNE_BATCH)
                })?;
                Ok((events, deliveries))
            })
            .await
    }

    async fn report_gauges(&self) {
        match self.db.run(rows::queue_depth).await {
            Ok(q) => {
                metrics::gauge!("feedbackd_webhook_queue_depth").set(q.pending as f64);
                metrics::gauge!("feedbackd_webhook_stream_backlog").set(q.stream_backlog as f64);
                metrics::gauge!("feedbackd_events_unsequenced").set(q.unsequenced as f64);
                metrics::gauge!("feedbackd_webhook_failing_endpoints").set(q.failing_endpoints as f64);
                let age =
                    q.oldest.map_or(0.0, |t| (Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0);
                metrics::gauge!("feedbackd_webhook_oldest_pending_seconds").set(age);
            }
            Err(e) => tracing::debug!(error = %e, "reading the webhook queue depth failed"),
        }
        // Each failing endpoint's streak, in seconds; an endpoint that healed goes back to 0.
        if let Ok(failing) = self.db.run(rows::failing_endpoints).await {
            let now = Utc::now();
            let mut reported = self.reported_failing.lock().unwrap_or_else(|p| p.into_inner());
            for id in reported.iter().filter(|id| !failing.iter().any(|(f, _)| f == *id)) {
                metrics::gauge!("feedbackd_webhook_endpoint_failing_seconds", "endpoint" => id.to_string())
                    .set(0.0);
            }
            for (id, since) in &failing {
                let seconds = (now - *since).num_seconds().max(0) as f64;
                metrics::gauge!("feedbackd_webhook_endpoint_failing_seconds", "endpoint" => id.to_string())
                    .set(seconds);
            }
            *reported = failing.into_iter().map(|(id, _)| id).collect();
        }
    }
}

enum Prepared {
    Send {
        url: url::Url,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Nothing to send, and nothing will change that.
    Skip(&'static str),
    /// Cannot send now (no key, a URL the policy refuses): a failed attempt.
    Fail(String),
}
