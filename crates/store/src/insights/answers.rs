//! The answers themselves: the list (keyset pages, newest first), the attribute keys an
//! export's columns need, and comment text for the terms.

use super::{Bind, RawFilter, Sql, StoreError};
use chrono::{DateTime, Utc};
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::expression_types::Untyped;
use diesel::pg::{Pg, PgRowByRowLoadingMode, PgValue};
use diesel::prelude::*;
use diesel::row::{Field, Row};
use diesel::sql_types::{Bool, Float4, Int2, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_insights::pieces::{Piece, Source};
use serde_json::Value;
use uuid::Uuid;

/// An answer as the list shows it. Nullable columns are written as null, not left out.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ListedAnswer<J = Value> {
    pub id: Uuid,
    pub survey_id: Uuid,
    /// The app's id for the person, if it sent one.
    #[schema(required)]
    pub respondent_id: Option<String>,
    /// On the survey's scale; null for a text survey.
    #[schema(required)]
    pub score: Option<i16>,
    #[schema(required)]
    pub comment: Option<String>,
    /// One of the categories answers are checked against (a database constraint too).
    #[schema(required, value_type = Option<feedbackd_domain::Category>)]
    pub category: Option<feedbackd_domain::Category>,
    /// The app's attributes of the answer (platform, app_version, …): scalars by key.
    #[schema(value_type = Object)]
    pub attributes: J,
    /// The answers to the survey's questions by key: `{"options": [...], "other": "..."}`,
    /// `{"rating": n}` or `{"text": "..."}`; null when none.
    #[schema(required, value_type = Option<Object>)]
    pub answers: Option<J>,
    /// Where the answer was given (page URL, user agent, device, screen).
    #[schema(value_type = Object)]
    pub context: J,
    /// When the person answered: the client's time when plausible, else the server's.
    pub answered_at: DateTime<Utc>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    /// The device's own time, as sent (null if it sent none).
    #[schema(required)]
    pub client_time: Option<DateTime<Utc>>,
    /// The device's time was older than the backdate limit (it was offline for long), so
    /// the answer counts at `answered_at`, when the server received it.
    pub late: bool,
    /// The earlier answer this one repeats (same respondent, survey, score and comment
    /// within the duplicate window): stored, but left out of every figure. Listed only
    /// with `include_duplicates=true`.
    #[schema(required)]
    pub duplicate_of: Option<Uuid>,
    /// VADER's compound score of the comment, -1 (negative) to 1 (positive); null without a
    /// comment, until the background task has scored it, and for a comment not in English.
    #[schema(required)]
    pub sentiment: Option<f32>,
    /// The language detected in the comment (ISO 639-3, `und` when too short to tell); null
    /// until the comment has been looked at. Set with a null `sentiment`: not scored.
    #[schema(required)]
    pub sentiment_language: Option<String>,
    /// The comment's themes (keys, best first, as `/themes` names them); null until the
    /// comment has been analysed, empty when it names none.
    #[schema(required)]
    pub themes: Option<Vec<String>>,
    /// The comment's matching fragments, `<mark>`ed, when the list was searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub highlight: Option<String>,
}

/// A `jsonb` value as PostgreSQL writes it out, not parsed: for readers that need a few of
/// its members (the CSV export picks them from the text) rather than the whole tree, which
/// costs an allocation per key and value. Serialised as the JSON it is.
#[derive(Debug, Clone)]
pub struct JsonText(String);

impl JsonText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromSql<Jsonb, Pg> for JsonText {
    fn from_sql(value: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        // Binary jsonb is a version byte (1) and the text.
        match value.as_bytes().split_first() {
            Some((1, text)) => Ok(JsonText(std::str::from_utf8(text)?.to_owned())),
            _ => Err("unsupported jsonb encoding version".into()),
        }
    }
}

impl serde::Serialize for JsonText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// The columns of [`ListedAnswer`], in the order it reads them by position (by name, a row
/// of 18 columns compared names 150 times: a tenth of an export's time), then `highlight`.
/// Debug builds check the names, so a query that selects them in another order fails.
const LISTED_COLUMNS: &str =
    "r.id, r.survey_id, r.respondent_id, r.score, r.comment, r.category, r.attributes, \
    r.answers, r.context, r.answered_at, r.received_at, r.client_time, r.late, r.duplicate_of, r.sentiment, \
    r.sentiment_language, r.themes";

