//! Queries of the insights reports: counts per score from hourly rollups, quarter-hour
//! rollups and raw rows, each over a list of time pieces sent as arrays (one statement
//! per source, however many buckets); and (in [`answers`]) the list of answers and comment
//! text. Both build their SQL with one builder, so a filter means the same rows in each.

mod answers;

pub use answers::{
    attribute_keys, by_keys as answers_by_keys, comments, list, list_each, JsonText, ListQuery, ListedAnswer,
};

use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, Int2, Int4, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_insights::filter::{RollupSelection, Segmenting, THEME_DIMENSION};
use feedbackd_insights::pieces::{Piece, Source};
use feedbackd_insights::text::sentiment::Tone;
use uuid::Uuid;

/// Counts of one score in one bucket (and one segment, when grouped).
#[derive(Debug, Clone, QueryableByName)]
pub struct CountRow {
    #[diesel(sql_type = Int4)]
    pub bucket: i32,
    /// The segment's value when grouped; `None` ungrouped, or for answers without it.
    #[diesel(sql_type = Nullable<Text>)]
    pub segment: Option<String>,
    #[diesel(sql_type = Int2)]
    pub score: i16,
    #[diesel(sql_type = Int8)]
    pub count: i64,
}

/// The conditions on raw rows, already resolved for the survey (band → score range).
#[derive(Debug, Clone, Default)]
pub struct RawFilter {
    pub score_min: Option<i16>,
    pub score_max: Option<i16>,
    pub attributes: Vec<(String, Vec<String>)>,
    /// Question key and options (or ratings as text), one of which the answer has.
    pub answers: Vec<(String, Vec<String>)>,
    pub has_comment: Option<bool>,
    pub categories: Vec<String>,
    pub text: Option<String>,
    /// Also repeats (`duplicate_of` set); every figure leaves them out.
    pub include_duplicates: bool,
    /// Only comments scored with this tone.
    pub sentiment: Option<Tone>,
    /// Only comments naming one of these themes.
    pub themes: Vec<String>,
}

/// Which rollup rows to read.
#[derive(Debug, Clone)]
pub enum RollupRows {
    /// A filter's selection (totals or one value of an indexed attribute).
    Select(RollupSelection),
    /// Every value of an indexed attribute, grouped.
    Group(String),
}

/// One bind value of a dynamically built statement.
enum Bind {
    Uuid(Uuid),
    Text(String),
    Texts(Vec<String>),
    Int2(i16),
    Int8(i64),
    Time(DateTime<Utc>),
    Times(Vec<DateTime<Utc>>),
    Ints(Vec<i32>),
}

