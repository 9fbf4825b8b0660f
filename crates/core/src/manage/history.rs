//! Recording what happens to a survey, and reading its history back.

use super::surveys_edit::not_found;
use super::ManageError;
use feedbackd_domain::history::with_schedule_moments;
use feedbackd_domain::{EventKind, SurveyEvent};
use feedbackd_store::{survey_events, surveys};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde_json::Value;
use uuid::Uuid;

/// Records that `kind` happened to the survey, in the caller's transaction; returns when.
pub(super) fn record(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    kind: EventKind,
    detail: Value,
) -> Result<DateTime<Utc>, ManageError> {
    Ok(survey_events::record(conn, project_id, survey_id, kind, &detail)?)
}

/// The history of a survey of the project (by id or key), oldest first: its stored events
/// and the openings and closings by its schedule that happened before `now`.
pub fn survey_history(
    conn: &mut PgConnection,
    project_id: Uuid,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SurveyEvent>, ManageError> {
    let survey = surveys::find_by_ref(conn, project_id, reference)?.ok_or_else(|| not_found(reference))?;
    let stored = survey_events::list(conn, project_id, survey.id)?
        .into_iter()
        .map(|row| SurveyEvent { at: row.at, kind: row.kind, detail: row.detail })
        .collect();
    Ok(with_schedule_moments(stored, survey.created_at, (survey.opens_at, survey.closes_at), now))
}
