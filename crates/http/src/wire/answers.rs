//! Wire shapes of the ingest API. They stay in `http`: everything past here sees
//! [`Submission`]s, built only through [`AnswerIn::into_submission`].

use chrono::{DateTime, Utc};
use feedbackd_core::ingest::FollowUp;
use feedbackd_core::ingest::{Category, Recorded, Submission};
use feedbackd_core::settings::Limits;
use feedbackd_domain::FieldError;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// `POST /v1/responses`: one answer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    /// Idempotency key made on the device (UUIDv7); the server makes one when absent.
    pub id: Option<Uuid>,
    /// The survey's id or key.
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    pub survey: String,
    /// On the survey's scale; absent for a text survey.
    pub score: Option<i64>,
    pub comment: Option<String>,
    pub category: Option<Category>,
    /// The app's id for the person: enables recontact rules and privacy erasure.
    pub respondent_id: Option<String>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub attributes: Map<String, Value>,
    /// Answers to the survey's questions, by question key: a `choice` is an option key, a
    /// list of them, or `{"options": [...], "other": "..."}`; a `rating` a whole number; a
    /// `text` a string. A choice survey's main answer is `main`.
    #[serde(default, deserialize_with = "unique_keys")]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    #[validate(nested)]
    pub context: Option<ContextIn>,
    pub client_time: Option<DateTime<Utc>>,
    /// Honeypot: a form field people never see. Bots fill it; the answer is then
    /// acknowledged like any other and dropped.
    #[validate(length(max = 256, message = "longer than 256 characters"))]
    pub hp: Option<String>,
    /// Milliseconds from the widget showing the question to the answer being sent.
    pub time_to_answer_ms: Option<u64>,
}

/// Where the answer was given.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextIn {
    #[validate(url(message = "must be an absolute URL"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[validate(length(max = 512, message = "longer than 512 characters"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[validate(length(max = 128, message = "longer than 128 characters"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[validate(length(max = 32, message = "longer than 32 characters"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
}

impl AnswerIn {
    /// Checks every rule that does not need the survey. What fails is carried in
    /// [`Submission::errors`], so the survey's own checks still run and every bad field is
    /// reported at once.
    pub fn into_submission(self, limits: &Limits) -> Submission {
        let mut errors = Vec::new();
        if let Err(e) = self.validate() {
            flatten(&e, "", &mut errors);
        }
        // A blank comment is no comment (widgets send "" for an untouched text box).
        let comment = self.comment.filter(|c| !c.trim().is_empty());
        if let Some(c) = &comment {
            let chars = c.chars().count();
            if chars > limits.max_comment_chars {
                errors.push(FieldError::new(
                    "comment",
                    format!("is {chars} characters; at most {} are allowed", limits.max_comment_chars),
                ));
            }
        }
        if let Some(url) = self.context.as_ref().and_then(|c| c.page_url.as_ref()) {
            if url.chars().count() > limits.max_url_chars {
                errors.push(FieldError::new(
                    "context.page_url",
                    format!("longer than {} characters", limits.max_url_chars),
                ));
            }
        }
        errors.extend(feedbackd_core::ingest::submission::check_attributes(&self.attributes, limits));
        errors.extend(feedbackd_core::ingest::submission::check_answer_count(&self.answers));
        let context = match self.context.map(serde_json::to_value) {
            Some(Ok(Value::Object(map))) => map,
            _ => Map::new(),
        };
        Submission {
            errors,
            honeypot: self.hp.is_some_and(|v| !v.is_empty()),
            time_to_answer: self.time_to_answer_ms.map(std::time::Duration::from_millis),
            id: self.id,
            survey: self.survey,
            score: self.score,
            comment,
            category: self.category,
            respondent_id: self.respondent_id,
            attributes: self.attributes,
            answers: self.answers,
            context,
            client_time: self.client_time,
        }
    }
}

/// serde_json keeps the last of repeated names in a map without a word; a repeated
/// attribute is refused like a repeated field, as the client cannot have meant both.
fn unique_keys<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Map<String, Value>, D::Error> {
    struct Unique;
    impl<'de> Visitor<'de> for Unique {
        type Value = Map<String, Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = Map::new();
            while let Some((key, value)) = access.next_entry::<String, Value>()? {
                if map.contains_key(&key) {
                    // The wording of serde's own duplicate_field, which has no owned form.
                    return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                }
                map.insert(key, value);
            }
            Ok(map)
        }
    }
    deserializer.deserialize_map(Unique)
}

/// The rules a wire body declares with `validator`, every broken one as a [`FieldError`],
/// sorted by field.
pub fn check_rules(input: &impl Validate) -> Result<(), Vec<FieldError>> {
    let Err(e) = input.validate() else { return Ok(()) };
    let mut errors = Vec::new();
    flatten(&e, "", &mut errors);
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    Err(errors)
}

/// validator's nested errors as a flat list of dotted paths.
fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                let message =
                    e.message.as_ref().map_or_else(|| format!("is invalid ({})", e.code), |m| m.to_string());
                FieldError::new(&path, message)
            })),
            ValidationErrorsKind::Struct(inner) => flatten(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// `POST /v1/responses/batch`: answers from an offline queue. Items are parsed one by one
/// so that one bad item does not hide the others' results.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    /// Answers shaped like `POST /v1/responses` bodies. Kept as their text, so that each
    /// goes through the same parser as a single answer.
    #[schema(value_type = Vec<AnswerIn>)]
    pub answers: Vec<Box<RawValue>>,
}

/// `PATCH /v1/responses/{id}`: the follow-up to an answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpIn {
    pub comment: Option<String>,
    pub category: Option<Category>,
    /// Answers to questions not answered yet, shaped as in `POST /v1/responses`.
    #[serde(default, deserialize_with = "unique_keys")]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
}

impl FollowUpIn {
    /// Checks the follow-up's size and that it says something.
    pub fn into_follow_up(self, limits: &Limits) -> Result<FollowUp, Vec<FieldError>> {
        let comment = self.comment.filter(|c| !c.trim().is_empty());
        if comment.is_none() && self.category.is_none() && self.answers.is_empty() {
            return Err(vec![FieldError::new(
                "comment",
                "a follow-up needs a comment, a category or answers",
            )]);
        }
        let too_many = feedbackd_core::ingest::submission::check_answer_count(&self.answers);
        if !too_many.is_empty() {
            return Err(too_many);
        }
        if let Some(chars) = comment.as_ref().map(|c| c.chars().count()) {
            if chars > limits.max_comment_chars {
                return Err(vec![FieldError::new(
                    "comment",
                    format!("is {chars} characters; at most {} are allowed", limits.max_comment_chars),
                )]);
            }
        }
        Ok(FollowUp { comment, category: self.category, answers: self.answers })
    }
}

/// The answer to a stored (or replayed) answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedOut {
    pub id: Uuid,
    pub survey_id: Uuid,
    pub created: bool,
}

impl From<Recorded> for RecordedOut {
    fn from(r: Recorded) -> Self {
        RecordedOut { id: r.id, survey_id: r.survey_id, created: r.created }
    }
}
