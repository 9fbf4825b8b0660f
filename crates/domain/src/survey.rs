//! Survey kinds, their score scales, and their lifecycle.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What a survey asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "lowercase")]
pub enum SurveyKind {
    /// Net Promoter Score, 0–10.
    Nps,
    /// Customer satisfaction, 1–5 unless configured.
    Csat,
    /// Customer effort, 1–7.
    Ces,
    /// A plain rating on a configured scale.
    Rating,
    /// Free-text feedback: a comment and a category, no score.
    Text,
    /// A choice question (its `main` question's options), no score: a product-market-fit
    /// survey, a churn reason.
    Choice,
}

/// An inclusive score range, `min < max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scale {
    pub min: i16,
    pub max: i16,
}

impl Scale {
    /// `raw` as a score on this scale; `None` when it is off the scale.
    pub fn score(self, raw: i64) -> Option<Score> {
        i16::try_from(raw).ok().filter(|s| (self.min..=self.max).contains(s)).map(Score)
    }
}

/// A score checked against its survey's scale: only [`Scale::score`] makes one, so an
/// answer row holding a `Score` holds one that was on the scale when it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::SmallInt))]
pub struct Score(i16);

impl Score {
    /// The score as stored.
    pub fn get(self) -> i16 {
        self.0
    }
}

// Parsed by clap's `ValueEnum`, whose message the CLI and the API share.
names!(SurveyKind { Nps => "nps", Csat => "csat", Ces => "ces", Rating => "rating", Text => "text", Choice => "choice" });

impl SurveyKind {
    /// "an NPS survey", "a CSAT survey": for messages.
    pub fn with_article(self) -> &'static str {
        match self {
            SurveyKind::Nps => "an NPS survey",
            SurveyKind::Csat => "a CSAT survey",
            SurveyKind::Ces => "a CES survey",
            SurveyKind::Rating => "a rating survey",
            SurveyKind::Text => "a text survey",
            SurveyKind::Choice => "a choice survey",
        }
    }

    /// The usual scale of the kind; `None` for free text.
    pub fn default_scale(self) -> Option<Scale> {
        let (min, max) = match self {
            SurveyKind::Nps => (0, 10),
            SurveyKind::Csat | SurveyKind::Rating => (1, 5),
            SurveyKind::Ces => (1, 7),
            SurveyKind::Text | SurveyKind::Choice => return None,
        };
        Some(Scale { min, max })
    }

    /// The scale a survey of this kind gets from optional overrides, or why it cannot.
    /// NPS is 0–10 by definition; other scored kinds may be reconfigured.
    pub fn scale_from(self, min: Option<i16>, max: Option<i16>) -> Result<Option<Scale>, String> {
        let Some(default) = self.default_scale() else {
            return match (min, max) {
                (None, None) => Ok(None),
                _ => Err(format!("{} has no scale", self.with_article())),
            };
        };
        if self == SurveyKind::Nps && (min.is_some() || max.is_some()) {
            return Err("an NPS survey is always 0..=10".into());
        }
        let scale = Scale { min: min.unwrap_or(default.min), max: max.unwrap_or(default.max) };
        if scale.min < 0 || scale.max > 100 || scale.min >= scale.max {
            return Err(format!("scale {}..={} must be increasing and within 0..=100", scale.min, scale.max));
        }
        Ok(Some(scale))
    }
}

impl FromStr for SurveyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <SurveyKind as clap::ValueEnum>::from_str(s, false)
    }
}

/// Where a survey is in its life. Only `active` surveys take answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "lowercase")]
pub enum SurveyStatus {
    Draft,
    Active,
    Paused,
    Archived,
}

names!(SurveyStatus, "survey status" {
    Draft => "draft",
    Active => "active",
    Paused => "paused",
    Archived => "archived",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scales_follow_the_metric_definitions() {
        assert_eq!(SurveyKind::Nps.scale_from(None, None), Ok(Some(Scale { min: 0, max: 10 })));
        assert_eq!(SurveyKind::Csat.scale_from(None, None), Ok(Some(Scale { min: 1, max: 5 })));
        assert_eq!(SurveyKind::Ces.scale_from(None, None), Ok(Some(Scale { min: 1, max: 7 })));
        assert_eq!(SurveyKind::Text.scale_from(None, None), Ok(None));
    }

    #[test]
    fn scores_are_made_only_on_the_scale() {
        let scale = Scale { min: 1, max: 5 };
        assert_eq!(scale.score(1).map(Score::get), Some(1));
        assert_eq!(scale.score(5).map(Score::get), Some(5));
        // 65539 as i16 would wrap to 3, on the scale.
        for off in [0, 6, -1, 65_536 + 3, i64::MIN] {
            assert_eq!(scale.score(off), None, "{off}");
        }
    }

    #[test]
    fn rejects_scales_that_break_the_kind() {
        assert!(SurveyKind::Nps.scale_from(Some(1), None).is_err());
        assert!(SurveyKind::Text.scale_from(Some(1), Some(5)).is_err());
        assert!(SurveyKind::Csat.scale_from(Some(5), Some(5)).is_err());
        assert_eq!(SurveyKind::Csat.scale_from(None, Some(7)), Ok(Some(Scale { min: 1, max: 7 })));
    }
}

/// When a survey takes answers, beside its status: it may open at a time, close at a
/// time, and close itself once it has `response_limit` answers (`closed_at` then says when).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    /// Takes answers from this time on; null: since it was created.
    #[schema(required)]
    pub opens_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Takes no answers from this time on; null: no end.
    #[schema(required)]
    pub closes_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Closes itself after this many answers (counted exactly as they are stored).
    #[schema(required, minimum = 1)]
    pub response_limit: Option<i32>,
    /// When the response limit closed it; null while it is open.
    #[schema(required)]
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Schedule {
    /// Whether the schedule lets the survey take answers at `now` (its status aside).
    pub fn is_open(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.closed_at.is_none()
            && self.opens_at.map_or(true, |t| now >= t)
            && self.closes_at.map_or(true, |t| now < t)
    }

    /// Why it takes no answers at `now`, in words for a problem's detail; `None`: open.
    pub fn closed_because(&self, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
        let at = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let (Some(limit), Some(_)) = (self.response_limit, self.closed_at) {
            return Some(format!("is closed: it reached its limit of {limit} answers"));
        }
        match (self.opens_at, self.closes_at) {
            (Some(opens), _) if now < opens => Some(format!("is not open yet: it opens at {}", at(opens))),
            (_, Some(closes)) if now >= closes => Some(format!("is closed: it closed at {}", at(closes))),
            _ => None,
        }
    }
}
