//! Webhook endpoints and their deliveries: the rows behind the API, the dispatchers'
//! claims (`FOR UPDATE SKIP LOCKED` and a lease, so any number of replicas dispatch and a
//! dead one's deliveries come back), each attempt's record, and the delivery log.

use super::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_domain::webhook::{Condition, Subscription};
use uuid::Uuid;

/// An endpoint as stored; the secrets are sealed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: Uuid,
    pub project_id: Uuid,
    pub url: String,
    pub description: String,
    pub format: String,
    pub event_types: Vec<String>,
    pub survey_ids: Option<Vec<Uuid>>,
    pub condition: serde_json::Value,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: Vec<u8>,
    pub previous_secret: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    /// What the endpoint takes.
    pub fn subscription(&self) -> Subscription {
        Subscription {
            // Unknown names cannot be stored (the API parses them), so none are dropped here.
            event_types: self.event_types.iter().filter_map(|t| t.parse().ok()).collect(),
            survey_ids: self.survey_ids.clone(),
            // A condition that no longer parses takes nothing rather than everything.
            condition: serde_json::from_value(self.condition.clone())
                .unwrap_or(Condition { max_score: Some(-1), ..Condition::default() }),
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint {
    pub id: Uuid,
    pub project_id: Uuid,
    pub url: String,
    pub description: String,
    pub format: String,
    pub event_types: Vec<String>,
    pub survey_ids: Option<Vec<Uuid>>,
    pub condition: serde_json::Value,
    pub enabled: bool,
    pub secret: Vec<u8>,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub format: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub survey_ids: Option<Option<Vec<Uuid>>>,
    pub condition: Option<serde_json::Value>,
    pub enabled: Option<bool>,
    pub disabled_reason: Option<Option<String>>,
}

/// Adds an endpoint; its stream starts at the end of the project's feed (what came before
/// it is a replay's to send).
pub fn insert_endpoint(conn: &mut PgConnection, new: &NewEndpoint) -> Result<Endpoint, StoreError> {
    let endpoint = diesel::insert_into(webhook_endpoints::table)
        .values(new)
        .returning(Endpoint::as_returning())
        .get_result(conn)?;
    super::webhook_streams::restart_at_feed_end(conn, new.project_id, new.id)?;
    Ok(endpoint)
}

/// The project's endpoints, oldest first.
pub fn endpoints(conn: &mut PgConnection, project_id: Uuid) -> Result<Vec<Endpoint>, StoreError> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::project_id.eq(project_id))
        .order((webhook_endpoints::created_at, webhook_endpoints::id))
        .select(Endpoint::as_select())
        .load(conn)?)
}

/// One endpoint of the project (another project's is not found).
pub fn endpoint(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
    Ok(webhook_endpoints::table
        .find((project_id, id))
        .select(Endpoint::as_select())
        .first(conn)
        .optional()?)
}

/// Endpoints by `(project_id, id)` (the dispatcher's, for claimed deliveries).
pub fn endpoints_by_keys(
    conn: &mut PgConnection,
    keys: &[(Uuid, Uuid)],
) -> Result<Vec<Endpoint>, StoreError> {
    let (projects, ids): (Vec<Uuid>, Vec<Uuid>) = keys.iter().copied().unzip();
    let found: Vec<Endpoint> = webhook_endpoints::table
        .filter(webhook_endpoints::project_id.eq_any(&projects))
        .filter(webhook_endpoints::id.eq_any(&ids))
        .select(Endpoint::as_select())
        .load(conn)?;
    Ok(found.into_iter().filter(|e| keys.contains(&(e.project_id, e.id))).collect())
}

pub fn update_endpoint(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    changes: &EndpointChanges,
) -> Result<Option<Endpoint>, StoreError> {
    Ok(diesel::update(webhook_endpoints::table.find((project_id, id)))
        .set((changes, webhook_endpoints::updated_at.eq(diesel::dsl::now)))
        .returning(Endpoint::as_returning())
        .get_result(conn)
        .optional()?)
}