/// A statement built from parts with numbered placeholders.
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a placeholder for `b`.
    fn bind(&mut self, b: Bind) -> &mut Self {
        self.binds.push(b);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    fn build(self) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        let mut q = diesel::sql_query(self.text).into_boxed::<Pg>();
        for b in self.binds {
            q = match b {
                Bind::Uuid(v) => q.bind::<SqlUuid, _>(v),
                Bind::Text(v) => q.bind::<Text, _>(v),
                Bind::Texts(v) => q.bind::<Array<Text>, _>(v),
                Bind::Int2(v) => q.bind::<Int2, _>(v),
                Bind::Int8(v) => q.bind::<Int8, _>(v),
                Bind::Time(v) => q.bind::<Timestamptz, _>(v),
                Bind::Times(v) => q.bind::<Array<Timestamptz>, _>(v),
                Bind::Ints(v) => q.bind::<Array<Int4>, _>(v),
            };
        }
        q
    }

    /// `unnest(starts, ends, buckets, signs) AS p(s, e, i, g)` for the pieces.
    fn pieces(&mut self, pieces: &[&Piece]) -> &mut Self {
        self.push("unnest(")
            .bind(Bind::Times(pieces.iter().map(|p| p.start).collect()))
            .push("::timestamptz[], ")
            .bind(Bind::Times(pieces.iter().map(|p| p.end).collect()))
            .push("::timestamptz[], ")
            .bind(Bind::Ints(pieces.iter().map(|p| p.bucket).collect()))
            .push("::int4[], ")
            .bind(Bind::Ints(pieces.iter().map(|p| p.sign).collect()))
            .push("::int4[]) AS p(s, e, i, g)")
    }

    /// ` WHERE …` selecting the rows of a list query (project, survey, time range, filter),
    /// without its cursor.
    fn list_where(&mut self, q: &ListQuery) -> &mut Self {
        self.push(" WHERE r.project_id = ").bind(Bind::Uuid(q.project_id));
        if let Some(survey) = q.survey_id {
            self.push(" AND r.survey_id = ").bind(Bind::Uuid(survey));
        }
        // No lower bound at all rather than a very early one: the keyset scan of
        // `responses_project_time` / `responses_survey_time` then starts at `to` and reads
        // back as far as the caller's pages go.
        if let Some(from) = q.from {
            self.push(" AND r.answered_at >= ").bind(Bind::Time(from));
        }
        self.push(" AND r.answered_at < ").bind(Bind::Time(q.to));
        self.filter(&q.filter)
    }

    /// ` AND …` for every condition of `f` on rows aliased `r`. Every read of raw rows
    /// comes through here, so a repeat is left out of them all as it is of the rollups.
    fn filter(&mut self, f: &RawFilter) -> &mut Self {
        if !f.include_duplicates {
            self.push(" AND r.duplicate_of IS NULL");
        }
        if let Some(lo) = f.score_min {
            self.push(" AND r.score >= ").bind(Bind::Int2(lo));
        }
        if let Some(hi) = f.score_max {
            self.push(" AND r.score <= ").bind(Bind::Int2(hi));
        }
        for (key, values) in &f.attributes {
            self.push(" AND r.attributes ->> ").bind(Bind::Text(key.clone()));
            self.push(" = ANY(").bind(Bind::Texts(values.clone())).push(")");
        }
        for (key, values) in &f.answers {
            self.push(" AND (r.answers -> ").bind(Bind::Text(key.clone()));
            self.push(" -> 'options' ?| ").bind(Bind::Texts(values.clone()));
            let (k, v) = (self.binds.len() - 1, self.binds.len());
            self.push(&format!(" OR r.answers -> ${k} ->> 'rating' = ANY(${v}))"));
        }
        match f.has_comment {
            Some(true) => self.push(" AND coalesce(r.comment, '') <> ''"),
            Some(false) => self.push(" AND coalesce(r.comment, '') = ''"),
            None => self,
        };
        if !f.categories.is_empty() {
            self.push(" AND r.category = ANY(").bind(Bind::Texts(f.categories.clone())).push(")");
        }
        // The thresholds are VADER's (`TONE_THRESHOLD`), compared as the stored `real`.
        match f.sentiment {
            Some(Tone::Positive) => self.push(" AND r.sentiment >= 0.05::real"),
            Some(Tone::Neutral) => self.push(" AND r.sentiment > -0.05::real AND r.sentiment < 0.05::real"),
            Some(Tone::Negative) => self.push(" AND r.sentiment <= -0.05::real"),
            None => self,
        };
        if !f.themes.is_empty() {
            self.push(" AND r.themes && ").bind(Bind::Texts(f.themes.clone()));
        }
        if let Some(q) = &f.text {
            self.push(" AND r.comment_tsv @@ websearch_to_tsquery('simple', ")
                .bind(Bind::Text(q.clone()))
                .push(")");
        }
        self
    }
}

/// The first instant whose day is not in the day rollups yet (none: no day is).
pub fn sealed_before(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    use super::schema::rollup_seals::dsl as s;
    Ok(s::rollup_seals
        .filter(s::project_id.eq(project_id).and(s::survey_id.eq(survey_id)))
        .select(s::sealed_before)
        .first(conn)
        .optional()?)
}

