//! Promoting an attribute key to a rollup dimension, and back. A project's indexed
//! attributes (`projects.indexed_attributes`) get hourly and day rollups, so breakdowns and
//! filters by them read rollups instead of raw rows.
//!
//! The rules are in `manage::indexing`. Both directions hold the writers' lock exclusively (the one sealing uses, migration
//! 000030) for their one transaction: every insert in flight has committed before the list
//! changes, and none starts until the rollups match the new list. Otherwise a writer that
//! read the old list could commit rows the backfill cannot see, and they would be missing
//! from the new dimension for good. Ingest waits meanwhile; its queue answers `503` with
//! `Retry-After` if the wait is long, so nothing acknowledged is lost.

use super::StoreError;
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use uuid::Uuid;

/// Takes the writers' lock exclusively until the transaction ends: inserts in flight
/// commit first, new ones wait.
pub fn lock_writers(conn: &mut PgConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(feedbackd_seal_lock_key())").execute(conn)?;
    Ok(())
}

/// The project's indexed attributes as stored now (`None`: no such project). Reports read
/// them inside their snapshot, so the list always matches the rollups they read.
pub fn indexed_attributes(
    conn: &mut PgConnection,
    project_id: Uuid,
) -> Result<Option<Vec<String>>, StoreError> {
    use super::schema::projects::dsl as p;
    Ok(p::projects.filter(p::id.eq(project_id)).select(p::indexed_attributes).first(conn).optional()?)
}

/// Deletes the rollup rows of dimension `key` in the project, month rows too: (hourly,
/// daily) rows deleted.
pub fn delete_dimension(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
) -> Result<(usize, usize), StoreError> {
    let mut deleted = [0; 3];
    for (i, table) in ["score_rollups", "score_rollups_daily", "score_rollups_monthly"].iter().enumerate() {
        deleted[i] =
            diesel::sql_query(format!("DELETE FROM {table} WHERE project_id = $1 AND dimension = $2"))
                .bind::<SqlUuid, _>(project_id)
                .bind::<Text, _>(key)
                .execute(conn)?;
    }
    Ok((deleted[0], deleted[1]))
}

/// Adds `key` to the project's list, or takes it out.
pub fn set_indexed(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    indexed: bool,
) -> Result<(), StoreError> {
    let change = if indexed {
        "array_append(array_remove(indexed_attributes, $2), $2)"
    } else {
        "array_remove(indexed_attributes, $2)"
    };
    diesel::sql_query(format!("UPDATE projects SET indexed_attributes = {change} WHERE id = $1"))
        .bind::<SqlUuid, _>(project_id)
        .bind::<Text, _>(key)
        .execute(conn)?;
    Ok(())
}

/// Fills dimension `key`'s rollups from the stored answers, as the insert trigger would
/// have (values cut to 128 characters; day rows for sealed days only): (hourly, daily)
/// rows written. The dimension must be empty.
pub fn fill_dimension(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
) -> Result<(usize, usize), StoreError> {
    let hourly = diesel::sql_query(
        "INSERT INTO score_rollups (project_id, survey_id, dimension, value, bucket, score, count) \
         SELECT project_id, survey_id, $2, left(attributes ->> $2, 128), \
                date_trunc('hour', answered_at, 'UTC'), score, count(*) \
         FROM responses \
         WHERE project_id = $1 AND score IS NOT NULL AND duplicate_of IS NULL \
           AND attributes ->> $2 IS NOT NULL \
         GROUP BY 1, 2, 3, 4, 5, 6",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .execute(conn)?;
    let daily = diesel::sql_query(
        "INSERT INTO score_rollups_daily (project_id, survey_id, dimension, value, day, score, count) \
         SELECT r.project_id, r.survey_id, r.dimension, r.value, date_trunc('day', r.bucket, 'UTC'), \
                r.score, sum(r.count) \
         FROM score_rollups r \
         JOIN rollup_seals s ON (s.project_id, s.survey_id) = (r.project_id, r.survey_id) \
         WHERE r.project_id = $1 AND r.dimension = $2 AND r.bucket < s.sealed_before \
         GROUP BY 1, 2, 3, 4, 5, 6",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .execute(conn)?;
    Ok((hourly, daily))
}
