//! Webhooks as rules, without I/O: which events there are, which answers an endpoint
//! wants, the message formats, and when a failed delivery is tried again.

use crate::{FieldError, Scale, SurveyKind};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What happened, as the change feed and the webhooks name it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
pub enum EventType {
    /// An answer was stored.
    #[serde(rename = "response.created")]
    #[value(name = "response.created")]
    ResponseCreated,
    /// An answer got its follow-up (comment or category).
    #[serde(rename = "response.updated")]
    #[value(name = "response.updated")]
    ResponseUpdated,
    /// An answer was erased (a respondent's erasure): erase your copy too.
    #[serde(rename = "response.erased")]
    #[value(name = "response.erased")]
    ResponseErased,
    /// A survey's figures for the day or week just ended.
    #[serde(rename = "survey.digest")]
    #[value(name = "survey.digest")]
    SurveyDigest,
}

names!(EventType, "event type" {
    ResponseCreated => "response.created",
    ResponseUpdated => "response.updated",
    ResponseErased => "response.erased",
    SurveyDigest => "survey.digest",
});

/// The body an endpoint receives: Standard Webhooks JSON, or a chat tool's message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `{type, timestamp, data}`, signed to the Standard Webhooks spec.
    #[default]
    Standard,
    /// A Slack incoming webhook (Block Kit).
    Slack,
    /// A Microsoft Teams incoming webhook or workflow (Adaptive Card).
    Teams,
    /// A Discord webhook (embed).
    Discord,
}

names!(Format, "format" { Standard => "standard", Slack => "slack", Teams => "teams", Discord => "discord" });

/// A band of a score: NPS's three, or low/high on the other scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// NPS 0–6.
    Detractor,
    /// NPS 7–8.
    Passive,
    /// NPS 9–10.
    Promoter,
    /// The bottom of a CSAT, CES or rating scale: below its satisfied part.
    Low,
    /// The satisfied part of a scale: its top two points (CSAT 4–5 of 5; NPS 9–10 too).
    High,
}

impl Band {
    /// Whether `score` on a survey of `kind` and `scale` falls in this band.
    pub fn contains(self, kind: SurveyKind, scale: Option<Scale>, score: i16) -> bool {
        let Some(scale) = scale else { return false };
        let high = score > scale.max - 2;
        match (self, kind) {
            (Band::Detractor, SurveyKind::Nps) => score <= 6,
            (Band::Passive, SurveyKind::Nps) => (7..=8).contains(&score),
            (Band::Promoter, SurveyKind::Nps) => score >= 9,
            (Band::Detractor | Band::Passive | Band::Promoter, _) => false,
            (Band::High, _) => high,
            (Band::Low, SurveyKind::Nps) => score <= 6,
            (Band::Low, _) => !high,
        }
    }

    /// The band a score is shown with (NPS: its three; otherwise low or high).
    pub fn of(kind: SurveyKind, scale: Option<Scale>, score: i16) -> Option<Band> {
        let candidates: &[Band] = match kind {
            SurveyKind::Nps => &[Band::Detractor, Band::Passive, Band::Promoter],
            _ => &[Band::Low, Band::High],
        };
        candidates.iter().copied().find(|b| b.contains(kind, scale, score))
    }

    /// The band's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Detractor => "detractor",
            Band::Passive => "passive",
            Band::Promoter => "promoter",
            Band::Low => "low",
            Band::High => "high",
        }
    }
}

/// Which answers an endpoint wants. Every part that is set must hold; an empty condition
/// takes every answer. Erasures always pass: a receiver that got an answer must hear
/// that it is gone, whatever the answer said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Only scores in this band (`detractor` for an alert on unhappy NPS answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<Band>,
    /// Only scores at or below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_score: Option<i16>,
    /// Only scores at or above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<i16>,
    /// Only answers with (true) or without (false) a comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_comment: Option<bool>,
}

