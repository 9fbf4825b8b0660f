//! Reading, editing and moving surveys through their lifecycle. Every function is scoped
//! to one project: a survey of another project is "not found", never "forbidden".

use super::history::record;
use super::schedule::{lock_counter, settle_limit, LimitMove, ScheduleChange};
use super::{project_zone, to_json, ManageError};
use chrono::{DateTime, Utc};
use feedbackd_domain::{
    EventKind, FieldError, Presentation, Questions, Scale, Schedule, SurveyKind, SurveyStatus, Targeting,
};
use feedbackd_store::models::{Survey, SurveyChanges};
use feedbackd_store::{surveys, StoreError};
use feedbackd_store::{transaction, Conn, Db};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

// A survey with its rules parsed: what the API answers, the CLI prints and the widget
// configuration uses. (`SurveyOut` in the OpenAPI document, as it always was.)
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SurveyOut, description = "A survey.")]
pub struct SurveyView {
    pub id: Uuid,
    pub key: String,
    pub kind: SurveyKind,
    pub question: String,
    /// The score range; absent for text surveys.
    pub scale: Option<Scale>,
    pub presentation: Presentation,
    pub targeting: Targeting,
    /// The questions beyond the score, retired ones included; a choice survey's `main` first.
    pub questions: Questions,
    pub status: SurveyStatus,
    #[serde(flatten)]
    pub schedule: Schedule,
    /// Bumped by every edit of what respondents see; answers record it.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SurveyView {
    /// Whether it takes answers at `now`: active, and its schedule open.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.status == SurveyStatus::Active && self.schedule.is_open(now)
    }
}

