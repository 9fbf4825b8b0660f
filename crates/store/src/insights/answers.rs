//! The answers themselves: the list (keyset pages, newest first), the attribute keys an
//! export's columns need, and comment text for the terms.

use super::{Bind, RawFilter, Sql, StoreError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Float4, Int2, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_insights::pieces::{Piece, Source};
use serde_json::Value;
use uuid::Uuid;

/// An answer as the list shows it. Nullable columns are written as null, not left out.
#[derive(Debug, Clone, QueryableByName, serde::Serialize, utoipa::ToSchema)]
pub struct ListedAnswer {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub survey_id: Uuid,
    /// The app's id for the person, if it sent one.
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required)]
    pub respondent_id: Option<String>,
    /// On the survey's scale; null for a text survey.
    #[diesel(sql_type = Nullable<Int2>)]
    #[schema(required)]
    pub score: Option<i16>,
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required)]
    pub comment: Option<String>,
    /// One of the categories answers are checked against (a database constraint too).
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required, value_type = Option<feedbackd_domain::Category>)]
    pub category: Option<feedbackd_domain::Category>,
    /// The app's attributes of the answer (platform, app_version, …): scalars by key.
    #[diesel(sql_type = Jsonb)]
    #[schema(value_type = Object)]
    pub attributes: Value,
    /// The answers to the survey's questions by key: `{"options": [...], "other": "..."}`,
    /// `{"rating": n}` or `{"text": "..."}`; null when none.
    #[diesel(sql_type = Nullable<Jsonb>)]
    #[schema(required, value_type = Option<Object>)]
    pub answers: Option<Value>,
    /// Where the answer was given (page URL, user agent, device, screen).
    #[diesel(sql_type = Jsonb)]
    #[schema(value_type = Object)]
    pub context: Value,
    /// When the person answered: the client's time when plausible, else the server's.
    #[diesel(sql_type = Timestamptz)]
    pub answered_at: DateTime<Utc>,
    /// When the server received it.
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    /// The device's own time, as sent (null if it sent none).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[schema(required)]
    pub client_time: Option<DateTime<Utc>>,
    /// The device's time was older than the backdate limit (it was offline for long), so
    /// the answer counts at `answered_at`, when the server received it.
    #[diesel(sql_type = Bool)]
    pub late: bool,
    /// The earlier answer this one repeats (same respondent, survey, score and comment
    /// within the duplicate window): stored, but left out of every figure. Listed only
    /// with `include_duplicates=true`.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    #[schema(required)]
    pub duplicate_of: Option<Uuid>,
    /// VADER's compound score of the comment, -1 (negative) to 1 (positive); null without a
    /// comment, until the background task has scored it, and for a comment not in English.
    #[diesel(sql_type = Nullable<Float4>)]
    #[schema(required)]
    pub sentiment: Option<f32>,
    /// The language detected in the comment (ISO 639-3, `und` when too short to tell); null
    /// until the comment has been looked at. Set with a null `sentiment`: not scored.
    #[diesel(sql_type = Nullable<Text>)]
    #[schema(required)]
    pub sentiment_language: Option<String>,
    /// The comment's themes (keys, best first, as `/themes` names them); null until the
    /// comment has been analysed, empty when it names none.
    #[diesel(sql_type = Nullable<diesel::sql_types::Array<Text>>)]
    #[schema(required)]
    pub themes: Option<Vec<String>>,
    /// The comment's matching fragments, `<mark>`ed, when the list was searched.
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub highlight: Option<String>,
}

/// What the list asks for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub project_id: Uuid,
    pub survey_id: Option<Uuid>,
    /// The first instant; `None`: from the first answer.
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
    pub filter: RawFilter,
    /// Only answers before this (answered_at, id), newest first.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Answers newest first, keyset-paginated on (answered_at, id).