/// What a condition is checked against: the answer as it is now.
#[derive(Debug, Clone, Copy)]
pub struct AnswerFacts {
    pub kind: SurveyKind,
    pub scale: Option<Scale>,
    pub score: Option<i16>,
    pub has_comment: bool,
}

impl Condition {
    /// Whether the condition holds for an answer. A score condition never holds for an
    /// answer without a score.
    pub fn matches(&self, a: &AnswerFacts) -> bool {
        let score_ok = |test: &dyn Fn(i16) -> bool| a.score.is_some_and(test);
        self.band.map_or(true, |b| score_ok(&|s| b.contains(a.kind, a.scale, s)))
            && self.max_score.map_or(true, |max| score_ok(&|s| s <= max))
            && self.min_score.map_or(true, |min| score_ok(&|s| s >= min))
            && self.has_comment.map_or(true, |want| want == a.has_comment)
    }

    /// Checks the condition makes sense; errors name `condition.<part>`.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let (Some(min), Some(max)) = (self.min_score, self.max_score) {
            if min > max {
                errors.push(FieldError::new("condition.min_score", "min_score is above max_score"));
            }
        }
        for (field, value) in
            [("condition.max_score", self.max_score), ("condition.min_score", self.min_score)]
        {
            if value.is_some_and(|v| !(0..=100).contains(&v)) {
                errors.push(FieldError::new(field, "scores run from 0 to 100"));
            }
        }
        errors
    }
}

/// What an endpoint subscribes to: event types, surveys, and a condition on the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub event_types: Vec<EventType>,
    /// `None`: every survey of the project.
    pub survey_ids: Option<Vec<uuid::Uuid>>,
    pub condition: Condition,
}

impl Subscription {
    /// Whether an event goes to this endpoint. `answer` is the answer as it is now (`None`
    /// once erased, and for a digest): a condition is checked only on an answer that exists.
    pub fn wants(
        &self,
        event: EventType,
        survey_id: Option<uuid::Uuid>,
        answer: Option<&AnswerFacts>,
    ) -> bool {
        let survey_ok = match (&self.survey_ids, survey_id) {
            (None, _) => true,
            (Some(ids), Some(id)) => ids.contains(&id),
            (Some(_), None) => false,
        };
        let condition_ok = match event {
            EventType::ResponseCreated | EventType::ResponseUpdated => {
                answer.is_some_and(|a| self.condition.matches(a))
            }
            EventType::ResponseErased | EventType::SurveyDigest => true,
        };
        self.event_types.contains(&event) && survey_ok && condition_ok
    }
}

/// The most attempts a delivery gets: the first, then one per [`RETRY_DELAYS`] entry.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS.len() as u32 + 1;

/// The waits before each retry: soon after a blip, then spaced over about a day and a
/// half so a receiver down overnight still gets everything (Standard Webhooks' schedule).
pub const RETRY_DELAYS: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The longest a receiver's `Retry-After` may push a retry out.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// After how many failed attempts in all, and given the receiver's `Retry-After`, when a
/// delivery is tried next; `None` when the schedule has run out. `jitter` in [0, 1) spreads
/// retries by up to a tenth of the wait so a recovered receiver is not hit all at once.
pub fn retry_delay(failed_attempts: u32, retry_after: Option<Duration>, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(failed_attempts.checked_sub(1)?).ok()?;
    let base = *RETRY_DELAYS.get(index)?;
    let spread = base.mul_f64(jitter.clamp(0.0, 1.0) * 0.1);
    Some((base + spread).max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER)))
}

