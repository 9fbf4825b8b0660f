//! The one error type that becomes an HTTP response, always as RFC 9457
//! `application/problem+json` with a stable `type`, a human `detail`, and for validation
//! failures the list of fields and what is wrong with each.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use feedbackd_core::auth::AuthError;
use feedbackd_core::ingest::IngestError;
use feedbackd_core::manage::ManageError;
use feedbackd_core::store::StoreError;
use feedbackd_core::webhooks::WebhookError;
use feedbackd_domain::FieldError;
use serde::Serialize;

/// Where the problem types are documented; the suffix is the stable part.
const TYPE_BASE: &str = "https://feedbackd.dev/problems/";

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input that parses but breaks rules (422), every bad field listed.
    #[error("{} field(s) invalid", .0.len())]
    Validation(Vec<FieldError>),
    /// Input that does not parse (400).
    #[error("{0}")]
    Malformed(String),
    /// No key, or a key that is unknown or revoked (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A valid key that may not do this (403): wrong kind, missing scope, origin not allowed.
    #[error("{detail}")]
    Forbidden { kind: &'static str, detail: String },
    /// No such thing, or not in the caller's project (404).
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request conflicts with what is stored (409).
    #[error("{0}")]
    Conflict(String),
    /// What was asked for is no longer kept (410): a change-feed cursor past retention.
    #[error("{0}")]
    Gone(String),
    /// The survey takes no answers now (409): its schedule or its response limit closed it.
    #[error("{0}")]
    SurveyClosed(String),
    /// A body over a size limit (413), naming the setting that sets it.
    #[error("body larger than {limit} bytes ({setting})")]
    PayloadTooLarge { limit: usize, setting: &'static str },
    /// A body that is not JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Over a rate limit (429), naming the limiter.
    #[error("rate limit `{limiter}` exceeded; retry in {retry_after_secs} s")]
    RateLimited { limiter: &'static str, retry_after_secs: u32, wait: std::time::Duration },
    /// The service cannot take this now (503); the client should retry after a while.
    #[error("{detail}")]
    Unavailable { detail: &'static str, retry_after_secs: u32 },
    /// A bug or an unexpected failure (500). Its detail is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
    /// The request's id (also in the `X-Request-Id` header), to quote in a bug report.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

impl ApiError {
    /// A validation failure on a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// The problem's stable kind and its title.
    pub(crate) fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation(_) => ("validation", "Invalid request"),
            ApiError::Malformed(_) => ("malformed", "Malformed request"),
            ApiError::Unauthorized(_) => ("unauthorized", "Missing or invalid key"),
            ApiError::Forbidden { kind, .. } => (kind, "Forbidden"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::SurveyClosed(_) => ("survey-closed", "Survey closed"),
            ApiError::Gone(_) => ("gone", "Gone"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            ApiError::RateLimited { .. } => ("rate-limited", "Too many requests"),
            ApiError::Unavailable { .. } => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    /// What a client may be told (a 5xx hides its cause).
    pub(crate) fn detail(&self) -> String {
        match self {
            // The field `""` is the body itself (README, HTTP API).
            ApiError::Validation(errors) if errors.len() == 1 && errors[0].field.is_empty() => {
                format!("the body {}", errors[0].message)
            }
            ApiError::Validation(errors) if errors.len() == 1 => {
                format!("{} {}", errors[0].field, errors[0].message)
            }
            ApiError::Validation(errors) => format!("{} fields are invalid", errors.len()),
            ApiError::Internal(_) => "an unexpected error occurred; it has been logged".into(),
            other => other.to_string(),
        }
    }
}

impl ApiError {
    /// Logs the cause chain of a 500 (its detail is never answered).
    pub(crate) fn log_if_internal(&self) {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::SurveyClosed(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_if_internal();
        let (kind, title) = self.kind_and_title();
        let status = self.status_code();
        let problem = Problem {
            kind: format!("{TYPE_BASE}{kind}"),
            title,
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                ApiError::Validation(errors) => Some(errors),
                _ => None,
            },
            request_id: crate::middleware::request_id::current(),
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            ApiError::Unavailable { retry_after_secs, .. }
            | ApiError::RateLimited { retry_after_secs, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).expect("problem serializes"))
    }
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Invalid(errors) => ApiError::Validation(errors),
            IngestError::Overloaded => ApiError::Unavailable {
                detail: "too many answers are waiting to be written; retry with the same id",
                retry_after_secs: 1,
            },
            IngestError::Unavailable => ApiError::Unavailable {
                detail: "the database is unavailable; retry with the same id",
                retry_after_secs: 2,
            },
            IngestError::ShuttingDown => ApiError::Unavailable {
                detail: "the service is shutting down; retry with the same id",
                retry_after_secs: 1,
            },
            IngestError::NotFound => ApiError::NotFound("no answer with this id in this project".into()),
            IngestError::Conflict => ApiError::Conflict(
                "the answer already has a different follow-up, or is too old to change".into(),
            ),
            IngestError::SurveyClosed(why) => ApiError::SurveyClosed(format!("the survey {why}")),
            IngestError::Store(e) => ApiError::Internal(e.into()),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Invalid(errors) => ApiError::Validation(errors),
            e @ (WebhookError::NotFound(_) | WebhookError::NoDelivery(_)) => {
                ApiError::NotFound(e.to_string())
            }
            WebhookError::Conflict(detail) => ApiError::Conflict(detail),
            WebhookError::CursorExpired(detail) => ApiError::Gone(detail),
            WebhookError::NoKey => ApiError::Unavailable {
                detail: "webhooks are off: the operator has not set FEEDBACKD_WEBHOOK_KEY",
                retry_after_secs: 3600,
            },
            e @ WebhookError::Sealing(_) => ApiError::Internal(e.into()),
            WebhookError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if error.is_connection_lost() {
            ApiError::Unavailable { detail: "the database is unavailable", retry_after_secs: 2 }
        } else {
            ApiError::Internal(error.into())
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unknown => ApiError::Unauthorized("the key is not valid"),
            AuthError::Revoked => ApiError::Unauthorized("the key has been revoked"),
            AuthError::Store(e) => e.into(),
        }
    }
}

impl From<ManageError> for ApiError {
    fn from(error: ManageError) -> Self {
        match error {
            ManageError::Invalid(errors) => ApiError::Validation(errors),
            ManageError::NotFound(detail) => ApiError::NotFound(detail),
            ManageError::Conflict(detail) => ApiError::Conflict(detail),
            ManageError::Store(e) => e.into(),
        }
    }
}

/// The problem+json body, as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
pub struct ProblemSchema {
    /// A stable URI naming the kind of problem, e.g. `https://feedbackd.dev/problems/missing-scope`.
    #[schema(rename = "type", format = "uri")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// For `422`: every bad field and what is wrong with it.
    errors: Option<Vec<FieldError>>,
    /// The request's id, as in the `X-Request-Id` response header.
    request_id: Option<String>,
}
