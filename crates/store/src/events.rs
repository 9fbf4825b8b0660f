//! The change feed (migration `2026-11-30-000100_webhooks`). Writers add rows without a
//! position in the transactions that change answers; [`sequence`] numbers them, one
//! sequencer at a time, once no older transaction can still commit. Webhook endpoints read
//! the numbered feed through cursors of their own (`webhook_streams`).

use super::schema::{events, project_feeds};
use super::webhooks::Endpoint;
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int2, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_domain::webhook::{AnswerFacts, EventType, Subscription};
use feedbackd_domain::{Scale, SurveyKind};
use std::collections::HashMap;
use uuid::Uuid;

/// The advisory lock key of the sequencer: one numbers events at a time, so positions are
/// handed out in one order.
const SEQUENCER_LOCK: i64 = 0x6662_6b73_6571; // "fbkseq"

/// An event that has its position.
#[derive(Debug, Clone, QueryableByName)]
pub struct FeedEvent {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub position: i64,
    #[diesel(sql_type = SqlUuid)]
    pub project_id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub survey_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub response_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub data: Option<serde_json::Value>,
}

impl FeedEvent {
    /// The event's type; rows only hold the names the table's CHECK allows.
    pub fn event_type(&self) -> Result<EventType, StoreError> {
        self.kind.parse().map_err(StoreError::Internal)
    }
}

/// What one sequencer pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SequenceReport {
    /// Whether this pass held the sequencer's lock (another replica's pass may).
    pub ran: bool,
    pub events: u64,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Numbers at most `limit` events, the oldest first, in one transaction. Does nothing when
/// another sequencer holds the lock.
pub fn sequence(conn: &mut PgConnection, limit: i64) -> Result<SequenceReport, StoreError> {
    conn.transaction(|conn| {
        let lock: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<BigInt, _>(SEQUENCER_LOCK)
            .get_result(conn)?;
        if !lock.locked {
            return Ok(SequenceReport::default());
        }
        // Only rows of transactions that ended before every running one began: nothing
        // that commits later can take a number below these.
        // Each project's feed counts on from its last position; within a pass, in the
        // order the rows were written.
        let numbered: Vec<FeedEvent> = diesel::sql_query(
            "WITH next AS (SELECT project_id, id FROM events WHERE position IS NULL \
               AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY id LIMIT $1), \
             counts AS (SELECT project_id, count(*) AS n FROM next GROUP BY project_id), \
             feeds AS (INSERT INTO project_feeds (project_id, last_position) SELECT project_id, n FROM counts \
               ON CONFLICT (project_id) DO UPDATE SET last_position = project_feeds.last_position + EXCLUDED.last_position \
               RETURNING project_id, last_position), \
             numbered AS (SELECT next.project_id, next.id, \
                 feeds.last_position - counts.n + row_number() OVER (PARTITION BY next.project_id ORDER BY next.id) AS position \
               FROM next JOIN counts USING (project_id) JOIN feeds USING (project_id)) \
             UPDATE events e SET position = n.position FROM numbered n WHERE (e.project_id, e.id) = (n.project_id, n.id) \
             RETURNING e.id, e.position, e.project_id, e.type AS kind, e.survey_id, e.response_id, \
               e.occurred_at, e.data",
        )
        .bind::<BigInt, _>(limit)
        .load(conn)?;
        Ok(SequenceReport { ran: true, events: numbered.len() as u64 })
    })
}

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    kind: SurveyKind,
    #[diesel(sql_type = Nullable<Int2>)]
    scale_min: Option<i16>,
    #[diesel(sql_type = Nullable<Int2>)]
    scale_max: Option<i16>,
    #[diesel(sql_type = Nullable<Int2>)]
    score: Option<i16>,
    #[diesel(sql_type = Bool)]
    has_comment: bool,
}

/// The id of the delivery of `event_id` to `endpoint_id`: the same whoever sends it and
/// however often it is replayed (a name-based UUID: SHA-256 of both, version 8).
pub fn delivery_id(endpoint_id: Uuid, event_id: i64) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest =
        Sha256::new().chain_update(endpoint_id.as_bytes()).chain_update(event_id.to_be_bytes()).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The events of `events` that `subscription` wants, in their order, judged on the
/// answers as they are now (read once for the lot): an answer erased before its event is
/// sent is not sent.
pub fn wanted(
    conn: &mut PgConnection,
    subscription: &Subscription,
    events: Vec<FeedEvent>,
) -> Result<Vec<FeedEvent>, StoreError> {
    let facts = answer_facts(conn, events.iter())?;
    let mut wanted = Vec::with_capacity(events.len());
    for event in events {
        let answer = event.response_id.and_then(|id| facts.get(&(event.project_id, id)));
        if subscription.wants(event.event_type()?, event.survey_id, answer) {
            wanted.push(event);
        }
    }
    Ok(wanted)
}