/// Enabling an endpoint forgets its failure streak and, if it was off, moves its stream to
/// the end of the feed: what came while it was off is a replay's to send. Call it before
/// the update that sets `enabled`.
pub fn before_enabling(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<(), StoreError> {
    let was_enabled: Option<bool> = webhook_endpoints::table
        .find((project_id, id))
        .select(webhook_endpoints::enabled)
        .for_update()
        .first(conn)
        .optional()?;
    if was_enabled == Some(false) {
        super::webhook_streams::restart_at_feed_end(conn, project_id, id)?;
    }
    diesel::update(webhook_endpoints::table.find((project_id, id)))
        .set(webhook_endpoints::failing_since.eq(None::<DateTime<Utc>>))
        .execute(conn)?;
    Ok(())
}

pub fn delete_endpoint(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
    let n = diesel::delete(webhook_endpoints::table.find((project_id, id))).execute(conn)?;
    Ok(n > 0)
}

/// Replaces the secret; the old one keeps signing until `previous_expires_at`.
pub fn rotate_secret(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    secret: &[u8],
    previous: Option<&[u8]>,
    previous_expires_at: Option<DateTime<Utc>>,
) -> Result<Option<Endpoint>, StoreError> {
    Ok(diesel::update(webhook_endpoints::table.find((project_id, id)))
        .set((
            webhook_endpoints::secret.eq(secret),
            webhook_endpoints::previous_secret.eq(previous),
            webhook_endpoints::previous_secret_expires_at.eq(previous_expires_at),
            webhook_endpoints::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Endpoint::as_returning())
        .get_result(conn)
        .optional()?)
}

/// A delivery taken by a dispatcher for one attempt.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub project_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    /// Attempts made before this one.
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    /// Attempts made before the delivery was last queued.
    #[diesel(sql_type = Int4)]
    pub retry_base: i32,
}

/// Takes due deliveries (`next_attempt_at <= now`) of enabled endpoints: for each endpoint
/// at most `per_endpoint` minus what this dispatcher already has in flight for it
/// (`in_flight`: endpoint ids and counts), at most `limit` in all. Each taken row's
/// `next_attempt_at` moves to `lease_until`: if this dispatcher dies, the row is due again
/// then. Rows another dispatcher holds are skipped, not waited for.
pub fn claim_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
    per_endpoint: i32,
    in_flight: &[(Uuid, i32)],
) -> Result<Vec<Claimed>, StoreError> {
    let (busy, counts): (Vec<Uuid>, Vec<i32>) = in_flight.iter().copied().unzip();
    Ok(diesel::sql_query(
        "WITH picked AS (SELECT d.project_id, d.id FROM webhook_endpoints ep \
           LEFT JOIN unnest($5::uuid[], $6::int4[]) AS b(id, n) ON b.id = ep.id \
           CROSS JOIN LATERAL (SELECT project_id, id FROM webhook_deliveries d \
             WHERE d.project_id = ep.project_id AND d.endpoint_id = ep.id AND d.state = 'pending' \
               AND d.next_attempt_at <= $1 \
             ORDER BY d.next_attempt_at LIMIT greatest($4 - coalesce(b.n, 0), 0) FOR UPDATE SKIP LOCKED) d \
           WHERE ep.enabled LIMIT $3) \
         UPDATE webhook_deliveries d SET next_attempt_at = $2 FROM picked \
         WHERE (d.project_id, d.id) = (picked.project_id, picked.id) \
         RETURNING d.project_id, d.id, d.endpoint_id, d.event_id, d.attempts, d.retry_base",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(lease_until)
    .bind::<BigInt, _>(limit)
    .bind::<Int4, _>(per_endpoint)
    .bind::<Array<SqlUuid>, _>(&busy)
    .bind::<Array<Int4>, _>(&counts)
    .load(conn)?)
}

/// One attempt, as the log keeps it.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct Attempt {
    pub project_id: Uuid,
    pub delivery_id: Uuid,
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    pub outcome: String,
    pub status: Option<i16>,
    pub latency_ms: i32,
    pub response: String,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    Delivered,
    /// No more tries: the schedule ran out or the receiver said 410.
    Failed,
    /// Nothing to send any more (the answer was erased first).
    Skipped,
}

