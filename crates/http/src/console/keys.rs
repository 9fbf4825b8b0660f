//! A project's API keys (owners: create, revoke, see last use) and share links to its
//! reports (editors and owners: create, revoke). A new key's or link's secret is shown
//! once, as the API does.

use super::auth::{see_other, session_form, ConsoleError, Member};
use super::layout::{self, button_form, frame};
use super::surveys::audit;
use crate::pages::sign_in::html;
use crate::{ApiError, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::manage::{self, report_links};
use feedbackd_domain::{KeyKind, Scope};
use maud::{html, Markup};
use serde_json::json;
use uuid::Uuid;

/// A secret shown once, with a copy button.
fn reveal(what: &str, secret: &str) -> Markup {
    html! {
        div class="reveal" role="status" {
            p { strong { (what) } " — copy it now; it is shown only once:" }
            pre class="code" id="secret" { (secret) }
            button type="button" class="secondary" data-copy="secret" hidden { "Copy" }
        }
    }
}

async fn keys_page(
    state: &AppState,
    m: &Member,
    created: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let keys = manage::list_keys(&state.db, m.project.id).await?;
    let csrf = &m.signed.csrf;
    let body = html! {
        @if let Some(token) = created { (reveal("New key", token)) }
        table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Scopes" }
                th scope="col" { "Last used" } th scope="col" { "State" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
            tbody {
                @for k in &keys {
                    tr {
                        td { (k.name) br; code class="muted" { (k.prefix) "…" } }
                        td { (k.kind) }
                        td { (k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) }
                        td { @if let Some(at) = k.last_used_at { (layout::when(at)) } @else { "never" } }
                        td { @if let Some(at) = k.revoked_at { "revoked " (layout::when(at)) } @else { "active" } }
                        td { @if k.revoked_at.is_none() {
                            (button_form(&m.path(&format!("/keys/{}/revoke", k.id)), csrf, "Revoke", Some("danger")))
                        } }
                    }
                }
            }
        }
        h2 { "New key" }
        form method="post" action=(m.path("/keys")) class="stack narrow" {
            (layout::csrf_field(csrf))
            label for="key-name" { "Name" }
            input id="key-name" name="name" type="text" maxlength="200" required placeholder="web widget";
            fieldset {
                legend { "Kind" }
                label { input type="radio" name="kind" value="publishable" checked; " Publishable: for widgets in apps and pages (sends answers only)" }
                label { input type="radio" name="kind" value="secret"; " Secret: for servers, with the scopes below" }
            }
            fieldset {
                legend { "Scopes of a secret key" }
                @for scope in Scope::ALL {
                    label { input type="checkbox" name="scope" value=(scope.as_str()); " " code { (scope.as_str()) } }
                }
            }
            button type="submit" { "Create the key" }
        }
    };
    Ok(html(status, frame(m.place("/keys"), "Keys", None, body)))
}

/// The keys page (owners).
pub async fn keys(m: Member, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::Admin)?;
    keys_page(&state, &m, None, StatusCode::OK).await
}

/// Creates a key and shows its token once.
pub async fn create_key(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = session_form(&req, &body, &m.signed)?;
    m.require(Scope::Admin)?;
    let kind: KeyKind =
        form.get("kind").parse().map_err(|_| ApiError::field("kind", "must be publishable or secret"))?;
    let scopes = match kind {
        KeyKind::Publishable => Vec::new(),
        KeyKind::Secret => form
            .all("scope")
            .into_iter()
            .map(|s| s.parse::<Scope>().map_err(|_| ApiError::field("scope", format!("unknown scope {s:?}"))))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let created = manage::create_key(&state.db, m.project.id, kind, &scopes, form.get("name").trim()).await?;
    audit(
        &state,
        &m,
        "key.create",
        &created.key.name,
        json!({"kind": kind, "scopes": scopes, "key": created.key.id}),
    )
    .await;
    keys_page(&state, &m, Some(&created.token), StatusCode::CREATED).await
}

/// Revokes a key: refused everywhere at once (the key cache hears of it).
pub async fn revoke_key(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &m.signed)?;
    m.require(Scope::Admin)?;
    let key = manage::revoke_key(&state.db, m.project.id, path.1).await?;
    audit(&state, &m, "key.revoke", &key.name, json!({"key": key.id})).await;
    Ok(see_other(&m.path("/keys")))
}

