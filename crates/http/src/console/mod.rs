//! The console (issue 23): product teams run their surveys in the browser. Server-rendered
//! HTML from this binary (maud, as the report pages), under the report pages' strict
//! Content-Security-Policy, with a small script of its own that only adds conveniences
//! (preview, copy); every page works without it.
//!
//! - [`auth`]: the session cookie, the signed-in person and their role in a project, the
//!   forms' CSRF check, errors as pages;
//! - [`sign_in`]: sign-in and out, the first-run page, invitation links; [`sso`]: single
//!   sign-on through OpenID Connect;
//! - [`home`]: projects, the person's sessions, the audit log;
//! - [`surveys`]: list, create, edit, lifecycle, preview, snippet;
//! - [`members`]: members and invitations; [`keys`]: API keys and share links;
//! - [`people`]: the administrators' page of accounts, and password reset links;
//! - [`reports`]: a survey's report page and CSV, under the console's session;
//! - [`layout`]: the frame and shared pieces.
//!
//! [`PAGES`] is the one table of its routes, mounted by [`mount`] and walked by the tests
//! (every write refused to a role without its scope).

pub mod auth;
pub mod home;
pub mod keys;
pub mod layout;
pub mod members;
pub mod people;
pub mod reports;
pub mod sign_in;
pub mod sso;
pub mod surveys;

use crate::method_not_allowed;
use crate::middleware::ratelimit;
use crate::pages::handlers::asset;
use crate::pages::sign_in::CSP;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse, Route};
use feedbackd_domain::Scope;

/// What a console route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: sign-in, first run, invitations, assets.
    Nobody,
    /// A signed-in person.
    Person,
    /// A signed-in administrator (accounts are not a project's).
    Administrator,
    /// A signed-in person whose role in the path's project holds this scope.
    Role(Scope),
}

/// One console route.
pub struct Page {
    pub method: Method,
    pub path: &'static str,
    pub needs: Needs,
    route: fn() -> Route,
}

const fn page(method: Method, path: &'static str, needs: Needs, route: fn() -> Route) -> Page {
    Page { method, path, needs, route }
}

use Needs::{Administrator, Nobody, Person, Role};
use Scope::{Admin, ReportsShare, ResponsesExport, ResponsesRead, SurveysRead, SurveysWrite};