impl<J: FromSql<Jsonb, Pg>> FromSqlRow<Untyped, Pg> for ListedAnswer<J> {
    fn build_from_row<'a>(row: &impl Row<'a, Pg>) -> diesel::deserialize::Result<Self> {
        if cfg!(debug_assertions) {
            let names =
                (0..row.field_count()).map(|i| row.get(i).and_then(|f| f.field_name().map(str::to_string)));
            let want = LISTED_COLUMNS.split(", ").map(|c| c.trim_start_matches("r.")).chain(["highlight"]);
            assert!(
                names.map(Option::unwrap_or_default).eq(want),
                "ListedAnswer reads its columns by position"
            );
        }
        Ok(ListedAnswer {
            id: row.get_value::<SqlUuid, _, _>(0)?,
            survey_id: row.get_value::<SqlUuid, _, _>(1)?,
            respondent_id: row.get_value::<Nullable<Text>, _, _>(2)?,
            score: row.get_value::<Nullable<Int2>, _, _>(3)?,
            comment: row.get_value::<Nullable<Text>, _, _>(4)?,
            category: row.get_value::<Nullable<Text>, _, _>(5)?,
            attributes: row.get_value::<Jsonb, _, _>(6)?,
            answers: row.get_value::<Nullable<Jsonb>, _, _>(7)?,
            context: row.get_value::<Jsonb, _, _>(8)?,
            answered_at: row.get_value::<Timestamptz, _, _>(9)?,
            received_at: row.get_value::<Timestamptz, _, _>(10)?,
            client_time: row.get_value::<Nullable<Timestamptz>, _, _>(11)?,
            late: row.get_value::<Bool, _, _>(12)?,
            duplicate_of: row.get_value::<Nullable<SqlUuid>, _, _>(13)?,
            sentiment: row.get_value::<Nullable<Float4>, _, _>(14)?,
            sentiment_language: row.get_value::<Nullable<Text>, _, _>(15)?,
            themes: row.get_value::<Nullable<diesel::sql_types::Array<Text>>, _, _>(16)?,
            highlight: row.get_value::<Nullable<Text>, _, _>(17)?,
        })
    }
}

/// Where an answer stands in the list's order: (answered_at, id).
pub type Keyset = (DateTime<Utc>, Uuid);

/// What the list asks for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub project_id: Uuid,
    pub survey_id: Option<Uuid>,
    /// The first instant; `None`: from the first answer.
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
    pub filter: RawFilter,
    /// Only answers before this, newest first.
    pub before: Option<Keyset>,
    pub limit: i64,
}

/// Answers newest first, keyset-paginated on (answered_at, id).
pub fn list(conn: &mut PgConnection, q: &ListQuery) -> Result<Vec<ListedAnswer>, StoreError> {
    Ok(list_sql(q).build().load(conn)?)
}

/// The page [`list`] reads, handed to `each` answer by answer as PostgreSQL sends them
/// (libpq's single-row mode): the server finds the next rows while the caller encodes the
/// last ones, and the page is never held whole. Returns the page's last answer's key, the
/// cursor of the next page, with how many answers it had.
pub fn list_each<J: FromSql<Jsonb, Pg> + 'static, E: From<StoreError>>(
    conn: &mut PgConnection,
    q: &ListQuery,
    mut each: impl FnMut(ListedAnswer<J>) -> Result<(), E>,
) -> Result<(i64, Option<Keyset>), E> {
    let (mut count, mut last) = (0, None);
    let rows = list_sql(q)
        .build()
        .load_iter::<ListedAnswer<J>, PgRowByRowLoadingMode>(conn)
        .map_err(StoreError::from)?;
    for row in rows {
        let answer = row.map_err(StoreError::from)?;
        count += 1;
        last = Some((answer.answered_at, answer.id));
        each(answer)?;
    }
    Ok((count, last))
}

fn list_sql(q: &ListQuery) -> Sql {
    let mut sql = Sql::default();
    sql.push(&format!("SELECT {LISTED_COLUMNS}, "));
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
    sql
}

/// Answers by `(project_id, id)`, in any order; erased ones are simply absent.
pub fn by_keys(conn: &mut PgConnection, keys: &[(Uuid, Uuid)]) -> Result<Vec<ListedAnswer>, StoreError> {
    let (projects, ids): (Vec<Uuid>, Vec<Uuid>) = keys.iter().copied().unzip();
    Ok(diesel::sql_query(format!(
        "SELECT {LISTED_COLUMNS}, NULL::text AS highlight FROM unnest($1::uuid[], $2::uuid[]) \
             AS k(project_id, id) JOIN responses r ON (r.project_id, r.id) = (k.project_id, k.id)"
    ))
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&projects)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&ids)
    .load(conn)?)
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    key: String,
}

/// The attribute keys the answers of `q`'s survey (of its project, without a survey) have
/// ever carried, sorted, at most `limit`: the export's columns, known before its first row
/// and the same for every export of the survey, whatever its range and filters. Read from
/// `attribute_keys`, which the answers' insert trigger keeps (migration 000200).
pub fn attribute_keys(conn: &mut PgConnection, q: &ListQuery, limit: i64) -> Result<Vec<String>, StoreError> {
    let mut sql = Sql::default();
    sql.push("SELECT DISTINCT key FROM attribute_keys WHERE project_id = ").bind(Bind::Uuid(q.project_id));
    if let Some(survey) = q.survey_id {
        sql.push(" AND survey_id = ").bind(Bind::Uuid(survey));
    }
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
