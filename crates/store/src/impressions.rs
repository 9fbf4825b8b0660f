//! Queries on `survey_impressions`: what widgets really showed, and the history the fatigue
//! decision reads (a person's contacts across every survey, a session's impressions).

use super::schema::survey_impressions as si;
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_domain::fatigue::Contact;
use uuid::Uuid;

/// One impression to record, with the decision already taken.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = si)]
pub struct NewImpression<'a> {
    pub project_id: Uuid,
    pub id: Uuid,
    pub survey_id: Uuid,
    pub respondent_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub shown_at: DateTime<Utc>,
    pub allowed: bool,
    pub reason: Option<&'a str>,
}

/// A stored impression's decision: (survey, allowed, reason).
pub type Decision = (Uuid, bool, Option<String>);

/// The decision recorded under `id`, if the widget sent it before (a replay).
pub fn find(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<Option<Decision>, StoreError> {
    Ok(si::table
        .find((project_id, id))
        .select((si::survey_id, si::allowed, si::reason))
        .first(conn)
        .optional()?)
}

/// Records an impression; `false` when one with its id was there already.
pub fn insert(conn: &mut PgConnection, new: &NewImpression<'_>) -> Result<bool, StoreError> {
    let n = diesel::insert_into(si::table).values(new).on_conflict_do_nothing().execute(conn)?;
    Ok(n == 1)
}

/// Serialises the decisions about one person, so that two devices asking at once cannot
/// both be allowed past a rule that only one may pass. Held until the transaction ends.
pub fn lock_respondent(
    conn: &mut PgConnection,
    project_id: Uuid,
    respondent_id: &str,
) -> Result<(), StoreError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 7))")
        .bind::<Text, _>(project_id.to_string())
        .bind::<Text, _>(respondent_id)
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct ContactRow {
    #[diesel(sql_type = SqlUuid)]
    survey_id: Uuid,
    #[diesel(sql_type = Bool)]
    exempt: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_shown_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_answered_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_dismissed_at: Option<DateTime<Utc>>,
}

/// Everything remembered about a person in a project, with each survey's exemption.
pub fn contacts(
    conn: &mut PgConnection,
    project_id: Uuid,
    respondent_id: &str,
) -> Result<Vec<Contact>, StoreError> {
    let rows: Vec<ContactRow> = diesel::sql_query(
        "SELECT c.survey_id, coalesce((s.targeting ->> 'fatigue_exempt')::boolean, false) AS exempt, \
                c.last_shown_at, c.last_answered_at, c.last_dismissed_at \
         FROM respondent_contacts c \
         JOIN surveys s ON (s.project_id, s.id) = (c.project_id, c.survey_id) \
         WHERE c.project_id = $1 AND c.respondent_id = $2",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(respondent_id)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Contact {
            survey_id: r.survey_id,
            exempt: r.exempt,
            last_shown_at: r.last_shown_at,
            last_answered_at: r.last_answered_at,
            last_dismissed_at: r.last_dismissed_at,
        })
        .collect())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many surveys that count toward the fatigue rules a session was allowed to show.
pub fn shown_in_session(
    conn: &mut PgConnection,
    project_id: Uuid,
    session_id: &str,
) -> Result<u32, StoreError> {
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM survey_impressions i \
         JOIN surveys s ON (s.project_id, s.id) = (i.project_id, i.survey_id) \
         WHERE i.project_id = $1 AND i.session_id = $2 AND i.allowed \
           AND NOT coalesce((s.targeting ->> 'fatigue_exempt')::boolean, false)",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(session_id)
    .get_result(conn)?;
    Ok(u32::try_from(row.n).unwrap_or(u32::MAX))
}
