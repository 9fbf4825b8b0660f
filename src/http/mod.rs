//! HTTP: routes, extractors, and the mapping of every error to problem+json.
//! Handlers are thin: extract, convert, call one domain function, map the result.

mod body;
mod cors;
mod dto;
mod extract;
mod health;
mod insights;
mod insights_query;
mod problem;
mod read_auth;
mod responses;

pub use problem::ApiError;

use crate::auth::Authenticator;
use crate::ingest::Ingestor;
use crate::store::Db;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What every handler may use, shared by all workers.
pub struct AppState {
    pub db: Db,
    pub auth: Authenticator,
    pub ingest: Ingestor,
    /// Set on shutdown: `/readyz` turns 503 so the load balancer stops sending traffic.
    pub draining: Arc<AtomicBool>,
}

/// Mounts every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|e, _| ApiError::NotFound(format!("no such resource: {e}")).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::Malformed(e.to_string()).into()))
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/v1/surveys/{id}/summary", web::get().to(insights::summary))
    .route("/v1/surveys/{id}/timeseries", web::get().to(insights::timeseries))
    .route("/v1/surveys/{id}/breakdown", web::get().to(insights::breakdown))
    .route("/v1/surveys/{id}/terms", web::get().to(insights::terms))
    .service(
        web::scope("/v1/responses")
            .wrap(from_fn(cors::allow_origin))
            .service(
                web::resource("")
                    .route(web::post().to(responses::create))
                    .route(web::get().to(insights::list))
                    .route(web::method(Method::OPTIONS).to(cors::preflight))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/batch")
                    .route(web::post().to(responses::create_batch))
                    .route(web::method(Method::OPTIONS).to(cors::preflight))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/{id}")
                    .route(web::patch().to(responses::follow_up))
                    .route(web::method(Method::OPTIONS).to(cors::preflight))
                    .default_service(web::to(method_not_allowed)),
            ),
    );
}

/// Every unknown path gets a problem, not actix's empty 404.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}
