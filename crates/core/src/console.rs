//! The console's rules beyond accounts (issue 23): the first-run account, the projects a
//! person may open, invitations by link, and the audit log.

use crate::accounts::{check_new_user, hash_off_async};
use crate::manage::ManageError;
use chrono::{DateTime, Utc};
use feedbackd_domain::accounts::normalize_email;
use feedbackd_domain::{hash_token, FieldError, NewToken, Role, INVITATION_TOKEN_PREFIX, RESET_TOKEN_PREFIX};
use feedbackd_store::accounts::{self as account_store, User};
use feedbackd_store::console::{self as store, Actor, AuditEvent, Change, Invitation};
use feedbackd_store::models::Project;
use feedbackd_store::{transaction, Db, StoreError};
use secrecy::SecretString;
use uuid::Uuid;

/// How long an invitation link stays open.
pub const INVITATION_LIFETIME: chrono::Duration = chrono::Duration::days(7);
/// How long a password reset link stays open.
pub const RESET_LIFETIME: chrono::Duration = chrono::Duration::hours(24);
/// Most accounts the administrators' page lists.
pub const MAX_LISTED_USERS: i64 = 1000;
/// Entries per page of the audit log.
pub const AUDIT_PAGE: i64 = 50;

/// Makes the first account, an admin, if there is none yet; a conflict once there is one.
pub async fn first_admin(
    db: &Db,
    email: &str,
    name: &str,
    password: SecretString,
) -> Result<User, ManageError> {
    let email = check_new_user(email, name, Some(&password))?;
    let hash = hash_off_async(password).await?;
    let name = name.to_string();
    let user = db
        .run(move |conn| transaction(conn, |conn| store::insert_first_admin(conn, &email, &name, &hash)))
        .await?;
    user.ok_or_else(|| ManageError::Conflict("the console already has an account: sign in".into()))
}

/// Whether any account exists.
pub async fn has_users(db: &Db) -> Result<bool, StoreError> {
    db.run(store::has_users).await
}

/// The projects `user` may open, with their role in each.
pub async fn projects_of(db: &Db, user: &User) -> Result<Vec<(Project, Role)>, StoreError> {
    let user = user.clone();
    db.run(move |conn| store::projects_of(conn, &user)).await
}

/// One project `user` may open, with their role in it; `None` when they may not (or it
/// does not exist: the two look alike).
pub async fn project_of(
    db: &Db,
    user: &User,
    project_id: Uuid,
) -> Result<Option<(Project, Role)>, StoreError> {
    let user = user.clone();
    db.run(move |conn| store::project_of(conn, &user, project_id)).await
}

/// A project's members and their roles.
pub async fn members(db: &Db, project_id: Uuid) -> Result<Vec<(User, Role)>, StoreError> {
    db.run(move |conn| store::members(conn, project_id)).await
}

/// An account by id.
pub async fn user_by_id(db: &Db, user_id: Uuid) -> Result<Option<User>, StoreError> {
    db.run(move |conn| store::user_by_id(conn, user_id)).await
}

/// An invitation just made: its link's token, shown once, and its record.
pub struct Invited {
    pub token: SecretString,
    pub invitation: Invitation,
}

/// Invites someone to `project_id` with `role`: anyone holding the link, or only the
/// account of `email` when one is given.
pub async fn invite(
    db: &Db,
    project_id: Uuid,
    role: Role,
    email: &str,
    by: &User,
) -> Result<Invited, ManageError> {
    let email = match email.trim() {
        "" => String::new(),
        given => normalize_email(given).ok_or_else(|| {
            ManageError::Invalid(vec![FieldError::new("email", "must be an email address, or empty")])
        })?,
    };
    let token = NewToken::invitation();
    let (hash, by, expires) = (token.hash, by.id, Utc::now() + INVITATION_LIFETIME);
    let invitation = db
        .run(move |conn| store::insert_invitation(conn, project_id, &hash, role, &email, by, expires))
        .await?;
    Ok(Invited { token: SecretString::from(token.plaintext), invitation })
}

