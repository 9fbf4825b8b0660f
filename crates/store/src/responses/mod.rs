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
use feedbackd_domain::{Category, RespondentId, Score};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

mod follow_up;
pub use follow_up::{add_follow_up, follow_up_target, AnswerSoFar, FollowUp, FollowUpOutcome};

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

/// Inserts answers; returns one [`Stored`] per row, in order.
/// `rows` must be unique by `(project_id, id)` and sorted by it, so that concurrent writers
/// lock rows in one order. A row whose id is already stored is left as it was.
///
/// A new row that repeats an answer received within `duplicate_window` (same respondent,
/// survey, score and comment; see [`repeat_key`]) is stored with `duplicate_of` set, which
/// keeps it out of every figure. The database decides, so every replica and every restart
/// decides the same; two repeats committed at the same moment by different writers may
/// both count, which errs on the side of the respondent.
///
/// The common batch, none of whose surveys has a response limit, is one statement that is
/// its own transaction: one round trip instead of four (BEGIN, the limits query, the
/// insert, COMMIT), which at saturation cost the writer and PostgreSQL more than the rows
/// of a small batch did. A batch with a limited survey is written by [`insert_limited`].
pub fn insert_batch(
    conn: &mut PgConnection,
    rows: &[NewAnswer],
    duplicate_window: Duration,
) -> Result<Vec<Stored>, StoreError> {
    debug_assert!(rows.windows(2).all(|w| (w[0].project_id, w[0].id) < (w[1].project_id, w[1].id)));
    let results: Vec<(Option<Uuid>, Option<Uuid>, bool)> =
        UnlessLimited::new(rows, duplicate_window).get_results(conn)?;
    if results.iter().any(|(project_id, _, _)| project_id.is_none()) {
        return insert_limited(conn, rows, duplicate_window);
    }
    let inserted = results
        .into_iter()
        .filter_map(|(project_id, id, duplicate)| Some(((project_id?, id?), duplicate)))
        .collect();
    outcomes(conn, rows, &HashSet::new(), &inserted)
}

/// [`insert_batch`] for a batch with a limited survey, in one transaction that holds the
/// surveys' counters: the answers past a limit are refused, and the last one it admits
/// closes the survey.
fn insert_limited(
    conn: &mut PgConnection,
    rows: &[NewAnswer],
    duplicate_window: Duration,
) -> Result<Vec<Stored>, StoreError> {
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
        outcomes(conn, rows, &full, &inserted)
    })
}

/// One [`Stored`] per row: refused (`full`), created (`inserted`, with whether it is a
/// repeat), or already there, whose survey is read back.
fn outcomes(
    conn: &mut PgConnection,
    rows: &[NewAnswer],
    full: &HashSet<(Uuid, Uuid)>,
    inserted: &HashMap<(Uuid, Uuid), bool>,
) -> Result<Vec<Stored>, StoreError> {
    let existing = existing_surveys(
        conn,
        rows.iter().filter(|r| {
            let key = (r.project_id, r.id);
            !inserted.contains_key(&key) && !full.contains(&key)
        }),
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
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.write(out, false)
    }
}

impl UnnestInsert {
    /// The statement; with `unless_limited` its rows are inserted only when the CTE `lim`
    /// (see [`UnlessLimited`]) counted no limited survey.
    fn write<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>, unless_limited: bool) -> QueryResult<()> {
        // The earlier answer a row repeats: one probe of responses_respondent per row that
        // has a respondent and a comment, and none at all when the window is 0.
        // A data-modifying CTE: the answers and their `response.created` events (the
        // change feed's and the webhooks' outbox) in one statement and one round trip.
        // Flagged repeats are not events, as they are not counted.
        out.push_sql(if unless_limited { ", " } else { "WITH " });
        out.push_sql(
            "ins AS (INSERT INTO responses (project_id, id, survey_id, survey_version, respondent_id, score, \
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
             attributes, context, client_ip, client_time, answered_at, late, answers, repeats_in_batch) ",
        );
        if unless_limited {
            out.push_sql("WHERE (SELECT lim.n FROM lim) = 0 ");
        }
        out.push_sql(
            "ON CONFLICT DO NOTHING RETURNING project_id, id, survey_id, duplicate_of IS NOT NULL AS dup), \
             ev AS (INSERT INTO events (project_id, type, survey_id, response_id) \
               SELECT project_id, 'response.created', survey_id, id FROM ins WHERE NOT dup) \
             SELECT project_id, id, dup FROM ins",
        );
        if unless_limited {
            out.push_sql(" UNION ALL SELECT NULL, NULL, false FROM lim WHERE lim.n > 0");
        }
        Ok(())
    }
}

/// [`UnnestInsert`] as its own transaction, written only if none of the batch's surveys
/// has a response limit; else nothing is written and the one row returned has no ids.
/// `feedbackd_limited_surveys` (migration 000095) takes the writers' lock shared and reads
/// the limits with a snapshot of its own, in an InitPlan that runs before the first row
/// is inserted: a limit is either seen here or set after these answers are counted, as in
/// [`limits::lock_rooms`].
struct UnlessLimited {
    insert: UnnestInsert,
    /// The batch's distinct (project, survey) pairs, as two arrays.
    projects: Vec<Uuid>,
    surveys: Vec<Uuid>,
}

impl UnlessLimited {
    fn new(rows: &[NewAnswer], duplicate_window: Duration) -> Self {
        let (projects, surveys) = limits::batch_surveys(rows);
        UnlessLimited { insert: UnnestInsert::new(rows, duplicate_window), projects, surveys }
    }
}

impl QueryId for UnlessLimited {
    type QueryId = UnlessLimited;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for UnlessLimited {
    type SqlType = (Nullable<sql::Uuid>, Nullable<sql::Uuid>, sql::Bool);
}

impl RunQueryDsl<PgConnection> for UnlessLimited {}

impl QueryFragment<Pg> for UnlessLimited {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH lim AS (SELECT count(*) AS n FROM feedbackd_limited_surveys(");
        out.push_bind_param::<Array<sql::Uuid>, _>(&self.projects)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<sql::Uuid>, _>(&self.surveys)?;
        out.push_sql("))");
        self.insert.write(out.reborrow(), true)
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
