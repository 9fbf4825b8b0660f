//! HTTP: routes, extractors, and the mapping of every error to problem+json.
//! Handlers are thin: extract, convert, call one domain function, map the result.

mod body;
pub mod client_ip;
mod cors;
mod dto;
mod exports;
mod extract;
mod health;
mod insights;
mod insights_query;
mod keys;
mod mgmt_dto;
mod openapi;
mod problem;
mod ratelimit;
mod read_auth;
mod report;
mod report_auth;
pub mod request_id;
mod responses;
mod routes;
mod sdk;
mod surveys;
mod widget;

pub use exports::{parse_export_query, ExportRequest};
pub use openapi::document as openapi_document;
pub use problem::ApiError;
pub use routes::{Access, Endpoint, ENDPOINTS};

use crate::auth::Authenticator;
use crate::ingest::Ingestor;
use crate::ratelimit::Limiters;
use crate::store::Db;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What every handler may use, shared by all workers.
pub struct AppState {
    pub db: Db,
    pub auth: Authenticator,
    pub ingest: Ingestor,
    pub limiters: Arc<Limiters>,
    pub proxies: client_ip::TrustedProxies,
    /// Signs and checks the report pages' session cookies.
    pub sessions: crate::report::session::SessionKeys,
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
    .configure(routes::mount);
}

/// Every unknown path gets a problem, not actix's empty 404.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}
