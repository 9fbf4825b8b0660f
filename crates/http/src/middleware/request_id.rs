//! A request id for every request: the caller's `X-Request-Id` when it is sane, a new
//! UUIDv7 otherwise. It is returned in the response, put in every problem+json, and
//! carried by the request's tracing span so each log line of the request names it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, if called while handling one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Accepts ids a log line can carry safely: 1 to 64 of `A-Z a-z 0-9 . _ -`.
fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The middleware.
pub async fn assign(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string);
    // The path without its query string: `?key=` must not reach the logs.
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut response = REQUEST_ID.scope(id.clone(), next.call(req).instrument(span.clone())).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request handled"
        )
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sane_ids_are_kept() {
        assert!(super::sane("0193a6f0-7c1e-7a3b-9f00-3c5d2e1a4b77"));
        assert!(super::sane("req_42.a"));
        assert!(!super::sane(""));
        assert!(!super::sane("has space"));
        assert!(!super::sane(&"x".repeat(65)));
        assert!(!super::sane("line\nbreak"));
    }
}
