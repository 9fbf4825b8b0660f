//! The administrators' page of accounts: every person, a password reset link for one
//! (shown once, used once, within a day; no mail server needed), and disabling an account,
//! which ends its sessions at once. And the page a reset link opens.

use super::auth::{open_form, see_other, session_form, start_session, ConsoleError, Signed};
use super::layout::{self, button_form, frame, Place};
use crate::middleware::ratelimit::limit_ip;
use crate::pages::sign_in::html;
use crate::{ApiError, AppState};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::accounts::{self, MIN_PASSWORD_CHARS};
use feedbackd_core::console;
use feedbackd_core::manage::ManageError;
use maud::{html, Markup};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// Where reset links lead (`/console/reset#fbk_rst_…`; the token rides in the fragment).
pub const RESET_PATH: &str = "/console/reset";

fn require_admin(signed: &Signed) -> Result<(), ConsoleError> {
    if signed.user.is_admin {
        return Ok(());
    }
    let detail = "only administrators manage accounts".to_string();
    Err(ApiError::Forbidden { kind: "not-admin", detail }.into())
}

async fn people_page(
    state: &AppState,
    signed: &Signed,
    reset: Option<(&str, &str)>,
) -> Result<HttpResponse, ConsoleError> {
    let users = console::users(&state.db).await?;
    let csrf = &signed.csrf;
    let body = html! {
        @if let Some((email, link)) = reset {
            div class="reveal" role="status" {
                p { strong { "Password reset link for " (email) } " — pass it on; it is shown only once and sets a new password once, within 24 hours:" }
                pre class="code" id="reset-link" { (link) }
                button type="button" class="secondary" data-copy="reset-link" hidden { "Copy the link" }
            }
        }
        table {
            thead { tr { th scope="col" { "Person" } th scope="col" { "Administrator" } th scope="col" { "State" }
                th scope="col" { "Since" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.email) @if !u.name.is_empty() { br; span class="muted" { (u.name) } } }
                        td { @if u.is_admin { "yes" } @else { "no" } }
                        td { @if let Some(at) = u.disabled_at { "disabled " (layout::when(at)) } @else { "active" } }
                        td { (layout::when(u.created_at)) }
                        td {
                            @if u.disabled_at.is_none() {
                                (button_form(&format!("/console/people/{}/reset", u.id), csrf, "Reset password", Some("secondary")))
                                @if u.id != signed.user.id {
                                    (button_form(&format!("/console/people/{}/disable", u.id), csrf, "Disable", Some("danger")))
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let place = signed.home();
    let status = if reset.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok(html(status, frame(place, "People", None, body)))
}

/// Every account (administrators).
pub async fn people(signed: Signed, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    require_admin(&signed)?;
    people_page(&state, &signed, None).await
}

/// The account the path names.
async fn account(state: &AppState, id: Uuid) -> Result<feedbackd_core::store::User, ConsoleError> {
    console::user_by_id(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such account".into()).into())
}

/// Makes a password reset link for an account and shows it once.
pub async fn reset_link(
    req: HttpRequest,
    signed: Signed,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &signed)?;
    require_admin(&signed)?;
    let user = account(&state, *path).await?;
    let token = console::reset_link(&state.db, user.id, &signed.user).await?;
    let info = req.connection_info().clone();
    let link = format!("{}://{}{RESET_PATH}#{}", info.scheme(), info.host(), token.expose_secret());
    people_page(&state, &signed, Some((&user.email, &link))).await
}

/// Disables an account: no more sign-ins, and its sessions end now.
pub async fn disable(
    req: HttpRequest,
    signed: Signed,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &signed)?;
    require_admin(&signed)?;
    let user = account(&state, *path).await?;
    if user.id == signed.user.id {
        return Err(ApiError::Conflict("you cannot disable your own account".into()).into());
    }
    accounts::disable(&state.db, &user).await?;
    Ok(see_other("/console/people"))
}

fn reset_page(step: ResetStep<'_>) -> Markup {
    frame(
        Place::Outside,
        "Set a new password",
        None,
        html! {
            @match step {
                ResetStep::Paste(error) => {
                    (layout::link_form(RESET_PATH, "fbk_rst_", "Reset link", "Open the link", error))
                }
                ResetStep::Choose { token, email, error } => {
                    p { "A new password for " strong { (email) } ". Every session of this account ends." }
                    @if let Some(error) = error { p class="error" role="alert" { (error) } }
                    form method="post" action=(RESET_PATH) class="stack narrow" {
                        input type="hidden" name="token" value=(token);
                        input type="hidden" name="username" autocomplete="username" value=(email);
                        label for="password" { "New password" }
                        input id="password" name="password" type="password" autocomplete="new-password" required
                            minlength=(MIN_PASSWORD_CHARS);
                        button type="submit" { "Set the password and sign in" }
                    }
                }
            }
        },
    )
}

enum ResetStep<'a> {
    Paste(Option<&'a str>),
    Choose { token: &'a str, email: &'a str, error: Option<String> },
}

/// The page a reset link opens: its script posts the token from the fragment.
pub async fn reset_form() -> HttpResponse {
    html(StatusCode::OK, reset_page(ResetStep::Paste(None)))
}

/// Opens a reset link (asks for the new password), or sets the password and signs in.
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = open_form(&req, &body)?;
    if let Some(ip) = state.proxies.client_ip(&req) {
        limit_ip(&req, &state.limiters, ip).await?;
    }
    let token = form.get("token").rsplit('#').next().unwrap_or("").trim().to_string();
    let refused = || {
        html(StatusCode::GONE, reset_page(ResetStep::Paste(Some("This link is not valid, was used already, or has expired. Ask an administrator for a new one."))))
    };
    let Some(user) = console::reset_for(&state.db, &token).await? else { return Ok(refused()) };
    let choose = |error: Option<String>, status: StatusCode| {
        html(status, reset_page(ResetStep::Choose { token: &token, email: &user.email, error }))
    };
    if form.get("password").is_empty() {
        return Ok(choose(None, StatusCode::OK));
    }
    let password = SecretString::from(form.get("password").to_string());
    match console::reset_password(&state.db, &token, password).await {
        Ok(Some(user)) => {
            let agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
            let started = accounts::start_session(&state.db, &user, agent).await?;
            Ok(start_session(&req, &started.token, "/console/"))
        }
        Ok(None) => Ok(refused()),
        Err(ManageError::Invalid(errors)) => {
            Ok(choose(Some(layout::sentence(&errors)), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}