impl Settle {
    /// The delivery's `state`, and when it is tried next.
    pub fn state(self) -> (&'static str, Option<DateTime<Utc>>) {
        match self {
            Settle::RetryAt(at) => ("pending", Some(at)),
            Settle::Delivered => ("delivered", None),
            Settle::Failed => ("failed", None),
            Settle::Skipped => ("skipped", None),
        }
    }
}

/// What an attempt says about its endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointHealth {
    Succeeded,
    /// Failed; the endpoint is disabled if it has failed everything since `disable_if_failing_since`.
    Failed {
        disable_if_failing_since: DateTime<Utc>,
    },
    /// Disable it now, saying why.
    Disable(String),
    /// The attempt says nothing about the receiver (nothing was sent).
    Unknown,
}

/// One attempt to record, with what follows from it.
#[derive(Debug, Clone)]
pub struct Record {
    pub attempt: Attempt,
    pub endpoint_id: Uuid,
    pub settle: Settle,
    pub health: EndpointHealth,
}

/// Records attempts and their consequences in one transaction (one commit for a whole
/// batch of sends). Returns the endpoints these attempts disabled, with why. Each
/// attempt's number is its delivery's count plus one, taken under the row's lock
/// (`attempt.attempt` is only the fallback for a delivery deleted meanwhile): two sends of
/// one delivery at once (a resend while a lease holds) are both kept, as n and n + 1. A
/// late record after a lease ran out is kept all the same (the receiver did get it); the
/// row is settled by whoever records last, and a settled row is never made pending again.
pub fn record_attempts(
    conn: &mut PgConnection,
    records: &[Record],
) -> Result<Vec<(Uuid, String)>, StoreError> {
    conn.transaction(|conn| {
        for r in records {
            let a = &r.attempt;
            let (state, next) = r.settle.state();
            let number: Option<Numbered> = diesel::sql_query(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, \
                   state = CASE WHEN $3 = 'pending' THEN state ELSE $3 END, \
                   next_attempt_at = CASE WHEN $3 <> 'pending' THEN NULL \
                     WHEN state = 'pending' THEN $4 ELSE next_attempt_at END, \
                   settled_at = CASE WHEN $3 = 'pending' THEN settled_at ELSE $5 END \
                 WHERE (project_id, id) = ($1, $2) RETURNING attempts",
            )
            .bind::<SqlUuid, _>(a.project_id)
            .bind::<SqlUuid, _>(a.delivery_id)
            .bind::<Text, _>(state)
            .bind::<Nullable<Timestamptz>, _>(next)
            .bind::<Timestamptz, _>(a.attempted_at)
            .get_result(conn)
            .optional()?;
            let attempt = number.map_or(a.attempt, |n| n.attempts);
            diesel::insert_into(webhook_attempts::table)
                .values(Attempt { attempt, ..a.clone() })
                .on_conflict_do_nothing()
                .execute(conn)?;
        }
        apply_health(conn, records)
    })
}

/// What a batch of attempts says about their endpoints, once per endpoint: the last word
/// of its attempts, a 410 first. Returns the endpoints it disabled, with why.
pub(crate) fn apply_health(
    conn: &mut PgConnection,
    records: &[Record],
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let mut last: Vec<(Uuid, Uuid, DateTime<Utc>, &EndpointHealth)> = Vec::new();
    for r in records.iter().rev() {
        let key = (r.attempt.project_id, r.endpoint_id);
        let disables = matches!(r.health, EndpointHealth::Disable(_));
        match last.iter_mut().find(|(p, e, ..)| (*p, *e) == key) {
            Some(entry) if disables => entry.3 = &r.health,
            Some(_) => {}
            None => last.push((key.0, key.1, r.attempt.attempted_at, &r.health)),
        }
    }
    let mut disabled = Vec::new();
    for (project_id, endpoint_id, at, health) in last {
        if let Some(reason) = update_health(conn, project_id, endpoint_id, at, health)? {
            disabled.push((endpoint_id, reason));
        }
    }
    Ok(disabled)
}

