//! The report pages' side of HTTP: the session extractor (the `fbk_report` cookie, checked
//! against the key on every request), the login form's CSRF check, the session cookie, and
//! HTML answers, errors included, with the pages' security headers.

use super::ratelimit::enforce;
use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::domain::Scope;
use crate::report::layout;
use crate::report::session::{Session, COOKIE, LIFETIME};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use maud::Markup;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The pages' policy: our own stylesheet and script, inline SVG, forms to ourselves, no
/// framing, nothing else (no inline script or style, no external origin).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers every report answer carries (pages, errors, assets).
pub fn secure(response: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
}

/// An HTML answer with the security headers.
pub fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    secure(&mut HttpResponse::build(status))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// An error answered as an HTML page rather than problem+json: a person reads it.
#[derive(Debug)]
pub struct PageError {
    pub error: ApiError,
    /// Where to come back to after signing in (on a 401).
    pub next: Option<String>,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError { error: error.into(), next: None }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match &self.error {
            // A bad parameter of a page is a bad request; the page names every field.
            ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            other => other.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.error.log_if_internal();
        let detail = match &self.error {
            ApiError::Validation(errors) => {
                errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
            }
            other => other.detail(),
        };
        let status = self.status_code();
        let (_, title) = self.error.kind_and_title();
        html(status, layout::error(status.as_u16(), title, &detail, self.next.as_deref()))
    }
}

/// A signed-in reader of the report pages: the key behind a valid session cookie, still
/// unrevoked and still holding `responses:read`.
pub struct ReportSession(pub Arc<Principal>);

impl FromRequest for ReportSession {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
            let next = req.uri().path_and_query().map(|p| p.as_str().to_string());
            let refuse = |detail: &'static str| PageError {
                error: ApiError::Unauthorized(detail),
                next: next.clone(),
            };
            let cookie =
                req.cookie(COOKIE).ok_or_else(|| refuse("sign in with a secret key to see reports"))?;
            let session = state
                .sessions
                .verify(cookie.value(), chrono::Utc::now())
                .ok_or_else(|| refuse("the session has expired or is not valid; sign in again"))?;
            let principal = state
                .auth
                .by_id(session.project_id, session.key_id)
                .await
                .map_err(|e| PageError { error: e.into(), next: next.clone() })?;
            if !principal.has_scope(Scope::ResponsesRead) {
                return Err(refuse("the key no longer holds the responses:read scope"));
            }
            enforce(&req, state.limiters.check_secret_key(principal.key_id))?;
            Ok(ReportSession(principal))
        })
    }
}

/// Whether a form post comes from one of our own pages. The session cookie is
/// `SameSite=Strict`, and the login and logout forms also need the browser to vouch that
/// the post comes from this site: `Sec-Fetch-Site: same-origin`, or, from browsers that do
/// not send it, an `Origin` whose host is ours. (Under `Referrer-Policy: no-referrer`,
/// Chromium sends `Origin: null` on form posts, hence Fetch Metadata first.) Another site
/// can then neither sign a reader in to its own key nor out.
pub fn same_origin(req: &HttpRequest) -> Result<(), ApiError> {
    let refuse = |detail: &str| ApiError::Forbidden { kind: "cross-origin", detail: detail.into() };
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some("same-origin") => return Ok(()),
        Some(_) => return Err(refuse("the form was sent from another site")),
        None => {}
    }
    let origin = header("origin")
        .ok_or_else(|| refuse("the form must be sent from a feedbackd page (no Origin header)"))?;
    let host = url::Url::parse(origin).ok().and_then(|u| {
        let host = u.host_str()?.to_string();
        Some(match u.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    });
    if host.as_deref() == Some(req.connection_info().host()) {
        Ok(())
    } else {
        Err(refuse("the form was sent from another site"))
    }
}

/// The session cookie (an empty, expired one to sign out). `Secure` everywhere except
/// plain http on a loopback name, where browsers would drop it (tests, the local demo).
pub fn session_cookie(req: &HttpRequest, value: Option<String>) -> Cookie<'static> {
    let info = req.connection_info();
    let hostname = info.host().rsplit_once(':').map_or(info.host(), |(h, _)| h).to_string();
    let loopback = matches!(hostname.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    let secure = !(info.scheme() == "http" && loopback);
    let max_age = match value {
        Some(_) => time::Duration::seconds(LIFETIME.num_seconds()),
        None => time::Duration::ZERO,
    };
    Cookie::build(COOKIE, value.unwrap_or_default())
        .path("/reports")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(max_age)
        .finish()
}

/// The session for a freshly checked key.
pub fn new_session(principal: &Principal) -> Session {
    Session {
        key_id: principal.key_id,
        project_id: principal.project.id,
        expires: chrono::Utc::now() + LIFETIME,
    }
}
