//! Who is using the console: the session cookie turned into a signed-in person
//! ([`Signed`]) and, under `/console/projects/{project}/…`, their role in that project
//! ([`Member`]); the forms' CSRF check; and the console's errors as pages.
//!
//! A role is checked as a key's scopes are ([`Member::require`] with the API's scopes), on
//! the server, for every action: a hidden button is a courtesy, never the guard.

use super::layout;
use crate::middleware::ratelimit::limit;
use crate::pages::session::same_secret;
use crate::pages::sign_in::{html, same_origin, secure};
use crate::{ApiError, AppState};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use feedbackd_core::accounts;
use feedbackd_core::console;
use feedbackd_core::ratelimit::Subject;
use feedbackd_core::store::Project;
use feedbackd_core::store::User;
use feedbackd_domain::{Role, Scope};
use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use uuid::Uuid;

/// The session cookie: `__Host-` makes browsers refuse it unless it is `Secure`, for the
/// whole host (`Path=/`) and set by this host alone, so a sibling subdomain cannot plant
/// one (session fixation by cookie injection).
pub const COOKIE: &str = "__Host-fbk_console";
/// The cookie's name on plain http to a loopback address (the local demo, tests), where a
/// `Secure` cookie would be dropped and the prefix with it.
pub const LOCAL_COOKIE: &str = "fbk_console";
/// Where people sign in.
pub const SIGN_IN_PATH: &str = "/console/sign-in";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// A signed-in person: a live session of an enabled account.
pub struct Signed {
    pub user: User,
    pub session_id: Uuid,
    /// The token every form of this session carries: a tag of the session's token under
    /// the server secret, so it needs no storage and dies with the session.
    pub csrf: String,
}

impl Signed {
    /// Who the audit log says did something.
    pub fn actor(&self) -> feedbackd_core::store::Actor {
        feedbackd_core::store::Actor::User { id: self.user.id, email: self.user.email.clone() }
    }
}

/// A console error, shown as a page: a 401 goes to the sign-in form instead, and comes
/// back to the page afterwards.
#[derive(Debug)]
pub struct ConsoleError {
    pub error: ApiError,
    pub back_to: Option<String>,
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl<E: Into<ApiError>> From<E> for ConsoleError {
    fn from(error: E) -> Self {
        ConsoleError { error: error.into(), back_to: None }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match &self.error {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            other => other.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.error.log_if_internal();
        let status = self.status_code();
        if status == StatusCode::UNAUTHORIZED {
            let next = self.back_to.as_deref().map(|n| format!("?next={}", layout::urlencode(n)));
            return see_other(&format!("{SIGN_IN_PATH}{}", next.unwrap_or_default()));
        }
        let detail = match &self.error {
            ApiError::Validation(errors) => layout::sentence(errors),
            other => other.detail(),
        };
        let (_, title) = self.error.kind_and_title();
        let mut response = html(status, layout::error_page(status.as_u16(), title, &detail));
        if let ApiError::RateLimited { retry_after_secs, .. } = &self.error {
            response.headers_mut().insert(header::RETRY_AFTER, (*retry_after_secs).into());
        }
        response
    }
}

/// A `303 See Other` to `location`, with the pages' security headers.
pub fn see_other(location: &str) -> HttpResponse {
    secure(&mut HttpResponse::SeeOther()).insert_header((header::LOCATION, location)).finish()
}

/// The session token the request's cookie carries, if any.
pub fn session_token(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).or_else(|| req.cookie(LOCAL_COOKIE)).map(|c| c.value().to_string())
}

fn csrf_of(state: &AppState, token: &str) -> String {
    state.sessions.tag("console-csrf", token)
}

impl FromRequest for Signed {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed(&req).await })
    }
}

async fn signed(req: &HttpRequest) -> Result<Signed, ConsoleError> {
    let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
    let back_to = (req.method() == actix_web::http::Method::GET)
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
        .flatten();
    let refuse = |detail| ConsoleError { error: ApiError::Unauthorized(detail), back_to: back_to.clone() };
    let token = session_token(req).ok_or_else(|| refuse("sign in to use the console"))?;
    let (session_id, user) = accounts::session_user(&state.db, &token)
        .await?
        .ok_or_else(|| refuse("the session has ended; sign in again"))?;
    // A person is limited like a key: one rule for both.
    limit(req, &state.limiters, &[Subject::SecretKey(user.id)]).await?;
    Ok(Signed { csrf: csrf_of(state, &token), user, session_id })
}

