//! Promoting an attribute key to a rollup dimension, and back. A project's indexed
//! attributes (`projects.indexed_attributes`) get hourly and day rollups, so breakdowns and
//! filters by them read rollups instead of raw rows.
//!
//! The rules are in `manage::indexing`. Changing the list, and each chunk of a new key's
//! backfill, hold the writers' lock exclusively (the one sealing uses, migration 000030)
//! for one short transaction: every insert in flight has committed, and is seen, before
//! the list or the backfill's watermark moves, so no answer is counted twice or left out
//! (migration 000210 says how the watermark and the rollup trigger share the work).

use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// Takes the writers' lock exclusively until the transaction ends: inserts in flight
/// commit first, new ones wait.
pub fn lock_writers(conn: &mut PgConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(feedbackd_seal_lock_key())").execute(conn)?;
    Ok(())
}

/// Lets the transaction's commit return before its WAL reaches the disk, so that a
/// backfill chunk lets go of the writers' lock without waiting in the writers' flush queue.
/// Safe: a chunk lost in a crash is lost whole (PostgreSQL replays the WAL in order), and
/// the watermark it would have moved is where the next run starts again.
pub fn commit_without_flush(conn: &mut PgConnection) -> Result<(), StoreError> {
    diesel::sql_query("SET LOCAL synchronous_commit = off").execute(conn)?;
    Ok(())
}

/// The project's indexed attributes as stored now, backfilled or not (`None`: no such
/// project).
pub fn indexed_attributes(
    conn: &mut PgConnection,
    project_id: Uuid,
) -> Result<Option<Vec<String>>, StoreError> {
    use super::schema::projects::dsl as p;
    Ok(p::projects.filter(p::id.eq(project_id)).select(p::indexed_attributes).first(conn).optional()?)
}

/// The indexed attributes whose rollups count every answer: the list without the keys
/// still being backfilled (`None`: no such project). Reports read them inside their
/// snapshot, so the list always matches the rollups they read.
pub fn filled_attributes(
    conn: &mut PgConnection,
    project_id: Uuid,
) -> Result<Option<Vec<String>>, StoreError> {
    #[derive(QueryableByName)]
    struct Filled {
        #[diesel(sql_type = Array<Text>)]
        keys: Vec<String>,
    }
    let filled = diesel::sql_query(
        "SELECT ARRAY(SELECT u.k FROM unnest(p.indexed_attributes) WITH ORDINALITY AS u(k, i) \
                      WHERE NOT EXISTS (SELECT FROM attribute_backfills b \
                                        WHERE (b.project_id, b.key) = (p.id, u.k)) \
                      ORDER BY u.i) AS keys \
         FROM projects p WHERE p.id = $1",
    )
    .bind::<SqlUuid, _>(project_id)
    .get_result::<Filled>(conn)
    .optional()?;
    Ok(filled.map(|f| f.keys))
}

/// The rollup tables a dimension has rows in, hours first: a sealer that runs while the
/// hours are deleted may still make day rows of them, which the later passes delete.
const DIMENSION_TABLES: [&str; 3] = ["score_rollups", "score_rollups_daily", "score_rollups_monthly"];

/// Deletes the rollup rows of dimension `key` in the project, month rows too, at once
/// (under the writers' lock, before a backfill): (hourly, daily) rows deleted.
pub fn delete_dimension(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
) -> Result<(usize, usize), StoreError> {
    let mut deleted = [0; 3];
    for (i, table) in DIMENSION_TABLES.iter().enumerate() {
        // Per survey, so that it reads a range of the primary key (project, survey,
        // dimension, ...): by project alone it read every dimension's rows (0.8 s at 1M
        // answers with nothing to delete, under the lock).
        deleted[i] = diesel::sql_query(format!(
            "DELETE FROM {table} r USING surveys s \
             WHERE s.project_id = $1 AND (r.project_id, r.survey_id) = (s.project_id, s.id) AND r.dimension = $2"
        ))
        .bind::<SqlUuid, _>(project_id)
        .bind::<Text, _>(key)
        .execute(conn)?;
    }
    Ok((deleted[0], deleted[1]))
}

