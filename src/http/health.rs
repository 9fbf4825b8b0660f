//! `/healthz` (the process is up) and `/readyz` (it can do its job: the database answers,
//! the schema is current, and it is not draining).

use super::AppState;
use crate::store::has_pending_migrations;
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Liveness: answers as long as the process serves HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "the process is up", body = HealthOut)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: 200 only when a load balancer should send traffic here.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready for traffic", body = HealthOut),
        (status = 503, description = "draining, schema behind, or database unavailable", body = HealthOut)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.load(Ordering::Relaxed) {
        return unready("draining");
    }
    let check = state.db.run(has_pending_migrations);
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(false)) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Ok(Ok(true)) => unready("database schema is behind this binary; run `feedbackd migrate`"),
        Ok(Err(_)) | Err(_) => unready("database unavailable"),
    }
}

/// The body of `/healthz` and `/readyz`, as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HealthOut {
    /// `ok`, `ready` or `unavailable`.
    status: String,
    /// Why it is unavailable.
    reason: Option<String>,
}

/// Prometheus metrics, with the gauges that are read rather than counted.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    metrics::gauge!("feedbackd_writer_queue_depth").set(state.ingest.writer().queued() as f64);
    metrics::gauge!("feedbackd_rate_limit_tracked_keys").set(state.limiters.tracked_keys() as f64);
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::metrics::handle().render())
}

fn unready(reason: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(json!({"status": "unavailable", "reason": reason}))
}
