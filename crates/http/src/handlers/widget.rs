//! Widget endpoints beside ingest: the configuration (`GET /v1/widget/config`) and the
//! dismissal of a survey (`POST /v1/responses/dismiss`), both with the publishable key.

use crate::extract::body::read_json;
use crate::extract::{ConfigKey, PublishableKey};
use crate::handlers::surveys::body_limit;
use crate::wire::answers::check_rules;
use crate::wire::manage::{DismissIn, ShownIn, ShownOut, WidgetConfigOut};
use crate::{matches_etag, ApiError, AppState};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use feedbackd_core::settings::Limits;
use feedbackd_core::widget::{self, Audience, Impression, Rendered, Snapshot};
use feedbackd_domain::{FieldError, RespondentId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How long a widget may reuse the full configuration without asking again.
const CONFIG_MAX_AGE: &str = "private, max-age=60";
/// A personal answer depends on recontact memory, so it is always revalidated (ETag).
const PERSONAL_CACHE: &str = "private, no-cache";

/// The open surveys, their display rules and the project's fatigue rules; with
/// `respondent_id`, also the candidate to show (confirmed by `POST /v1/responses/shown`).
/// Read-only and served from memory: no database round trip on the common path.
#[utoipa::path(get, path = "/v1/widget/config", operation_id = "get_widget_config", tag = "widget",
    params(
        ("respondent_id" = Option<String>, Query, description = "the app's id for the person (1–256 characters); asks which survey is the candidate to show (filters and sampling; the widget confirms with POST /v1/responses/shown)"),
        ("attributes" = Option<HashMap<String, String>>, Query, style = DeepObject, explode,
            description = "the person's attributes for targeting filters: `attributes[plan]=pro&attributes[app_version]=3.4.1`; needs `respondent_id`"),
        ("If-None-Match" = Option<String>, Header, description = "an ETag from an earlier answer"),
    ),
    security(("publishable_key" = [])),
    responses(
        (status = 200, body = WidgetConfigOut, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "unchanged since the ETag in If-None-Match")))]
pub async fn config(
    req: HttpRequest,
    key: ConfigKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let audience = parse_audience(req.query_string(), state.ingest.limits()).map_err(ApiError::Validation)?;
    let now = Utc::now();
    let snapshot = state.widgets.snapshot(&key.0.project, now).await?;
    let shared = snapshot.rendered.get_or_init(|| render(&snapshot, now)).clone();
    let (body, etag, cache) = match &audience {
        None => (shared.body, shared.etag, CONFIG_MAX_AGE),
        Some(audience) => {
            let show = snapshot.candidate(audience, now).map(|s| s.key.as_str());
            let (body, etag) = personalise(&shared, show);
            (body, etag, PERSONAL_CACHE)
        }
    };
    if matches_etag(&req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .content_type("application/json")
        .body(body))
}

/// The configuration every visitor of the project gets, as bytes and an ETag.
fn render(snapshot: &Snapshot, now: chrono::DateTime<Utc>) -> Rendered {
    let out = WidgetConfigOut {
        surveys: snapshot.open_surveys(now).cloned().map(Into::into).collect(),
        fatigue: snapshot.fatigue,
        show: None,
    };
    let body = serde_json::to_vec(&out).expect("a configuration always serializes");
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    Rendered { body: body.into(), etag }
}

/// The shared configuration with one person's `show` added as its last member, without
/// serializing the surveys again: the hottest path in production stays a copy and a hash.
fn personalise(shared: &Rendered, show: Option<&str>) -> (bytes::Bytes, String) {
    let show = serde_json::to_string(&show).expect("a key always serializes");
    let mut body = Vec::with_capacity(shared.body.len() + show.len() + 10);
    body.extend_from_slice(&shared.body[..shared.body.len() - 1]);
    body.extend_from_slice(b",\"show\":");
    body.extend_from_slice(show.as_bytes());
    body.push(b'}');
    let mut hasher = Sha256::new();
    hasher.update(shared.etag.as_bytes());
    hasher.update(show.as_bytes());
    let etag = format!("\"{}\"", &hex::encode(hasher.finalize())[..32]);
    (body.into(), etag)
}

