//! The product review page and its login: HTML for people, next to the JSON API. Handlers
//! are thin: the numbers come from the insights reports (`crate::pages::view`), the markup
//! from `crate::pages`.

use crate::extract::insights_query::Query;
use crate::handlers::insights::{freshness, on_reads};
use crate::middleware::ratelimit::limit_ip;
use crate::pages::session::Session;
use crate::pages::sign_in::{
    end_session, html, read_form, refused_link, same_origin, secure, secure_with, start_session, PageError,
    ReportSession, CSP,
};
use crate::pages::view::{self, PageOptions};
use crate::pages::{layout, page};
use crate::{ApiError, AppState};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::export::{ExportFormat, ExportOptions};
use feedbackd_core::insights::Interval;
use feedbackd_core::manage;
use feedbackd_core::manage::report_links;
use feedbackd_domain::{parse_share_token, KeyKind, Scope};

/// Where a login goes when it was not sent from a report.
const DEFAULT_NEXT: &str = "/reports/";

/// `next` if it is a report page of ours, else the default: never a redirect elsewhere, and
/// only visible ASCII (it becomes a `Location` header; our own links are percent-encoded).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/reports/")
                && !n.contains("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => DEFAULT_NEXT.to_string(),
    }
}

/// The surveys a signed-in reader can open (where a login without `next` lands): a share
/// link's one survey, or every survey of the key's project with a report (a score, or
/// questions).
#[utoipa::path(get, path = "/reports/", operation_id = "report_index", tag = "reports",
    security(("report_session" = ["responses:read"])),
    responses((status = 200, description = "links to each survey's report", content_type = "text/html"),
        (status = 401, description = "not signed in, or the key or share link was revoked or has expired", content_type = "text/html")))]
pub async fn index(session: ReportSession, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let project_id = session.project.id;
    let surveys = manage::list_surveys(&state.db, project_id, None).await?;
    let shared = session.shared_survey();
    let scored: Vec<(String, String)> = surveys
        .into_iter()
        .filter(|s| view::has_report(s) && shared.map_or(true, |key| key == s.key))
        .map(|s| (s.key, s.question))
        .collect();
    Ok(html(StatusCode::OK, layout::index(&scored)))
}

/// The login form.
#[utoipa::path(get, path = "/reports/login", operation_id = "report_login_form", tag = "reports",
    params(("next" = Option<String>, Query, description = "the report page to open after signing in")),
    responses((status = 200, description = "the login form", content_type = "text/html")))]
pub async fn login_form(req: HttpRequest) -> HttpResponse {
    let next = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned());
    html(StatusCode::OK, layout::login(&safe_next(next.as_deref()), None))
}

/// Signs in with a secret key holding `responses:read`: sets the session cookie (a signed
/// key id and expiry, never the key) and goes to `next`.
#[utoipa::path(post, path = "/reports/login", operation_id = "report_login", tag = "reports",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`key` (a secret key with responses:read) and `next` (a /reports/ path)"),
    responses(
        (status = 303, description = "signed in: the session cookie is set; `Location` is `next`"),
        (status = 401, description = "the key is unknown, revoked or not a secret key", content_type = "text/html"),
        (status = 403, description = "the key lacks responses:read, or the form came from another site", content_type = "text/html")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (mut key, mut next) = (String::new(), None);
    for (name, value) in read_form(&req, &body)? {
        match name.as_str() {
            "key" => key = value.trim().to_string(),
            "next" => next = Some(value),
            _ => {}
        }
    }
    let next = safe_next(next.as_deref());
    let refuse = |status: StatusCode, message: &str| html(status, layout::login(&next, Some(message)));
    if !key.starts_with("fbk_sec_") {
        return Ok(refuse(StatusCode::UNAUTHORIZED, "That is not a secret key (fbk_sec_…)."));
    }
    let principal = match state.auth.authenticate(&key).await {
        Ok(p) if p.kind == KeyKind::Secret => p,
        Ok(_)
        | Err(feedbackd_core::auth::AuthError::Unknown)
        | Err(feedbackd_core::auth::AuthError::Revoked) => {
            return Ok(refuse(StatusCode::UNAUTHORIZED, "The key is not valid, or it has been revoked."))
        }
        Err(e) => return Err(e.into()),
    };
    if !principal.has_scope(Scope::ResponsesRead) {
        return Ok(refuse(StatusCode::FORBIDDEN, "The key does not hold the responses:read scope."));
    }
    let session = Session::for_key(principal.key_id, principal.project.id, chrono::Utc::now());
    Ok(start_session(&req, &state.sessions, &session, &next))
}

