//! Wire shapes of the management API (surveys, keys) and of the widget configuration.

use chrono::{DateTime, Utc};
use feedbackd_core::manage::report_links::LinkView;
use feedbackd_core::manage::{CreatedKey, ScheduleChange, SurveyPatch, SurveySpec, SurveyView};
use feedbackd_core::store::ApiKey;
use feedbackd_domain::fatigue::Refusal;
use feedbackd_domain::{
    Fatigue, KeyKind, Presentation, Questions, RespondentId, Scale, ScheduleTime, Scope, StoredScope,
    SurveyEvent, SurveyKind, SurveyStatus, Targeting,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// `POST /v1/surveys`: a new survey.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyIn {
    /// Slug the widget uses: 1–64 lowercase letters, digits, `-`, `_`. Cannot change later.
    #[schema(example = "nps-main")]
    pub key: String,
    pub kind: SurveyKind,
    #[schema(example = "How likely are you to recommend us to a friend?")]
    pub question: String,
    /// Lowest score (default by kind: NPS 0, CSAT 1, CES 1, rating 1; fixed for NPS).
    pub scale_min: Option<i16>,
    /// Highest score (default by kind: NPS 10, CSAT 5, CES 7, rating 5; fixed for NPS).
    pub scale_max: Option<i16>,
    /// `draft` or `active` (default).
    pub status: Option<SurveyStatus>,
    pub presentation: Option<Presentation>,
    pub targeting: Option<Targeting>,
    /// Questions beyond the score (at most 5 asked): `choice`, `rating` or `text`, each
    /// optionally shown only for a band of the main answer. A `choice` survey's first
    /// question is its main one, key `main`. See docs/design/0019-questions.md.
    pub questions: Option<Questions>,
    /// Takes answers from this time on: RFC 3339 with an offset, or a local time without
    /// one, read in the project's `time_zone` (a time the clocks skip is refused; one they
    /// repeat is the earlier).
    #[schema(value_type = Option<String>, example = "2026-12-01T09:00")]
    pub opens_at: Option<ScheduleTime>,
    /// Takes no answers from this time on (after `opens_at`); written as `opens_at`.
    #[schema(value_type = Option<String>, example = "2026-12-31T18:00:00+01:00")]
    pub closes_at: Option<ScheduleTime>,
    /// Closes itself once this many answers are stored: 1 to 100000000.
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub response_limit: Option<i64>,
}

impl SurveyIn {
    /// The survey to create, in `status`.
    pub fn into_spec(self, status: SurveyStatus) -> SurveySpec {
        SurveySpec {
            key: self.key,
            kind: self.kind,
            question: self.question,
            scale_min: self.scale_min,
            scale_max: self.scale_max,
            status,
            presentation: self.presentation.unwrap_or_default(),
            targeting: self.targeting.unwrap_or_default(),
            questions: self.questions.unwrap_or_default(),
            schedule: ScheduleChange {
                opens_at: self.opens_at.map(Some),
                closes_at: self.closes_at.map(Some),
                response_limit: self.response_limit.map(Some),
            },
        }
    }
}

/// `PATCH /v1/surveys/{survey}`: what to change; absent fields keep their value, and so
/// does `null`, except for `opens_at`, `closes_at` and `response_limit`, which `null`
/// clears. `presentation` and `targeting` are replaced whole. Key and kind cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyPatchIn {
    pub question: Option<String>,
    pub scale_min: Option<i16>,
    pub scale_max: Option<i16>,
    pub presentation: Option<Presentation>,
    pub targeting: Option<Targeting>,
    /// The questions as they should be. A question or option left out is kept, retired
    /// (its answers stay in the reports); listing it again brings it back. Keys and kinds
    /// never change.
    pub questions: Option<Questions>,
    /// As for a new survey; `null`: open from now on (as far as the schedule goes).
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<String>, example = "2026-12-01T09:00")]
    pub opens_at: Option<Option<ScheduleTime>>,
    /// As for a new survey; `null`: no end.
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<String>, example = "2026-12-31T18:00:00+01:00")]
    pub closes_at: Option<Option<ScheduleTime>>,
    /// 1 to 100000000; `null`: no limit. At or below the answers stored, the survey closes
    /// now; a survey its limit closed reopens when the limit is raised above them or removed.
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100_000_000)]
    pub response_limit: Option<Option<i64>>,
}

impl From<SurveyPatchIn> for SurveyPatch {
    fn from(p: SurveyPatchIn) -> Self {
        SurveyPatch {
            question: p.question,
            scale_min: p.scale_min,
            scale_max: p.scale_max,
            presentation: p.presentation,
            targeting: p.targeting,
            fatigue_exempt: None,
            questions: p.questions,
            schedule: ScheduleChange {
                opens_at: p.opens_at,
                closes_at: p.closes_at,
                response_limit: p.response_limit,
            },
        }
    }
}