/// Every console route. Literal segments come before `{parameters}` at the same place.
pub static PAGES: &[Page] = &[
    page(Method::GET, "/console", Nobody, || web::get().to(|| async { auth::see_other("/console/") })),
    page(Method::GET, "/console/", Person, || web::get().to(home::projects)),
    page(Method::GET, "/console/assets/console.css", Nobody, || web::get().to(css)),
    page(Method::GET, "/console/assets/console.js", Nobody, || web::get().to(js)),
    page(Method::GET, "/console/sign-in", Nobody, || web::get().to(sign_in::sign_in_form)),
    page(Method::POST, "/console/sign-in", Nobody, || web::post().to(sign_in::sign_in)),
    page(Method::GET, "/console/sso", Nobody, || web::get().to(sso::start)),
    page(Method::GET, "/console/sso/callback", Nobody, || web::get().to(sso::callback)),
    page(Method::POST, "/console/sign-out", Person, || web::post().to(sign_in::sign_out)),
    page(Method::GET, "/console/setup", Nobody, || web::get().to(sign_in::setup_form)),
    page(Method::POST, "/console/setup", Nobody, || web::post().to(sign_in::setup)),
    page(Method::GET, "/console/join", Nobody, || web::get().to(sign_in::join_form)),
    page(Method::POST, "/console/join", Nobody, || web::post().to(sign_in::join)),
    page(Method::GET, "/console/account", Person, || web::get().to(home::account)),
    page(Method::POST, "/console/account/sessions/{session}/revoke", Person, || {
        web::post().to(home::revoke_sessions)
    }),
    page(Method::POST, "/console/projects", Administrator, || web::post().to(home::create_project)),
    page(Method::GET, "/console/people", Administrator, || web::get().to(people::people)),
    page(Method::POST, "/console/people/{user}/reset", Administrator, || web::post().to(people::reset_link)),
    page(Method::POST, "/console/people/{user}/disable", Administrator, || web::post().to(people::disable)),
    page(Method::GET, "/console/reset", Nobody, || web::get().to(people::reset_form)),
    page(Method::POST, "/console/reset", Nobody, || web::post().to(people::reset)),
    page(Method::GET, "/console/projects/{project}/surveys", Role(SurveysRead), || {
        web::get().to(surveys::list)
    }),
    page(Method::POST, "/console/projects/{project}/surveys", Role(SurveysWrite), || {
        web::post().to(surveys::create)
    }),
    page(Method::GET, "/console/projects/{project}/surveys/new", Role(SurveysWrite), || {
        web::get().to(surveys::new_form)
    }),
    page(Method::GET, "/console/projects/{project}/surveys/{survey}", Role(SurveysRead), || {
        web::get().to(surveys::page)
    }),
    page(Method::POST, "/console/projects/{project}/surveys/{survey}", Role(SurveysWrite), || {
        web::post().to(surveys::update)
    }),
    page(Method::POST, "/console/projects/{project}/surveys/{survey}/{action}", Role(SurveysWrite), || {
        web::post().to(surveys::transition)
    }),
    page(Method::GET, "/console/projects/{project}/reports/{survey}", Role(ResponsesRead), || {
        web::get().to(reports::report)
    }),
    page(
        Method::GET,
        "/console/projects/{project}/reports/{survey}/export.csv",
        Role(ResponsesExport),
        || web::get().to(reports::export_csv),
    ),
    page(Method::GET, "/console/projects/{project}/keys", Role(Admin), || web::get().to(keys::keys)),
    page(Method::POST, "/console/projects/{project}/keys", Role(Admin), || web::post().to(keys::create_key)),
    page(Method::POST, "/console/projects/{project}/keys/{key}/revoke", Role(Admin), || {
        web::post().to(keys::revoke_key)
    }),
    page(Method::GET, "/console/projects/{project}/share-links", Role(SurveysRead), || {
        web::get().to(keys::links)
    }),
    page(Method::POST, "/console/projects/{project}/share-links", Role(ReportsShare), || {
        web::post().to(keys::create_link)
    }),
    page(Method::POST, "/console/projects/{project}/share-links/{link}/revoke", Role(ReportsShare), || {
        web::post().to(keys::revoke_link)
    }),
    page(Method::GET, "/console/projects/{project}/members", Role(Admin), || web::get().to(members::page)),
    page(Method::POST, "/console/projects/{project}/members/{user}/role", Role(Admin), || {
        web::post().to(members::set_role)
    }),
    page(Method::POST, "/console/projects/{project}/members/{user}/remove", Role(Admin), || {
        web::post().to(members::remove)
    }),
    page(Method::POST, "/console/projects/{project}/invitations", Role(Admin), || {
        web::post().to(members::invite)
    }),
    page(Method::POST, "/console/projects/{project}/invitations/{id}/revoke", Role(Admin), || {
        web::post().to(members::revoke_invitation)
    }),
    page(Method::GET, "/console/projects/{project}/audit", Role(Admin), || web::get().to(home::audit_log)),
];

/// Mounts [`PAGES`]: one resource per path, a `405` for other methods, rate-limit headers.
pub fn mount(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = Vec::new();
    for p in PAGES {
        if !paths.contains(&p.path) {
            paths.push(p.path);
        }
    }
    for path in paths {
        let mut resource = web::resource(path).wrap(from_fn(ratelimit::headers));
        for p in PAGES.iter().filter(|p| p.path == path) {
            resource = resource.route((p.route)());
        }
        cfg.service(resource.default_service(web::to(method_not_allowed)));
    }
}

/// The console's stylesheet, beside the report pages' own.
pub const CSS: &str = include_str!("assets/console.css");
/// The console's script: the widget preview and copy buttons; nothing needs it.
pub const JS: &str = include_str!("assets/console.js");

async fn css() -> HttpResponse {
    asset(CSP, "text/css; charset=utf-8", CSS)
}

async fn js() -> HttpResponse {
    asset(CSP, "application/javascript; charset=utf-8", JS)
}