/// The page a share link opens (`/reports/shared#<token>`): its script posts the token from
/// the fragment to `POST /reports/shared`; without JavaScript, a field to paste the link.
#[utoipa::path(get, path = "/reports/shared", operation_id = "report_shared_form", tag = "reports",
    responses((status = 200, description = "the shared-link page", content_type = "text/html")))]
pub async fn shared_form() -> HttpResponse {
    html(StatusCode::OK, layout::shared(None))
}

/// Opens a share link: checks its token (by hash), expiry and revocation, sets a session
/// cookie for that one survey's page (never past the link's expiry) and goes there.
#[utoipa::path(post, path = "/reports/shared", operation_id = "report_shared_open", tag = "reports",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`link`: the share link, its fragment, or its token (`fbk_share_…`)"),
    responses(
        (status = 303, description = "opened: the session cookie is set; `Location` is the survey's report"),
        (status = 400, description = "no link in the form", content_type = "text/html"),
        (status = 401, description = "not a share link, or an unknown, expired or revoked one", content_type = "text/html"),
        (status = 403, description = "the form came from another site", content_type = "text/html"),
        (status = 413, description = "the form is too large", content_type = "text/html"),
        (status = 429, description = "too many attempts from this address", content_type = "text/html")))]
pub async fn open_shared(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = read_form(&req, &body)?;
    // Tokens cannot be guessed, but each try costs a lookup: the per-address limit applies.
    if let Some(ip) = state.proxies.client_ip(&req) {
        limit_ip(&req, &state.limiters, ip).await?;
    }
    let pasted = form.into_iter().find(|(name, _)| name == "link").map(|(_, v)| v).unwrap_or_default();
    let refuse = |status: StatusCode, message: &str| html(status, layout::shared(Some(message)));
    if pasted.trim().is_empty() {
        return Ok(refuse(StatusCode::BAD_REQUEST, "Paste the share link you were sent."));
    }
    let Some(token) = parse_share_token(&pasted).map(str::to_string) else {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "That is not a share link (…/reports/shared#fbk_share_…).",
        ));
    };
    let now = chrono::Utc::now();
    let link = report_links::open_link(&state.db, &token, now).await.map_err(refused_link)?;
    let session = Session::for_link(link.id, link.project.id, link.expires_at, now);
    let page = format!("/reports/{}", layout::urlencode(&link.survey_key));
    Ok(start_session(&req, &state.sessions, &session, &page))
}

/// Signs out: clears the session cookie.
#[utoipa::path(post, path = "/reports/logout", operation_id = "report_logout", tag = "reports",
    responses((status = 303, description = "signed out; `Location` is the login form"),
        (status = 403, description = "the form came from another site", content_type = "text/html")))]
pub async fn logout(req: HttpRequest) -> Result<HttpResponse, PageError> {
    same_origin(&req)?;
    Ok(secure(&mut HttpResponse::SeeOther())
        .cookie(end_session(&req))
        .insert_header((header::LOCATION, layout::LOGIN_PATH))
        .finish())
}

/// The pages' stylesheet.
#[utoipa::path(get, path = "/reports/assets/report.css", operation_id = "report_css", tag = "reports",
    responses((status = 200, description = "the report pages' stylesheet", content_type = "text/css")))]
pub async fn css() -> HttpResponse {
    asset(CSP, "text/css; charset=utf-8", crate::pages::CSS)
}

/// The pages' script.
#[utoipa::path(get, path = "/reports/assets/report.js", operation_id = "report_js", tag = "reports",
    responses((status = 200, description = "the report pages' script", content_type = "application/javascript")))]
pub async fn js() -> HttpResponse {
    asset(CSP, "application/javascript; charset=utf-8", crate::pages::JS)
}

/// A static file with the pages' security headers under `policy`, which browsers may reuse
/// for five minutes (the report pages' and the API reference's files).
pub(crate) fn asset(policy: &'static str, content_type: &str, body: &'static str) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    secure_with(&mut response, policy).insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    response.content_type(content_type).body(body)
}

/// The page's parameters: the report filters, `interval` (day or week), `by` and `cursor`.
/// Empty values (a form's untouched fields) count as absent.
fn page_options(query_string: &str) -> Result<PageOptions, ApiError> {
    let given: Vec<(String, String)> = url::form_urlencoded::parse(query_string.as_bytes())
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let cleaned = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&given).finish();
    let mut q = Query::parse(&cleaned, &["interval", "by", "cursor"]);
    let interval = match q.parsed::<Interval>("interval", "day or week") {
        None | Some(Interval::Day) => Interval::Day,
        Some(Interval::Week) => Interval::Week,
        Some(Interval::Month) => {
            q.error("interval", "must be day or week");
            Interval::Day
        }
    };
    let by = q.breakdown_key();
    let cursor = q.cursor();
    let mut params = q.report_params();
    q.finish()?;
    // The page is a report: its comment list and CSV download cover the period its charts
    // show, not every answer as the list and the export API would.
    params.from = Some(params.report_range().from);
    let query = given.into_iter().filter(|(k, _)| k != "cursor").collect();
    Ok(PageOptions { params, interval, by, cursor, query })
}