/// A signed-in person in one project they may open (`{project}` in the path), with their
/// role there. Membership is read on every request, so a removed member is refused at once.
pub struct Member {
    pub signed: Signed,
    pub project: Arc<Project>,
    pub role: Role,
}

impl Member {
    /// Whether the role allows what `scope` guards.
    pub fn may(&self, scope: Scope) -> bool {
        self.role.allows(scope)
    }

    /// `Ok` if the role allows what `scope` guards, else a 403 saying why: the one check
    /// every console action makes, with the API's scopes.
    pub fn require(&self, scope: Scope) -> Result<(), ConsoleError> {
        if self.may(scope) {
            return Ok(());
        }
        let detail = format!("your role in this project ({}) does not allow this (`{scope}`)", self.role);
        Err(ApiError::Forbidden { kind: "missing-scope", detail }.into())
    }

    /// The project's console path plus `rest` (`""`, `/surveys`, …).
    pub fn path(&self, rest: &str) -> String {
        format!("/console/projects/{}{rest}", self.project.id)
    }
}

impl FromRequest for Member {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let signed = signed(&req).await?;
            let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
            // Another project's id, a malformed one and a project one is not a member of
            // all look alike: not found.
            let not_found = || ConsoleError::from(ApiError::NotFound("no such project".into()));
            let project_id = req.match_info().get("project").and_then(|p| Uuid::parse_str(p).ok());
            let project_id = project_id.ok_or_else(not_found)?;
            let (project, role) =
                console::project_of(&state.db, &signed.user, project_id).await?.ok_or_else(not_found)?;
            Ok(Member { signed, project: Arc::new(project), role })
        })
    }
}

/// A form posted by a console page, its fields by name.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name` (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// The most a console form may hold: a survey's whole definition fits many times over.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A form sent before anyone is signed in (sign-in, first run, an invitation): from one
/// of our pages (Fetch Metadata or `Origin`), within its size.
pub fn open_form(req: &HttpRequest, body: &[u8]) -> Result<Form, ApiError> {
    same_origin(req)?;
    if body.len() > MAX_FORM_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_FORM_BYTES, setting: "console form" });
    }
    Ok(Form(url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()))
}

/// A form of a signed-in person: [`open_form`], and its CSRF token must be the session's.
/// `SameSite=Lax` already keeps the cookie off other sites' posts; the token also stops
/// a post from a sibling subdomain, which counts as the same site.
pub fn session_form(req: &HttpRequest, body: &[u8], signed: &Signed) -> Result<Form, ApiError> {
    let form = open_form(req, body)?;
    if !same_secret(form.get(CSRF_FIELD), &signed.csrf) {
        return Err(ApiError::Forbidden {
            kind: "csrf",
            detail: "the form's security token is missing or stale: reload the page and try again".into(),
        });
    }
    Ok(form)
}

/// The `303` that starts a console session: its cookie, and on to `location`.
pub fn start_session(req: &HttpRequest, token: &SecretString, location: &str) -> HttpResponse {
    let lifetime = time::Duration::seconds(accounts::SESSION_LIFETIME.num_seconds());
    let mut response = see_other(location);
    let _ = response.add_cookie(&cookie(req, token.expose_secret().to_string(), lifetime));
    response
}

/// The cookie that ends the session in the browser (empty, already expired).
pub fn end_session(req: &HttpRequest) -> Cookie<'static> {
    cookie(req, String::new(), time::Duration::ZERO)
}

/// Whether the request came over plain http to a loopback name (the local demo, tests),
/// where a `Secure` cookie would be dropped: the console's cookies go without it there.
pub(super) fn plain_loopback(req: &HttpRequest) -> bool {
    let info = req.connection_info();
    let hostname = info.host().rsplit_once(':').map_or(info.host(), |(h, _)| h).to_string();
    info.scheme() == "http" && matches!(hostname.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

/// The value of the query parameter `name` (decoded), or `""`.
pub(super) fn query_value(req: &HttpRequest, name: &str) -> String {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `__Host-fbk_console`: `Secure`, `HttpOnly`, `SameSite=Lax` (so following a link to the
/// console from elsewhere arrives signed in; no state changes on a GET), `Path=/`, no
/// `Domain`. Plain http on a loopback name gets [`LOCAL_COOKIE`] without `Secure`.
fn cookie(req: &HttpRequest, value: String, max_age: time::Duration) -> Cookie<'static> {
    let local = plain_loopback(req);
    Cookie::build(if local { LOCAL_COOKIE } else { COOKIE }, value)
        .path("/")
        .http_only(true)
        .secure(!local)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}