/// The table and time column of a rollup source.
fn rollup_table(source: Source) -> (&'static str, &'static str) {
    match source {
        Source::Monthly => ("score_rollups_monthly", "month"),
        Source::Daily => ("score_rollups_daily", "day"),
        Source::Quarter => ("score_rollups_quarter", "bucket"),
        Source::Hourly | Source::Raw => ("score_rollups", "bucket"),
    }
}

/// Counts per score from the rollup of `source` (monthly, daily, hourly or quarter-hour)
/// for its pieces.
pub fn rollup_counts(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    rows: &RollupRows,
    source: Source,
    pieces: &[Piece],
) -> Result<Vec<CountRow>, StoreError> {
    let pieces: Vec<&Piece> = pieces.iter().filter(|p| p.source == source).collect();
    if pieces.is_empty() {
        return Ok(vec![]);
    }
    // LATERAL makes every piece its own index range scan (aggregated there), whatever the
    // planner guesses about the length of the arrays.
    let mut sql = Sql::default();
    let (table, time) = rollup_table(source);
    // Themes are many: their own time indexes (migration 000180) read each piece in one
    // range scan. An attribute's few values are probed one by one.
    if let (RollupRows::Group(dimension), Source::Hourly | Source::Daily | Source::Monthly) = (rows, source) {
        if dimension != THEME_DIMENSION {
            return grouped_counts(conn, project_id, survey_id, dimension, source, &pieces);
        }
    }
    sql.push("SELECT p.i AS bucket, x.segment, x.score, sum(x.count * p.g)::int8 AS count FROM ");
    sql.pieces(&pieces).push(" CROSS JOIN LATERAL (SELECT ");
    // Quarter-hour rollups hold totals only.
    let segment = if matches!(rows, RollupRows::Group(_)) { "r.value" } else { "NULL::text" };
    sql.push(&format!(
        "{segment} AS segment, r.score, sum(r.count) AS count FROM {table} r WHERE r.project_id = "
    ));
    sql.bind(Bind::Uuid(project_id)).push(" AND r.survey_id = ").bind(Bind::Uuid(survey_id));
    if source != Source::Quarter {
        match rows {
            RollupRows::Select(RollupSelection::Total) => sql.push(" AND r.dimension = '' AND r.value = ''"),
            RollupRows::Select(RollupSelection::Value { dimension, value }) => sql
                .push(" AND r.dimension = ")
                .bind(Bind::Text(dimension.clone()))
                .push(" AND r.value = ")
                .bind(Bind::Text(value.clone())),
            // A literal, so the planner can use the themes' partial indexes.
            RollupRows::Group(dimension) if dimension == THEME_DIMENSION => {
                sql.push(" AND r.dimension = '#theme'")
            }
            RollupRows::Group(dimension) => {
                sql.push(" AND r.dimension = ").bind(Bind::Text(dimension.clone()))
            }
        };
    }
    sql.push(&format!(" AND r.{time} >= p.s AND r.{time} < p.e GROUP BY 1, 2) x GROUP BY 1, 2, 3"));
    Ok(sql.build().load(conn)?)
}

