//! Writes of answers. The rollups follow by trigger in the same transaction.

use super::models::NewAnswer;
use super::schema::responses;
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What happened to one answer of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The survey of the stored row (for a replay: of the first write).
    pub survey_id: Uuid,
    /// Whether this write created the row, rather than finding it already there.
    pub created: bool,
}

/// Inserts answers in one transaction; returns one [`Stored`] per row, in order.
/// `rows` must be unique by `(project_id, id)` and sorted by it, so that concurrent writers
/// lock rows in one order. A row whose id is already stored is left as it was.
pub fn insert_batch(conn: &mut PgConnection, rows: &[NewAnswer]) -> Result<Vec<Stored>, StoreError> {
    debug_assert!(rows.windows(2).all(|w| (w[0].project_id, w[0].id) < (w[1].project_id, w[1].id)));
    conn.transaction(|conn| {
        let inserted: HashSet<(Uuid, Uuid)> = diesel::insert_into(responses::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning((responses::project_id, responses::id))
            .get_results::<(Uuid, Uuid)>(conn)?
            .into_iter()
            .collect();
        let existing =
            existing_surveys(conn, rows.iter().filter(|r| !inserted.contains(&(r.project_id, r.id))))?;
        rows.iter()
            .map(|r| {
                let key = (r.project_id, r.id);
                if inserted.contains(&key) {
                    Ok(Stored { survey_id: r.survey_id, created: true })
                } else {
                    existing.get(&key).map(|&survey_id| Stored { survey_id, created: false }).ok_or_else(
                        || StoreError::Internal(format!("answer {} neither inserted nor found", r.id)),
                    )
                }
            })
            .collect()
    })
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

/// The follow-up a widget sends after the score.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub comment: Option<String>,
    pub category: Option<String>,
}

/// What [`add_follow_up`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum FollowUpOutcome {
    /// Stored (or it was already stored exactly so: a replay).
    Applied { survey_id: Uuid },
    /// The answer has a different comment or category already; it is not overwritten.
    Conflict,
    /// No such answer in this project.
    NotFound,
}

/// survey_id, comment, category, received_at of an answer being followed up.
type FollowUpTarget = (Uuid, Option<String>, Option<String>, DateTime<Utc>);

/// Adds a comment and category to an answer that has none yet. Publishable keys are public,
/// so a follow-up can fill in an answer but never overwrite what it said, and only while
/// the answer is recent (`not_before`).
pub fn add_follow_up(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    follow_up: &FollowUp,
    not_before: DateTime<Utc>,
) -> Result<FollowUpOutcome, StoreError> {
    conn.transaction(|conn| {
        let current: Option<FollowUpTarget> = responses::table
            .find((project_id, id))
            .select((responses::survey_id, responses::comment, responses::category, responses::received_at))
            .for_update()
            .first(conn)
            .optional()?;
        let Some((survey_id, comment, category, received_at)) = current else {
            return Ok(FollowUpOutcome::NotFound);
        };
        let fits = |old: &Option<String>, new: &Option<String>| new.is_none() || old.is_none() || old == new;
        if !fits(&comment, &follow_up.comment) || !fits(&category, &follow_up.category) {
            return Ok(FollowUpOutcome::Conflict);
        }
        let changes = (follow_up.comment.is_some() && comment.is_none())
            || (follow_up.category.is_some() && category.is_none());
        if changes {
            if received_at < not_before {
                return Ok(FollowUpOutcome::Conflict);
            }
            diesel::update(responses::table.find((project_id, id)))
                .set((
                    responses::comment.eq(comment.or_else(|| follow_up.comment.clone())),
                    responses::category.eq(category.or_else(|| follow_up.category.clone())),
                    responses::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
        }
        Ok(FollowUpOutcome::Applied { survey_id })
    })
}
