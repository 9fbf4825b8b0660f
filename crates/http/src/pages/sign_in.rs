//! The report pages' side of HTTP: the session extractor (the `fbk_report` cookie, checked
//! against its key or share link on every request), the forms' CSRF check, the session
//! cookie, and HTML answers, errors included, with the pages' security headers.

use crate::middleware::ratelimit::limit;
use crate::pages::layout;
use crate::pages::session::{Grant, Session, SessionKeys, COOKIE};
use crate::{ApiError, AppState};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use feedbackd_core::auth::Principal;
use feedbackd_core::manage::report_links::{self, LinkError};
use feedbackd_core::ratelimit::Subject;
use feedbackd_core::store::Project;
use feedbackd_domain::Scope;
use maud::Markup;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use uuid::Uuid;

/// Longest form accepted from a report page (a key or a link, and a path).
const MAX_FORM_BYTES: usize = 4096;

/// The pages' policy: our own stylesheet and script, inline SVG, forms and fetches to
/// ourselves (the CSV download with its progress), no framing, nothing else (no inline
/// script or style, no external origin).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers every report answer carries (pages, errors, assets).
pub fn secure(response: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    secure_with(response, CSP)
}

/// The same headers under another Content-Security-Policy (the API reference page's).
pub fn secure_with<'a>(
    response: &'a mut HttpResponseBuilder,
    policy: &'static str,
) -> &'a mut HttpResponseBuilder {
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
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
    /// How to get in again, on a 401.
    pub retry: Retry,
}

/// Where a refused reader can get in again.
#[derive(Debug, Clone)]
pub enum Retry {
    /// The login form, and the page to come back to after signing in.
    Login(Option<String>),
    /// The shared-link page: the session came from a share link that no longer opens.
    SharedLink,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError { error: error.into(), retry: Retry::Login(None) }
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
        match (&self.retry, status) {
            (Retry::SharedLink, StatusCode::UNAUTHORIZED) => html(status, layout::shared(Some(&detail))),
            (Retry::Login(next), _) => {
                html(status, layout::error(status.as_u16(), title, &detail, next.as_deref()))
            }
            (Retry::SharedLink, _) => html(status, layout::error(status.as_u16(), title, &detail, None)),
        }
    }
}

/// A reader of the report pages: a valid session cookie whose key or share link still
/// lets them in. Both kinds go through this one extractor, so every page checks both the
/// same way.
pub struct ReportSession {
    pub project: Arc<Project>,
    pub reader: Reader,
}

/// Who is reading.
pub enum Reader {
    /// Signed in with a secret key that still holds `responses:read`.
    Key(Arc<Principal>),
    /// Opened a share link, still live: that survey's page only, read-only.
    Link { survey_id: Uuid, survey_key: String },
}

impl ReportSession {
    /// Whether the reader may do what `scope` allows. A share link allows reading its
    /// page (`responses:read`) and nothing else: no download.
    pub fn has_scope(&self, scope: Scope) -> bool {
        match &self.reader {
            Reader::Key(principal) => principal.has_scope(scope),
            Reader::Link { .. } => scope == Scope::ResponsesRead,
        }
    }

    /// `Ok` if the reader holds `scope`, else a 403 saying why.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has_scope(scope) {
            return Ok(());
        }
        let detail = match self.reader {
            Reader::Key(_) => format!("this key lacks the `{scope}` scope this needs"),
            Reader::Link { .. } => "a share link shows its report page only; it cannot download".into(),
        };
        Err(ApiError::Forbidden { kind: "missing-scope", detail })
    }

    /// The one survey a share link opens (its key); `None` for a key's session.
    pub fn shared_survey(&self) -> Option<&str> {
        match &self.reader {
            Reader::Key(_) => None,
            Reader::Link { survey_key, .. } => Some(survey_key),
        }
    }

    /// Whether the reader may open the survey named `reference` (key or id) in the URL.
    fn may_open(&self, reference: &str) -> bool {
        match &self.reader {
            Reader::Key(_) => true,
            Reader::Link { survey_id, survey_key, .. } => {
                reference == survey_key || Uuid::parse_str(reference).is_ok_and(|id| id == *survey_id)
            }
        }
    }
}