/// Queues the events an endpoint wants to it again (a replay), due at `now`: a delivery
/// already made is queued again under its id, one never made is added; returns how many.
fn queue_again(
    conn: &mut PgConnection,
    endpoint: &Endpoint,
    events: Vec<FeedEvent>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let events = wanted(conn, &endpoint.subscription(), events)?;
    if events.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = events.iter().map(|e| delivery_id(endpoint.id, e.id)).collect();
    let event_ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let n = diesel::sql_query(
        "INSERT INTO webhook_deliveries (project_id, id, endpoint_id, event_id, next_attempt_at, created_at) \
         SELECT $1, d.id, $2, d.event_id, $5, $5 FROM unnest($3, $4) AS d(id, event_id) \
         ON CONFLICT (project_id, id) DO UPDATE SET state = 'pending', next_attempt_at = $5, settled_at = NULL, \
           retry_base = webhook_deliveries.attempts WHERE webhook_deliveries.state <> 'pending'",
    )
    .bind::<SqlUuid, _>(endpoint.project_id)
    .bind::<SqlUuid, _>(endpoint.id)
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<BigInt>, _>(&event_ids)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    Ok(n as u64)
}

/// What the endpoints' conditions are checked against, for the answers of `events` that
/// still exist, keyed by (project, answer).
fn answer_facts<'a>(
    conn: &mut PgConnection,
    events: impl Iterator<Item = &'a FeedEvent>,
) -> Result<HashMap<(Uuid, Uuid), AnswerFacts>, StoreError> {
    let (projects, ids): (Vec<Uuid>, Vec<Uuid>) =
        events.filter_map(|e| Some((e.project_id, e.response_id?))).unzip();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<FactsRow> = diesel::sql_query(
        "SELECT r.project_id, r.id, s.kind, s.scale_min, s.scale_max, r.score, \
           coalesce(r.comment, '') <> '' AS has_comment \
         FROM unnest($1, $2) AS k(project_id, id) \
         JOIN responses r ON (r.project_id, r.id) = (k.project_id, k.id) \
         JOIN surveys s ON (s.project_id, s.id) = (r.project_id, r.survey_id)",
    )
    .bind::<Array<SqlUuid>, _>(&projects)
    .bind::<Array<SqlUuid>, _>(&ids)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let scale = match (r.scale_min, r.scale_max) {
                (Some(min), Some(max)) => Some(Scale { min, max }),
                _ => r.kind.default_scale(),
            };
            let facts = AnswerFacts { kind: r.kind, scale, score: r.score, has_comment: r.has_comment };
            ((r.project_id, r.id), facts)
        })
        .collect())
}

