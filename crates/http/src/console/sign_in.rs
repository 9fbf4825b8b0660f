//! Getting into the console: sign-in, sign-out, the first-run page and invitation links.
//!
//! Sign-in answers the same for an unknown address, a wrong password and a disabled
//! account, and takes as long (a dummy hash is verified when there is none). It is limited
//! per client address and per account address ([`Subject::SignIn`]: ten tries, then one a
//! minute), which slows guessing without letting anyone lock an account out.

use super::auth::{end_session, query_value, SIGN_IN_PATH};
use super::auth::{
    open_form, see_other, session_form, session_token, start_session, ConsoleError, Form, Signed,
};
use super::layout::{self, frame, Place};
use crate::middleware::ratelimit::{limit, limit_ip};
use crate::pages::session::same_secret;
use crate::pages::sign_in::html;
use crate::{ApiError, AppState};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::accounts::{self, SignInError, MIN_PASSWORD_CHARS};
use feedbackd_core::console::{self, Accepting, InvitationError};
use feedbackd_core::manage::ManageError;
use feedbackd_core::ratelimit::Subject;
use feedbackd_core::store::User;
use feedbackd_domain::accounts::normalize_email;
use maud::{html, Markup};
use secrecy::{ExposeSecret, SecretString};

/// `next` if it is a console page, else the console's home: never a redirect elsewhere.
pub(super) fn safe_next(next: &str) -> &str {
    let ours = next.starts_with("/console/")
        && !next.contains("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if ours {
        next
    } else {
        "/console/"
    }
}

fn sign_in_page(next: &str, email: &str, error: Option<&str>, sso: Option<(String, String)>) -> Markup {
    frame(
        Place::Outside,
        "Sign in to feedbackd",
        None,
        html! {
            @if let Some(error) = error { p class="error" role="alert" { (error) } }
            form method="post" action=(SIGN_IN_PATH) class="stack narrow" {
                input type="hidden" name="next" value=(next);
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="username" required value=(email);
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
            @if let Some((href, label)) = sso {
                p { a class="button secondary" href=(href) { (label) } }
            }
            p class="muted" { "Forgot your password? An administrator of this feedbackd can set a new one." }
        },
    )
}

/// The sign-in form.
pub async fn sign_in_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    // Before the first account exists there is no one to sign in: the first-run page.
    if !console::has_users(&state.db).await? {
        return Ok(see_other("/console/setup"));
    }
    let next = query_value(&req, "next");
    let next = safe_next(&next);
    Ok(html(StatusCode::OK, sign_in_page(next, "", None, super::sso::link(&state, next))))
}

/// Signs in: a new session (a new token, whatever cookie came with the request, so one
/// planted beforehand is never the one signed in), and on to `next`.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = open_form(&req, &body)?;
    let next = safe_next(form.get("next")).to_string();
    if let Some(ip) = state.proxies.client_ip(&req) {
        limit_ip(&req, &state.limiters, ip).await?;
    }
    let address = normalize_email(form.get("email")).unwrap_or_default();
    limit(&req, &state.limiters, &[Subject::SignIn(&address)]).await?;
    let password = SecretString::from(form.get("password").to_string());
    let user = match accounts::sign_in(&state.db, form.get("email"), password).await {
        Ok(user) => user,
        Err(SignInError::Refused) => {
            let wrong = Some("The email or the password is wrong.");
            let page = sign_in_page(&next, form.get("email"), wrong, super::sso::link(&state, &next));
            return Ok(html(StatusCode::UNAUTHORIZED, page));
        }
        Err(SignInError::Store(e)) => return Err(e.into()),
    };
    begin(&req, &state, &user, &next).await
}

/// Starts a session for `user` (ending the one the browser had, if any) and goes to `next`.
pub(super) async fn begin(
    req: &HttpRequest,
    state: &AppState,
    user: &User,
    next: &str,
) -> Result<HttpResponse, ConsoleError> {
    if let Some(old) = session_token(req) {
        if let Some((old_id, old_user)) = accounts::session_user(&state.db, &old).await? {
            accounts::end_sessions(&state.db, &old_user, Some(old_id)).await?;
        }
    }
    let agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let started = accounts::start_session(&state.db, user, agent).await?;
    Ok(start_session(req, &started.token, next))
}

