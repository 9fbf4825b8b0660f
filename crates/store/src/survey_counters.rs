//! The answers stored for each limited survey (`survey_counters`): the writer adds to it in
//! the answer's transaction; management starts it when a limit is set and drops it when
//! the limit is removed, so a survey has a counter exactly while it has a limit.

use super::StoreError;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Uuid as SqlUuid};
use uuid::Uuid;

#[derive(QueryableByName)]
struct Answers {
    #[diesel(sql_type = Integer)]
    answers: i32,
}

/// The answers counted for a limited survey, its counter row locked until the transaction
/// ends (so no writer adds to it meanwhile); `None`: the survey has no counter.
pub fn lock(conn: &mut PgConnection, project_id: Uuid, survey_id: Uuid) -> Result<Option<i32>, StoreError> {
    let row: Option<Answers> = diesel::sql_query(
        "SELECT answers FROM survey_counters WHERE project_id = $1 AND survey_id = $2 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| r.answers))
}

/// Whether the survey has a counter (read without a lock).
pub fn exists(conn: &mut PgConnection, project_id: Uuid, survey_id: Uuid) -> Result<bool, StoreError> {
    use super::schema::survey_counters::dsl as c;
    let found =
        c::survey_counters.find((project_id, survey_id)).select(c::answers).first::<i32>(conn).optional()?;
    Ok(found.is_some())
}

/// Starts the survey's counter at the number of answers stored now; returns it. The caller
/// must hold the writers' lock exclusively (`store::indexing::lock_writers`), or an answer
/// committed between the count and the limit would never be counted.
pub fn start(conn: &mut PgConnection, project_id: Uuid, survey_id: Uuid) -> Result<i32, StoreError> {
    let row: Answers = diesel::sql_query(
        "INSERT INTO survey_counters (project_id, survey_id, answers) \
         SELECT $1, $2, count(*)::integer FROM responses WHERE project_id = $1 AND survey_id = $2 \
         ON CONFLICT (project_id, survey_id) DO UPDATE SET answers = EXCLUDED.answers \
         RETURNING answers",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .get_result(conn)?;
    Ok(row.answers)
}

/// Starts the counter of a survey limited without `survey update` (by hand in SQL) at the
/// answers stored now, unless it has one; the writer's fallback, under the writers' lock
/// held shared. Two writers may both try: the second finds the first's row and keeps it.
pub fn start_if_missing(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO survey_counters (project_id, survey_id, answers) \
         SELECT $1, $2, count(*) FROM responses WHERE project_id = $1 AND survey_id = $2 \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .execute(conn)?;
    Ok(())
}

/// Adds `n` answers stored by the caller's transaction, which holds the row's lock.
pub fn add(conn: &mut PgConnection, project_id: Uuid, survey_id: Uuid, n: i32) -> Result<(), StoreError> {
    use super::schema::survey_counters::dsl as c;
    diesel::update(c::survey_counters.find((project_id, survey_id)))
        .set(c::answers.eq(c::answers + n))
        .execute(conn)?;
    Ok(())
}

/// Drops the counter of a survey that is no longer limited.
pub fn remove(conn: &mut PgConnection, project_id: Uuid, survey_id: Uuid) -> Result<(), StoreError> {
    use super::schema::survey_counters::dsl as c;
    diesel::delete(c::survey_counters.find((project_id, survey_id))).execute(conn)?;
    Ok(())
}
