//! Each enabled endpoint reads its project's change feed through a cursor of its own
//! (`webhook_endpoints.stream_position`). A dispatcher takes an endpoint's stream with a
//! lease, sends the next events the endpoint wants, and in one transaction moves the
//! cursor past them and writes each one's delivery row with its first attempt (so the log
//! and the retries have it). Ingest therefore writes nothing per endpoint: the cost of a
//! busy endpoint is paid by the dispatcher, after the answers are acknowledged.
//!
//! A dispatcher that dies mid-batch loses its lease, and the next one sends the batch again
//! under the same `webhook-id`s: at least once, never lost.

use super::events::{self, FeedEvent};
use super::webhooks::{apply_health, Endpoint, Record};
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int2, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// An endpoint's stream, taken by a dispatcher until `lease_until`.
#[derive(Debug, Clone, QueryableByName)]
pub struct StreamClaim {
    #[diesel(sql_type = SqlUuid)]
    pub project_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: Uuid,
    /// Every event up to here has been sent.
    #[diesel(sql_type = BigInt)]
    pub position: i64,
    #[diesel(sql_type = Timestamptz)]
    pub lease_until: DateTime<Utc>,
}

/// Moves the endpoint's stream to the end of its project's feed.
pub fn restart_at_feed_end(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<(), StoreError> {
    diesel::sql_query(
        "UPDATE webhook_endpoints SET stream_position = \
           coalesce((SELECT last_position FROM project_feeds WHERE project_id = $1), 0), stream_lease_until = NULL \
         WHERE (project_id, id) = ($1, $2)",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(id)
    .execute(conn)?;
    Ok(())
}

/// Takes at most `limit` streams of enabled endpoints that are behind their feed and not
/// held by a live lease, the longest waiting first; rows another dispatcher is taking are
/// skipped, not waited for.
pub fn claim(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<StreamClaim>, StoreError> {
    Ok(diesel::sql_query(
        "WITH behind AS (SELECT ep.project_id, ep.id FROM webhook_endpoints ep \
           JOIN project_feeds f ON f.project_id = ep.project_id \
           WHERE ep.enabled AND f.last_position > ep.stream_position \
             AND (ep.stream_lease_until IS NULL OR ep.stream_lease_until <= $1) \
           ORDER BY ep.stream_lease_until NULLS FIRST LIMIT $3 FOR UPDATE OF ep SKIP LOCKED) \
         UPDATE webhook_endpoints ep SET stream_lease_until = $2 FROM behind \
         WHERE (ep.project_id, ep.id) = (behind.project_id, behind.id) \
         RETURNING ep.project_id, ep.id AS endpoint_id, ep.stream_position AS position, ep.stream_lease_until AS lease_until",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(lease_until)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// The next events of a claimed stream: those the endpoint wants among the events after its
/// position, at most `send` of them, looking at no more than `read` events; and the
/// position the stream reaches once they are sent (the last event looked at). The feed is
/// read in chunks of twice `send`, so an endpoint that wants most events reads little more
/// than it sends, and one that wants few passes over the rest in a few queries. `None`
/// when the endpoint is gone.
pub fn next_batch(
    conn: &mut PgConnection,
    claim: &StreamClaim,
    read: i64,
    send: usize,
) -> Result<Option<(Endpoint, Vec<FeedEvent>, i64)>, StoreError> {
    let Some(endpoint) = super::webhooks::endpoint(conn, claim.project_id, claim.endpoint_id)? else {
        return Ok(None);
    };
    let subscription = endpoint.subscription();
    let chunk = (send as i64 * 2).max(1);
    let (mut wanted, mut reached, mut looked) = (Vec::new(), claim.position, 0);
    while wanted.len() < send && looked < read {
        let events = events::feed(conn, claim.project_id, reached, chunk)?;
        let Some(last) = events.last().map(|e| e.position) else { break };
        let full = events.len() as i64 == chunk;
        looked += events.len() as i64;
        for event in events::wanted(conn, &subscription, events)? {
            if wanted.len() == send {
                // Stop before the first one left out.
                reached = event.position - 1;
                return Ok(Some((endpoint, wanted, reached)));
            }
            wanted.push(event);
        }
        reached = last;
        if !full {
            break;
        }
    }
    Ok(Some((endpoint, wanted, reached)))
}

/// One event sent to the endpoint: its event id and the first attempt.
pub struct FirstAttempt {
    pub event_id: i64,
    pub record: Record,
}

/// Ends a batch: moves the stream to `reached` and lets it go, writes each sent event's
/// delivery with its first attempt (a failed one is pending on the retry schedule), and
/// what the attempts say about the endpoint; one transaction. Returns `None`, writing
/// nothing, when the lease was lost meanwhile (another dispatcher sends the batch again,
/// under the same ids); otherwise the endpoints disabled (a 410), with why.
pub fn advance(
    conn: &mut PgConnection,
    claim: &StreamClaim,
    reached: i64,
    sent: &[FirstAttempt],
) -> Result<Option<Vec<(Uuid, String)>>, StoreError> {
    conn.transaction(|conn| {
        let moved = diesel::sql_query(
            "UPDATE webhook_endpoints SET stream_position = greatest(stream_position, $3), stream_lease_until = NULL \
             WHERE (project_id, id) = ($1, $2) AND stream_lease_until = $4",
        )
        .bind::<SqlUuid, _>(claim.project_id)
        .bind::<SqlUuid, _>(claim.endpoint_id)
        .bind::<BigInt, _>(reached)
        .bind::<Timestamptz, _>(claim.lease_until)
        .execute(conn)?;
        if moved == 0 {
            return Ok(None);
        }
        if sent.is_empty() {
            return Ok(Some(Vec::new()));
        }
        write_first_attempts(conn, claim, sent)?;
        let records: Vec<Record> = sent.iter().map(|s| s.record.clone()).collect();
        apply_health(conn, &records).map(Some)
    })
}

/// Two statements for the lot: the deliveries in their state after the first attempt,
/// then the attempts of those that were new (a replay may have queued one meanwhile: it
/// keeps its own row, and this send, made under the same id, is not logged twice).
fn write_first_attempts(
    conn: &mut PgConnection,
    claim: &StreamClaim,
    sent: &[FirstAttempt],
) -> Result<(), StoreError> {
    let n = sent.len();
    let (mut ids, mut event_ids, mut states, mut next, mut at) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut outcomes, mut statuses, mut latencies, mut responses) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for s in sent {
        let a = &s.record.attempt;
        let (state, next_at) = s.record.settle.state();
        ids.push(a.delivery_id);
        event_ids.push(s.event_id);
        states.push(state);
        next.push(next_at);
        at.push(a.attempted_at);
        outcomes.push(a.outcome.as_str());
        statuses.push(a.status);
        latencies.push(a.latency_ms);
        responses.push(a.response.as_str());
    }
    diesel::sql_query(
        "WITH sent AS (SELECT * FROM unnest($3::uuid[], $4::int8[], $5::text[], $6::timestamptz[], $7::timestamptz[], \
             $8::text[], $9::int2[], $10::int4[], $11::text[]) \
             AS s(id, event_id, state, next_attempt_at, attempted_at, outcome, status, latency_ms, response)), \
         added AS (INSERT INTO webhook_deliveries \
             (project_id, id, endpoint_id, event_id, state, attempts, next_attempt_at, created_at, settled_at) \
           SELECT $1, id, $2, event_id, state, 1, next_attempt_at, attempted_at, \
             CASE WHEN state = 'pending' THEN NULL ELSE attempted_at END FROM sent \
           ON CONFLICT (project_id, id) DO NOTHING RETURNING id) \
         INSERT INTO webhook_attempts (project_id, delivery_id, attempt, attempted_at, outcome, status, latency_ms, response) \
         SELECT $1, sent.id, 1, attempted_at, outcome, status, latency_ms, response FROM sent JOIN added USING (id)",
    )
    .bind::<SqlUuid, _>(claim.project_id)
    .bind::<SqlUuid, _>(claim.endpoint_id)
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<BigInt>, _>(&event_ids)
    .bind::<Array<Text>, _>(&states)
    .bind::<Array<Nullable<Timestamptz>>, _>(&next)
    .bind::<Array<Timestamptz>, _>(&at)
    .bind::<Array<Text>, _>(&outcomes)
    .bind::<Array<Nullable<Int2>>, _>(&statuses)
    .bind::<Array<Int4>, _>(&latencies)
    .bind::<Array<Text>, _>(&responses)
    .execute(conn)?;
    Ok(())
}
