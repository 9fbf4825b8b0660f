//! Deleting personal data: one respondent's answers and contact rows (erasure), and answers
//! past a project's retention horizon, in small batches. The rollup triggers subtract every
//! deleted answer in the deleting statement's transaction, so counts stay exact.

use super::schema::{projects, respondent_contacts, responses, survey_impressions};
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz, Uuid as SqlUuid};
use feedbackd_domain::webhook::EventType;
use feedbackd_domain::IpPolicy;
use uuid::Uuid;

/// Deletes every answer, contact row and impression of `respondent_id` in the project, in
/// one transaction. Returns how many answers, and contact rows and impressions, went.
pub fn erase_respondent(
    conn: &mut PgConnection,
    project_id: Uuid,
    respondent_id: &str,
) -> Result<(u64, u64), StoreError> {
    conn.transaction(|conn| {
        let erased: Vec<(Uuid, Uuid, Uuid)> = diesel::delete(
            responses::table
                .filter(responses::project_id.eq(project_id))
                .filter(responses::respondent_id.eq(respondent_id)),
        )
        .returning((responses::project_id, responses::survey_id, responses::id))
        .get_results(conn)?;
        // Whoever received the answers hears that they are gone, in this transaction.
        super::events::record(conn, EventType::ResponseErased, &erased)?;
        let answers = erased.len();
        let contacts = diesel::delete(
            respondent_contacts::table
                .filter(respondent_contacts::project_id.eq(project_id))
                .filter(respondent_contacts::respondent_id.eq(respondent_id)),
        )
        .execute(conn)?;
        let impressions = diesel::delete(
            survey_impressions::table
                .filter(survey_impressions::project_id.eq(project_id))
                .filter(survey_impressions::respondent_id.eq(respondent_id)),
        )
        .execute(conn)?;
        Ok((answers as u64, (contacts + impressions) as u64))
    })
}

/// Projects that keep answers for a limited time: id and days.
pub fn projects_with_retention(conn: &mut PgConnection) -> Result<Vec<(Uuid, i32)>, StoreError> {
    Ok(projects::table
        .filter(projects::retention_days.is_not_null())
        .select((projects::id, projects::retention_days.assume_not_null()))
        .order(projects::created_at.asc())
        .load(conn)?)
}