/// The respondent and attributes from the query (`respondent_id=u1&attributes[plan]=pro`);
/// `key` is the publishable key of beacon-style calls. Anything else is refused by name.
fn parse_audience(query: &str, limits: &Limits) -> Result<Option<Audience>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut respondent = None;
    let mut attributes = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name == "key" {
            continue;
        }
        if name == "respondent_id" {
            if let Err(e) = RespondentId::parse(value.as_ref()) {
                errors.push(FieldError::new("respondent_id", e.to_string()));
            }
            respondent = Some(value.into_owned());
            continue;
        }
        let Some(attribute) = name.strip_prefix("attributes[").and_then(|n| n.strip_suffix(']')) else {
            errors.push(FieldError::new(
                name.as_ref(),
                "unknown query parameter; expected respondent_id or attributes[NAME]",
            ));
            continue;
        };
        let field = format!("attributes.{attribute}");
        if attribute.is_empty() || attribute.chars().count() > limits.max_attribute_key_chars {
            errors.push(FieldError::new(
                &field,
                format!("names are 1 to {} characters", limits.max_attribute_key_chars),
            ));
        } else if value.chars().count() > limits.max_attribute_value_chars {
            errors.push(FieldError::new(
                &field,
                format!("longer than {} characters", limits.max_attribute_value_chars),
            ));
        } else if attributes.insert(attribute.to_string(), value.into_owned()).is_some() {
            errors.push(FieldError::new(&field, "given more than once"));
        }
    }
    if attributes.len() > limits.max_attributes {
        errors.push(FieldError::new("attributes", format!("at most {} attributes", limits.max_attributes)));
    }
    if respondent.is_none() && !attributes.is_empty() {
        errors.push(FieldError::new("respondent_id", "is needed with attributes[…]"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(respondent.map(|respondent_id| Audience { respondent_id, attributes }))
}

/// A survey is about to appear: the server applies what the device cannot know (the
/// person's history on other devices, the session cap, the schedule and the limit),
/// records the impression, and says whether to show it.
#[utoipa::path(post, path = "/v1/responses/shown", operation_id = "report_shown", tag = "widget", request_body = ShownIn,
    security(("publishable_key" = [])),
    responses((status = 201, description = "decided and recorded", body = ShownOut),
        (status = 200, description = "a replay of a known id: the decision first recorded", body = ShownOut)))]
pub async fn shown(
    req: HttpRequest,
    key: PublishableKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: ShownIn = read_json(&req, body, body_limit(&state)).await?;
    check_rules(&input).map_err(ApiError::Validation)?;
    let impression = Impression {
        id: input.id,
        survey: input.survey,
        respondent_id: input.respondent_id,
        session_id: input.session_id,
    };
    let outcome = state.widgets.shown(&key.0.project, impression).await?;
    let status = if outcome.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .json(ShownOut {
            id: input.id,
            survey_id: outcome.survey_id,
            show: outcome.decision.is_ok(),
            reason: outcome.decision.err(),
        }))
}

/// Record that a person closed a survey without answering: the recontact period starts now.
#[utoipa::path(post, path = "/v1/responses/dismiss", operation_id = "dismiss_survey", tag = "widget", request_body = DismissIn,
    security(("publishable_key" = [])),
    responses((status = 204, description = "recorded")))]
pub async fn dismiss(
    req: HttpRequest,
    key: PublishableKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: DismissIn = read_json(&req, body, body_limit(&state)).await?;
    check_rules(&input).map_err(ApiError::Validation)?;
    let project_id = key.0.project.id;
    widget::dismiss(&state.db, project_id, input.survey, input.respondent_id, Utc::now()).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .finish())
}
