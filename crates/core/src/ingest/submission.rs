//! An answer as a widget sent it, checked for shape and size but not yet against its
//! survey. `http` builds it; [`super::Ingestor`] finishes the checks and stores it.

use crate::settings::Limits;
use chrono::{DateTime, Utc};
use feedbackd_domain::{Category, FieldError, Scale, Score, SurveyKind};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A shape-checked answer.
#[derive(Debug, Clone)]
pub struct Submission {
    /// What the shape checks found wrong; the answer is refused unless this is empty.
    pub errors: Vec<FieldError>,
    /// The honeypot field was filled in.
    pub honeypot: bool,
    /// How long the person took, as the widget measured it.
    pub time_to_answer: Option<std::time::Duration>,
    pub id: Option<Uuid>,
    /// The survey's id or key.
    pub survey: String,
    pub score: Option<i64>,
    pub comment: Option<String>,
    pub category: Option<Category>,
    /// As sent: [`super::Ingestor`] checks it while building the row (`RespondentId`).
    pub respondent_id: Option<String>,
    pub attributes: Map<String, Value>,
    /// Answers to the survey's questions by key, as sent; checked against the survey.
    pub answers: Map<String, Value>,
    pub context: Map<String, Value>,
    pub client_time: Option<DateTime<Utc>>,
}

/// Checks the rules that depend on the survey; returns the score to store.
pub fn check_against_survey(
    score: Option<i64>,
    kind: SurveyKind,
    scale: Option<Scale>,
    comment: Option<&str>,
) -> Result<Option<Score>, FieldError> {
    match (kind, scale, score) {
        (SurveyKind::Choice, _, Some(_)) => {
            Err(FieldError::new("score", "a choice survey takes `answers.main`, not a score"))
        }
        (SurveyKind::Choice, _, None) => Ok(None),
        (SurveyKind::Text, _, Some(_)) => {
            Err(FieldError::new("score", "a text survey takes a comment, not a score"))
        }
        (SurveyKind::Text, _, None) if comment.is_none() => {
            Err(FieldError::new("comment", "is required for a text survey"))
        }
        (SurveyKind::Text, _, None) => Ok(None),
        (_, _, None) => Err(FieldError::new("score", format!("is required for {}", kind.with_article()))),
        (_, Some(scale), Some(score)) => scale.score(score).map(Some).ok_or_else(|| {
            FieldError::new(
                "score",
                format!("must be {}..={} for {}", scale.min, scale.max, kind.with_article()),
            )
        }),
        (_, None, Some(_)) => Err(FieldError::new("score", "the survey has no scale")),
    }
}

/// When an answer counts, and whether it came late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerTime {
    /// The time every report buckets the answer by.
    pub counted_at: DateTime<Utc>,
    /// The client's time was older than the backdate limit, so the answer counts when the
    /// server received it (a device offline for weeks is honest; its answer is not lost).
    pub late: bool,
}

/// When the person answered: the client's time if it is plausible, the server's if it is
/// older than the backdate limit (then marked late). Only what no honest clock produces is
/// refused: a time too far in the future, or before the survey existed.
pub fn answered_at(
    client_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    survey_created_at: Option<DateTime<Utc>>,
    limits: &Limits,
) -> Result<AnswerTime, FieldError> {
    let on_time = |counted_at| AnswerTime { counted_at, late: false };
    let Some(t) = client_time else { return Ok(on_time(now)) };
    if t > now + limits.max_clock_skew {
        return Err(FieldError::new(
            "client_time",
            format!("is more than {} seconds in the future", limits.max_clock_skew.num_seconds()),
        ));
    }
    if survey_created_at.is_some_and(|created| t < created - limits.max_clock_skew) {
        return Err(FieldError::new("client_time", "is before the survey existed"));
    }
    if t < now - limits.max_backdate {
        return Ok(AnswerTime { counted_at: now, late: true });
    }
    // A clock a little ahead is skew, not the future: count the answer now.
    Ok(on_time(t.min(now)))
}

/// More answers than a survey can have questions is refused before anything else.
pub fn check_answer_count(answers: &Map<String, Value>) -> Vec<FieldError> {
    let max = feedbackd_domain::questions::MAX_QUESTIONS;
    if answers.len() > max {
        return vec![FieldError::new(
            "answers",
            format!("has {} entries; a survey has at most {max} questions", answers.len()),
        )];
    }
    vec![]
}