/// What an invitation link leads to, before it is accepted.
pub struct Invitee {
    pub invitation: Invitation,
    pub project_name: String,
}

/// Why an invitation cannot be accepted. One answer for an unknown, used, revoked or
/// expired link would hide nothing worth hiding (tokens cannot be guessed), so people are
/// told which.
#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("this invitation link is not valid")]
    Unknown,
    #[error("this invitation has already been used")]
    Used,
    #[error("this invitation has been revoked")]
    Revoked,
    #[error("this invitation has expired; ask for a new one")]
    Expired,
    #[error("this invitation is for another email address")]
    OtherAddress,
    #[error(transparent)]
    Invalid(#[from] ManageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Invitee {
    /// Why it cannot be accepted at `now`, if it cannot.
    fn refusal(&self, now: DateTime<Utc>) -> Option<InvitationError> {
        let i = &self.invitation;
        match () {
            _ if i.accepted_at.is_some() => Some(InvitationError::Used),
            _ if i.revoked_at.is_some() => Some(InvitationError::Revoked),
            _ if i.expires_at <= now => Some(InvitationError::Expired),
            _ => None,
        }
    }
}

/// The open invitation of a link's token.
pub async fn invitation(db: &Db, token: &str) -> Result<Invitee, InvitationError> {
    if !token.starts_with(INVITATION_TOKEN_PREFIX) {
        return Err(InvitationError::Unknown);
    }
    let hash = hash_token(token);
    let found = db.run(move |conn| store::invitation_by_token(conn, &hash)).await?;
    let (invitation, project_name) = found.ok_or(InvitationError::Unknown)?;
    let invitee = Invitee { invitation, project_name };
    match invitee.refusal(Utc::now()) {
        Some(refused) => Err(refused),
        None => Ok(invitee),
    }
}

/// Who accepts an invitation: a signed-in person, or a new account made with it.
pub enum Accepting {
    Existing(User),
    New { email: String, name: String, password: SecretString },
}

/// Accepts an invitation, once: the account (made here for a newcomer, in the same
/// transaction) gets the invitation's role in its project, or keeps a stronger one it
/// already has. Returns the account and the project.
pub async fn accept(db: &Db, token: &str, who: Accepting) -> Result<(User, Uuid), InvitationError> {
    let invitee = invitation(db, token).await?;
    let restricted = invitee.invitation.email.clone();
    let new = match who {
        Accepting::Existing(user) => Err(user),
        Accepting::New { email, name, password } => {
            let email = check_new_user(&email, &name, Some(&password))?;
            Ok((email, name, hash_off_async(password).await?))
        }
    };
    let hash = hash_token(token);
    db.run(move |conn| {
        transaction(conn, |conn| {
            let user = match new {
                Err(user) => user,
                Ok((email, name, password_hash)) => {
                    account_store::insert_user(conn, &email, &name, Some(&password_hash), false)?.ok_or_else(
                        || {
                            ManageError::Conflict(format!(
                                "{email} already has an account: sign in, then open the link"
                            ))
                        },
                    )?
                }
            };
            if !restricted.is_empty() && restricted != user.email {
                return Err(InvitationError::OtherAddress);
            }
            let taken = store::take_invitation(conn, &hash, user.id, Utc::now())?;
            let invitation = taken.ok_or(InvitationError::Used)?;
            let current = account_store::role_in(conn, invitation.project_id, user.id)?;
            if current.map_or(true, |held| held.rank() < invitation.role.rank()) {
                account_store::set_role(conn, invitation.project_id, user.id, invitation.role)?;
            }
            let actor = Actor::User { id: user.id, email: user.email.clone() };
            let detail = serde_json::json!({"role": invitation.role, "invitation": invitation.id});
            store::record(
                conn,
                &Change {
                    project_id: invitation.project_id,
                    actor: &actor,
                    action: "invitation.accept",
                    target: &user.email,
                    detail,
                },
            )?;
            Ok((user, invitation.project_id))
        })
    })
    .await
}