#[derive(QueryableByName)]
struct Numbered {
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

fn update_health(
    conn: &mut PgConnection,
    project_id: Uuid,
    endpoint_id: Uuid,
    now: DateTime<Utc>,
    health: &EndpointHealth,
) -> Result<Option<String>, StoreError> {
    let endpoint = webhook_endpoints::table.find((project_id, endpoint_id));
    match health {
        EndpointHealth::Unknown => Ok(None),
        EndpointHealth::Succeeded => {
            diesel::update(endpoint.filter(webhook_endpoints::failing_since.is_not_null()))
                .set(webhook_endpoints::failing_since.eq(None::<DateTime<Utc>>))
                .execute(conn)?;
            Ok(None)
        }
        EndpointHealth::Disable(reason) => disable(conn, project_id, endpoint_id, reason),
        EndpointHealth::Failed { disable_if_failing_since } => {
            let since: Option<DateTime<Utc>> = diesel::update(endpoint)
                .set(
                    webhook_endpoints::failing_since.eq(diesel::dsl::sql::<Nullable<Timestamptz>>(
                        "coalesce(failing_since, ",
                    )
                    .bind::<Timestamptz, _>(now)
                    .sql(")")),
                )
                .returning(webhook_endpoints::failing_since)
                .get_result(conn)
                .optional()?
                .flatten();
            match since {
                Some(since) if since <= *disable_if_failing_since => {
                    let reason = format!("every attempt has failed since {}", since.to_rfc3339());
                    disable(conn, project_id, endpoint_id, &reason)
                }
                _ => Ok(None),
            }
        }
    }
}

fn disable(
    conn: &mut PgConnection,
    project_id: Uuid,
    endpoint_id: Uuid,
    reason: &str,
) -> Result<Option<String>, StoreError> {
    let n = diesel::update(
        webhook_endpoints::table.find((project_id, endpoint_id)).filter(webhook_endpoints::enabled),
    )
    .set((
        webhook_endpoints::enabled.eq(false),
        webhook_endpoints::disabled_reason.eq(reason),
        webhook_endpoints::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)?;
    Ok((n > 0).then(|| reason.to_string()))
}

/// A delivery as the log lists it, with its last attempt.
#[derive(Debug, Clone, QueryableByName)]
pub struct LoggedDelivery {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub event_type: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub event_position: Option<i64>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub response_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub settled_at: Option<DateTime<Utc>>,
    /// The last attempt's outcome, status, latency and answer (none before the first).
    #[diesel(sql_type = Nullable<Text>)]
    pub last_outcome: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Int2>)]
    pub last_status: Option<i16>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub last_latency_ms: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_response: Option<String>,
}

/// Which deliveries of an endpoint the log lists.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only this one.
    pub id: Option<Uuid>,
    /// Only in this state.
    pub state: Option<String>,
    /// Only before this `(created_at, id)`: the next page.
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

/// The endpoint's deliveries that `filter` selects, newest first.
pub fn deliveries(
    conn: &mut PgConnection,
    project_id: Uuid,
    endpoint_id: Uuid,
    filter: &LogFilter,
    limit: i64,
) -> Result<Vec<LoggedDelivery>, StoreError> {
    let (before, state) = (filter.before, filter.state.as_deref());
    let (at, id) = before.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    Ok(diesel::sql_query(
        "SELECT d.id, d.event_id, e.type AS event_type, e.position AS event_position, e.response_id, d.state, \
           d.attempts, d.next_attempt_at, d.created_at, d.settled_at, a.outcome AS last_outcome, \
           a.status AS last_status, a.latency_ms AS last_latency_ms, a.response AS last_response \
         FROM webhook_deliveries d LEFT JOIN events e ON (e.project_id, e.id) = (d.project_id, d.event_id) \
         LEFT JOIN LATERAL (SELECT outcome, status, latency_ms, response FROM webhook_attempts w \
           WHERE (w.project_id, w.delivery_id) = (d.project_id, d.id) ORDER BY w.attempt DESC LIMIT 1) a ON true \
         WHERE d.project_id = $7 AND d.endpoint_id = $1 AND ($2::text IS NULL OR d.state = $2) AND ($6::uuid IS NULL OR d.id = $6) \
           AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3, $4)) \
         ORDER BY d.created_at DESC, d.id DESC LIMIT $5",
    )
    .bind::<SqlUuid, _>(endpoint_id)
    .bind::<Nullable<Text>, _>(state)
    .bind::<Nullable<Timestamptz>, _>(at)
    .bind::<Nullable<SqlUuid>, _>(id)
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<SqlUuid>, _>(filter.id)
    .bind::<SqlUuid, _>(project_id)
    .load(conn)?)
}