async fn links_page(
    state: &AppState,
    m: &Member,
    created: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let links = report_links::list_links(&state.db, m.project.id, None).await?;
    let surveys = manage::list_surveys(&state.db, m.project.id, None).await?;
    let csrf = &m.signed.csrf;
    let body = html! {
        @if let Some(url) = created { (reveal("Share link", url)) }
        p { "A share link opens one survey's report, read-only, to whoever holds it, until it expires or is revoked." }
        @if !links.is_empty() {
            table {
                thead { tr { th scope="col" { "Survey" } th scope="col" { "Label" } th scope="col" { "State" }
                    th scope="col" { "Expires" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                tbody {
                    @for l in &links {
                        tr {
                            td { (l.survey_key) }
                            td { (l.label.clone().unwrap_or_default()) }
                            td { (l.status.as_str()) }
                            td { (layout::when(l.expires_at)) }
                            td { @if l.status.as_str() == "active" {
                                (button_form(&m.path(&format!("/share-links/{}/revoke", l.id)), csrf, "Revoke", Some("danger")))
                            } }
                        }
                    }
                }
            }
        }
        @if m.may(Scope::ReportsShare) {
            h2 { "New share link" }
            form method="post" action=(m.path("/share-links")) class="stack narrow" {
                (layout::csrf_field(csrf))
                label for="link-survey" { "Survey" }
                select id="link-survey" name="survey" { @for s in &surveys { option value=(s.key) { (s.key) } } }
                label for="link-label" { "Label (who it is for)" }
                input id="link-label" name="label" type="text" maxlength="200";
                label for="link-hours" { "Expires in (hours)" }
                input id="link-hours" name="hours" type="number" min="1" value="168";
                button type="submit" { "Create the link" }
            }
        }
    };
    Ok(html(status, frame(m.place("/share-links"), "Share links", None, body)))
}

/// The share links page. Reading needs `surveys:read`; making and revoking them needs
/// `reports:share` (editors and owners), as `POST /v1/surveys/{survey}/report-links` does.
pub async fn links(m: Member, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::SurveysRead)?;
    links_page(&state, &m, None, StatusCode::OK).await
}

/// Makes a share link and shows it once.
pub async fn create_link(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = session_form(&req, &body, &m.signed)?;
    m.require(Scope::ReportsShare)?;
    let hours = match form.get("hours").trim() {
        "" => None,
        h => Some(h.parse::<u32>().map_err(|_| ApiError::field("hours", "must be a whole number of hours"))?),
    };
    let label = Some(form.get("label").trim().to_string()).filter(|l| !l.is_empty());
    let spec = report_links::LinkSpec { expires_in_hours: hours, label, created_by: None };
    let created = report_links::create_link(&state.db, m.project.id, form.get("survey"), spec).await?;
    audit(&state, &m, "share_link.create", &created.link.survey_key, json!({"link": created.link.id})).await;
    let info = req.connection_info().clone();
    let url = format!("{}://{}{}", info.scheme(), info.host(), created.url);
    links_page(&state, &m, Some(&url), StatusCode::CREATED).await
}

/// Revokes a share link.
pub async fn revoke_link(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &m.signed)?;
    m.require(Scope::ReportsShare)?;
    let link = report_links::revoke_link(&state.db, m.project.id, path.1).await?;
    audit(&state, &m, "share_link.revoke", &link.survey_key, json!({"link": link.id})).await;
    Ok(see_other(&m.path("/share-links")))
}