pub fn list(conn: &mut PgConnection, q: &ListQuery) -> Result<Vec<ListedAnswer>, StoreError> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT r.id, r.survey_id, r.respondent_id, r.score, r.comment, r.category, r.attributes, r.answers, r.context, \
         r.answered_at, r.received_at, r.client_time, r.late, r.duplicate_of, r.sentiment, r.sentiment_language, r.themes, ",
    );
    match &q.filter.text {
        Some(text) => sql
            .push("ts_headline('simple', coalesce(r.comment, ''), websearch_to_tsquery('simple', ")
            .bind(Bind::Text(text.clone()))
            .push("), 'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MinWords=5, MaxWords=20')"),
        None => sql.push("NULL::text"),
    };
    sql.push(" AS highlight FROM responses r");
    sql.list_where(q);
    if let Some((at, id)) = q.before {
        sql.push(" AND (r.answered_at, r.id) < (")
            .bind(Bind::Time(at))
            .push(", ")
            .bind(Bind::Uuid(id))
            .push(")");
    }
    sql.push(" ORDER BY r.answered_at DESC, r.id DESC LIMIT ").bind(Bind::Int8(q.limit));
    Ok(sql.build().load(conn)?)
}

/// Answers by `(project_id, id)`, in any order; erased ones are simply absent.
pub fn by_keys(conn: &mut PgConnection, keys: &[(Uuid, Uuid)]) -> Result<Vec<ListedAnswer>, StoreError> {
    let (projects, ids): (Vec<Uuid>, Vec<Uuid>) = keys.iter().copied().unzip();
    Ok(diesel::sql_query(
        "SELECT r.id, r.survey_id, r.respondent_id, r.score, r.comment, r.category, r.attributes, r.answers, r.context, \
         r.answered_at, r.received_at, r.client_time, r.late, r.duplicate_of, r.sentiment, r.sentiment_language, r.themes, \
         NULL::text AS highlight FROM unnest($1::uuid[], $2::uuid[]) AS k(project_id, id) \
         JOIN responses r ON (r.project_id, r.id) = (k.project_id, k.id)",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&projects)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&ids)
    .load(conn)?)
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    key: String,
}

/// The attribute keys present in the answers `q` selects (ignoring its cursor), sorted, at
/// most `limit`: the export's columns, known before its first row.
pub fn attribute_keys(conn: &mut PgConnection, q: &ListQuery, limit: i64) -> Result<Vec<String>, StoreError> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT DISTINCT k.key FROM responses r CROSS JOIN LATERAL jsonb_object_keys(r.attributes) AS k(key)",
    );
    sql.list_where(q);
    sql.push(" ORDER BY 1 LIMIT ").bind(Bind::Int8(limit));
    let rows: Vec<KeyRow> = sql.build().load(conn)?;
    Ok(rows.into_iter().map(|r| r.key).collect())
}

#[derive(QueryableByName)]
struct CommentRow {
    #[diesel(sql_type = Int4)]
    bucket: i32,
    #[diesel(sql_type = Text)]
    comment: String,
}

/// The newest non-empty comments (at most `limit` per bucket) of each bucket's range.
pub fn comments(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    filter: &RawFilter,
    ranges: &[(DateTime<Utc>, DateTime<Utc>)],
    limit: i64,
) -> Result<Vec<(i32, String)>, StoreError> {
    let pieces: Vec<Piece> = ranges
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| Piece { start, end, source: Source::Raw, bucket: i as i32, sign: 1 })
        .collect();
    let refs: Vec<&Piece> = pieces.iter().collect();
    let mut sql = Sql::default();
    sql.push("SELECT p.i AS bucket, c.comment FROM ");
    sql.pieces(&refs).push(" CROSS JOIN LATERAL (SELECT r.comment FROM responses r WHERE r.project_id = ");
    sql.bind(Bind::Uuid(project_id)).push(" AND r.survey_id = ").bind(Bind::Uuid(survey_id));
    sql.push(" AND r.answered_at >= p.s AND r.answered_at < p.e AND coalesce(r.comment, '') <> ''");
    sql.filter(filter);
    sql.push(" ORDER BY r.answered_at DESC LIMIT ").bind(Bind::Int8(limit)).push(") c");
    let rows: Vec<CommentRow> = sql.build().load(conn)?;
    Ok(rows.into_iter().map(|r| (r.bucket, r.comment)).collect())
}
