//! Writes of answers. The rollups follow by trigger in the same transaction.

use super::limits;
use super::models::NewAnswer;
use super::schema::responses;
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{self as sql, Array, Nullable};
use feedbackd_domain::webhook::EventType;
use feedbackd_domain::{Category, RespondentId, Score};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

/// What happened to one answer of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The survey of the stored row (for a replay: of the first write).
    pub survey_id: Uuid,
    /// Whether this write created the row, rather than finding it already there.
    pub created: bool,
    /// Whether the row this write created repeats an earlier answer and is not counted.
    pub duplicate: bool,
    /// Not stored: its survey had reached its response limit.
    pub refused_full: bool,
}

/// Inserts answers in one transaction; returns one [`Stored`] per row, in order.
/// `rows` must be unique by `(project_id, id)` and sorted by it, so that concurrent writers
/// lock rows in one order. A row whose id is already stored is left as it was.
///
/// A new row that repeats an answer received within `duplicate_window` (same respondent,
/// survey, score and comment; see [`repeat_key`]) is stored with `duplicate_of` set, which
/// keeps it out of every figure. The database decides, so every replica and every restart
/// decides the same; two repeats committed at the same moment by different writers may
/// both count, which errs on the side of the respondent.
pub fn insert_batch(
    conn: &mut PgConnection,
    rows: &[NewAnswer],
    duplicate_window: Duration,
) -> Result<Vec<Stored>, StoreError> {
    debug_assert!(rows.windows(2).all(|w| (w[0].project_id, w[0].id) < (w[1].project_id, w[1].id)));
    conn.transaction(|conn| {
        let rooms = limits::lock_rooms(conn, rows)?;
        let full = if rooms.is_empty() { HashSet::new() } else { limits::over_limit(conn, rows, &rooms)? };
        let admitted: Vec<NewAnswer>;
        let to_insert = if full.is_empty() {
            rows
        } else {
            admitted = rows.iter().filter(|r| !full.contains(&(r.project_id, r.id))).cloned().collect();
            &admitted[..]
        };
        let inserted: HashMap<(Uuid, Uuid), bool> = if to_insert.is_empty() {
            HashMap::new()
        } else {
            UnnestInsert::new(to_insert, duplicate_window)
                .get_results::<(Uuid, Uuid, bool)>(conn)?
                .into_iter()
                .map(|(project_id, id, duplicate)| ((project_id, id), duplicate))
                .collect()
        };
        if !rooms.is_empty() {
            let created = to_insert
                .iter()
                .filter(|r| inserted.contains_key(&(r.project_id, r.id)))
                .map(|r| (r.project_id, r.survey_id));
            limits::count_stored(conn, &rooms, created)?;
        }
        let existing = existing_surveys(
            conn,
            to_insert.iter().filter(|r| !inserted.contains_key(&(r.project_id, r.id))),
        )?;
        let stored =
            |survey_id, created, duplicate| Stored { survey_id, created, duplicate, refused_full: false };
        rows.iter()
            .map(|r| {
                let key = (r.project_id, r.id);
                if full.contains(&key) {
                    Ok(Stored { refused_full: true, ..stored(r.survey_id, false, false) })
                } else if let Some(&duplicate) = inserted.get(&key) {
                    Ok(stored(r.survey_id, true, duplicate))
                } else {
                    existing.get(&key).map(|&survey_id| stored(survey_id, false, false)).ok_or_else(|| {
                        StoreError::Internal(format!("answer {} neither inserted nor found", r.id))
                    })
                }
            })
            .collect()
    })
}

/// What makes two answers the same answer given twice: project, respondent, survey, score
/// and comment (trimmed). Answers without a respondent or a comment are never repeats:
/// nothing tells two people's bare scores apart.
fn repeat_key(r: &NewAnswer) -> Option<(Uuid, &RespondentId, Uuid, Option<Score>, &str)> {
    let comment = r.comment.as_deref()?.trim_matches(BLANKS);
    Some((r.project_id, r.respondent_id.as_ref()?, r.survey_id, r.score, comment))
}