/// Checks attributes: count, key shape and length, scalar values of bounded length, and the
/// well-known keys' formats. Returns every problem found.
pub fn check_attributes(attributes: &Map<String, Value>, limits: &Limits) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if attributes.len() > limits.max_attributes {
        errors.push(FieldError::new(
            "attributes",
            format!("has {} entries; at most {} are allowed", attributes.len(), limits.max_attributes),
        ));
    }
    for (key, value) in attributes {
        let field = format!("attributes.{key}");
        if key.is_empty() || key.chars().count() > limits.max_attribute_key_chars {
            errors.push(FieldError::new(
                &field,
                format!("key must be 1 to {} characters", limits.max_attribute_key_chars),
            ));
            continue;
        }
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')) {
            errors.push(FieldError::new(&field, "key may use only letters, digits, '_', '-', '.', ':'"));
            continue;
        }
        match value {
            Value::String(s) => {
                if s.chars().count() > limits.max_attribute_value_chars {
                    errors.push(FieldError::new(
                        &field,
                        format!("longer than {} characters", limits.max_attribute_value_chars),
                    ));
                } else if let Some(message) = well_known_format(key, s) {
                    errors.push(FieldError::new(&field, message));
                }
            }
            Value::Number(_) | Value::Bool(_) => {}
            _ => errors.push(FieldError::new(&field, "must be a string, number or boolean")),
        }
    }
    errors
}

fn well_known_format(key: &str, value: &str) -> Option<&'static str> {
    let ok = match key {
        "country" => value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()),
        "locale" => {
            let mut parts = value.split(['-', '_']);
            let language = parts.next().unwrap_or("");
            (2..=3).contains(&language.len())
                && language.bytes().all(|b| b.is_ascii_alphabetic())
                && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        }
        "platform" | "app_version" => !value.is_empty() && value.len() <= 64,
        _ => true,
    };
    match (ok, key) {
        (true, _) => None,
        (false, "country") => Some("must be an ISO 3166-1 alpha-2 code such as \"DE\""),
        (false, "locale") => Some("must be a BCP 47 language tag such as \"pt-BR\""),
        (false, _) => Some("must be 1 to 64 characters"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The defaults of `feedbackd serve` (`config.rs`).
    fn limits() -> Limits {
        Limits {
            max_body_bytes: 64 * 1024,
            max_batch_body_bytes: 1024 * 1024,
            max_batch_answers: 100,
            max_comment_chars: 5000,
            max_attributes: 32,
            max_attribute_key_chars: 64,
            max_attribute_value_chars: 256,
            max_url_chars: 2048,
            max_clock_skew: chrono::Duration::seconds(300),
            max_backdate: chrono::Duration::days(30),
        }
    }

    #[test]
    fn rejects_score_above_ten_for_nps() {
        let scale = SurveyKind::Nps.default_scale();
        let score = check_against_survey(Some(10), SurveyKind::Nps, scale, None);
        assert_eq!(score.map(|s| s.map(Score::get)), Ok(Some(10)));
        let error = check_against_survey(Some(11), SurveyKind::Nps, scale, None).unwrap_err();
        assert_eq!(error.field, "score");
        assert_eq!(error.message, "must be 0..=10 for an NPS survey");
    }

    #[test]
    fn text_surveys_take_comments_not_scores() {
        assert!(check_against_survey(Some(3), SurveyKind::Text, None, Some("hi")).is_err());
        assert_eq!(check_against_survey(None, SurveyKind::Text, None, None).unwrap_err().field, "comment");
        assert_eq!(check_against_survey(None, SurveyKind::Text, None, Some("hi")), Ok(None));
    }

    #[test]
    fn client_time_is_kept_when_plausible_and_refused_when_not() {
        let now = Utc::now();
        let l = limits();
        let at = |t| answered_at(Some(t), now, None, &l);
        let earlier = now - chrono::Duration::hours(3);
        assert_eq!(at(earlier), Ok(AnswerTime { counted_at: earlier, late: false }));
        assert_eq!(at(now + chrono::Duration::seconds(10)), Ok(AnswerTime { counted_at: now, late: false }));
        assert!(at(now + chrono::Duration::hours(1)).is_err());
        assert_eq!(answered_at(None, now, None, &l), Ok(AnswerTime { counted_at: now, late: false }));
    }

    #[test]
    fn answers_older_than_the_backdate_limit_count_now_and_are_late() {
        let now = Utc::now();
        let l = limits();
        let five_weeks = now - chrono::Duration::days(35);
        assert_eq!(
            answered_at(Some(five_weeks), now, None, &l),
            Ok(AnswerTime { counted_at: now, late: true })
        );
        let created = now - chrono::Duration::days(10);
        let error = answered_at(Some(five_weeks), now, Some(created), &l).unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.message.as_str()),
            ("client_time", "is before the survey existed")
        );
        // A clock a little behind at the survey's start is skew, not a lie.
        let just_before = created - chrono::Duration::seconds(5);
        assert_eq!(answered_at(Some(just_before), now, Some(created), &l).map(|t| t.late), Ok(false));
    }

    #[test]
    fn attribute_errors_name_each_bad_key() {
        let attributes = json!({"country": "Germany", "plan": "x".repeat(300), "ok": 3, "nested": {"a": 1}});
        let errors = check_attributes(attributes.as_object().unwrap(), &limits());
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["attributes.country", "attributes.nested", "attributes.plan"]);
    }
}
