//! Creating projects, keys, surveys and report share links: the rules shared by the CLI and
//! the management API.
//!
//! Like every service, each operation is an `async fn` over the [`Db`]; its queries run
//! on one pooled connection, in one transaction where it writes more than one row.

mod history;
pub mod indexing;
mod project_settings;
pub mod report_links;
mod schedule;
mod surveys_edit;
mod themes;

pub use history::survey_history;
pub use project_settings::{
    project_settings, time_zone_of, update_project_settings, FatigueChange, PrivacyChange, ProjectChange,
    ProjectSettings, RateOverrides,
};
pub use schedule::{ScheduleChange, MAX_RESPONSE_LIMIT};
pub(crate) use surveys_edit::find_survey;
pub use surveys_edit::{
    get_survey, list_surveys, set_survey_status, update_survey, SurveyPatch, SurveyView, Transition,
};
pub use themes::{
    curated_themes, define_theme, delete_theme, update_theme, ThemeChanged, ThemeEntry, ThemePatch,
    MAX_SEARCH_CHARS,
};

use feedbackd_domain::{
    parse_origin, EventKind, FieldError, KeyKind, NewToken, Presentation, Questions, Schedule, Scope,
    SurveyKind, SurveyStatus, Targeting,
};
use feedbackd_store::models::{ApiKey, NewApiKey, NewProject, NewSurvey, Project, Survey};
use feedbackd_store::{keys, projects, survey_counters, surveys, transaction, Conn, Db, StoreError};
use project_settings::{no_project, project_zone};
use serde::Serialize;
use uuid::Uuid;

/// Most allowed origins of one project.
const MAX_ORIGINS: usize = 100;

/// Why a management operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("invalid input: {}", .0.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ManageError {
    /// One invalid field (as `InsightsError::invalid`).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ManageError::Invalid(vec![FieldError::new(field, message)])
    }
}

/// A key just created, with its token: the only time the token exists outside the client.
#[derive(Debug, Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    pub token: String,
}

/// Creates a project allowing the given browser origins.
pub async fn create_project(db: &Db, name: &str, origins: &[String]) -> Result<Project, ManageError> {
    let mut errors = Vec::new();
    let name = check_name(name, &mut errors);
    let allowed = parse_origins(origins, "origins", &mut errors);
    if !errors.is_empty() {
        return Err(ManageError::Invalid(errors));
    }
    db.run(move |conn| Ok(projects::create(conn, &NewProject { name: &name, allowed_origins: &allowed })?))
        .await
}

/// Every project, oldest first (for the operator's CLI).
pub async fn list_projects(db: &Db) -> Result<Vec<Project>, ManageError> {
    db.run(|conn| Ok(projects::list(conn)?)).await
}

/// A project's name, trimmed, if it is 1 to 200 characters (else an error on `name`).
fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be 1 to 200 characters"));
    }
    name.to_string()
}

/// Browser origins, normalised and without repeats; each bad one is an error on
/// `field[i]` (`origins` for the CLI's flag, `allowed_origins` for the API's field).
fn parse_origins(origins: &[String], field: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    if origins.len() > MAX_ORIGINS {
        errors.push(FieldError::new(field, format!("at most {MAX_ORIGINS} origins")));
    }
    let mut allowed: Vec<String> = Vec::new();
    for (i, origin) in origins.iter().enumerate() {
        match parse_origin(origin.trim()) {
            Ok(o) if allowed.contains(&o) => {}
            Ok(o) => allowed.push(o),
            Err(message) => errors.push(FieldError::new(format!("{field}[{i}]"), message)),
        }
    }
    allowed
}

/// Creates a key. Publishable keys carry no scopes; secret keys need at least one.
pub async fn create_key(
    db: &Db,
    project_id: Uuid,
    kind: KeyKind,
    scopes: &[Scope],
    name: &str,
) -> Result<CreatedKey, ManageError> {
    match (kind, scopes.is_empty()) {
        (KeyKind::Publishable, false) => {
            return Err(ManageError::Invalid(vec![FieldError::new(
                "scopes",
                "a publishable key has no scopes: it can only send answers and read widget configuration",
            )]))
        }
        (KeyKind::Secret, true) => {
            return Err(ManageError::Invalid(vec![FieldError::new(
                "scopes",
                "a secret key needs at least one scope",
            )]))
        }
        _ => {}
    }
    if name.chars().count() > 200 {
        return Err(ManageError::Invalid(vec![FieldError::new("name", "longer than 200 characters")]));
    }
    let token = NewToken::generate(kind);
    let mut scope_names = scopes.to_vec();
    scope_names.sort_by_key(|s| s.as_str());
    scope_names.dedup();
    let name = name.to_string();
    db.run(move |conn| {
        require_project(conn, project_id)?;
        let new = NewApiKey {
            project_id,
            kind,
            name: &name,
            prefix: &token.display_prefix,
            token_hash: &token.hash,
            scopes: &scope_names,
        };
        let key = keys::create(conn, &new)?;
        Ok(CreatedKey { key, token: token.plaintext })
    })
    .await
}

