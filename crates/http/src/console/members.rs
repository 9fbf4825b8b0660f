//! A project's members and invitations: who has which role, invitations by link (shown
//! once to the inviter), changing a role, removing a member. Owners only (`admin`), as
//! keys and webhooks are. Removing a member ends their access at once: every console
//! request reads the membership.

use super::auth::{see_other, session_form, ConsoleError, Member};
use super::layout::{self, button_form, frame};
use super::sign_in::JOIN_PATH;
use super::surveys::audit;
use crate::pages::sign_in::html;
use crate::{ApiError, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::{accounts, console};
use feedbackd_domain::{Role, Scope};
use maud::html;
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;

const ROLES: &[(Role, &str)] = &[
    (Role::Viewer, "Viewer: reports and exports"),
    (Role::Editor, "Editor: surveys, share links, exports"),
    (Role::Owner, "Owner: everything, keys and members included"),
];

fn role_select(name: &str, id: &str, selected: Role) -> maud::Markup {
    html! {
        select name=(name) id=(id) {
            @for (role, label) in ROLES { option value=(role) selected[*role == selected] { (label) } }
        }
    }
}

/// The members page; `invited` is a link just made, shown this once.
async fn render(
    state: &AppState,
    m: &Member,
    invited: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let members = console::members(&state.db, m.project.id).await?;
    let invitations = console::invitations(&state.db, m.project.id).await?;
    let now = chrono::Utc::now();
    let csrf = &m.signed.csrf;
    let body = html! {
        @if let Some(link) = invited {
            div class="reveal" role="status" {
                p { strong { "Invitation link" } " — copy it now; it is shown only once and works once, for 7 days:" }
                pre class="code" id="invitation-link" { (link) }
                button type="button" class="secondary" data-copy="invitation-link" hidden { "Copy the link" }
            }
        }
        h2 { "Members" }
        @if members.is_empty() { p { "No members yet: administrators see every project." } }
        @else {
            table {
                thead { tr { th scope="col" { "Person" } th scope="col" { "Role" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                tbody {
                    @for (user, role) in &members {
                        tr {
                            td { (user.email) @if !user.name.is_empty() { br; span class="muted" { (user.name) } } }
                            td {
                                form method="post" action=(m.path(&format!("/members/{}/role", user.id))) class="inline" {
                                    (layout::csrf_field(csrf))
                                    label for=(format!("role-{}", user.id)) class="visually-hidden" { "Role of " (user.email) }
                                    (role_select("role", &format!("role-{}", user.id), *role))
                                    button type="submit" class="secondary" { "Change" }
                                }
                            }
                            td { (button_form(&m.path(&format!("/members/{}/remove", user.id)), csrf, "Remove", Some("danger"))) }
                        }
                    }
                }
            }
        }
        h2 { "Invite someone" }
        form method="post" action=(m.path("/invitations")) class="stack narrow" {
            (layout::csrf_field(csrf))
            label for="invite-role" { "Role" }
            (role_select("role", "invite-role", Role::Viewer))
            label for="invite-email" { "Their email (optional)" }
            input id="invite-email" name="email" type="email" aria-describedby="invite-email-help";
            p id="invite-email-help" class="muted" { "Given, only that address can accept. No email is sent: you pass the link on." }
            button type="submit" { "Create an invitation link" }
        }
        @if !invitations.is_empty() {
            h2 { "Invitations" }
            table {
                thead { tr { th scope="col" { "Role" } th scope="col" { "For" } th scope="col" { "State" } th scope="col" { "Made" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                tbody {
                    @for i in &invitations {
                        @let open = i.accepted_at.is_none() && i.revoked_at.is_none() && i.expires_at > now;
                        tr {
                            td { (i.role) }
                            td { @if i.email.is_empty() { "anyone with the link" } @else { (i.email) } }
                            td { @if i.accepted_at.is_some() { "accepted" } @else if i.revoked_at.is_some() { "revoked" }
                                 @else if open { "open until " (layout::when(i.expires_at)) } @else { "expired" } }
                            td { (layout::when(i.created_at)) }
                            td { @if open { (button_form(&m.path(&format!("/invitations/{}/revoke", i.id)), csrf, "Revoke", Some("danger"))) } }
                        }
                    }
                }
            }
        }
    };
    let place = m.place("/members");
    Ok(html(status, frame(place, "Members", None, body)))
}

/// The members page.
pub async fn page(m: Member, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::Admin)?;
    render(&state, &m, None, StatusCode::OK).await
}

fn role_of(value: &str) -> Result<Role, ApiError> {
    value.parse().map_err(|_| ApiError::field("role", "must be owner, editor or viewer"))
}

/// Makes an invitation link and shows it once.
pub async fn invite(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = session_form(&req, &body, &m.signed)?;
    m.require(Scope::Admin)?;
    let role = role_of(form.get("role"))?;
    let invited = console::invite(&state.db, m.project.id, role, form.get("email"), &m.signed.user).await?;
    let target = if invited.invitation.email.is_empty() { "link" } else { invited.invitation.email.as_str() };
    audit(
        &state,
        &m,
        "invitation.create",
        target,
        json!({"role": role, "invitation": invited.invitation.id}),
    )
    .await;
    let info = req.connection_info().clone();
    let link = format!("{}://{}{JOIN_PATH}#{}", info.scheme(), info.host(), invited.token.expose_secret());
    render(&state, &m, Some(&link), StatusCode::CREATED).await
}

/// Revokes an open invitation.
pub async fn revoke_invitation(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &m.signed)?;
    m.require(Scope::Admin)?;
    let id = path.1;
    if !console::revoke_invitation(&state.db, m.project.id, id).await? {
        return Err(ApiError::NotFound("no open invitation with that id".into()).into());
    }
    audit(&state, &m, "invitation.revoke", &id.to_string(), json!({})).await;
    Ok(see_other(&m.path("/members")))
}

/// The member of this project the path names, with their account.
async fn member_of(
    state: &AppState,
    m: &Member,
    user_id: Uuid,
) -> Result<feedbackd_core::store::User, ConsoleError> {
    let members = console::members(&state.db, m.project.id).await?;
    members
        .into_iter()
        .find(|(u, _)| u.id == user_id)
        .map(|(u, _)| u)
        .ok_or_else(|| ApiError::NotFound("no such member of this project".into()).into())
}

/// Changes a member's role.
pub async fn set_role(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = session_form(&req, &body, &m.signed)?;
    m.require(Scope::Admin)?;
    let role = role_of(form.get("role"))?;
    let user = member_of(&state, &m, path.1).await?;
    accounts::set_role(&state.db, m.project.id, &user.email, role).await?;
    audit(&state, &m, "member.role", &user.email, json!({"role": role})).await;
    Ok(see_other(&m.path("/members")))
}

/// Removes a member: their next request to this project is refused.
pub async fn remove(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &m.signed)?;
    m.require(Scope::Admin)?;
    let user = member_of(&state, &m, path.1).await?;
    accounts::remove_member(&state.db, m.project.id, &user).await?;
    audit(&state, &m, "member.remove", &user.email, json!({})).await;
    Ok(see_other(&m.path("/members")))
}
