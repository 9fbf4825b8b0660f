//! Recording what happens to a survey, and reading its history back.

use super::surveys_edit::find_survey;
use super::ManageError;
use chrono::{DateTime, Utc};
use feedbackd_domain::history::with_schedule_moments;
use feedbackd_domain::{EventKind, SurveyEvent};
use feedbackd_store::Conn;
use feedbackd_store::{survey_events, Db};
use serde_json::Value;
use uuid::Uuid;

/// Records that `kind` happened to the survey, in the caller's transaction; returns when.
pub(super) fn record(
    conn: &mut Conn,
    project_id: Uuid,
    survey_id: Uuid,
    kind: EventKind,
    detail: Value,
) -> Result<DateTime<Utc>, ManageError> {
    Ok(survey_events::record(conn, project_id, survey_id, kind, &detail)?)
}

/// The history of a survey of the project (by id or key), oldest first: its stored events
/// and the openings and closings by its schedule that happened before `now`.
pub async fn survey_history(
    db: &Db,
    project_id: Uuid,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SurveyEvent>, ManageError> {
    let reference = reference.to_string();
    db.run(move |conn| history_in(conn, project_id, &reference, now)).await
}

fn history_in(
    conn: &mut Conn,
    project_id: Uuid,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SurveyEvent>, ManageError> {
    let survey = find_survey(conn, project_id, reference)?;
    let stored = survey_events::list(conn, project_id, survey.id)?
        .into_iter()
        .map(|row| SurveyEvent { at: row.at, kind: row.kind, detail: row.detail })
        .collect();
    Ok(with_schedule_moments(stored, survey.created_at, (survey.opens_at, survey.closes_at), now))
}
