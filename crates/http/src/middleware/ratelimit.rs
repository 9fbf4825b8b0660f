//! Applying rate-limit outcomes to a request: refuse with 429, and put the IETF
//! `RateLimit-Policy` / `RateLimit` headers on every answer of a limited route.

use crate::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use feedbackd_core::ratelimit::{Check, Limiters, Outcome, Subject};
use std::net::IpAddr;

/// The outcomes of a request's limiters, kept in its extensions for the headers.
#[derive(Default, Clone)]
struct Outcomes(Vec<Outcome>);

/// Records `outcome` on the request; a refusal becomes a 429.
pub fn enforce(req: &HttpRequest, outcome: Outcome) -> Result<(), ApiError> {
    req.extensions_mut().get_or_insert_with(Outcomes::default).0.push(outcome);
    match outcome.check {
        Check::Allowed { .. } => Ok(()),
        Check::Refused { retry_after } => Err(ApiError::RateLimited {
            limiter: outcome.limiter,
            retry_after_secs: retry_after.as_secs_f64().ceil().max(1.0) as u32,
            wait: retry_after,
        }),
    }
}

/// Checks `subjects` (one round trip when the limits are shared) and records every
/// outcome on the request; a refusal becomes a 429.
pub async fn limit(req: &HttpRequest, limiters: &Limiters, subjects: &[Subject<'_>]) -> Result<(), ApiError> {
    for outcome in limiters.check(subjects).await {
        enforce(req, outcome)?;
    }
    Ok(())
}

/// [`limit`] by this replica's share of each limit, with no round trip
/// ([`Limiters::check_by_share`]).
pub fn limit_by_share(
    req: &HttpRequest,
    limiters: &Limiters,
    subjects: &[Subject<'_>],
) -> Result<(), ApiError> {
    limiters.check_by_share(subjects).into_iter().try_for_each(|outcome| enforce(req, outcome))
}

/// The address's early check ([`Limiters::early_ip`]), before any other work. When limits
/// are shared, an allowed pre-check is not recorded (the shared check that follows is the
/// one the headers state); a refusal always is.
pub fn enforce_early_ip(req: &HttpRequest, limiters: &Limiters, ip: IpAddr) -> Result<(), ApiError> {
    let outcome = limiters.early_ip(ip);
    if outcome.allowed() && limiters.is_shared() {
        return Ok(());
    }
    enforce(req, outcome)
}

/// The per-address limit alone: this replica's pre-check, then the shared limit.
pub async fn limit_ip(req: &HttpRequest, limiters: &Limiters, ip: IpAddr) -> Result<(), ApiError> {
    enforce_early_ip(req, limiters, ip)?;
    limit(req, limiters, &[Subject::Ip(ip)]).await
}

/// Writes the headers of whatever limiters the request went through
/// (draft-ietf-httpapi-ratelimit-headers: `"name";q=QUOTA;w=WINDOW` and `"name";r=LEFT;t=RESET`).
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let outcomes = response.request().extensions().get::<Outcomes>().cloned();
    if let Some(Outcomes(outcomes)) = outcomes {
        let policy: Vec<String> = outcomes
            .iter()
            .map(|o| format!("\"{}\";q={};w={}", o.limiter, o.spec.burst, o.spec.window_secs()))
            .collect();
        let state: Vec<String> = outcomes
            .iter()
            .map(|o| {
                let (left, reset) = match o.check {
                    Check::Allowed { remaining } => {
                        let refill = o.spec.unit.as_secs_f64() / f64::from(o.spec.count);
                        (
                            remaining,
                            (f64::from(o.spec.burst - remaining.min(o.spec.burst)) * refill).ceil() as u64,
                        )
                    }
                    Check::Refused { retry_after } => (0, retry_after.as_secs_f64().ceil() as u64),
                };
                format!("\"{}\";r={left};t={reset}", o.limiter)
            })
            .collect();
        let headers = response.headers_mut();
        for (name, value) in [("ratelimit-policy", policy.join(", ")), ("ratelimit", state.join(", "))] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
    Ok(response)
}
