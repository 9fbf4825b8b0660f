//! Response limits, enforced exactly inside the writer's transaction: a limited survey's
//! counter row is locked, so concurrent writers (any replica) take turns, and the answers
//! past the limit are refused before they are inserted. The last answer it allows closes
//! the survey (`surveys.closed_at`, an event in its history) in the same commit.

use super::models::NewAnswer;
use super::StoreError;
use super::{survey_counters, survey_events};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Uuid as SqlUuid};
use feedbackd_domain::EventKind;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A limited survey's room, as locked for this transaction.
#[derive(Debug, Clone, Copy)]
pub struct Room {
    pub limit: i32,
    /// Answers stored before this transaction.
    pub answers: i32,
}

#[derive(QueryableByName)]
struct LimitRow {
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    survey_id: Uuid,
    #[diesel(sql_type = Int4)]
    response_limit: i32,
}

/// The batch's distinct (project, survey) pairs, as the two arrays
/// `feedbackd_limited_surveys` takes.
pub fn batch_surveys(rows: &[NewAnswer]) -> (Vec<Uuid>, Vec<Uuid>) {
    let pairs: HashSet<(Uuid, Uuid)> = rows.iter().map(|r| (r.project_id, r.survey_id)).collect();
    pairs.into_iter().unzip()
}

/// The limited surveys among `rows`', each with its counter locked until the transaction
/// ends. Only batches with a limited survey come here; the writer's single-statement path
/// (`responses::insert_batch`) asks `feedbackd_limited_surveys` inside its insert.
///
/// Takes the writers' lock shared first (the rollup trigger would take it at the insert):
/// setting a limit counts the stored answers under that lock held exclusively, so a limit
/// is either seen here or set after this transaction's answers are counted, never between.
/// Both in one round trip (`feedbackd_limited_surveys`, migration 000095).
pub fn lock_rooms(
    conn: &mut PgConnection,
    rows: &[NewAnswer],
) -> Result<HashMap<(Uuid, Uuid), Room>, StoreError> {
    let (projects, surveys) = batch_surveys(rows);
    let mut limited: Vec<LimitRow> = diesel::sql_query("SELECT * FROM feedbackd_limited_surveys($1, $2)")
        .bind::<Array<SqlUuid>, _>(&projects)
        .bind::<Array<SqlUuid>, _>(&surveys)
        .load(conn)?;
    // One order for every writer, so two batches over the same surveys cannot deadlock.
    limited.sort_by_key(|l| (l.project_id, l.survey_id));
    let mut rooms = HashMap::new();
    for l in limited {
        // A limit set by hand (without `survey update`) has no counter yet: count once.
        survey_counters::start_if_missing(conn, l.project_id, l.survey_id)?;
        let answers = survey_counters::lock(conn, l.project_id, l.survey_id)?
            .ok_or_else(|| StoreError::Internal(format!("survey {} has no counter", l.survey_id)))?;
        rooms.insert((l.project_id, l.survey_id), Room { limit: l.response_limit, answers });
    }
    Ok(rooms)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The rows that would go past their survey's limit, by `(project_id, id)`: new answers in
/// batch order get the room that is left; replays of stored answers need none.
pub fn over_limit(
    conn: &mut PgConnection,
    rows: &[NewAnswer],
    rooms: &HashMap<(Uuid, Uuid), Room>,
) -> Result<HashSet<(Uuid, Uuid)>, StoreError> {
    let limited: Vec<&NewAnswer> =
        rows.iter().filter(|r| rooms.contains_key(&(r.project_id, r.survey_id))).collect();
    let mut stored = HashSet::new();
    let mut by_project: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in &limited {
        by_project.entry(r.project_id).or_default().push(r.id);
    }
    for (project_id, ids) in by_project {
        let found: Vec<IdRow> =
            diesel::sql_query("SELECT id FROM responses WHERE project_id = $1 AND id = ANY($2)")
                .bind::<SqlUuid, _>(project_id)
                .bind::<Array<SqlUuid>, _>(&ids)
                .load(conn)?;
        stored.extend(found.into_iter().map(|f| (project_id, f.id)));
    }
    let mut left: HashMap<(Uuid, Uuid), i32> =
        rooms.iter().map(|(k, room)| (*k, (room.limit - room.answers).max(0))).collect();
    let mut refused = HashSet::new();
    for r in limited {
        if stored.contains(&(r.project_id, r.id)) {
            continue;
        }
        let room = left.get_mut(&(r.project_id, r.survey_id)).expect("every limited survey has room");
        if *room > 0 {
            *room -= 1;
        } else {
            refused.insert((r.project_id, r.id));
        }
    }
    Ok(refused)
}

/// Counts the answers this transaction stored in limited surveys, and closes each survey
/// whose limit they reach.
pub fn count_stored(
    conn: &mut PgConnection,
    rooms: &HashMap<(Uuid, Uuid), Room>,
    created: impl Iterator<Item = (Uuid, Uuid)>,
) -> Result<(), StoreError> {
    let mut added: HashMap<(Uuid, Uuid), i32> = HashMap::new();
    for key in created.filter(|k| rooms.contains_key(k)) {
        *added.entry(key).or_default() += 1;
    }
    for ((project_id, survey_id), n) in added {
        let room = rooms[&(project_id, survey_id)];
        survey_counters::add(conn, project_id, survey_id, n)?;
        if room.answers + n >= room.limit {
            close(conn, project_id, survey_id, room.limit)?;
        }
    }
    Ok(())
}

/// Marks a survey closed by its limit, once, with the event in its history.
fn close(conn: &mut PgConnection, project_id: Uuid, survey_id: Uuid, limit: i32) -> Result<(), StoreError> {
    use super::schema::surveys::dsl as s;
    let closed = diesel::update(s::surveys.find((project_id, survey_id)).filter(s::closed_at.is_null()))
        .set(s::closed_at.eq(diesel::dsl::now))
        .execute(conn)?;
    if closed == 1 {
        let detail = serde_json::json!({"reason": "response_limit", "answers": limit});
        survey_events::record(conn, project_id, survey_id, EventKind::Closed, &detail)?;
    }
    Ok(())
}
