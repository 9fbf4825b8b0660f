//! `/healthz` (the process is up) and `/readyz` (it can do its job: the database answers,
//! the schema is current, and it is not draining).

use crate::problem::ProblemSchema;
use crate::{ApiError, AppState};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::store::{schema_behind, StoreError};
use secrecy::{ExposeSecret, SecretString};
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
    let check = schema_behind(&state.db);
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(false)) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Ok(Ok(true)) | Ok(Err(StoreError::SchemaBehind)) => {
            unready("database schema is behind this binary; run `feedbackd migrate`")
        }
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

/// Prometheus metrics, with the gauges that are read rather than counted. With
/// `FEEDBACKD_METRICS_TOKEN` set, only for `Authorization: Bearer <that token>`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain"),
        (status = 401, description = "`FEEDBACKD_METRICS_TOKEN` is set and the request does not carry it",
            body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.metrics_token {
        if !bearer_matches(&req, token) {
            return Err(ApiError::Unauthorized(
                "GET /metrics needs `Authorization: Bearer` with the metrics token",
            ));
        }
    }
    let writer = state.ingest.writer();
    metrics::gauge!("feedbackd_writer_queue_depth").set(writer.queued() as f64);
    metrics::gauge!("feedbackd_writer_in_flight").set(writer.in_flight() as f64);
    metrics::gauge!("feedbackd_writer_queue_capacity").set(writer.capacity() as f64);
    metrics::gauge!("feedbackd_rate_limit_tracked_keys").set(state.limiters.tracked_keys() as f64);
    let pool = state.db.pool_state();
    metrics::gauge!("feedbackd_db_pool_connections", "state" => "in_use").set(pool.in_use as f64);
    metrics::gauge!("feedbackd_db_pool_connections", "state" => "idle").set(pool.idle as f64);
    metrics::gauge!("feedbackd_db_pool_max_connections").set(pool.max as f64);
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body((state.render_metrics)()))
}

/// Whether the request's bearer token is `token`, compared in constant time.
fn bearer_matches(req: &HttpRequest, token: &SecretString) -> bool {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    crate::pages::session::same_secret(given, token.expose_secret())
}

fn unready(reason: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(json!({"status": "unavailable", "reason": reason}))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::document())
}
