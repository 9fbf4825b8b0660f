//! Widget endpoints beside ingest: the configuration (`GET /v1/widget/config`) and the
//! dismissal of a survey (`POST /v1/responses/dismiss`), both with the publishable key.

use super::body::read_json;
use super::extract::PublishableKey;
use super::mgmt_dto::{DismissIn, WidgetConfigOut};
use super::surveys::{body_limit, run_manage};
use super::{matches_etag, ApiError, AppState};
use crate::config::Limits;
use crate::domain::FieldError;
use crate::widget::{self, Audience};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How long a widget may reuse the full configuration without asking again.
const CONFIG_MAX_AGE: &str = "private, max-age=60";
/// A personal answer depends on recontact memory, so it is always revalidated (ETag).
const PERSONAL_CACHE: &str = "private, no-cache";
/// Longest respondent id, as for answers.
const MAX_RESPONDENT_CHARS: usize = 256;

/// The active surveys and their display rules; with `respondent_id`, also which one to show.
#[utoipa::path(get, path = "/v1/widget/config", operation_id = "get_widget_config", tag = "widget",
    params(
        ("respondent_id" = Option<String>, Query, description = "the app's id for the person (1–256 characters); asks which survey to show now"),
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
    key: PublishableKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let audience = parse_audience(req.query_string(), state.ingest.limits()).map_err(ApiError::Validation)?;
    let personal = audience.is_some();
    let project_id = key.0.project.id;
    let config =
        run_manage(&state, move |conn| widget::config(conn, project_id, audience.as_ref(), Utc::now()))
            .await?;
    let out =
        WidgetConfigOut { surveys: config.surveys.into_iter().map(Into::into).collect(), show: config.show };
    let body = serde_json::to_vec(&out).map_err(|e| ApiError::Internal(e.into()))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let cache = if personal { PERSONAL_CACHE } else { CONFIG_MAX_AGE };
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
            let chars = value.chars().count();
            if chars == 0 || chars > MAX_RESPONDENT_CHARS {
                errors.push(FieldError::new("respondent_id", "must be 1 to 256 characters"));
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
    let mut errors = Vec::new();
    if input.survey.is_empty() || input.survey.len() > 64 {
        errors.push(FieldError::new("survey", "must be 1 to 64 characters"));
    }
    let chars = input.respondent_id.chars().count();
    if chars == 0 || chars > MAX_RESPONDENT_CHARS {
        errors.push(FieldError::new("respondent_id", "must be 1 to 256 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let project_id = key.0.project.id;
    run_manage(&state, move |conn| {
        widget::dismiss(conn, project_id, &input.survey, &input.respondent_id, Utc::now())
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .finish())
}
