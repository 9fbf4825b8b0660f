//! What a widget needs to know: the project's active surveys with their display rules,
//! and, for one respondent, which survey (if any) to show now — honoring each survey's
//! sample rate, recontact period and attribute filters.

use crate::domain::SurveyStatus;
use crate::manage::{ManageError, SurveyView};
use crate::store::{contacts, surveys};
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Who is asking: the app's id for the person and their attributes (plan, app_version …).
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub respondent_id: String,
    pub attributes: HashMap<String, String>,
}

/// The configuration a widget gets.
#[derive(Debug, Clone)]
pub struct WidgetConfig {
    /// Every active survey, oldest first.
    pub surveys: Vec<SurveyView>,
    /// With an [`Audience`]: the key of the survey to show now, or `None` for none.
    /// Without one: not decided (`None` outside).
    pub show: Option<Option<String>>,
}

/// The active surveys and, for an audience, the one to show now (recorded as shown).
pub fn config(
    conn: &mut PgConnection,
    project_id: Uuid,
    audience: Option<&Audience>,
    now: DateTime<Utc>,
) -> Result<WidgetConfig, ManageError> {
    let active = surveys::list_by_status(conn, project_id, SurveyStatus::Active.as_str())?
        .into_iter()
        .map(SurveyView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let Some(audience) = audience else {
        return Ok(WidgetConfig { surveys: active, show: None });
    };
    let last_decided: HashMap<Uuid, DateTime<Utc>> =
        contacts::for_respondent(conn, project_id, &audience.respondent_id)?
            .into_iter()
            .filter_map(|c| Some((c.survey_id, c.last_decided_at()?)))
            .collect();
    let chosen = active.iter().find(|s| eligible(s, audience, last_decided.get(&s.id).copied(), now));
    if let Some(survey) = chosen {
        contacts::record_shown(conn, project_id, survey.id, &audience.respondent_id, now)?;
    }
    let show = Some(chosen.map(|s| s.key.clone()));
    Ok(WidgetConfig { surveys: active, show })
}

/// Whether `survey` should be shown to `audience` now, given when they last answered or
/// dismissed it. Deterministic: the same inputs always give the same answer.
pub fn eligible(
    survey: &SurveyView,
    audience: &Audience,
    last_decided: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let rules = &survey.targeting;
    let resting = match (rules.recontact_days, last_decided) {
        (0, _) | (_, None) => false,
        (days, Some(at)) => now < at + Duration::days(i64::from(days)),
    };
    !resting && rules.matches(&audience.attributes) && rules.samples(survey.id, &audience.respondent_id)
}

/// Records that a person closed a survey without answering; recontact counts from now.
pub fn dismiss(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey: &str,
    respondent_id: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, ManageError> {
    let found = surveys::find_by_ref(conn, project_id, survey)?.ok_or_else(|| {
        ManageError::Invalid(vec![crate::domain::FieldError::new(
            "survey",
            format!("no survey {survey:?} in this project"),
        )])
    })?;
    contacts::record_dismissal(conn, project_id, found.id, respondent_id, now)?;
    Ok(found.id)
}
