//! The one table of endpoints. The server mounts exactly these, the OpenAPI test checks
//! that each is documented, and the scope tests walk it, so the three cannot drift apart.

use crate::handlers::{
    docs, exports, insights, keys, operations, privacy, project, responses, sdk, share_links, surveys,
    themes, webhooks, widget,
};
use crate::method_not_allowed;
use crate::middleware::{cors, ratelimit};
use crate::pages::handlers as pages;
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Compress, Condition};
use actix_web::{web, Route};
use feedbackd_domain::Scope;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (operations).
    Open,
    /// A publishable key, from an allowed origin (widgets).
    Publishable,
    /// A secret key holding this scope (`admin` holds all).
    Secret(Scope),
    /// A report page: a session cookie from the login form, for a secret key that still
    /// holds this scope (`admin` holds all), or from a live share link, which holds
    /// `responses:read` for its one survey. HTML for people, not part of the JSON API.
    Session(Scope),
}

/// One method on one path.
pub struct Endpoint {
    pub method: Method,
    /// The path as actix and OpenAPI both write it (`/v1/surveys/{survey}`).
    pub path: &'static str,
    pub access: Access,
    /// Browser widgets call it: CORS headers, and `OPTIONS` preflights on the path.
    pub cors: bool,
    /// A static file: compressed when the client accepts it. Pages and API answers are not,
    /// since compressing secrets beside reflected input leaks them (BREACH), and small JSON
    /// answers gain nothing.
    pub compress: bool,
    route: fn() -> Route,
}

const fn endpoint(method: Method, path: &'static str, access: Access, route: fn() -> Route) -> Endpoint {
    let cors = matches!(access, Access::Publishable);
    Endpoint { method, path, access, cors, compress: false, route }
}

/// A static file anyone may fetch (the widget, the report page's stylesheet and script, the
/// API reference page and its files).
const fn asset(path: &'static str, route: fn() -> Route) -> Endpoint {
    Endpoint { method: Method::GET, path, access: Access::Open, cors: false, compress: true, route }
}

use Access::{Open, Publishable, Secret, Session};
use Scope::{Admin, Privacy, ReportsShare, ResponsesExport, ResponsesRead, SurveysRead, SurveysWrite};

