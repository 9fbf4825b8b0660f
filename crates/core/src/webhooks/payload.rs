//! What an event says: the versioned envelope the change feed lists and Standard Webhooks
//! endpoints receive, and the chat message a Slack, Teams or Discord endpoint receives.
//! Answers are read when the event goes out, never copied into the event, so an erased
//! answer is not sent on from a queue or a feed.

use super::integrations::{self, AlertView, DigestView};
use chrono::{DateTime, SecondsFormat, Utc};
use feedbackd_domain::webhook::{Band, EventType, Format};
use feedbackd_store::events::FeedEvent;
use feedbackd_store::insights::ListedAnswer;
use feedbackd_store::models::Survey;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// The version of the envelope and of `data`'s shape. Fields may be added within a
/// version; none is renamed or removed.
pub const PAYLOAD_VERSION: u32 = 1;

/// One event as the feed lists it and a Standard Webhooks endpoint receives it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Envelope {
    /// `evt_` and the event's position in the feed: the same everywhere it appears.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened (RFC 3339, UTC).
    pub timestamp: String,
    /// Of the envelope and of `data`.
    pub version: u32,
    /// For `response.*`: the answer as `GET /v1/responses` lists it (`ListedAnswer`); once
    /// erased, only `id`, `survey_id` and `"erased": true`. For `survey.digest`: the digest.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// The feed's name for an event.
pub fn event_id(position: i64) -> String {
    format!("evt_{position}")
}

/// The envelope of `event`; `answer` is its answer if it still exists.
pub fn envelope(event: &FeedEvent, kind: EventType, answer: Option<&ListedAnswer>) -> Envelope {
    let data = match (kind, answer) {
        (EventType::SurveyDigest, _) => event.data.clone().unwrap_or(Value::Null),
        (EventType::ResponseCreated | EventType::ResponseUpdated, Some(answer)) => answer_data(answer),
        (EventType::ResponseErased, _) => json!({ "id": event.response_id, "survey_id": event.survey_id }),
        (_, None) => json!({ "id": event.response_id, "survey_id": event.survey_id, "erased": true }),
    };
    Envelope {
        id: event_id(event.position),
        kind,
        timestamp: rfc3339(event.occurred_at),
        version: PAYLOAD_VERSION,
        data,
    }
}

fn answer_data(answer: &ListedAnswer) -> Value {
    let mut data = serde_json::to_value(answer).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut data {
        fields.remove("highlight");
    }
    data
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The body an endpoint of `format` receives for `event`, or `None` when a chat endpoint
/// has nothing to say (an erasure is not news in a channel).
pub fn body(
    format: Format,
    event: &FeedEvent,
    kind: EventType,
    answer: Option<&ListedAnswer>,
    survey: Option<&Survey>,
    public_url: Option<&str>,
) -> Option<Vec<u8>> {
    let value = match format {
        Format::Standard => serde_json::to_value(envelope(event, kind, answer)).ok()?,
        chat => chat_body(chat, event, kind, answer, survey, public_url)?,
    };
    serde_json::to_vec(&value).ok()
}

fn chat_body(
    format: Format,
    event: &FeedEvent,
    kind: EventType,
    answer: Option<&ListedAnswer>,
    survey: Option<&Survey>,
    public_url: Option<&str>,
) -> Option<Value> {
    let target = match format {
        Format::Slack => integrations::Format::Slack,
        Format::Teams => integrations::Format::Teams,
        Format::Discord => integrations::Format::Discord,
        Format::Standard => return None,
    };
    let survey_name = survey.map_or("survey", |s| s.key.as_str());
    let report_url = match (public_url, survey) {
        (Some(base), Some(s)) => Some(format!("{}/reports/{}", base.trim_end_matches('/'), s.key)),
        _ => None,
    };
    match kind {
        EventType::ResponseCreated | EventType::ResponseUpdated => {
            let answer = answer?;
            let attributes = flatten_attributes(&answer.attributes);
            let (kind_label, scale) = survey.map_or((None, None), |s| (Some(s.kind), s.scale()));
            let band = match (kind_label, answer.score) {
                (Some(k), Some(score)) => Band::of(k, scale.or(k.default_scale()), score).map(Band::as_str),
                _ => None,
            };
            let view = AlertView {
                survey_name,
                kind: kind_label.unwrap_or(feedbackd_domain::SurveyKind::Text),
                score: answer.score,
                scale_max: scale.or(kind_label.and_then(|k| k.default_scale())).map(|s| s.max),
                band,
                comment: answer.comment.as_deref(),
                respondent_id: answer.respondent_id.as_deref(),
                attributes: &attributes,
                answered_at: answer.answered_at,
                report_url: report_url.as_deref(),
                event: kind.as_str(),
            };
            Some(integrations::alert_body(target, &view))
        }
        EventType::SurveyDigest => {
            let digest: super::digest::Digest = serde_json::from_value(event.data.clone()?).ok()?;
            let period = digest.period_label();
            let themes: Vec<String> = digest.themes.iter().map(super::digest::DigestTheme::line).collect();
            let view = DigestView {
                survey_name,
                period_label: &period,
                metric_name: &digest.metric,
                value: digest.value,
                interval: digest.interval,
                change: digest.change,
                responses: digest.responses,
                rising_terms: &digest.rising_terms,
                themes: &themes,
                report_url: report_url.as_deref(),
            };
            Some(integrations::digest_body(target, &view))
        }
        EventType::ResponseErased => None,
    }
}

/// Attributes as `key: value` text, keys sorted, at most ten.
fn flatten_attributes(attributes: &Value) -> Vec<(String, String)> {
    let Value::Object(map) = attributes else { return Vec::new() };
    let mut pairs: Vec<(String, String)> = map
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    pairs.sort();
    pairs.truncate(10);
    pairs
}

/// The answers and surveys events need, keyed for lookup.
pub type AnswerKey = (Uuid, Uuid);