/// The project's keys, never their tokens.
pub async fn list_keys(db: &Db, project_id: Uuid) -> Result<Vec<ApiKey>, ManageError> {
    db.run(move |conn| Ok(keys::list(conn, project_id)?)).await
}

/// Revokes a key of the project.
pub async fn revoke_key(db: &Db, project_id: Uuid, id: Uuid) -> Result<ApiKey, ManageError> {
    db.run(move |conn| {
        keys::revoke(conn, project_id, id)?
            .ok_or_else(|| ManageError::NotFound(format!("no key {id} in project {project_id}")))
    })
    .await
}

/// What a new survey asks, and how it is shown. The CLI leaves the presentation, targeting
/// and schedule at their defaults: shown to everyone, with no schedule.
#[derive(Debug, Clone)]
pub struct SurveySpec {
    pub key: String,
    pub kind: SurveyKind,
    pub question: String,
    pub scale_min: Option<i16>,
    pub scale_max: Option<i16>,
    pub status: SurveyStatus,
    pub presentation: Presentation,
    pub targeting: Targeting,
    /// Times without an offset are read in the project's zone.
    pub schedule: ScheduleChange,
    /// The questions beyond the score; a choice survey's `main` first.
    pub questions: Questions,
}

impl SurveySpec {
    /// A survey with the default presentation and targeting, and no schedule.
    pub fn new(key: String, kind: SurveyKind, question: String, status: SurveyStatus) -> Self {
        SurveySpec {
            key,
            kind,
            question,
            scale_min: None,
            scale_max: None,
            status,
            presentation: Presentation::default(),
            targeting: Targeting::default(),
            schedule: ScheduleChange::default(),
            questions: Questions::default(),
        }
    }
}

/// Creates a survey and starts its history with `created`; returns its row (which the
/// CLI prints as it is; the API answers [`SurveyView::try_from`] it).
pub async fn create_survey(db: &Db, project_id: Uuid, spec: SurveySpec) -> Result<Survey, ManageError> {
    db.run(move |conn| create_survey_in(conn, project_id, &spec)).await
}

fn create_survey_in(conn: &mut Conn, project_id: Uuid, spec: &SurveySpec) -> Result<Survey, ManageError> {
    let (presentation, targeting, schedule) = (&spec.presentation, &spec.targeting, &spec.schedule);
    // Also what makes an unknown project "not found".
    let zone = project_zone(conn, project_id)?;
    let mut errors = Vec::new();
    let key_ok = !spec.key.is_empty()
        && spec.key.len() <= 64
        && spec.key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && spec.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !key_ok {
        errors.push(FieldError::new("key", "must be 1 to 64 lowercase letters, digits, '-' or '_'"));
    }
    if spec.question.trim().is_empty() || spec.question.chars().count() > 500 {
        errors.push(FieldError::new("question", "must be 1 to 500 characters"));
    }
    let scale = spec
        .kind
        .scale_from(spec.scale_min, spec.scale_max)
        .map_err(|m| errors.push(FieldError::new("scale", m)))
        .ok()
        .flatten();
    errors.extend(presentation.check(spec.kind));
    errors.extend(targeting.check());
    errors.extend(spec.questions.check(spec.kind));
    let schedule = schedule.apply(&Schedule::default(), zone, &mut errors);
    if !errors.is_empty() {
        return Err(ManageError::Invalid(errors));
    }
    let new = NewSurvey {
        project_id,
        key: &spec.key,
        kind: spec.kind,
        question: spec.question.trim(),
        scale_min: scale.map(|s| s.min),
        scale_max: scale.map(|s| s.max),
        presentation: to_json(presentation)?,
        targeting: to_json(targeting)?,
        status: spec.status,
        opens_at: schedule.opens_at,
        closes_at: schedule.closes_at,
        response_limit: schedule.response_limit,
        questions: to_json(&spec.questions)?,
    };
    transaction(conn, |conn| {
        let survey = surveys::create(conn, &new).map_err(|e| {
            if e.is_unique_violation() {
                ManageError::Conflict(format!("the project already has a survey with key {:?}", spec.key))
            } else {
                e.into()
            }
        })?;
        if survey.response_limit.is_some() {
            // No answer can exist yet: the count is 0, and needs no lock.
            survey_counters::start(conn, project_id, survey.id)?;
        }
        let detail = serde_json::json!({
            "status": spec.status,
            "opens_at": survey.opens_at,
            "closes_at": survey.closes_at,
            "response_limit": survey.response_limit,
        });
        history::record(conn, project_id, survey.id, EventKind::Created, detail)?;
        Ok(survey)
    })
}

/// Rules as stored in a jsonb column.
fn to_json(value: &impl Serialize) -> Result<serde_json::Value, ManageError> {
    serde_json::to_value(value).map_err(|e| ManageError::Store(StoreError::Internal(e.to_string())))
}

fn require_project(conn: &mut Conn, project_id: Uuid) -> Result<Project, ManageError> {
    projects::find(conn, project_id)?.ok_or_else(|| no_project(project_id))
}