/// What [`repeat_key`] trims off a comment; the insert's `btrim` takes the same characters.
const BLANKS: [char; 4] = [' ', '\t', '\n', '\r'];

/// For each row, the id of an earlier row of the same batch that it repeats. Rows of one
/// statement do not see each other, so a double submit that lands in one batch is found
/// here; repeats of rows already stored are found by the insert itself.
fn repeats_within(rows: &[NewAnswer]) -> Vec<Option<Uuid>> {
    let mut first: HashMap<_, Uuid> = HashMap::new();
    rows.iter()
        .map(|r| {
            let key = repeat_key(r)?;
            match first.get(&key) {
                Some(&earlier) => Some(earlier),
                None => {
                    first.insert(key, r.id);
                    None
                }
            }
        })
        .collect()
}

/// `INSERT … SELECT FROM unnest(one array per column) ON CONFLICT DO NOTHING`. Its text is
/// the same for every batch size, so each connection prepares and plans it once; a
/// multi-row `VALUES` list is a new statement for each batch size, and planning those took
/// about an eighth of PostgreSQL's CPU under load.
#[derive(Debug, Default)]
struct UnnestInsert {
    project_id: Vec<Uuid>,
    id: Vec<Uuid>,
    survey_id: Vec<Uuid>,
    survey_version: Vec<i32>,
    respondent_id: Vec<Option<RespondentId>>,
    score: Vec<Option<Score>>,
    comment: Vec<Option<String>>,
    category: Vec<Option<Category>>,
    attributes: Vec<serde_json::Value>,
    context: Vec<serde_json::Value>,
    client_ip: Vec<Option<ipnet::IpNet>>,
    client_time: Vec<Option<DateTime<Utc>>>,
    answered_at: Vec<DateTime<Utc>>,
    late: Vec<bool>,
    answers: Vec<Option<serde_json::Value>>,
    repeats_in_batch: Vec<Option<Uuid>>,
    /// Seconds; 0 turns the repeat check off.
    duplicate_window: f64,
}

impl UnnestInsert {
    fn new(rows: &[NewAnswer], duplicate_window: Duration) -> Self {
        let mut q = UnnestInsert {
            duplicate_window: duplicate_window.as_secs_f64(),
            repeats_in_batch: if duplicate_window.is_zero() {
                vec![None; rows.len()]
            } else {
                repeats_within(rows)
            },
            ..UnnestInsert::default()
        };
        for r in rows {
            q.project_id.push(r.project_id);
            q.id.push(r.id);
            q.survey_id.push(r.survey_id);
            q.survey_version.push(r.survey_version);
            q.respondent_id.push(r.respondent_id.clone());
            q.score.push(r.score);
            q.comment.push(r.comment.clone());
            q.category.push(r.category);
            q.attributes.push(r.attributes.clone());
            q.context.push(r.context.clone());
            q.client_ip.push(r.client_ip);
            q.client_time.push(r.client_time);
            q.answered_at.push(r.answered_at);
            q.late.push(r.late);
            q.answers.push(r.answers.clone());
        }
        q
    }
}

