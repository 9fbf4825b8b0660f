//! A project's settings, shared by `GET/PATCH /v1/project` and `feedbackd project
//! show|update`: its name, allowed origins, own rate limits, fatigue rules and time zone.
//! Privacy settings are shown but set only by the operator's CLI ([`PrivacyChange`]).

use super::{check_name, parse_origins, to_json, ManageError};
use crate::ingest::ip::IpPolicy;
use crate::ratelimit::{parse_project_rates, ProjectRates, RateSpec};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use feedbackd_domain::{parse_time_zone, Fatigue, FieldError};
use feedbackd_store::models::{Project, ProjectSettingsChanges};
use feedbackd_store::projects;
use feedbackd_store::{privacy, transaction, Conn, Db};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A project's settings as the API answers and the CLI prints them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProjectSettings {
    pub id: Uuid,
    pub name: String,
    /// Browser origins whose pages may use the publishable key (`*`: any).
    pub allowed_origins: Vec<String>,
    pub rate_limits: RateOverrides,
    /// The rules as they apply: the defaults fill what was never set.
    pub fatigue: Fatigue,
    /// IANA zone in which schedule times without an offset are read.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// Days answers are kept (null: forever). Set with `feedbackd project update`.
    #[schema(required)]
    pub retention_days: Option<i32>,
    /// What is kept of client addresses. Set with `feedbackd project update`.
    #[schema(value_type = String)]
    pub ip_policy: IpPolicy,
    /// Attribute keys with rollups of their own. Set with `feedbackd project index`.
    pub indexed_attributes: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The project's own rates, `COUNT/UNIT[:BURST]`; null: the service-wide rate applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RateOverrides {
    /// Requests per second (or minute, hour) through the publishable key, all widgets together.
    #[schema(required, example = "5000/s:10000")]
    pub project: Option<String>,
    /// Requests per respondent id.
    #[schema(required, example = "60/min:20")]
    pub respondent: Option<String>,
}

impl From<Project> for ProjectSettings {
    fn from(p: Project) -> Self {
        // Read as the limiter reads them: what does not parse is not applied, so not shown.
        let rates = p.rate_limits.as_ref().and_then(|v| parse_project_rates(v).ok()).unwrap_or_default();
        ProjectSettings {
            id: p.id,
            rate_limits: RateOverrides {
                project: rates.project.map(|r| r.to_string()),
                respondent: rates.respondent.map(|r| r.to_string()),
            },
            fatigue: Fatigue::from_stored(&p.fatigue),
            name: p.name,
            allowed_origins: p.allowed_origins,
            time_zone: p.time_zone,
            retention_days: p.retention_days,
            ip_policy: p.ip_policy,
            indexed_attributes: p.indexed_attributes,
            created_at: p.created_at,
        }
    }
}

/// A change of settings. `None` keeps a value; `Some(None)` removes a rate override.
#[derive(Debug, Clone, Default)]
pub struct ProjectChange {
    pub name: Option<String>,
    /// Replaces the whole list.
    pub allowed_origins: Option<Vec<String>>,
    pub rate_project: Option<Option<String>>,
    pub rate_respondent: Option<Option<String>>,
    pub fatigue: FatigueChange,
    pub time_zone: Option<String>,
    /// Only the operator's CLI changes these; the API leaves them as they are.
    pub privacy: PrivacyChange,
}

/// A change of what is kept: `None` keeps a value.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrivacyChange {
    /// Days answers are kept; `Some(None)`: forever.
    pub retention_days: Option<Option<i32>>,
    pub ip_policy: Option<IpPolicy>,
}

/// Fatigue rules to change; the rules not given keep their values.
// Only typed numbers, checked by `Fatigue::check`: the API's body takes it as it is.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FatigueChange {
    pub days_between_surveys: Option<u32>,
    pub max_per_session: Option<u32>,
    pub ignored_wait_hours: Option<u32>,
}

impl FatigueChange {
    fn apply(self, current: Fatigue) -> Fatigue {
        Fatigue {
            days_between_surveys: self.days_between_surveys.unwrap_or(current.days_between_surveys),
            max_per_session: self.max_per_session.unwrap_or(current.max_per_session),
            ignored_wait_hours: self.ignored_wait_hours.unwrap_or(current.ignored_wait_hours),
        }
    }
}

/// A project's settings.
pub async fn project_settings(db: &Db, project_id: Uuid) -> Result<ProjectSettings, ManageError> {
    db.run(move |conn| settings_in(conn, project_id)).await
}