/// Deletes up to `limit` rollup rows of dimension `key`, which is no longer indexed, from
/// the first table that still has some; nothing once the key is indexed again (its new
/// backfill deleted what was left, under the lock). No lock: reports and the trigger no
/// longer read or write the dimension. (hourly, daily) rows deleted; `None` when done.
pub fn delete_unindexed(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    limit: i64,
) -> Result<Option<(usize, usize)>, StoreError> {
    for (i, table) in DIMENSION_TABLES.iter().enumerate() {
        // Per survey, so each batch is a range of the primary key (project, survey, dimension, ...).
        let deleted = diesel::sql_query(format!(
            "DELETE FROM {table} WHERE ctid = ANY(ARRAY( \
                 SELECT r.ctid FROM surveys s JOIN {table} r ON (r.project_id, r.survey_id) = (s.project_id, s.id) \
                 WHERE s.project_id = $1 AND r.dimension = $2 LIMIT $3)) \
             AND NOT EXISTS (SELECT FROM projects WHERE id = $1 AND $2 = ANY(indexed_attributes))"
        ))
        .bind::<SqlUuid, _>(project_id)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(limit)
        .execute(conn)?;
        if deleted > 0 {
            return Ok(Some(match i {
                0 => (deleted, 0),
                1 => (0, deleted),
                _ => (0, 0),
            }));
        }
    }
    Ok(None)
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

/// Starts the backfill of `key`: from now on the rollup trigger counts it only for answers
/// at or after the watermark, which starts after every answer. Nothing if one is under way.
pub fn start_backfill(conn: &mut PgConnection, project_id: Uuid, key: &str) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO attribute_backfills (project_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .execute(conn)?;
    Ok(())
}

/// Ends the backfill of `key`, done or abandoned: the trigger counts it for every answer.
pub fn end_backfill(conn: &mut PgConnection, project_id: Uuid, key: &str) -> Result<(), StoreError> {
    diesel::sql_query("DELETE FROM attribute_backfills WHERE project_id = $1 AND key = $2")
        .bind::<SqlUuid, _>(project_id)
        .bind::<Text, _>(key)
        .execute(conn)?;
    Ok(())
}

/// Where the backfill of `key` stands: `None` when none is under way, else the watermark
/// (`Watermark(None)`: nothing counted yet).
pub fn backfill_watermark(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
) -> Result<Option<Watermark>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Timestamptz>)]
        counted_from: Option<DateTime<Utc>>,
    }
    let row = diesel::sql_query(
        "SELECT nullif(counted_from, 'infinity') AS counted_from FROM attribute_backfills \
         WHERE project_id = $1 AND key = $2",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .get_result::<Row>(conn)
    .optional()?;
    Ok(row.map(|r| Watermark(r.counted_from)))
}

/// A backfill's watermark: answers at or after it are counted in the key's rollups
/// (`None`: no answer yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark(pub Option<DateTime<Utc>>);

/// The time of the `rows`th newest answer of the project before `watermark`: a chunk
/// from there to the watermark holds about `rows` answers. `None`: fewer are left.
pub fn chunk_start(
    conn: &mut PgConnection,
    project_id: Uuid,
    watermark: Watermark,
    rows: i64,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Timestamptz)]
        answered_at: DateTime<Utc>,
    }
    let row = diesel::sql_query(
        "SELECT answered_at FROM responses \
         WHERE project_id = $1 AND answered_at < coalesce($2, 'infinity') \
         ORDER BY answered_at DESC OFFSET $3 - 1 LIMIT 1",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Nullable<Timestamptz>, _>(watermark.0)
    .bind::<BigInt, _>(rows.max(1))
    .get_result::<Row>(conn)
    .optional()?;
    Ok(row.map(|r| r.answered_at))
}