impl FromRequest for ReportSession {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
            let next = req.uri().path_and_query().map(|p| p.as_str().to_string());
            let login = Retry::Login(next);
            let refuse = |detail: &'static str, retry: &Retry| PageError {
                error: ApiError::Unauthorized(detail),
                retry: retry.clone(),
            };
            let cookie = req
                .cookie(COOKIE)
                .ok_or_else(|| refuse("sign in with a secret key to see reports", &login))?;
            let now = chrono::Utc::now();
            let session = state
                .sessions
                .verify(cookie.value(), now)
                .ok_or_else(|| refuse("the session has expired or is not valid; sign in again", &login))?;
            let (session, limited_by) = match session.grant {
                Grant::Key(key_id) => {
                    let principal = state
                        .auth
                        .by_id(session.project_id, key_id)
                        .await
                        .map_err(|e| PageError { error: e.into(), retry: login.clone() })?;
                    if !principal.has_scope(Scope::ResponsesRead) {
                        return Err(refuse("the key no longer holds the responses:read scope", &login));
                    }
                    let project = principal.project.clone();
                    (ReportSession { project, reader: Reader::Key(principal) }, key_id)
                }
                Grant::Link(link_id) => {
                    let project_id = session.project_id;
                    let link = report_links::check_link(&state.db, project_id, link_id, now)
                        .await
                        .map_err(refused_link)?;
                    let reader = Reader::Link { survey_id: link.survey_id, survey_key: link.survey_key };
                    (ReportSession { project: Arc::new(link.project), reader }, link_id)
                }
            };
            limit(&req, &state.limiters, &[Subject::SecretKey(limited_by)]).await?;
            // A share link opens its own survey's pages and no other (as if there were none).
            if let Some(reference) = req.match_info().get("survey") {
                if !session.may_open(reference) {
                    return Err(
                        ApiError::NotFound(format!("no survey {reference:?} behind this link")).into()
                    );
                }
            }
            Ok(session)
        })
    }
}

/// What a person is told when a share link does not open (a 401 on the shared-link page).
/// A refused link sends the reader back to the share-link form; a database error is an
/// ordinary one.
pub fn refused_link(error: LinkError) -> PageError {
    match error {
        LinkError::Store(e) => e.into(),
        refused => PageError { error: link_refusal(refused), retry: Retry::SharedLink },
    }
}

fn link_refusal(error: LinkError) -> ApiError {
    match error {
        LinkError::Unknown => ApiError::Unauthorized("This share link is not valid. Ask for a new one."),
        LinkError::Expired => ApiError::Unauthorized("This share link has expired. Ask for a new one."),
        LinkError::Revoked => ApiError::Unauthorized("This share link has been revoked."),
        LinkError::Store(e) => e.into(),
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

/// A form posted by one of our pages (login, shared link): checked for its origin and
/// size, then its fields.
pub fn read_form(req: &HttpRequest, body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    same_origin(req)?;
    if body.len() > MAX_FORM_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_FORM_BYTES, setting: "report form" });
    }
    Ok(url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

/// The `303` that starts `session`: the signed cookie, and on to `location`.
pub fn start_session(
    req: &HttpRequest,
    keys: &SessionKeys,
    session: &Session,
    location: &str,
) -> HttpResponse {
    // Rounded up, so a full session reads as its whole lifetime.
    let millis = (session.expires - chrono::Utc::now()).num_milliseconds().max(0);
    let cookie = session_cookie(req, keys.sign(session), time::Duration::seconds((millis + 999) / 1000));
    secure(&mut HttpResponse::SeeOther()).cookie(cookie).insert_header((header::LOCATION, location)).finish()
}

/// The cookie that ends a session (empty, and already expired).
pub fn end_session(req: &HttpRequest) -> Cookie<'static> {
    session_cookie(req, String::new(), time::Duration::ZERO)
}

/// The session cookie. `Secure` everywhere except plain http on a loopback name, where
/// browsers would drop it (tests, the local demo).
fn session_cookie(req: &HttpRequest, value: String, max_age: time::Duration) -> Cookie<'static> {
    let info = req.connection_info();
    let hostname = info.host().rsplit_once(':').map_or(info.host(), |(h, _)| h).to_string();
    let loopback = matches!(hostname.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    let secure = !(info.scheme() == "http" && loopback);
    Cookie::build(COOKIE, value)
        .path("/reports")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(max_age)
        .finish()
}