/// Signs out: ends this session on the server, not only its cookie.
pub async fn sign_out(
    req: HttpRequest,
    signed: Signed,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &signed)?;
    accounts::end_sessions(&state.db, &signed.user, Some(signed.session_id)).await?;
    let mut response = see_other(SIGN_IN_PATH);
    let _ = response.add_cookie(&end_session(&req));
    Ok(response)
}

fn setup_page(token: &str, form: Option<&Form>, error: Option<&str>) -> Markup {
    let value = |name: &str| form.map_or("", |f| f.get(name)).to_string();
    frame(
        Place::Outside,
        "Welcome to feedbackd",
        None,
        html! {
            p { "Create the first account. It administers every project; invite the others once you are in." }
            @if let Some(error) = error { p class="error" role="alert" { (error) } }
            form method="post" action="/console/setup" class="stack narrow" {
                input type="hidden" name="token" value=(token);
                label for="name" { "Your name" }
                input id="name" name="name" type="text" autocomplete="name" value=(value("name"));
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="username" required value=(value("email"));
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="new-password" required
                    minlength=(MIN_PASSWORD_CHARS) aria-describedby="password-help";
                p id="password-help" class="muted" { "At least " (MIN_PASSWORD_CHARS) " characters." }
                button type="submit" { "Create the account" }
            }
        },
    )
}

fn setup_closed() -> Markup {
    frame(
        Place::Outside,
        "Set up feedbackd",
        None,
        html! {
            p { "This page needs the first-run link that " code { "feedbackd serve" }
                " prints when it starts its own database, or the token in " code { "FEEDBACKD_SETUP_TOKEN" } "." }
            p { "Or create the first account on the server: " code { "feedbackd user create --admin you@example.com" } }
        },
    )
}

/// The first-run page: open while no account exists, to whoever holds the setup token
/// (printed by the embedded default, or set by the operator).
pub async fn setup_form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    if console::has_users(&state.db).await? {
        return Ok(see_other(SIGN_IN_PATH));
    }
    let token = query_value(&req, "token");
    match &state.setup_token {
        Some(expected) if same_secret(&token, expected.expose_secret()) => {
            Ok(html(StatusCode::OK, setup_page(&token, None, None)))
        }
        _ => Ok(html(StatusCode::FORBIDDEN, setup_closed())),
    }
}

/// Creates the first account (an admin) and signs it in.
pub async fn setup(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = open_form(&req, &body)?;
    if let Some(ip) = state.proxies.client_ip(&req) {
        limit_ip(&req, &state.limiters, ip).await?;
    }
    let token = form.get("token");
    if !state.setup_token.as_ref().is_some_and(|t| same_secret(token, t.expose_secret())) {
        return Ok(html(StatusCode::FORBIDDEN, setup_closed()));
    }
    let password = SecretString::from(form.get("password").to_string());
    match console::first_admin(&state.db, form.get("email"), form.get("name"), password).await {
        Ok(user) => begin(&req, &state, &user, "/console/").await,
        Err(ManageError::Invalid(errors)) => {
            let message = layout::sentence(&errors);
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, setup_page(token, Some(&form), Some(&message))))
        }
        Err(ManageError::Conflict(_)) => Ok(see_other(SIGN_IN_PATH)),
        Err(e) => Err(e.into()),
    }
}

/// Where invitation links lead (`/console/join#fbk_inv_…`): the token rides in the
/// fragment, which browsers never send, so it stays out of logs and `Referer`s.
pub const JOIN_PATH: &str = "/console/join";

