//! Rows as diesel reads (`Queryable`) and writes (`Insertable`) them.

use super::schema::{api_keys, projects, report_links, responses, surveys, themes};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use feedbackd_domain::{
    Category, IpPolicy, KeyKind, RespondentId, Scale, Schedule, Scope, Score, StoredScope, SurveyKind,
    SurveyStatus,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// A tenant.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = projects, check_for_backend(diesel::pg::Pg))]
pub struct Project {
    pub id: Uuid,
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub retention_days: Option<i32>,
    pub ip_policy: IpPolicy,
    pub indexed_attributes: Vec<String>,
    pub rate_limits: Option<Value>,
    pub created_at: DateTime<Utc>,
    /// Fatigue rules as stored (`domain::Fatigue` parses them; `{}` is the defaults).
    pub fatigue: Value,
    /// IANA zone that schedules without an offset are written in.
    pub time_zone: String,
}

/// A project to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = projects)]
pub struct NewProject<'a> {
    pub name: &'a str,
    pub allowed_origins: &'a [String],
}

/// A project's settings as they are to be stored (privacy aside, which the CLI sets alone).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = projects, treat_none_as_null = true)]
pub struct ProjectSettingsChanges<'a> {
    pub name: &'a str,
    pub allowed_origins: &'a [String],
    /// `None`: no overrides (NULL), the service-wide rates apply.
    pub rate_limits: Option<&'a Value>,
    pub fatigue: &'a Value,
    pub time_zone: &'a str,
}

/// An API key as stored: never its token, only the token's hash.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub project_id: Uuid,
    pub id: Uuid,
    pub kind: KeyKind,
    pub name: String,
    pub prefix: String,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    /// Unknown names (a newer version's) are kept as they are and grant nothing.
    pub scopes: Vec<StoredScope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub project_id: Uuid,
    pub kind: KeyKind,
    pub name: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a [u8],
    pub scopes: &'a [Scope],
}

/// A share link to a survey's report page as stored: never its token, only the token's hash.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = report_links, check_for_backend(diesel::pg::Pg))]
pub struct ReportLink {
    pub project_id: Uuid,
    pub id: Uuid,
    pub survey_id: Uuid,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    pub label: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A share link to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = report_links)]
pub struct NewReportLink<'a> {
    pub project_id: Uuid,
    pub survey_id: Uuid,
    pub token_hash: &'a [u8],
    pub label: Option<&'a str>,
    pub created_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// A survey.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = surveys, check_for_backend(diesel::pg::Pg))]
pub struct Survey {
    pub project_id: Uuid,
    pub id: Uuid,
    pub key: String,
    pub kind: SurveyKind,
    pub question: String,
    pub scale_min: Option<i16>,
    pub scale_max: Option<i16>,
    pub presentation: Value,
    pub targeting: Value,
    pub status: SurveyStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Takes answers from this time on (none: from creation).
    pub opens_at: Option<DateTime<Utc>>,
    /// Takes no answers from this time on.
    pub closes_at: Option<DateTime<Utc>>,
    /// Closes itself after this many answers.
    pub response_limit: Option<i32>,
    /// When the response limit closed it.
    pub closed_at: Option<DateTime<Utc>>,
    /// The questions beyond the score (`feedbackd_domain::Questions`), checked on write.
    pub questions: Value,
}

impl Survey {
    /// The score range; `None` for a text survey.
    pub fn scale(&self) -> Option<Scale> {
        match (self.scale_min, self.scale_max) {
            (Some(min), Some(max)) => Some(Scale { min, max }),
            _ => None,
        }
    }

    /// When it takes answers, besides its status.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            response_limit: self.response_limit,
            closed_at: self.closed_at,
        }
    }
}

/// A survey to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = surveys)]
pub struct NewSurvey<'a> {
    pub project_id: Uuid,
    pub key: &'a str,
    pub kind: SurveyKind,
    pub question: &'a str,
    pub scale_min: Option<i16>,
    pub scale_max: Option<i16>,
    pub presentation: Value,
    pub targeting: Value,
    pub status: SurveyStatus,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub response_limit: Option<i32>,
    pub questions: Value,
}

/// New content, rules and schedule for a survey; `version` is the survey's version after
/// the change. Every field is written (`None` as NULL).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = surveys, treat_none_as_null = true)]
pub struct SurveyChanges<'a> {
    pub question: &'a str,
    pub scale_min: Option<i16>,
    pub scale_max: Option<i16>,
    pub presentation: &'a Value,
    pub targeting: &'a Value,
    pub questions: &'a Value,
    pub version: i32,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub response_limit: Option<i32>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// An answer to store, already validated. Built only by `ingest`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = responses)]
pub struct NewAnswer {
    pub project_id: Uuid,
    pub id: Uuid,
    pub survey_id: Uuid,
    pub survey_version: i32,
    pub respondent_id: Option<RespondentId>,
    pub score: Option<Score>,
    pub comment: Option<String>,
    pub category: Option<Category>,
    pub attributes: Value,
    pub context: Value,
    pub client_ip: Option<ipnet::IpNet>,
    pub client_time: Option<DateTime<Utc>>,
    pub answered_at: DateTime<Utc>,
    /// The client's time was older than the backdate limit: `answered_at` is the server's.
    pub late: bool,
    /// The answers to the survey's questions (`feedbackd_domain::Answers`), if any.
    pub answers: Option<Value>,
}

/// A stored answer.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = responses, check_for_backend(diesel::pg::Pg))]
pub struct Answer {
    pub project_id: Uuid,
    pub id: Uuid,
    pub survey_id: Uuid,
    pub survey_version: i32,
    pub respondent_id: Option<String>,
    pub score: Option<i16>,
    pub comment: Option<String>,
    pub category: Option<Category>,
    pub attributes: Value,
    pub context: Value,
    #[serde(skip)]
    pub client_ip: Option<ipnet::IpNet>,
    pub client_time: Option<DateTime<Utc>>,
    pub answered_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub answers: Option<Value>,
}

/// A theme in the project's catalog: its key, its name, and what operators decided.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = themes, check_for_backend(diesel::pg::Pg))]
pub struct ThemeEntry {
    pub key: String,
    pub label: String,
    pub renamed: bool,
    pub hidden: bool,
    pub pinned: bool,
    pub merged_into: Option<String>,
    /// For a theme an operator defined by a search: the expression (`q` syntax).
    pub search: Option<String>,
}
