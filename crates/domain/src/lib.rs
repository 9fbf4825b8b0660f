//! Domain types shared by every layer. They can only be built valid.

#[macro_use]
mod names;
pub mod accounts;
mod category;
pub mod fatigue;
pub mod history;
mod ip_policy;
mod keys;
mod presentation;
pub mod questions;
mod respondent;
mod schedule_time;
#[cfg(feature = "diesel")]
mod sql;
mod survey;
mod targeting;
mod triggers;
pub mod webhook;

pub use accounts::Role;
pub use category::Category;
pub use fatigue::Fatigue;
pub use history::{EventKind, SurveyEvent};
pub use ip_policy::IpPolicy;
pub use keys::{
    hash_token, parse_share_token, KeyKind, NewToken, Scope, StoredScope, INVITATION_TOKEN_PREFIX,
    RESET_TOKEN_PREFIX, SESSION_TOKEN_PREFIX, SETUP_TOKEN_PREFIX, SHARE_TOKEN_PREFIX,
};
pub use presentation::{FollowUpQuestion, Labels, LocalizedTexts, Presentation};
pub use questions::{Answer, Answers, Question, QuestionKind, Questions};
pub use respondent::{RespondentId, RespondentIdError};
pub use schedule_time::{parse_time_zone, ScheduleTime};
pub use survey::{Scale, Schedule, Score, SurveyKind, SurveyStatus};
pub use targeting::{AttributeFilter, FilterGroup, FilterOp, FilterRule, FilterValue, Scalar, Targeting};
pub use triggers::{Triggers, UrlMatch, UrlPattern};

use serde::Serialize;

/// `Display` as the name the type is stored and sent by, with the width and alignment of
/// the format honoured as for a `str` (the CLI lines its tables up with them).
macro_rules! display_as_name {
    ($($ty:ty),+ $(,)?) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    )+};
}

display_as_name!(SurveyKind, SurveyStatus, KeyKind, Scope, StoredScope, IpPolicy, Role);

/// One thing wrong with one input field, named by its path (`attributes.plan`,
/// `answers[3].score`). Validation collects every one it finds, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// An error on `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }

    /// The same error under a parent path (`answers[3]` + `score` → `answers[3].score`).
    pub fn under(self, parent: &str) -> Self {
        let field = if self.field.is_empty() {
            parent.to_string()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        FieldError { field, ..self }
    }
}

/// Parses an allowed browser origin: `*`, or `scheme://host[:port]` with http or https and
/// nothing after the host (that is what browsers send in `Origin`). Returns it normalised.
pub fn parse_origin(raw: &str) -> Result<String, String> {
    if raw == "*" {
        return Ok(raw.to_string());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{raw:?} must be an http or https origin such as https://app.example.com"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("{raw:?} must be an origin only (scheme://host[:port]), without a path"));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins_are_normalised_and_paths_refused() {
        assert_eq!(parse_origin("https://App.Example.com:443").unwrap(), "https://app.example.com");
        assert_eq!(parse_origin("http://localhost:3000/").unwrap(), "http://localhost:3000");
        assert!(parse_origin("https://example.com/app").is_err());
        assert!(parse_origin("ftp://example.com").is_err());
        assert_eq!(parse_origin("*").unwrap(), "*");
    }
}