/// A project's recent invitations.
pub async fn invitations(db: &Db, project_id: Uuid) -> Result<Vec<Invitation>, StoreError> {
    db.run(move |conn| store::list_invitations(conn, project_id, Utc::now())).await
}

/// Revokes an open invitation; whether there was one.
pub async fn revoke_invitation(db: &Db, project_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
    db.run(move |conn| store::revoke_invitation(conn, project_id, id, Utc::now())).await
}

/// Appends a change, already committed, to the project's audit log. A failure here is
/// logged, not returned: answering an error for a change that was made would have the
/// caller retry it (a second key, whose token the first answer never showed).
pub async fn record(
    db: &Db,
    project_id: Uuid,
    actor: Actor,
    action: &'static str,
    target: &str,
    detail: serde_json::Value,
) {
    let entry = target.to_string();
    let written = db
        .run(move |conn| {
            store::record(conn, &Change { project_id, actor: &actor, action, target: &entry, detail })
        })
        .await;
    if let Err(error) = written {
        tracing::error!(%project_id, action, target, %error, "a change was made but its audit log entry was not written");
    }
}

/// A page of the project's audit log, newest first, before the entry `before`.
pub async fn audit_log(
    db: &Db,
    project_id: Uuid,
    before: Option<i64>,
) -> Result<Vec<AuditEvent>, StoreError> {
    db.run(move |conn| store::audit_log(conn, project_id, before, AUDIT_PAGE)).await
}

/// Every account (at most [`MAX_LISTED_USERS`]), for the administrators' page.
pub async fn users(db: &Db) -> Result<Vec<User>, StoreError> {
    db.run(|conn| store::list_users(conn, MAX_LISTED_USERS)).await
}

/// Makes a one-time link that sets a new password for `user_id` (an administrator's
/// reset: nobody learns the old password, and no mail server is needed); its token.
pub async fn reset_link(db: &Db, user_id: Uuid, by: &User) -> Result<SecretString, ManageError> {
    let token = NewToken::password_reset();
    let (hash, by, expires) = (token.hash, by.id, Utc::now() + RESET_LIFETIME);
    db.run(move |conn| {
        store::user_by_id(conn, user_id)?.ok_or_else(|| ManageError::NotFound("no such account".into()))?;
        store::insert_reset(conn, user_id, &hash, by, expires)?;
        Ok::<_, ManageError>(())
    })
    .await?;
    Ok(SecretString::from(token.plaintext))
}

/// The account an open reset link is for; `None` when the link is unknown, used or expired.
pub async fn reset_for(db: &Db, token: &str) -> Result<Option<User>, StoreError> {
    if !token.starts_with(RESET_TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = hash_token(token);
    db.run(move |conn| store::reset_user(conn, &hash, Utc::now())).await
}

/// Sets a new password with a reset link, once: in one transaction the link is used, the
/// hash replaced and every session of the account ended. `Ok(None)`: the link was not open.
pub async fn reset_password(
    db: &Db,
    token: &str,
    password: SecretString,
) -> Result<Option<User>, ManageError> {
    if !token.starts_with(RESET_TOKEN_PREFIX) {
        return Ok(None);
    }
    let user = reset_for(db, token).await?;
    let Some(user) = user else { return Ok(None) };
    check_new_user(&user.email, &user.name, Some(&password))?;
    let password_hash = hash_off_async(password).await?;
    let hash = hash_token(token);
    db.run(move |conn| {
        transaction(conn, |conn| {
            let now = Utc::now();
            let Some(user_id) = store::take_reset(conn, &hash, now)? else { return Ok(None) };
            store::set_password(conn, user_id, &password_hash)?;
            account_store::revoke_sessions(conn, user_id, None, now)?;
            Ok::<_, ManageError>(Some(user))
        })
    })
    .await
}