/// The attempts of one delivery, in order.
pub fn attempts(
    conn: &mut PgConnection,
    project_id: Uuid,
    delivery_id: Uuid,
) -> Result<Vec<Attempt>, StoreError> {
    Ok(webhook_attempts::table
        .filter(webhook_attempts::project_id.eq(project_id))
        .filter(webhook_attempts::delivery_id.eq(delivery_id))
        .order(webhook_attempts::attempt)
        .load(conn)?)
}

/// Queues one delivery again, due at `now`, with a fresh retry schedule. Its id (the
/// `webhook-id`) stays, so a receiver that did get it can tell. False if the endpoint has
/// no such delivery.
pub fn resend(
    conn: &mut PgConnection,
    project_id: Uuid,
    endpoint_id: Uuid,
    delivery_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        webhook_deliveries::table
            .find((project_id, delivery_id))
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id)),
    )
    .set((
        webhook_deliveries::state.eq("pending"),
        webhook_deliveries::next_attempt_at.eq(now),
        webhook_deliveries::settled_at.eq(None::<DateTime<Utc>>),
        webhook_deliveries::retry_base.eq(webhook_deliveries::attempts),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Deletes at most `limit` settled deliveries (and their attempts) settled before
/// `horizon`; returns how many.
pub fn delete_settled_before(
    conn: &mut PgConnection,
    horizon: DateTime<Utc>,
    limit: i64,
) -> Result<u64, StoreError> {
    let n = diesel::sql_query(
        "DELETE FROM webhook_deliveries d USING (SELECT project_id, id FROM webhook_deliveries \
           WHERE state <> 'pending' AND settled_at < $1 LIMIT $2) old \
         WHERE (d.project_id, d.id) = (old.project_id, old.id)",
    )
    .bind::<Timestamptz, _>(horizon)
    .bind::<BigInt, _>(limit)
    .execute(conn)?;
    Ok(n as u64)
}

/// The queue, for the metrics.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct QueueDepth {
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub oldest: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub unsequenced: i64,
    /// Numbered events the enabled endpoints' streams have not reached.
    #[diesel(sql_type = BigInt)]
    pub stream_backlog: i64,
    #[diesel(sql_type = BigInt)]
    pub failing_endpoints: i64,
}

/// Enabled endpoints whose every attempt has failed since a time: id and since when.
pub fn failing_endpoints(conn: &mut PgConnection) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::enabled)
        .filter(webhook_endpoints::failing_since.is_not_null())
        .select((webhook_endpoints::id, webhook_endpoints::failing_since.assume_not_null()))
        .load(conn)?)
}

pub fn queue_depth(conn: &mut PgConnection) -> Result<QueueDepth, StoreError> {
    Ok(diesel::sql_query(
        "SELECT (SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints ep \
             ON (ep.project_id, ep.id) = (d.project_id, d.endpoint_id) WHERE d.state = 'pending' AND ep.enabled) AS pending, \
           least((SELECT min(d.created_at) FROM webhook_deliveries d JOIN webhook_endpoints ep \
             ON (ep.project_id, ep.id) = (d.project_id, d.endpoint_id) WHERE d.state = 'pending' AND ep.enabled), \
             (SELECT min(e.occurred_at) FROM webhook_endpoints ep JOIN events e \
               ON e.project_id = ep.project_id AND e.position = ep.stream_position + 1 WHERE ep.enabled)) AS oldest, \
           (SELECT count(*) FROM events WHERE position IS NULL) AS unsequenced, \
           (SELECT coalesce(sum(f.last_position - ep.stream_position), 0)::int8 FROM webhook_endpoints ep \
             JOIN project_feeds f ON f.project_id = ep.project_id WHERE ep.enabled) AS stream_backlog, \
           (SELECT count(*) FROM webhook_endpoints WHERE enabled AND failing_since IS NOT NULL) AS failing_endpoints",
    )
    .get_result(conn)?)
}
