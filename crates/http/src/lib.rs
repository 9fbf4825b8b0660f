//! HTTP: the JSON API and the HTML pages over the services of `feedbackd-core`.
//!
//! - `routes`: the one table of endpoints, mounted here and read by the OpenAPI document;
//! - `handlers/`: one file per resource; each extracts, converts, calls one service and
//!   maps the result;
//! - [`extract`]: keys, client addresses, origins, JSON bodies, the reports' query;
//! - [`middleware`]: request ids, metrics, CORS, rate limits;
//! - `wire/`: the JSON bodies and their conversions;
//! - `problem`: the mapping of every error to problem+json (RFC 9457);
//! - [`pages`]: the report pages (server-rendered HTML) and their sign-in;
//! - [`console`]: the console for product teams (issue 23): accounts, projects, surveys.

pub mod console;
pub mod extract;
mod handlers;
pub mod middleware;
mod openapi;
mod openapi_webhooks;
pub mod pages;
mod problem;
mod routes;
mod wire;

pub use handlers::exports::{parse_export_query, ExportRequest};
pub use openapi::document as openapi_document;
pub use problem::ApiError;
pub use routes::{Access, Endpoint, ENDPOINTS};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::auth::Authenticator;
use feedbackd_core::ingest::Ingestor;
use feedbackd_core::ratelimit::Limiters;
use feedbackd_core::store::Db;
use secrecy::SecretString;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What every handler may use, shared by all workers.
pub struct AppState {
    pub db: Db,
    /// Where reports, report pages, the list and exports read: a fresh replica, else `db`.
    pub reads: Arc<feedbackd_core::store::Reads>,
    pub auth: Authenticator,
    pub ingest: Ingestor,
    /// Widget configurations by project, and the decisions on what widgets show.
    pub widgets: feedbackd_core::widget::Widgets,
    pub limiters: Arc<Limiters>,
    pub proxies: extract::client_ip::TrustedProxies,
    /// Exports running at once: each holds a pooled connection for its whole length, so
    /// they may take at most a quarter of the pool and never starve the other requests.
    pub exports: Arc<tokio::sync::Semaphore>,
    /// Signs and checks the report pages' session cookies.
    pub sessions: crate::pages::session::SessionKeys,
    /// Set on shutdown: `/readyz` turns 503 so the load balancer stops sending traffic.
    pub draining: Arc<AtomicBool>,
    /// The token `/metrics` requires, if any.
    pub metrics_token: Option<SecretString>,
    /// This process's metrics in Prometheus's text format (the binary owns the recorder).
    pub render_metrics: fn() -> String,
    /// Webhook endpoints, their secrets and their delivery log.
    pub webhooks: feedbackd_core::webhooks::endpoints::Endpoints,
    /// Opens the console's first-run page while no account exists; `None`: closed.
    pub setup_token: Option<SecretString>,
    /// Single sign-on to the console through OpenID Connect; `None`: passwords only.
    pub sso: Option<feedbackd_core::sso::Sso>,
    /// The address people reach this service at, if configured (links, the SSO callback).
    pub public_url: Option<String>,
}

impl AppState {
    /// Forgets what this process cached of a project's surveys, after it changed them.
    pub fn forget_surveys(&self, project_id: uuid::Uuid) {
        self.ingest.forget_surveys(project_id);
        self.widgets.forget(project_id);
    }
}

/// Mounts every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|e, _| ApiError::NotFound(format!("no such resource: {e}")).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::Malformed(e.to_string()).into()))
    .configure(routes::mount)
    .configure(console::mount);
}

/// Every unknown path gets a problem, not actix's empty 404.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())))
}

/// Whether `If-None-Match` lists `etag` (or `*`), weak validators comparing equal to strong
/// ones (RFC 9110's weak comparison, what `GET` revalidation uses).
pub(crate) fn matches_etag(req: &actix_web::HttpRequest, etag: &str) -> bool {
    let Some(value) = req.headers().get(actix_web::http::header::IF_NONE_MATCH) else { return false };
    let Ok(value) = value.to_str() else { return false };
    let opaque = etag.trim_start_matches("W/");
    value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == opaque)
}

/// Refuses a URL carrying U+0000 (`%00`) before any handler sees it: PostgreSQL text cannot
/// hold the character, so a path or query parameter with it would fail at the database.
pub async fn reject_nul_in_url(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The path and query as received: no copy of the URL on every request.
    if req.uri().path_and_query().is_some_and(|p| p.as_str().contains("%00")) {
        let problem = ApiError::Malformed("the URL must not contain %00 (U+0000)".into());
        return Ok(req.error_response(problem).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}