/// Reads the answers a chunk from `from` to the watermark will count, and nothing else:
/// done before the chunk takes the writers' lock, it brings their pages into memory, so
/// the locked pass does not wait on the disk. Answers posted by the benchmarks lie one to
/// a page (1,034 pages for 1,000): cold, such a chunk read for over 5 s under the lock.
pub fn read_chunk(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    from: Option<DateTime<Utc>>,
    watermark: Watermark,
) -> Result<(), StoreError> {
    diesel::sql_query(
        "SELECT count(*) FROM responses \
         WHERE project_id = $1 AND answered_at >= coalesce($3, '-infinity') \
           AND answered_at < coalesce($4, 'infinity') AND attributes ->> $2 IS NOT NULL",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .bind::<Nullable<Timestamptz>, _>(from)
    .bind::<Nullable<Timestamptz>, _>(watermark.0)
    .execute(conn)?;
    Ok(())
}

/// Counts the answers from `from` (`None`: the first) to the watermark in dimension
/// `key`'s rollups, as the insert trigger would have (values cut to 128 characters; day
/// rows for sealed days only), and moves the watermark to `from`; at `None` the backfill
/// is over. Needs the writers' lock: (hourly, daily) rows written or added to.
pub fn fill_chunk(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    from: Option<DateTime<Utc>>,
    watermark: Watermark,
) -> Result<(usize, usize), StoreError> {
    #[derive(QueryableByName)]
    struct Written {
        #[diesel(sql_type = BigInt)]
        hourly: i64,
        #[diesel(sql_type = BigInt)]
        daily: i64,
    }
    // A chunk's hours can hold answers the trigger counted (at or after the watermark) or
    // an earlier chunk did: its cells add to theirs.
    let written = diesel::sql_query(
        "WITH cells AS ( \
             SELECT project_id, survey_id, $2 AS dimension, left(attributes ->> $2, 128) AS value, \
                    date_trunc('hour', answered_at, 'UTC') AS bucket, \
                    coalesce(score, -1::smallint) AS score, count(*) AS n \
             FROM responses \
             WHERE project_id = $1 AND answered_at >= coalesce($3, '-infinity') \
               AND answered_at < coalesce($4, 'infinity') \
               AND duplicate_of IS NULL AND attributes ->> $2 IS NOT NULL \
             GROUP BY 1, 2, 3, 4, 5, 6 \
         ), hourly AS ( \
             INSERT INTO score_rollups AS r (project_id, survey_id, dimension, value, bucket, score, count) \
             SELECT * FROM cells ORDER BY 1, 2, 3, 4, 5, 6 \
             ON CONFLICT (project_id, survey_id, dimension, value, bucket, score) \
             DO UPDATE SET count = r.count + excluded.count \
             RETURNING 1 \
         ), daily AS ( \
             INSERT INTO score_rollups_daily AS r (project_id, survey_id, dimension, value, day, score, count) \
             SELECT c.project_id, c.survey_id, c.dimension, c.value, date_trunc('day', c.bucket, 'UTC'), \
                    c.score, sum(c.n) \
             FROM cells c \
             JOIN rollup_seals s ON (s.project_id, s.survey_id) = (c.project_id, c.survey_id) \
             WHERE c.bucket < s.sealed_before \
             GROUP BY 1, 2, 3, 4, 5, 6 \
             ORDER BY 1, 2, 3, 4, 5, 6 \
             ON CONFLICT (project_id, survey_id, dimension, value, day, score) \
             DO UPDATE SET count = r.count + excluded.count \
             RETURNING 1 \
         ), moved AS ( \
             UPDATE attribute_backfills SET counted_from = coalesce($3, '-infinity') \
             WHERE project_id = $1 AND key = $2 \
         ) \
         SELECT (SELECT count(*) FROM hourly) AS hourly, (SELECT count(*) FROM daily) AS daily",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .bind::<Nullable<Timestamptz>, _>(from)
    .bind::<Nullable<Timestamptz>, _>(watermark.0)
    .get_result::<Written>(conn)?;
    Ok((written.hourly as usize, written.daily as usize))
}