/// Every endpoint. Within one path prefix, literal segments come before `{parameters}`
/// (`/v1/responses/batch` before `/v1/responses/{id}`): actix matches in this order.
pub static ENDPOINTS: &[Endpoint] = &[
    endpoint(Method::GET, "/healthz", Open, || web::get().to(operations::healthz)),
    endpoint(Method::GET, "/readyz", Open, || web::get().to(operations::readyz)),
    endpoint(Method::GET, "/openapi.json", Open, || web::get().to(operations::openapi_json)),
    endpoint(Method::GET, "/metrics", Open, || web::get().to(operations::metrics)),
    asset("/docs", || web::get().to(docs::page)),
    asset("/docs/assets/docs.js", || web::get().to(docs::boot_js)),
    asset("/docs/assets/swagger-ui-bundle.js", || web::get().to(docs::renderer_js)),
    asset("/docs/assets/swagger-ui.css", || web::get().to(docs::renderer_css)),
    endpoint(Method::GET, "/demo", Open, || web::get().to(sdk::demo_page)),
    asset("/sdk/feedbackd.js", || web::get().to(sdk::widget_script)),
    endpoint(Method::POST, "/v1/responses", Publishable, || web::post().to(responses::create)),
    endpoint(Method::GET, "/v1/responses", Secret(ResponsesRead), || web::get().to(insights::list)),
    endpoint(Method::POST, "/v1/responses/batch", Publishable, || web::post().to(responses::create_batch)),
    endpoint(Method::POST, "/v1/responses/dismiss", Publishable, || web::post().to(widget::dismiss)),
    endpoint(Method::POST, "/v1/responses/shown", Publishable, || web::post().to(widget::shown)),
    endpoint(Method::PATCH, "/v1/responses/{id}", Publishable, || web::patch().to(responses::follow_up)),
    endpoint(Method::GET, "/v1/widget/config", Publishable, || web::get().to(widget::config)),
    endpoint(Method::POST, "/v1/surveys", Secret(SurveysWrite), || web::post().to(surveys::create)),
    endpoint(Method::GET, "/v1/surveys", Secret(SurveysRead), || web::get().to(surveys::list)),
    endpoint(Method::GET, "/v1/surveys/{survey}", Secret(SurveysRead), || web::get().to(surveys::get)),
    endpoint(Method::PATCH, "/v1/surveys/{survey}", Secret(SurveysWrite), || {
        web::patch().to(surveys::update)
    }),
    endpoint(Method::POST, "/v1/surveys/{survey}/pause", Secret(SurveysWrite), || {
        web::post().to(surveys::pause)
    }),
    endpoint(Method::POST, "/v1/surveys/{survey}/resume", Secret(SurveysWrite), || {
        web::post().to(surveys::resume)
    }),
    endpoint(Method::POST, "/v1/surveys/{survey}/archive", Secret(SurveysWrite), || {
        web::post().to(surveys::archive)
    }),
    endpoint(Method::GET, "/v1/surveys/{survey}/history", Secret(SurveysRead), || {
        web::get().to(surveys::history)
    }),
    endpoint(Method::GET, "/v1/surveys/{survey}/summary", Secret(ResponsesRead), || {
        web::get().to(insights::summary)
    }),
    endpoint(Method::GET, "/v1/surveys/{survey}/timeseries", Secret(ResponsesRead), || {
        web::get().to(insights::timeseries)
    }),
    endpoint(Method::GET, "/v1/surveys/{survey}/questions", Secret(ResponsesRead), || {
        web::get().to(insights::questions)
    }),
    endpoint(Method::GET, "/v1/surveys/{survey}/breakdown", Secret(ResponsesRead), || {
        web::get().to(insights::breakdown)
    }),
    endpoint(Method::GET, "/v1/surveys/{survey}/terms", Secret(ResponsesRead), || {
        web::get().to(insights::terms)
    }),
    endpoint(Method::GET, "/v1/surveys/{survey}/themes", Secret(ResponsesRead), || {
        web::get().to(insights::themes)
    }),
    endpoint(Method::GET, "/v1/themes", Secret(SurveysRead), || web::get().to(themes::list)),
    endpoint(Method::POST, "/v1/themes", Secret(SurveysWrite), || web::post().to(themes::define)),
    endpoint(Method::PATCH, "/v1/themes/{theme}", Secret(SurveysWrite), || web::patch().to(themes::update)),
    endpoint(Method::DELETE, "/v1/themes/{theme}", Secret(SurveysWrite), || web::delete().to(themes::delete)),
    endpoint(Method::POST, "/v1/surveys/{survey}/report-links", Secret(ReportsShare), || {
        web::post().to(share_links::create)
    }),
    endpoint(Method::GET, "/v1/exports/responses", Secret(ResponsesExport), || {
        web::get().to(exports::responses)
    }),
    endpoint(Method::DELETE, "/v1/respondents/{respondent_id}", Secret(Privacy), || {
        web::delete().to(privacy::erase)
    }),
    endpoint(Method::GET, "/reports/", Session(ResponsesRead), || web::get().to(pages::index)),
    endpoint(Method::GET, "/reports/login", Open, || web::get().to(pages::login_form)),
    endpoint(Method::POST, "/reports/login", Open, || web::post().to(pages::login)),
    endpoint(Method::POST, "/reports/logout", Open, || web::post().to(pages::logout)),
    endpoint(Method::GET, "/reports/shared", Open, || web::get().to(pages::shared_form)),
    endpoint(Method::POST, "/reports/shared", Open, || web::post().to(pages::open_shared)),
    asset("/reports/assets/report.css", || web::get().to(pages::css)),
    asset("/reports/assets/report.js", || web::get().to(pages::js)),
    endpoint(Method::GET, "/reports/{survey}", Session(ResponsesRead), || web::get().to(pages::report_page)),
    endpoint(Method::GET, "/reports/{survey}/export.csv", Session(ResponsesExport), || {
        web::get().to(pages::export_csv)
    }),
    endpoint(Method::GET, "/v1/project", Secret(Admin), || web::get().to(project::get)),
    endpoint(Method::PATCH, "/v1/project", Secret(Admin), || web::patch().to(project::update)),
    endpoint(Method::POST, "/v1/keys", Secret(Admin), || web::post().to(keys::create)),
    endpoint(Method::GET, "/v1/keys", Secret(Admin), || web::get().to(keys::list)),
    endpoint(Method::POST, "/v1/keys/{key}/revoke", Secret(Admin), || web::post().to(keys::revoke)),
    endpoint(Method::GET, "/v1/report-links", Secret(ReportsShare), || web::get().to(share_links::list)),
    endpoint(Method::POST, "/v1/webhooks", Secret(Admin), || web::post().to(webhooks::create)),
    endpoint(Method::GET, "/v1/webhooks", Secret(Admin), || web::get().to(webhooks::list)),
    endpoint(Method::GET, "/v1/webhooks/{id}", Secret(Admin), || web::get().to(webhooks::get)),
    endpoint(Method::PATCH, "/v1/webhooks/{id}", Secret(Admin), || web::patch().to(webhooks::update)),
    endpoint(Method::DELETE, "/v1/webhooks/{id}", Secret(Admin), || web::delete().to(webhooks::delete)),
    endpoint(Method::POST, "/v1/webhooks/{id}/rotate-secret", Secret(Admin), || {
        web::post().to(webhooks::rotate_secret)
    }),
    endpoint(Method::POST, "/v1/webhooks/{id}/replay", Secret(Admin), || web::post().to(webhooks::replay)),
    endpoint(Method::GET, "/v1/webhooks/{id}/deliveries", Secret(Admin), || {
        web::get().to(webhooks::deliveries)
    }),
    endpoint(Method::GET, "/v1/webhooks/{id}/deliveries/{delivery}", Secret(Admin), || {
        web::get().to(webhooks::delivery)
    }),
    endpoint(Method::POST, "/v1/webhooks/{id}/deliveries/{delivery}/resend", Secret(Admin), || {
        web::post().to(webhooks::resend)
    }),
    endpoint(Method::GET, "/v1/events", Secret(ResponsesExport), || web::get().to(webhooks::events)),
    endpoint(Method::POST, "/v1/report-links/{id}/revoke", Secret(ReportsShare), || {
        web::post().to(share_links::revoke)
    }),
];

/// Mounts [`ENDPOINTS`]: one resource per path, with its methods, a problem+json `405` for
/// the others, and for widget paths the CORS layer and preflight.
pub fn mount(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = Vec::new();
    for e in ENDPOINTS {
        if !paths.contains(&e.path) {
            paths.push(e.path);
        }
    }
    for path in paths {
        let group: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path == path).collect();
        // Rate-limit headers on every answer of a limited route (a no-op elsewhere).
        let compress = group.iter().any(|e| e.compress);
        let mut resource = web::resource(path)
            .wrap(Condition::new(compress, Compress::default()))
            .wrap(from_fn(ratelimit::headers));
        for e in &group {
            resource = resource.route((e.route)());
        }
        if group.iter().any(|e| e.cors) {
            resource = resource
                .route(web::method(Method::OPTIONS).to(cors::preflight))
                .default_service(web::to(method_not_allowed));
            cfg.service(resource.wrap(from_fn(cors::allow_origin)));
        } else {
            cfg.service(resource.default_service(web::to(method_not_allowed)));
        }
    }
}