/// Deletes at most `limit` answers of one survey answered before `horizon` (the oldest
/// first, a range scan of `responses_survey_time`); returns how many. One statement, one
/// short transaction: locks are held only on the rows of this batch.
pub fn delete_answers_before(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    horizon: DateTime<Utc>,
    limit: i64,
) -> Result<u64, StoreError> {
    let n = diesel::sql_query(
        "DELETE FROM responses r USING (SELECT id FROM responses WHERE project_id = $1 AND survey_id = $2 \
         AND answered_at < $3 ORDER BY answered_at LIMIT $4) old WHERE r.project_id = $1 AND r.id = old.id",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .bind::<Timestamptz, _>(horizon)
    .bind::<BigInt, _>(limit)
    .execute(conn)?;
    Ok(n as u64)
}

/// Deletes at most `limit` contact rows of the project whose every timestamp is before
/// `horizon` (the recontact memory of people not seen since); returns how many.
pub fn delete_contacts_before(
    conn: &mut PgConnection,
    project_id: Uuid,
    horizon: DateTime<Utc>,
    limit: i64,
) -> Result<u64, StoreError> {
    let sql = "DELETE FROM respondent_contacts c USING (SELECT survey_id, respondent_id FROM respondent_contacts \
         WHERE project_id = $1 AND greatest(last_shown_at, last_answered_at, last_dismissed_at) < $2 LIMIT $3) old \
         WHERE c.project_id = $1 AND c.survey_id = old.survey_id AND c.respondent_id = old.respondent_id";
    delete_batch(conn, sql, project_id, horizon, limit)
}

/// Deletes at most `limit` impressions of the project recorded before `horizon`; returns
/// how many. The fatigue rules read `respondent_contacts`, so old impressions decide nothing.
pub fn delete_impressions_before(
    conn: &mut PgConnection,
    project_id: Uuid,
    horizon: DateTime<Utc>,
    limit: i64,
) -> Result<u64, StoreError> {
    let sql = "DELETE FROM survey_impressions i USING (SELECT id FROM survey_impressions \
         WHERE project_id = $1 AND shown_at < $2 LIMIT $3) old WHERE i.project_id = $1 AND i.id = old.id";
    delete_batch(conn, sql, project_id, horizon, limit)
}

/// Deletes, in batches of at most `limit` per rollup table, the project's rollup rows
/// before `horizon` that count nothing: what retention's subtractions leave behind (about
/// 280,000 rows for a month of 10 million answers), which would otherwise grow the rollup
/// tables forever. Only rows at zero go, so the rollups stay exact; a concurrent answer
/// that makes a row count again is kept (the delete re-checks the row it would remove).
/// Rows another transaction holds are skipped, not waited for (a later run takes them if
/// they still count nothing): a sealer on another replica locks rollup rows in key order
/// and this delete in table order, and waiting made the two deadlock.
pub fn delete_empty_rollups_before(
    conn: &mut PgConnection,
    project_id: Uuid,
    horizon: DateTime<Utc>,
    limit: i64,
) -> Result<u64, StoreError> {
    // Each rollup table, and the column its time is in.
    const TABLES: [(&str, &str); 4] = [
        ("score_rollups", "bucket"),
        ("score_rollups_quarter", "bucket"),
        ("score_rollups_daily", "day"),
        ("score_rollups_monthly", "month"),
    ];
    TABLES.iter().try_fold(0, |n, (table, time)| {
        let sql = format!(
            "DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} \
             WHERE project_id = $1 AND {time} < $2 AND count = 0 LIMIT $3 FOR UPDATE SKIP LOCKED) AND count = 0"
        );
        Ok(n + delete_batch(conn, &sql, project_id, horizon, limit)?)
    })
}

/// One batch of a retention delete: `sql` takes the project ($1), the horizon ($2) and the
/// batch size ($3); returns how many rows went.
fn delete_batch(
    conn: &mut PgConnection,
    sql: &str,
    project_id: Uuid,
    horizon: DateTime<Utc>,
    limit: i64,
) -> Result<u64, StoreError> {
    let n = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(project_id)
        .bind::<Timestamptz, _>(horizon)
        .bind::<BigInt, _>(limit)
        .execute(conn)?;
    Ok(n as u64)
}

/// Sets a project's retention (days, or `None` to keep answers forever) and/or IP policy.
pub fn update_privacy(
    conn: &mut PgConnection,
    project_id: Uuid,
    retention_days: Option<Option<i32>>,
    ip_policy: Option<IpPolicy>,
) -> Result<usize, StoreError> {
    let target = projects::table.find(project_id);
    let mut n = 0;
    if let Some(days) = retention_days {
        n = diesel::update(target).set(projects::retention_days.eq(days)).execute(conn)?;
    }
    if let Some(policy) = ip_policy {
        n = diesel::update(target).set(projects::ip_policy.eq(policy)).execute(conn)?;
    }
    Ok(n)
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// The advisory lock key of the retention run (one replica at a time).
const RETENTION_LOCK: i64 = 0x6662_6b72_6574; // "fbkret"

/// Takes the retention run's session lock if no other session holds it.
pub fn try_lock_retention(conn: &mut PgConnection) -> Result<bool, StoreError> {
    let row: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(RETENTION_LOCK)
        .get_result(conn)?;
    Ok(row.locked)
}

/// Releases the lock taken by [`try_lock_retention`].
pub fn unlock_retention(conn: &mut PgConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(RETENTION_LOCK).execute(conn)?;
    Ok(())
}
