//! Request metrics: a count and a latency histogram per route pattern, method and status,
//! recorded through the `metrics` facade. The Prometheus recorder that keeps and renders
//! them is the binary's (`telemetry.rs`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;

/// Counts requests and their latency by route pattern (not raw path: ids would explode the
/// label space), method and status.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let response = next.call(req).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("feedbackd_http_requests_total", &labels).increment(1);
    metrics::histogram!("feedbackd_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}