/// `GET /v1/surveys/{survey}/history`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyHistoryOut {
    /// Oldest first: what was done to the survey, and when its schedule opened or closed it.
    pub events: Vec<SurveyEvent>,
}

/// `GET /v1/surveys` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SurveyListQuery {
    /// Only surveys in this status.
    pub status: Option<SurveyStatus>,
}

/// A project's surveys, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyListOut {
    pub surveys: Vec<SurveyView>,
}

/// `POST /v1/keys`: a new key in the caller's project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    pub kind: KeyKind,
    /// At least one for a secret key; none for a publishable key.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// A name to recognise the key by (at most 200 characters).
    #[serde(default)]
    pub name: String,
}

/// A key, never its token.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub kind: KeyKind,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    #[schema(value_type = Vec<String>)]
    pub scopes: Vec<StoredScope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for KeyOut {
    fn from(k: ApiKey) -> Self {
        KeyOut {
            id: k.id,
            kind: k.kind,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A key just created, with its token: shown this once, only its hash is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKeyOut {
    #[serde(flatten)]
    pub key: KeyOut,
    pub token: String,
}

impl From<CreatedKey> for CreatedKeyOut {
    fn from(c: CreatedKey) -> Self {
        CreatedKeyOut { key: c.key.into(), token: c.token }
    }
}

/// A project's keys, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyListOut {
    pub keys: Vec<KeyOut>,
}

/// `POST /v1/surveys/{survey}/report-links`: a share link to the survey's report page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportLinkIn {
    /// Hours until the link expires: 1 to 2160 (90 days); default 168 (7 days).
    #[schema(minimum = 1, maximum = 2160, example = 72)]
    pub expires_in_hours: Option<u32>,
    /// A name to recognise the link by, such as who it was sent to (at most 200 characters).
    #[schema(example = "Q3 review with design")]
    pub label: Option<String>,
}

/// `GET /v1/report-links` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportLinkListQuery {
    /// Only the links of this survey (its key or id).
    pub survey: Option<String>,
}

/// A project's share links, newest first, live or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportLinkListOut {
    pub links: Vec<LinkView>,
}

/// `POST /v1/responses/dismiss`: a person closed a survey without answering.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissIn {
    /// The survey's key or id.
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    pub survey: String,
    #[validate(custom(function = "respondent_id_rule"))]
    pub respondent_id: String,
}

/// [`RespondentId`]'s rule for the widget's bodies, in its words.
fn respondent_id_rule(id: &str) -> Result<(), ValidationError> {
    RespondentId::parse(id)
        .map(drop)
        .map_err(|e| ValidationError::new("length").with_message(e.to_string().into()))
}

/// `POST /v1/responses/shown`: a survey is about to appear on a screen.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShownIn {
    /// Made by the widget for this appearance (a UUIDv7); a retry sends the same id.
    pub id: Uuid,
    /// The survey's key or id.
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    pub survey: String,
    /// The app's id for the person (1–256 characters): cross-device rules need it.
    #[validate(custom(function = "respondent_id_rule"))]
    pub respondent_id: Option<String>,
    /// The widget's session (1–128 characters): the per-session cap needs it.
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub session_id: Option<String>,
}

/// The decision on a `shown` report: the widget shows the survey only if `show` is true.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShownOut {
    pub id: Uuid,
    pub survey_id: Uuid,
    pub show: bool,
    /// Why not, when `show` is false.
    #[schema(required)]
    pub reason: Option<Refusal>,
}

/// What a widget needs to show a survey.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetSurveyOut {
    pub id: Uuid,
    pub key: String,
    pub kind: SurveyKind,
    pub question: String,
    pub scale: Option<Scale>,
    pub presentation: Presentation,
    pub targeting: Targeting,
    /// The questions asked (retired questions and options left out); absent when none.
    #[serde(skip_serializing_if = "Questions::is_empty")]
    #[schema(value_type = Option<Questions>)]
    pub questions: Questions,
    pub version: i32,
}

impl From<SurveyView> for WidgetSurveyOut {
    fn from(s: SurveyView) -> Self {
        WidgetSurveyOut {
            id: s.id,
            key: s.key,
            kind: s.kind,
            question: s.question,
            scale: s.scale,
            presentation: s.presentation,
            targeting: s.targeting,
            questions: s.questions.asked(),
            version: s.version,
        }
    }
}

/// `GET /v1/widget/config`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetConfigOut {
    /// Every survey that takes answers now, with its display rules, oldest first.
    pub surveys: Vec<WidgetSurveyOut>,
    /// The project's fatigue rules, which the widget applies on the device too.
    pub fatigue: Fatigue,
    /// Present only when `respondent_id` was given: the key of the survey to show this
    /// person now, or `null` for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub show: Option<Option<String>>,
}