/// How long an endpoint may fail every attempt before it is disabled.
pub const DISABLE_AFTER_FAILING: Duration = Duration::from_secs(5 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    fn nps(score: i16, has_comment: bool) -> AnswerFacts {
        AnswerFacts {
            kind: SurveyKind::Nps,
            scale: Some(Scale { min: 0, max: 10 }),
            score: Some(score),
            has_comment,
        }
    }

    #[test]
    fn bands_split_nps_at_six_and_eight() {
        let bands: Vec<_> =
            (0..=10).map(|s| Band::of(SurveyKind::Nps, Some(Scale { min: 0, max: 10 }), s)).collect();
        assert!(bands[..7].iter().all(|b| *b == Some(Band::Detractor)));
        assert_eq!(&bands[7..9], &[Some(Band::Passive); 2]);
        assert_eq!(&bands[9..], &[Some(Band::Promoter); 2]);
        let csat = Some(Scale { min: 1, max: 5 });
        assert_eq!(Band::of(SurveyKind::Csat, csat, 3), Some(Band::Low));
        assert_eq!(Band::of(SurveyKind::Csat, csat, 4), Some(Band::High));
        assert!(!Band::Detractor.contains(SurveyKind::Csat, csat, 1));
    }

    #[test]
    fn conditions_need_every_part() {
        let c = Condition { band: Some(Band::Detractor), has_comment: Some(true), ..Condition::default() };
        assert!(c.matches(&nps(3, true)));
        assert!(!c.matches(&nps(3, false)));
        assert!(!c.matches(&nps(9, true)));
        assert!(Condition::default().matches(&nps(9, false)));
        let at_most = Condition { max_score: Some(6), ..Condition::default() };
        assert!(at_most.matches(&nps(6, false)) && !at_most.matches(&nps(7, false)));
        let text = AnswerFacts { kind: SurveyKind::Text, scale: None, score: None, has_comment: true };
        assert!(!at_most.matches(&text), "a score condition never holds without a score");
    }

    #[test]
    fn subscriptions_filter_by_type_survey_and_condition() {
        let survey = uuid::Uuid::from_u128(7);
        let sub = Subscription {
            event_types: vec![EventType::ResponseCreated, EventType::ResponseErased],
            survey_ids: Some(vec![survey]),
            condition: Condition { band: Some(Band::Detractor), ..Condition::default() },
        };
        assert!(sub.wants(EventType::ResponseCreated, Some(survey), Some(&nps(2, false))));
        assert!(!sub.wants(EventType::ResponseCreated, Some(survey), Some(&nps(10, false))));
        assert!(!sub.wants(EventType::ResponseCreated, Some(uuid::Uuid::from_u128(8)), Some(&nps(2, false))));
        assert!(!sub.wants(EventType::ResponseUpdated, Some(survey), Some(&nps(2, false))));
        assert!(
            !sub.wants(EventType::ResponseCreated, Some(survey), None),
            "an erased answer matches nothing"
        );
        assert!(sub.wants(EventType::ResponseErased, Some(survey), None), "erasures pass the condition");
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let waits: Vec<_> = (1..=8).map(|n| retry_delay(n, None, 0.0)).collect();
        assert_eq!(waits[0], Some(Duration::from_secs(5)));
        assert_eq!(waits[6], Some(Duration::from_secs(36_000)));
        assert_eq!(waits[7], None, "the eighth failure is the last");
        assert_eq!(MAX_ATTEMPTS, 8);
        assert_eq!(retry_delay(0, None, 0.0), None);
        assert_eq!(retry_delay(1, None, 0.99), Some(Duration::from_secs_f64(5.0 * 1.099)));
        assert_eq!(retry_delay(1, Some(Duration::from_secs(60)), 0.0), Some(Duration::from_secs(60)));
        assert_eq!(retry_delay(1, Some(Duration::from_secs(10 * 86_400)), 0.0), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        // The CLI's names are the wire names.
        use clap::ValueEnum;
        for t in EventType::ALL {
            assert_eq!(t.to_possible_value().map(|v| v.get_name().to_string()), Some(t.as_str().to_string()));
        }
        for f in Format::ALL {
            assert_eq!(f.to_possible_value().map(|v| v.get_name().to_string()), Some(f.as_str().to_string()));
        }
        for b in Band::value_variants() {
            assert_eq!(b.to_possible_value().map(|v| v.get_name().to_string()), Some(b.as_str().to_string()));
        }
    }
}