/// The report page of a survey.
#[utoipa::path(get, path = "/reports/{survey}", operation_id = "report_page", tag = "reports",
    params(("survey" = String, Path, description = "the survey's id or key"),
        ("interval" = Option<String>, Query, description = "trend buckets: day (default) or week"),
        ("by" = Option<String>, Query, description = "the breakdown's attribute (default platform)"),
        ("cursor" = Option<String>, Query, description = "the comment list's position"),
        crate::handlers::insights::ReportFrom, crate::handlers::insights::ReportFilters),
    security(("report_session" = ["responses:read"])),
    responses((status = 200, description = "the report", content_type = "text/html"),
        (status = 400, description = "a bad parameter, named", content_type = "text/html"),
        (status = 401, description = "not signed in, or the key or share link was revoked or has expired", content_type = "text/html"),
        (status = 404, description = "no such survey in the project, or not the share link's survey", content_type = "text/html")))]
pub async fn report_page(
    session: ReportSession,
    state: web::Data<AppState>,
    survey: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let can_export = session.has_scope(Scope::ResponsesExport);
    Ok(report_html(&state, session.project.clone(), &survey, req.query_string(), |options, data| {
        page::render(&survey, options, data, can_export)
    })
    .await?)
}

/// A survey's report page for `query`, laid out by `layout`: read where the API's reports
/// read (a fresh replica, else the primary, with its fallback), with the freshness
/// headers. The report pages and the console both answer with it.
pub(crate) async fn report_html(
    state: &AppState,
    project: std::sync::Arc<feedbackd_core::store::Project>,
    survey: &str,
    query: &str,
    layout: impl FnOnce(&view::PageOptions, &view::ReportData) -> maud::Markup,
) -> Result<HttpResponse, ApiError> {
    let options = page_options(query)?;
    let project = &project;
    let (at, data) = on_reads(state, |db| {
        let project = project.clone();
        let options = &options;
        async move { view::gather(&db, project, survey, options).await }
    })
    .await?;
    let mut response = html(StatusCode::OK, layout(&options, &data));
    for (name, value) in freshness(&at) {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&value) {
            response.headers_mut().insert(actix_web::http::header::HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}

/// The CSV of a report page's comment list for `query`: the export API's own function.
pub(crate) async fn report_csv(
    state: &AppState,
    project: &feedbackd_core::store::Project,
    survey: &str,
    query: &str,
) -> Result<HttpResponse, ApiError> {
    let options = page_options(query)?;
    let csv = ExportOptions { format: ExportFormat::Csv, bom: false };
    crate::handlers::exports::download(state, project, Some(survey), options.listing(), csv).await
}

/// The report's comment list as CSV: the same filters, the export API's own function
/// (`crate::export::start`), so the file holds what `GET /v1/exports/responses` gives for
/// them. Needs a key that also holds `responses:export`: a share link's session cannot.
#[utoipa::path(get, path = "/reports/{survey}/export.csv", operation_id = "report_export_csv", tag = "reports",
    params(("survey" = String, Path, description = "the survey's id or key"),
        ("interval" = Option<String>, Query, description = "ignored (the page's)"),
        ("by" = Option<String>, Query, description = "ignored (the page's)"),
        crate::handlers::insights::ReportFrom, crate::handlers::insights::ReportFilters),
    security(("report_session" = ["responses:export"])),
    responses((status = 200, description = "the comments the page lists, as an attachment (every page of them)", content_type = "text/csv"),
        (status = 400, description = "a bad parameter, named", content_type = "text/html"),
        (status = 401, description = "not signed in, or the key or share link was revoked or has expired", content_type = "text/html"),
        (status = 403, description = "the key lacks responses:export, or the session is a share link's (read-only)", content_type = "text/html"),
        (status = 404, description = "no such survey in the project, or not the share link's survey", content_type = "text/html")))]
pub async fn export_csv(
    session: ReportSession,
    state: web::Data<AppState>,
    survey: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    session.require(Scope::ResponsesExport)?;
    Ok(report_csv(&state, &session.project, &survey, req.query_string()).await?)
}