fn join_page(signed_in: Option<&str>, step: JoinStep<'_>) -> Markup {
    frame(
        Place::Outside,
        "Join a project",
        None,
        html! {
            @match step {
                JoinStep::Paste(error) => {
                    (layout::link_form(JOIN_PATH, "fbk_inv_", "Invitation link", "Open the invitation", error))
                }
                JoinStep::Open { token, project, role, error, form } => {
                    p { "You are invited to " strong { (project) } " as " strong { (role) } "." }
                    @if let Some(error) = error { p class="error" role="alert" { (error) } }
                    @if let Some(email) = signed_in {
                        form method="post" action=(JOIN_PATH) class="stack narrow" {
                            input type="hidden" name="token" value=(token);
                            input type="hidden" name="accept" value="signed-in";
                            p { "You are signed in as " (email) "." }
                            button type="submit" { "Accept and open the project" }
                        }
                    } @else {
                        form method="post" action=(JOIN_PATH) class="stack narrow" {
                            input type="hidden" name="token" value=(token);
                            input type="hidden" name="accept" value="new";
                            label for="name" { "Your name" }
                            input id="name" name="name" type="text" autocomplete="name" value=(form.map_or("", |f| f.get("name")));
                            label for="email" { "Email" }
                            input id="email" name="email" type="email" autocomplete="username" required
                                value=(form.map_or("", |f| f.get("email")));
                            label for="password" { "Choose a password" }
                            input id="password" name="password" type="password" autocomplete="new-password" required
                                minlength=(MIN_PASSWORD_CHARS);
                            button type="submit" { "Create my account and join" }
                        }
                        p class="muted" { "Already have an account? "
                            a href=(format!("{SIGN_IN_PATH}?next={}", layout::urlencode(JOIN_PATH))) { "Sign in" }
                            ", then open the link again." }
                    }
                }
            }
        },
    )
}

enum JoinStep<'a> {
    Paste(Option<&'a str>),
    Open { token: &'a str, project: &'a str, role: &'a str, error: Option<String>, form: Option<&'a Form> },
}

/// The invitation page: its script posts the token from the fragment; without
/// JavaScript, a field to paste the link.
pub async fn join_form() -> HttpResponse {
    html(StatusCode::OK, join_page(None, JoinStep::Paste(None)))
}

/// Opens an invitation (shows what it is), or accepts it: as the signed-in person, or
/// with a new account made from the form.
pub async fn join(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = open_form(&req, &body)?;
    if let Some(ip) = state.proxies.client_ip(&req) {
        limit_ip(&req, &state.limiters, ip).await?;
    }
    let pasted = form.get("token");
    let token = pasted.rsplit('#').next().unwrap_or("").trim().to_string();
    let me = match session_token(&req) {
        Some(t) => accounts::session_user(&state.db, &t).await?.map(|(_, user)| user),
        None => None,
    };
    let refused = |status: StatusCode, e: &InvitationError| {
        html(status, join_page(None, JoinStep::Paste(Some(&format!("{}.", capitalize(&e.to_string()))))))
    };
    let invitee = match console::invitation(&state.db, &token).await {
        Ok(invitee) => invitee,
        Err(InvitationError::Store(e)) => return Err(e.into()),
        Err(e) => return Ok(refused(StatusCode::GONE, &e)),
    };
    let role = invitee.invitation.role.to_string();
    let open = |error: Option<String>, status: StatusCode| {
        let step = JoinStep::Open {
            token: &token,
            project: &invitee.project_name,
            role: &role,
            error,
            form: Some(&form),
        };
        html(status, join_page(me.as_ref().map(|u| u.email.as_str()), step))
    };
    let accepting = match (form.get("accept"), &me) {
        ("signed-in", Some(user)) => Accepting::Existing(user.clone()),
        ("new", _) => Accepting::New {
            email: form.get("email").to_string(),
            name: form.get("name").to_string(),
            password: SecretString::from(form.get("password").to_string()),
        },
        _ => return Ok(open(None, StatusCode::OK)),
    };
    let new_account = matches!(accepting, Accepting::New { .. });
    match console::accept(&state.db, &token, accepting).await {
        Ok((user, project_id)) => {
            let home = format!("/console/projects/{project_id}/surveys");
            if new_account {
                begin(&req, &state, &user, &home).await
            } else {
                Ok(see_other(&home))
            }
        }
        Err(InvitationError::Invalid(ManageError::Invalid(errors))) => {
            let message = layout::sentence(&errors);
            Ok(open(Some(message), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(InvitationError::Invalid(ManageError::Conflict(message))) => {
            Ok(open(Some(message), StatusCode::CONFLICT))
        }
        Err(InvitationError::OtherAddress) => {
            Ok(open(Some(InvitationError::OtherAddress.to_string()), StatusCode::FORBIDDEN))
        }
        Err(InvitationError::Store(e) | InvitationError::Invalid(ManageError::Store(e))) => Err(e.into()),
        Err(e) => Ok(refused(StatusCode::GONE, &e)),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// A refusal as an [`ApiError`], for the JSON-free pages that need one.
pub fn forbidden(detail: &str) -> ApiError {
    ApiError::Forbidden { kind: "console", detail: detail.into() }
}