fn settings_in(conn: &mut Conn, project_id: Uuid) -> Result<ProjectSettings, ManageError> {
    Ok(projects::find(conn, project_id)?.ok_or_else(|| no_project(project_id))?.into())
}

/// Changes a project's settings in one transaction, or none of them: every bad field is
/// named (`allowed_origins[2]`, `rate_limits.project`, `fatigue.max_per_session`). A new time
/// zone applies to schedule times written from then on; stored schedules are instants and
/// do not move.
pub async fn update_project_settings(
    db: &Db,
    project_id: Uuid,
    change: ProjectChange,
) -> Result<ProjectSettings, ManageError> {
    db.run(move |conn| transaction(conn, |conn| update_in(conn, project_id, change))).await
}

fn update_in(
    conn: &mut Conn,
    project_id: Uuid,
    change: ProjectChange,
) -> Result<ProjectSettings, ManageError> {
    let current = projects::find_for_update(conn, project_id)?.ok_or_else(|| no_project(project_id))?;
    let mut errors = Vec::new();
    let name = match &change.name {
        Some(name) => check_name(name, &mut errors),
        None => current.name.clone(),
    };
    let allowed_origins = match &change.allowed_origins {
        Some(origins) => parse_origins(origins, "allowed_origins", &mut errors),
        None => current.allowed_origins.clone(),
    };
    let stored_rates = current.rate_limits.as_ref().and_then(|v| parse_project_rates(v).ok());
    let stored_rates = stored_rates.unwrap_or_default();
    let rates = ProjectRates {
        project: rate("project", &change.rate_project, stored_rates.project, &mut errors),
        respondent: rate("respondent", &change.rate_respondent, stored_rates.respondent, &mut errors),
    };
    let fatigue = change.fatigue.apply(Fatigue::from_stored(&current.fatigue));
    errors.extend(fatigue.check());
    let time_zone = match &change.time_zone {
        Some(zone) => parse_time_zone(zone.trim()).map(|tz| tz.name().to_string()).unwrap_or_else(|m| {
            errors.push(FieldError::new("time_zone", m));
            current.time_zone.clone()
        }),
        None => current.time_zone.clone(),
    };
    if !errors.is_empty() {
        return Err(ManageError::Invalid(errors));
    }
    let rate_limits = (rates != ProjectRates::default()).then(|| to_json(&rates)).transpose()?;
    let changes = ProjectSettingsChanges {
        name: &name,
        allowed_origins: &allowed_origins,
        rate_limits: rate_limits.as_ref(),
        fatigue: &to_json(&fatigue)?,
        time_zone: &time_zone,
    };
    let updated = projects::update_settings(conn, project_id, &changes)?;
    let PrivacyChange { retention_days, ip_policy } = change.privacy;
    if retention_days.is_none() && ip_policy.is_none() {
        return Ok(updated.into());
    }
    privacy::update_privacy(conn, project_id, retention_days, ip_policy)?;
    settings_in(conn, project_id)
}

/// One rate override after a change, checked with the parser the limiter uses.
fn rate(
    name: &str,
    change: &Option<Option<String>>,
    current: Option<RateSpec>,
    errors: &mut Vec<FieldError>,
) -> Option<RateSpec> {
    match change {
        None => current,
        Some(None) => None,
        Some(Some(raw)) => raw
            .trim()
            .parse::<RateSpec>()
            .map_err(|m| errors.push(FieldError::new(name, m).under("rate_limits")))
            .ok(),
    }
}

/// The zone a project's schedule times without an offset are read in.
pub(super) fn project_zone(conn: &mut Conn, project_id: Uuid) -> Result<Tz, ManageError> {
    let project = projects::find(conn, project_id)?.ok_or_else(|| no_project(project_id))?;
    Ok(time_zone_of(&project))
}

/// The project's time zone, in which its schedules are read and its digests' weeks run. A
/// zone stored by hand that chrono-tz does not know falls back to UTC rather than failing
/// every edit or digest.
pub fn time_zone_of(project: &Project) -> Tz {
    parse_time_zone(&project.time_zone).unwrap_or_else(|message| {
        tracing::warn!(project = %project.id, message, "stored time zone unreadable; using UTC");
        Tz::UTC
    })
}

/// A project that is not there (or not the caller's).
pub(super) fn no_project(project_id: Uuid) -> ManageError {
    ManageError::NotFound(format!("no project {project_id}"))
}