/// A project's events after `after` (a position), oldest first, at most `limit`.
pub fn feed(
    conn: &mut PgConnection,
    project_id: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<FeedEvent>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT id, position, project_id, type AS kind, survey_id, response_id, occurred_at, data FROM events \
         WHERE project_id = $1 AND position > $2 ORDER BY position LIMIT $3",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// An event's place: its position and when it occurred.
pub type FeedMark = (i64, DateTime<Utc>);

/// Queues to one endpoint again the events of its project that occurred in
/// `[from, to)` and that it wants, at most `limit` of them after position `after`;
/// returns how many were queued and the last event looked at, its position and time, when
/// the batch was full (`None`: no more).
#[allow(clippy::too_many_arguments)]
pub fn replay(
    conn: &mut PgConnection,
    project_id: Uuid,
    endpoint_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<(u64, Option<FeedMark>), StoreError> {
    conn.transaction(|conn| {
        let batch: Vec<FeedEvent> = diesel::sql_query(
            "SELECT id, position, project_id, type AS kind, survey_id, response_id, occurred_at, data FROM events \
             WHERE project_id = $1 AND position > $2 AND occurred_at >= $4 AND occurred_at < $5 \
             ORDER BY position LIMIT $3",
        )
        .bind::<SqlUuid, _>(project_id)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)?;
        let last = batch.last().map(|e| (e.position, e.occurred_at)).filter(|_| batch.len() as i64 == limit);
        let Some(endpoint) = super::webhooks::endpoint(conn, project_id, endpoint_id)? else {
            return Ok((0, None));
        };
        let queued = if batch.is_empty() { 0 } else { queue_again(conn, &endpoint, batch, now)? };
        Ok((queued, last))
    })
}

/// The events with these `(project_id, id)`s (deliveries'), in any order.
pub fn by_keys(conn: &mut PgConnection, keys: &[(Uuid, i64)]) -> Result<Vec<FeedEvent>, StoreError> {
    let (projects, ids): (Vec<Uuid>, Vec<i64>) = keys.iter().copied().unzip();
    Ok(diesel::sql_query(
        "SELECT e.id, e.position, e.project_id, e.type AS kind, e.survey_id, e.response_id, e.occurred_at, e.data \
         FROM unnest($1::uuid[], $2::int8[]) AS k(project_id, id) \
         JOIN events e ON (e.project_id, e.id) = (k.project_id, k.id) WHERE e.position IS NOT NULL",
    )
    .bind::<Array<SqlUuid>, _>(&projects)
    .bind::<Array<BigInt>, _>(&ids)
    .load(conn)?)
}

/// The smallest position the project's feed still holds, and the last one handed out
/// (0 before its first event). A cursor below the first minus one points at events that
/// retention has removed.
pub fn horizon(conn: &mut PgConnection, project_id: Uuid) -> Result<(Option<i64>, i64), StoreError> {
    let first: Option<i64> = events::table
        .filter(events::project_id.eq(project_id))
        .filter(events::position.is_not_null())
        .select(diesel::dsl::min(events::position))
        .first(conn)?;
    let last: Option<i64> =
        project_feeds::table.find(project_id).select(project_feeds::last_position).first(conn).optional()?;
    Ok((first, last.unwrap_or(0)))
}

/// Writes one event of `kind` per answer (the follow-ups' and erasures' paths; new answers
/// get theirs in the insert's own statement).
pub fn record(
    conn: &mut PgConnection,
    kind: EventType,
    answers: &[(Uuid, Uuid, Uuid)],
) -> Result<(), StoreError> {
    if answers.is_empty() {
        return Ok(());
    }
    let (mut projects, mut surveys, mut ids) = (Vec::new(), Vec::new(), Vec::new());
    for &(project, survey, id) in answers {
        projects.push(project);
        surveys.push(survey);
        ids.push(id);
    }
    diesel::sql_query(
        "INSERT INTO events (project_id, type, survey_id, response_id) SELECT p, $4, s, r FROM unnest($1, $2, $3) AS e(p, s, r)",
    )
    .bind::<Array<SqlUuid>, _>(&projects)
    .bind::<Array<SqlUuid>, _>(&surveys)
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Text, _>(kind.as_str())
    .execute(conn)?;
    Ok(())
}

/// Writes a `survey.digest` event carrying `data` (the digest's figures: unlike an
/// answer, a digest has no row of its own to read them from when it is sent).
pub fn record_digest(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    data: &serde_json::Value,
) -> Result<(), StoreError> {
    diesel::insert_into(events::table)
        .values((
            events::project_id.eq(project_id),
            events::type_.eq(EventType::SurveyDigest.as_str()),
            events::survey_id.eq(survey_id),
            events::data.eq(data),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the oldest events of each project, at most `limit` in all: those before the
/// first that occurred at or after `horizon` or that an enabled endpoint still needs (a
/// pending delivery's, or one its stream has not reached; a disabled endpoint holds no
/// project's feed hostage: what it misses is skipped when it is on again, and a replay
/// brings what is still kept). Only
/// ever a prefix of a project's feed goes, so what is left has no gaps and a cursor is
/// either still good or plainly too old.
pub fn delete_before(conn: &mut PgConnection, horizon: DateTime<Utc>, limit: i64) -> Result<u64, StoreError> {
    let n = diesel::sql_query(
        "WITH bounds AS (SELECT f.project_id, least( \
             coalesce((SELECT e.position FROM events e WHERE e.project_id = f.project_id \
               AND e.position IS NOT NULL AND e.occurred_at >= $1 ORDER BY e.position LIMIT 1), f.last_position + 1), \
             coalesce((SELECT min(e.position) FROM webhook_deliveries d \
               JOIN events e ON (e.project_id, e.id) = (d.project_id, d.event_id) \
               JOIN webhook_endpoints ep ON (ep.project_id, ep.id) = (d.project_id, d.endpoint_id) \
               WHERE d.project_id = f.project_id AND d.state = 'pending' AND ep.enabled), \
               f.last_position + 1), \
             coalesce((SELECT min(ep.stream_position) + 1 FROM webhook_endpoints ep \
               WHERE ep.project_id = f.project_id AND ep.enabled), f.last_position + 1)) AS keep_from \
           FROM project_feeds f), \
         doomed AS (SELECT e.project_id, e.id FROM bounds b \
           JOIN events e ON e.project_id = b.project_id AND e.position < b.keep_from LIMIT $2) \
         DELETE FROM events e USING doomed d WHERE (e.project_id, e.id) = (d.project_id, d.id)",
    )
    .bind::<Timestamptz, _>(horizon)
    .bind::<BigInt, _>(limit)
    .execute(conn)?;
    Ok(n as u64)
}