/// Monthly, daily or hourly counts per value of `dimension`. The values are found first (a loose
/// index scan of the hourly rollup, which has every value: one probe per distinct value),
/// so every (piece, value) is an index range scan on time; scanning the dimension with the
/// value free would read its whole history.
fn grouped_counts(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    dimension: &str,
    source: Source,
    pieces: &[&Piece],
) -> Result<Vec<CountRow>, StoreError> {
    let (table, time) = rollup_table(source);
    let mut sql = Sql::default();
    let (pid, sid, dim) = (Bind::Uuid(project_id), Bind::Uuid(survey_id), Bind::Text(dimension.to_string()));
    sql.push("WITH RECURSIVE v(value) AS ((SELECT r.value FROM score_rollups r WHERE r.project_id = ")
        .bind(pid);
    sql.push(" AND r.survey_id = ").bind(sid).push(" AND r.dimension = ").bind(dim);
    sql.push(
        " ORDER BY r.value LIMIT 1) UNION ALL SELECT (SELECT r.value FROM score_rollups r \
         WHERE r.project_id = $1 AND r.survey_id = $2 AND r.dimension = $3 AND r.value > v.value \
         ORDER BY r.value LIMIT 1) FROM v WHERE v.value IS NOT NULL) \
         SELECT p.i AS bucket, x.segment, x.score, sum(x.count * p.g)::int8 AS count FROM ",
    );
    sql.pieces(pieces).push(&format!(
        " CROSS JOIN (SELECT value FROM v WHERE value IS NOT NULL) vals CROSS JOIN LATERAL \
         (SELECT vals.value AS segment, r.score, sum(r.count) AS count FROM {table} r \
         WHERE r.project_id = $1 AND r.survey_id = $2 AND r.dimension = $3 AND r.value = vals.value \
         AND r.{time} >= p.s AND r.{time} < p.e GROUP BY 1, 2) x GROUP BY 1, 2, 3"
    ));
    Ok(sql.build().load(conn)?)
}

/// Counts per score from raw rows in the raw pieces, filtered, optionally grouped by an
/// attribute (cut to 128 characters, as the rollups are) or by a question's options (an
/// answer counts once under `''`, answered, and once under each option or its rating, as
/// the rollups count it). Answers without a score count as score -1, as in the rollups.
pub fn raw_counts(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    filter: &RawFilter,
    group: Option<&Segmenting>,
    pieces: &[Piece],
) -> Result<Vec<CountRow>, StoreError> {
    let pieces: Vec<&Piece> = pieces.iter().filter(|p| p.source == Source::Raw).collect();
    if pieces.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::default();
    sql.push("SELECT p.i AS bucket, x.segment, x.score, sum(x.count * p.g)::int8 AS count FROM ");
    sql.pieces(&pieces).push(" CROSS JOIN LATERAL (SELECT ");
    match group {
        Some(Segmenting::Attribute(key)) => {
            sql.push("left(r.attributes ->> ").bind(Bind::Text(key.to_string())).push(", 128)")
        }
        Some(Segmenting::Question(_) | Segmenting::Themes) => sql.push("o.value"),
        None => sql.push("NULL::text"),
    };
    sql.push(" AS segment, coalesce(r.score, -1::int2) AS score, count(*) AS count FROM responses r");
    if let Some(Segmenting::Question(key)) = group {
        sql.push(" CROSS JOIN LATERAL (SELECT ''::text AS value UNION ALL SELECT jsonb_array_elements_text(r.answers -> ")
            .bind(Bind::Text(key.clone()));
        let k = sql.binds.len();
        sql.push(&format!(
            " -> 'options') UNION ALL SELECT r.answers -> ${k} ->> 'rating' WHERE r.answers -> ${k} ? 'rating') o"
        ));
        sql.push(&format!(" WHERE r.answers ? ${k} AND r.project_id = "));
    } else if let Some(Segmenting::Themes) = group {
        // As the rollup trigger counts them: '' for an analysed comment, and each theme.
        sql.push(
            " CROSS JOIN LATERAL (SELECT ''::text AS value UNION ALL SELECT unnest(r.themes)) o \
             WHERE r.themes IS NOT NULL AND r.project_id = ",
        );
    } else {
        sql.push(" WHERE r.project_id = ");
    }
    sql.bind(Bind::Uuid(project_id));
    sql.push(" AND r.survey_id = ").bind(Bind::Uuid(survey_id));
    sql.push(" AND r.answered_at >= p.s AND r.answered_at < p.e");
    sql.filter(filter).push(" GROUP BY 1, 2) x GROUP BY 1, 2, 3");
    Ok(sql.build().load(conn)?)
}
