//! Wire shapes of `/v1/project`.

use feedbackd_core::manage::{FatigueChange, ProjectChange};
use serde::Deserialize;
use utoipa::ToSchema;

/// `PATCH /v1/project`: what to change; an absent (or `null`) field keeps its value, except
/// in `rate_limits`, where `null` removes an override (and `"rate_limits": null` both).
/// Privacy settings (retention, IP policy) are the operator's, set with the CLI.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatchIn {
    /// 1 to 200 characters.
    pub name: Option<String>,
    /// Replaces the list: `scheme://host[:port]` origins (or `*`), at most 100.
    #[schema(example = json!(["https://app.example.com"]))]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<RatesPatchIn>)]
    pub rate_limits: Option<Option<RatesPatchIn>>,
    /// Only the rules given change (each has a default: 14 days, 1 per session, 72 hours).
    pub fatigue: Option<FatigueChange>,
    /// IANA name; schedule times written without an offset are read in it from now on.
    #[schema(example = "America/New_York")]
    pub time_zone: Option<String>,
}

/// The project's own rates, `COUNT/UNIT[:BURST]` with UNIT `s`, `min` or `h`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesPatchIn {
    /// Requests through the publishable key, all widgets together; `null`: the service's rate.
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<String>, example = "5000/s:10000")]
    pub project: Option<Option<String>>,
    /// Requests per respondent id; `null`: the service's rate.
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<String>, example = "60/min:20")]
    pub respondent: Option<Option<String>>,
}

impl From<ProjectPatchIn> for ProjectChange {
    fn from(p: ProjectPatchIn) -> Self {
        let (rate_project, rate_respondent) = match p.rate_limits {
            None => (None, None),
            Some(None) => (Some(None), Some(None)),
            Some(Some(rates)) => (rates.project, rates.respondent),
        };
        ProjectChange {
            name: p.name,
            allowed_origins: p.allowed_origins,
            rate_project,
            rate_respondent,
            fatigue: p.fatigue.unwrap_or_default(),
            time_zone: p.time_zone,
            privacy: Default::default(),
        }
    }
}
