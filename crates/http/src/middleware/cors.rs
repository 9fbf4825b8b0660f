//! CORS for the widget endpoints. A preflight carries no key, so it is allowed when the
//! `?key=`'s project (or, without one, any project) lists the origin; the request itself is
//! then held to its own project's list by [`crate::extract::PublishableKey`], which refuses
//! an unlisted origin with 403 — browsers send `Origin` on every cross-origin POST, so this
//! is enforced on the server, not just by the browser.

use crate::extract::origin::{origin_allowed, request_origin, same_origin};
use crate::extract::presented_token;
use crate::{ApiError, AppState};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use feedbackd_core::auth::Principal;
use std::sync::Arc;

const ALLOWED_METHODS: &str = "GET, POST, PATCH";
const ALLOWED_HEADERS: &str = "authorization, content-type, x-request-id";
const EXPOSED_HEADERS: &str = "retry-after, x-request-id, ratelimit, ratelimit-policy";
/// Browsers cache an allowed preflight this long (seconds).
const PREFLIGHT_MAX_AGE: &str = "7200";

/// Answers a preflight (`OPTIONS`).
pub async fn preflight(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(origin) = request_origin(&req) else {
        return Ok(HttpResponse::NoContent().finish());
    };
    let allowed = match presented_token(&req) {
        Some((token, true)) => match state.auth.authenticate(&token).await {
            Ok(principal) => origin_allowed(&req, &origin, &principal),
            Err(_) => false,
        },
        _ => same_origin(&req, &origin) || state.auth.any_project_allows(&origin).await?,
    };
    if !allowed {
        return Err(ApiError::Forbidden {
            kind: "origin-not-allowed",
            detail: format!("origin {origin} is not allowed by any project"),
        });
    }
    Ok(HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE))
        .insert_header((header::VARY, "Origin"))
        .finish())
}

/// Adds `Access-Control-Allow-Origin` to answers of requests whose key allowed the origin,
/// errors included, so a widget can read the problem details.
pub async fn allow_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let origin = request_origin(req.request());
    let mut response = next.call(req).await?;
    if let Some(origin) = origin {
        let allowed = response.request().extensions().get::<Arc<Principal>>().is_some();
        if allowed {
            if let Ok(value) = HeaderValue::from_str(&origin) {
                let headers = response.headers_mut();
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
                headers
                    .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS));
                headers.append(header::VARY, HeaderValue::from_static("Origin"));
            }
        }
    }
    Ok(response)
}