impl TryFrom<Survey> for SurveyView {
    type Error = ManageError;
    fn try_from(s: Survey) -> Result<Self, ManageError> {
        // Stored rules were checked on write; failing to read them back is a bug.
        let broken = |what: &str, e: &dyn std::fmt::Display| {
            ManageError::Store(StoreError::Internal(format!(
                "survey {}: stored {what} unreadable: {e}",
                s.id
            )))
        };
        let (scale, schedule) = (s.scale(), s.schedule());
        Ok(SurveyView {
            kind: s.kind,
            status: s.status,
            presentation: serde_json::from_value(s.presentation.clone())
                .map_err(|e| broken("presentation", &e))?,
            targeting: serde_json::from_value(s.targeting.clone()).map_err(|e| broken("targeting", &e))?,
            questions: serde_json::from_value(s.questions.clone()).map_err(|e| broken("questions", &e))?,
            id: s.id,
            key: s.key,
            question: s.question,
            scale,
            schedule,
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
    }
}

/// What an edit changes; `None` keeps the current value. Presentation and targeting are
/// replaced whole.
#[derive(Debug, Default)]
pub struct SurveyPatch {
    pub question: Option<String>,
    pub scale_min: Option<i16>,
    pub scale_max: Option<i16>,
    pub presentation: Option<Presentation>,
    pub targeting: Option<Targeting>,
    /// Sets `targeting.fatigue_exempt` alone (after `targeting`, if both are given), so the
    /// CLI can flip it without rewriting the rest.
    pub fatigue_exempt: Option<bool>,
    pub schedule: ScheduleChange,
    /// The questions as they should be; what it leaves out of the current ones stays, retired.
    pub questions: Option<Questions>,
}

/// A lifecycle move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// active → paused: takes no answers and is not shown, until resumed.
    Pause,
    /// draft or paused → active.
    Resume,
    /// anything → archived, for good.
    Archive,
}

/// A project's surveys, optionally in one status, oldest first.
pub async fn list_surveys(
    db: &Db,
    project_id: Uuid,
    status: Option<SurveyStatus>,
) -> Result<Vec<SurveyView>, ManageError> {
    db.run(move |conn| {
        let rows = match status {
            Some(status) => surveys::list_by_status(conn, project_id, status)?,
            None => surveys::list(conn, project_id)?,
        };
        rows.into_iter().map(SurveyView::try_from).collect()
    })
    .await
}

/// One survey of the project, by id or key.
pub async fn get_survey(db: &Db, project_id: Uuid, reference: &str) -> Result<SurveyView, ManageError> {
    let reference = reference.to_string();
    db.run(move |conn| find_survey(conn, project_id, &reference)?.try_into()).await
}

/// The one lookup of a survey of the project by id or key: "not found" names the reference.
pub(crate) fn find_survey(conn: &mut Conn, project_id: Uuid, reference: &str) -> Result<Survey, ManageError> {
    surveys::find_by_ref(conn, project_id, reference)?.ok_or_else(|| not_found(reference))
}

/// [`find_survey`], locking the row until the transaction ends (for read-modify-write).
fn find_survey_for_update(conn: &mut Conn, project_id: Uuid, reference: &str) -> Result<Survey, ManageError> {
    surveys::find_by_ref_for_update(conn, project_id, reference)?.ok_or_else(|| not_found(reference))
}

/// Edits a survey. A change to what respondents see (question, scale, presentation) bumps
/// its version, which answers record; a change to targeting alone does not, since it
/// changes who is asked, not what an answer means. Every change is recorded in the
/// survey's history: `updated`, `scheduled` (opens_at, closes_at), and `closed` or
/// `reopened` when a new response limit is at or below, or above, the answers stored.
pub async fn update_survey(
    db: &Db,
    project_id: Uuid,
    reference: &str,
    patch: SurveyPatch,
) -> Result<SurveyView, ManageError> {
    let reference = reference.to_string();
    db.run(move |conn| transaction(conn, |conn| update_in(conn, project_id, &reference, patch))).await
}

fn update_in(
    conn: &mut Conn,
    project_id: Uuid,
    reference: &str,
    patch: SurveyPatch,
) -> Result<SurveyView, ManageError> {
    // Before the survey's row: see `lock_counter`.
    let answers = lock_counter(conn, project_id, reference, &patch.schedule)?;
    let current: SurveyView = find_survey_for_update(conn, project_id, reference)?.try_into()?;
    if current.status == SurveyStatus::Archived {
        return Err(ManageError::Conflict("the survey is archived and can no longer be edited".into()));
    }
    let zone = project_zone(conn, project_id)?;
    let mut errors = Vec::new();
    let question = patch.question.as_deref().map_or(current.question.as_str(), str::trim).to_string();
    if question.is_empty() || question.chars().count() > 500 {
        errors.push(FieldError::new("question", "must be 1 to 500 characters"));
    }
    let scale = if patch.scale_min.is_some() || patch.scale_max.is_some() {
        let min = patch.scale_min.or(current.scale.map(|s| s.min));
        let max = patch.scale_max.or(current.scale.map(|s| s.max));
        current.kind.scale_from(min, max).map_err(|m| errors.push(FieldError::new("scale", m))).ok().flatten()
    } else {
        current.scale
    };
    let presentation = patch.presentation.unwrap_or_else(|| current.presentation.clone());
    let mut targeting = patch.targeting.unwrap_or_else(|| current.targeting.clone());
    targeting.fatigue_exempt = patch.fatigue_exempt.unwrap_or(targeting.fatigue_exempt);
    errors.extend(presentation.check(current.kind));
    errors.extend(targeting.check());
    let questions = match patch.questions {
        None => current.questions.clone(),
        Some(q) => q.updating(&current.questions).unwrap_or_else(|e| {
            errors.push(e);
            current.questions.clone()
        }),
    };
    errors.extend(questions.check(current.kind));
    let schedule = patch.schedule.apply(&current.schedule, zone, &mut errors);
    if !errors.is_empty() {
        return Err(ManageError::Invalid(errors));
    }
    let content_changed = question != current.question
        || scale != current.scale
        || presentation != current.presentation
        || questions != current.questions;
    let version = if content_changed { current.version + 1 } else { current.version };
    let limit_move =
        settle_limit(conn, project_id, current.id, &current.schedule, schedule.response_limit, answers)?;

    let changed: Vec<&str> = [
        ("question", question != current.question),
        ("scale", scale != current.scale),
        ("presentation", presentation != current.presentation),
        ("questions", questions != current.questions),
        ("targeting", targeting != current.targeting),
        ("response_limit", schedule.response_limit != current.schedule.response_limit),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    if !changed.is_empty() {
        let mut detail = json!({"fields": changed, "version": version});
        if changed.contains(&"response_limit") {
            detail["response_limit"] = json!(schedule.response_limit);
        }
        record(conn, project_id, current.id, EventKind::Updated, detail)?;
    }
    if (schedule.opens_at, schedule.closes_at) != (current.schedule.opens_at, current.schedule.closes_at) {
        let detail = json!({"opens_at": schedule.opens_at, "closes_at": schedule.closes_at});
        record(conn, project_id, current.id, EventKind::Scheduled, detail)?;
    }
    let closed_at = match limit_move {
        // The survey and its history agree on the moment it closed.
        Some(LimitMove::Close { answers }) => Some(record(
            conn,
            project_id,
            current.id,
            EventKind::Closed,
            json!({"reason": "response_limit", "answers": answers}),
        )?),
        Some(LimitMove::Reopen) => {
            let detail = json!({"response_limit": schedule.response_limit});
            record(conn, project_id, current.id, EventKind::Reopened, detail)?;
            None
        }
        None => current.schedule.closed_at,
    };
    let changes = SurveyChanges {
        question: &question,
        scale_min: scale.map(|s| s.min),
        scale_max: scale.map(|s| s.max),
        presentation: &to_json(&presentation)?,
        targeting: &to_json(&targeting)?,
        questions: &to_json(&questions)?,
        version,
        opens_at: schedule.opens_at,
        closes_at: schedule.closes_at,
        response_limit: schedule.response_limit,
        closed_at,
    };
    surveys::update(conn, project_id, current.id, &changes)?.try_into()
}

/// Moves a survey through its lifecycle. Moving to the state it is in is a no-op, so a
/// retried call succeeds; an impossible move is a conflict.
pub async fn set_survey_status(
    db: &Db,
    project_id: Uuid,
    reference: &str,
    transition: Transition,
) -> Result<SurveyView, ManageError> {
    let reference = reference.to_string();
    db.run(move |conn| transaction(conn, |conn| move_in(conn, project_id, &reference, transition))).await
}

fn move_in(
    conn: &mut Conn,
    project_id: Uuid,
    reference: &str,
    transition: Transition,
) -> Result<SurveyView, ManageError> {
    use SurveyStatus::*;
    let current = find_survey_for_update(conn, project_id, reference)?;
    let view: SurveyView = current.clone().try_into()?;
    let target = match (transition, view.status) {
        (Transition::Pause, Active | Paused) => Paused,
        (Transition::Resume, Draft | Paused | Active) => Active,
        (Transition::Archive, _) => Archived,
        (t, status) => {
            return Err(ManageError::Conflict(format!(
                "a {} survey cannot be {}",
                status.as_str(),
                match t {
                    Transition::Pause => "paused",
                    Transition::Resume => "resumed",
                    Transition::Archive => "archived",
                }
            )))
        }
    };
    if target == view.status {
        return Ok(view);
    }
    let kind = match transition {
        Transition::Pause => EventKind::Paused,
        Transition::Resume => EventKind::Resumed,
        Transition::Archive => EventKind::Archived,
    };
    record(conn, project_id, current.id, kind, json!({"from": view.status}))?;
    surveys::set_status(conn, project_id, current.id, target)?.try_into()
}

pub(super) fn not_found(reference: &str) -> ManageError {
    ManageError::NotFound(format!("no survey {reference:?} in this project"))
}
