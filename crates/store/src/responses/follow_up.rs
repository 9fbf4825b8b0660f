//! Follow-ups: the comment, category and answers a widget adds to an answer just given.

use crate::schema::responses;
use crate::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use feedbackd_domain::webhook::EventType;
use feedbackd_domain::Category;
use uuid::Uuid;

/// The follow-up a widget sends after the score.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub comment: Option<String>,
    pub category: Option<Category>,
    /// Answers by question key, in the stored form (`feedbackd_domain::Answers`): checked
    /// against the survey before they get here.
    pub answers: serde_json::Map<String, serde_json::Value>,
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

/// survey_id, comment, category, received_at, answers of an answer being followed up.
type FollowUpTarget = (Uuid, Option<String>, Option<Category>, DateTime<Utc>, Option<serde_json::Value>);

/// survey_id, score and answers of an answer whose follow-up answers are being checked.
pub type AnswerSoFar = (Uuid, Option<i16>, Option<serde_json::Value>);

/// What the questions of a follow-up are checked against: the answer's survey, its score
/// and its answers so far. Neither the score nor an answer ever changes once stored, so
/// the check needs no lock.
pub fn follow_up_target(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<AnswerSoFar>, StoreError> {
    Ok(responses::table
        .find((project_id, id))
        .select((responses::survey_id, responses::score, responses::answers))
        .first(conn)
        .optional()?)
}

/// `old` with the answers of `new` to questions not answered yet; `None` when one of them
/// was answered differently (a follow-up fills in, never overwrites).
fn merge_answers(
    old: Option<&serde_json::Value>,
    new: &serde_json::Map<String, serde_json::Value>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut merged = old.and_then(|v| v.as_object()).cloned().unwrap_or_default();
    for (key, answer) in new {
        match merged.get(key) {
            Some(stored) if stored != answer => return None,
            Some(_) => {}
            None => {
                merged.insert(key.clone(), answer.clone());
            }
        }
    }
    Some(merged)
}

/// Whether a follow-up's value may be stored over `old`: it says nothing, there is nothing
/// yet, or it says the same.
fn fits<T: PartialEq>(old: &Option<T>, new: &Option<T>) -> bool {
    new.is_none() || old.is_none() || old == new
}

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
            .select((
                responses::survey_id,
                responses::comment,
                responses::category,
                responses::received_at,
                responses::answers,
            ))
            .for_update()
            .first(conn)
            .optional()?;
        let Some((survey_id, comment, category, received_at, answers)) = current else {
            return Ok(FollowUpOutcome::NotFound);
        };
        let Some(merged) = merge_answers(answers.as_ref(), &follow_up.answers) else {
            return Ok(FollowUpOutcome::Conflict);
        };
        if !fits(&comment, &follow_up.comment) || !fits(&category, &follow_up.category) {
            return Ok(FollowUpOutcome::Conflict);
        }
        let new_answers = merged.len() != answers.as_ref().and_then(|a| a.as_object()).map_or(0, |a| a.len());
        let changes = (follow_up.comment.is_some() && comment.is_none())
            || (follow_up.category.is_some() && category.is_none())
            || new_answers;
        if changes {
            if received_at < not_before {
                return Ok(FollowUpOutcome::Conflict);
            }
            diesel::update(responses::table.find((project_id, id)))
                .set((
                    responses::comment.eq(comment.or_else(|| follow_up.comment.clone())),
                    responses::category.eq(category.or(follow_up.category)),
                    responses::answers.eq(if merged.is_empty() {
                        None
                    } else {
                        Some(serde_json::Value::Object(merged))
                    }),
                    responses::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
            crate::events::record(conn, EventType::ResponseUpdated, &[(project_id, survey_id, id)])?;
        }
        Ok(FollowUpOutcome::Applied { survey_id })
    })
}
