//! The console's home (the projects a person may open; administrators create them), the
//! person's own account page (their sessions, each revocable), and a project's audit log.

use super::auth::{query_value, see_other, session_form, ConsoleError, Member, Signed};
use super::layout::{self, button_form, frame};
use crate::pages::sign_in::html;
use crate::{ApiError, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::{accounts, console, manage};
use feedbackd_domain::Scope;
use maud::html;
use serde_json::json;
use uuid::Uuid;

/// The projects the person may open.
pub async fn projects(signed: Signed, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    let projects = console::projects_of(&state.db, &signed.user).await?;
    let body = html! {
        @if projects.is_empty() {
            p { "You are not a member of any project yet. Ask an owner for an invitation link." }
        } @else {
            ul class="cards" {
                @for (project, role) in &projects {
                    li { a href=(format!("/console/projects/{}/surveys", project.id)) { (project.name) }
                         " " span class="muted" { (role) } }
                }
            }
        }
        @if signed.user.is_admin {
            h2 { "New project" }
            form method="post" action="/console/projects" class="stack narrow" {
                (layout::csrf_field(&signed.csrf))
                label for="project-name" { "Name" }
                input id="project-name" name="name" type="text" required maxlength="200";
                label for="project-origins" { "Web origins allowed to send answers" }
                input id="project-origins" name="origins" type="text" aria-describedby="origins-help"
                    placeholder="https://app.example.com";
                p id="origins-help" class="muted" { "Separated by spaces or commas; empty for mobile apps only." }
                button type="submit" { "Create the project" }
            }
        }
    };
    let place = signed.home();
    Ok(html(StatusCode::OK, frame(place, "Projects", None, body)))
}

/// Creates a project (administrators).
pub async fn create_project(
    req: HttpRequest,
    signed: Signed,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = session_form(&req, &body, &signed)?;
    if !signed.user.is_admin {
        return Err(ApiError::Forbidden {
            kind: "not-admin",
            detail: "only administrators create projects".into(),
        }
        .into());
    }
    let name = form.get("name").trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::field("name", "must be 1 to 200 characters").into());
    }
    let origins: Vec<String> = form
        .get("origins")
        .split([' ', ',', '\n'])
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(String::from)
        .collect();
    let project = manage::create_project(&state.db, name, &origins).await?;
    console::record(
        &state.db,
        project.id,
        signed.actor(),
        "project.create",
        &project.name,
        json!({"origins": origins}),
    )
    .await;
    Ok(see_other(&format!("/console/projects/{}/surveys", project.id)))
}

/// The person's account: their live sessions, this one marked, each revocable.
pub async fn account(signed: Signed, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    let sessions = accounts::sessions(&state.db, &signed.user).await?;
    let body = html! {
        p { (signed.user.email) @if signed.user.is_admin { " · administrator" } }
        h2 { "Signed-in sessions" }
        table {
            thead { tr { th scope="col" { "Browser" } th scope="col" { "Signed in" } th scope="col" { "Last seen" }
                th scope="col" { "Ends" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
            tbody {
                @for s in &sessions {
                    tr {
                        td { (s.user_agent) @if s.id == signed.session_id { " " strong { "(this one)" } } }
                        td { (layout::when(s.created_at)) }
                        td { (layout::when(s.last_seen_at)) }
                        td { (layout::when(s.expires_at)) }
                        td { (button_form(&format!("/console/account/sessions/{}/revoke", s.id), &signed.csrf, "Sign out", Some("danger"))) }
                    }
                }
            }
        }
        (button_form("/console/account/sessions/revoke-all", &signed.csrf, "Sign out everywhere", Some("danger")))
    };
    let place = signed.home();
    Ok(html(StatusCode::OK, frame(place, "Your account", None, body)))
}

/// Ends one of the person's sessions, or all of them (`revoke-all`).
pub async fn revoke_sessions(
    req: HttpRequest,
    signed: Signed,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &signed)?;
    let which = match path.as_str() {
        "revoke-all" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| ApiError::NotFound("no such session".into()))?),
    };
    accounts::end_sessions(&state.db, &signed.user, which).await?;
    let ended_this = which.map_or(true, |id| id == signed.session_id);
    Ok(see_other(if ended_this { super::auth::SIGN_IN_PATH } else { "/console/account" }))
}

/// The project's audit log, newest first, a page at a time (owners).
pub async fn audit_log(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::Admin)?;
    let before = query_value(&req, "before").parse::<i64>().ok();
    let events = console::audit_log(&state.db, m.project.id, before).await?;
    let body = html! {
        @if events.is_empty() { p { "Nothing recorded yet." } }
        @else {
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "On" } th scope="col" { "Detail" } } }
                tbody {
                    @for e in &events {
                        tr { td { (layout::when(e.at)) } td { @if e.key_id.is_some() { "API key " } (e.actor) } td { code { (e.action) } } td { (e.target) }
                             td { code class="muted" { (e.detail.to_string()) } } }
                    }
                }
            }
            @if events.len() as i64 == console::AUDIT_PAGE {
                @if let Some(last) = events.last() {
                    p { a href=(format!("?before={}", last.id)) { "Older entries" } }
                }
            }
        }
    };
    let place = m.place("/audit");
    Ok(html(StatusCode::OK, frame(place, "Audit log", None, body)))
}