impl QueryId for UnnestInsert {
    type QueryId = UnnestInsert;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for UnnestInsert {
    type SqlType = (sql::Uuid, sql::Uuid, sql::Bool);
}

impl RunQueryDsl<PgConnection> for UnnestInsert {}

impl QueryFragment<Pg> for UnnestInsert {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The earlier answer a row repeats: one probe of responses_respondent per row that
        // has a respondent and a comment, and none at all when the window is 0.
        // A data-modifying CTE: the answers and their `response.created` events (the
        // change feed's and the webhooks' outbox) in one statement and one round trip.
        // Flagged repeats are not events, as they are not counted.
        out.push_sql(
            "WITH ins AS (INSERT INTO responses (project_id, id, survey_id, survey_version, respondent_id, score, \
             comment, category, attributes, context, client_ip, client_time, answered_at, late, \
             answers, duplicate_of) \
             SELECT n.project_id, n.id, n.survey_id, n.survey_version, n.respondent_id, n.score, \
             n.comment, n.category, n.attributes, n.context, n.client_ip, n.client_time, n.answered_at, \
             n.late, n.answers, coalesce((SELECT p.id FROM responses p \
               WHERE w.secs > 0 AND n.respondent_id IS NOT NULL AND n.comment IS NOT NULL \
               AND p.project_id = n.project_id AND p.respondent_id = n.respondent_id \
               AND p.survey_id = n.survey_id AND p.score IS NOT DISTINCT FROM n.score \
               AND p.duplicate_of IS NULL \
               AND btrim(p.comment, E' \\t\\n\\r') = btrim(n.comment, E' \\t\\n\\r') \
               AND p.received_at > now() - make_interval(secs => w.secs) \
               ORDER BY p.received_at LIMIT 1), n.repeats_in_batch) \
             FROM (SELECT ",
        );
        out.push_bind_param::<sql::Double, _>(&self.duplicate_window)?;
        out.push_sql("::float8 AS secs) w CROSS JOIN unnest(");
        out.push_bind_param::<Array<sql::Uuid>, _>(&self.project_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Uuid>, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Uuid>, _>(&self.survey_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Int4>, _>(&self.survey_version)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Text>>, _>(&self.respondent_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Int2>>, _>(&self.score)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Text>>, _>(&self.comment)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Text>>, _>(&self.category)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Jsonb>, _>(&self.attributes)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Jsonb>, _>(&self.context)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Inet>>, _>(&self.client_ip)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Timestamptz>>, _>(&self.client_time)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Timestamptz>, _>(&self.answered_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Bool>, _>(&self.late)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Jsonb>>, _>(&self.answers)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<sql::Uuid>>, _>(&self.repeats_in_batch)?;
        out.push_sql(
            ") AS n(project_id, id, survey_id, survey_version, respondent_id, score, comment, category, \
             attributes, context, client_ip, client_time, answered_at, late, answers, repeats_in_batch) \
             ON CONFLICT DO NOTHING RETURNING project_id, id, survey_id, duplicate_of IS NOT NULL AS dup), \
             ev AS (INSERT INTO events (project_id, type, survey_id, response_id) \
               SELECT project_id, 'response.created', survey_id, id FROM ins WHERE NOT dup) \
             SELECT project_id, id, dup FROM ins",
        );
        Ok(())
    }
}

/// The surveys of answers that are already stored, keyed by `(project_id, id)`.
fn existing_surveys<'a>(
    conn: &mut PgConnection,
    rows: impl Iterator<Item = &'a NewAnswer>,
) -> Result<HashMap<(Uuid, Uuid), Uuid>, StoreError> {
    let mut by_project: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for row in rows {
        by_project.entry(row.project_id).or_default().push(row.id);
    }
    let mut found = HashMap::new();
    for (project_id, ids) in by_project {
        let rows: Vec<(Uuid, Uuid)> = responses::table
            .filter(responses::project_id.eq(project_id))
            .filter(responses::id.eq_any(ids))
            .select((responses::id, responses::survey_id))
            .load(conn)?;
        found.extend(rows.into_iter().map(|(id, survey)| ((project_id, id), survey)));
    }
    Ok(found)
}

/// The follow-up a widget sends after the score.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub comment: Option<String>,
    pub category: Option<Category>,
    /// Answers by question key, in the stored form (`feedbackd_domain::Answers`): checked
    /// against the survey before they get here.
    pub answers: serde_json::Map<String, serde_json::Value>,
}

/// What [`add_follow_up`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum FollowUpOutcome {
    /// Stored (or it was already stored exactly so: a replay).
    Applied { survey_id: Uuid },
    /// The answer has a different comment or category already; it is not overwritten.
    Conflict,
    /// No such answer in this project.
    NotFound,
}

/// survey_id, comment, category, received_at, answers of an answer being followed up.
type FollowUpTarget = (Uuid, Option<String>, Option<Category>, DateTime<Utc>, Option<serde_json::Value>);

/// survey_id, score and answers of an answer whose follow-up answers are being checked.
pub type AnswerSoFar = (Uuid, Option<i16>, Option<serde_json::Value>);

/// What the questions of a follow-up are checked against: the answer's survey, its score
/// and its answers so far. Neither the score nor an answer ever changes once stored, so
/// the check needs no lock.
pub fn follow_up_target(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<AnswerSoFar>, StoreError> {
    Ok(responses::table
        .find((project_id, id))
        .select((responses::survey_id, responses::score, responses::answers))
        .first(conn)
        .optional()?)
}

/// `old` with the answers of `new` to questions not answered yet; `None` when one of them
/// was answered differently (a follow-up fills in, never overwrites).
fn merge_answers(
    old: Option<&serde_json::Value>,
    new: &serde_json::Map<String, serde_json::Value>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut merged = old.and_then(|v| v.as_object()).cloned().unwrap_or_default();
    for (key, answer) in new {
        match merged.get(key) {
            Some(stored) if stored != answer => return None,
            Some(_) => {}
            None => {
                merged.insert(key.clone(), answer.clone());
            }
        }
    }
    Some(merged)
}

/// Whether a follow-up's value may be stored over `old`: it says nothing, there is nothing
/// yet, or it says the same.
fn fits<T: PartialEq>(old: &Option<T>, new: &Option<T>) -> bool {
    new.is_none() || old.is_none() || old == new
}

/// Adds a comment and category to an answer that has none yet. Publishable keys are public,
/// so a follow-up can fill in an answer but never overwrite what it said, and only while
/// the answer is recent (`not_before`).
pub fn add_follow_up(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    follow_up: &FollowUp,
    not_before: DateTime<Utc>,
) -> Result<FollowUpOutcome, StoreError> {
    conn.transaction(|conn| {
        let current: Option<FollowUpTarget> = responses::table
            .find((project_id, id))
            .select((
                responses::survey_id,
                responses::comment,
                responses::category,
                responses::received_at,
                responses::answers,
            ))
            .for_update()
            .first(conn)
            .optional()?;
        let Some((survey_id, comment, category, received_at, answers)) = current else {
            return Ok(FollowUpOutcome::NotFound);
        };
        let Some(merged) = merge_answers(answers.as_ref(), &follow_up.answers) else {
            return Ok(FollowUpOutcome::Conflict);
        };
        if !fits(&comment, &follow_up.comment) || !fits(&category, &follow_up.category) {
            return Ok(FollowUpOutcome::Conflict);
        }
        let new_answers = merged.len() != answers.as_ref().and_then(|a| a.as_object()).map_or(0, |a| a.len());
        let changes = (follow_up.comment.is_some() && comment.is_none())
            || (follow_up.category.is_some() && category.is_none())
            || new_answers;
        if changes {
            if received_at < not_before {
                return Ok(FollowUpOutcome::Conflict);
            }
            diesel::update(responses::table.find((project_id, id)))
                .set((
                    responses::comment.eq(comment.or_else(|| follow_up.comment.clone())),
                    responses::category.eq(category.or(follow_up.category)),
                    responses::answers.eq(if merged.is_empty() {
                        None
                    } else {
                        Some(serde_json::Value::Object(merged))
                    }),
                    responses::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
            super::events::record(conn, EventType::ResponseUpdated, &[(project_id, survey_id, id)])?;
        }
        Ok(FollowUpOutcome::Applied { survey_id })
    })
}
