//! What the console (issue 23) keeps besides accounts and sessions: who is a member of a
//! project, invitations by link, and the audit log of who changed what.

use super::accounts::User;
use super::models::Project;
use super::schema::{audit_events, invitations, memberships, password_resets, projects, users};
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use feedbackd_domain::Role;
use uuid::Uuid;

/// The projects `user` may open: every one for an admin, else those they have a role in,
/// with that role (an admin's is `owner`), by name.
pub fn projects_of(conn: &mut PgConnection, user: &User) -> Result<Vec<(Project, Role)>, StoreError> {
    if user.is_admin {
        let all = projects::table.order((projects::name, projects::id)).load::<Project>(conn)?;
        return Ok(all.into_iter().map(|p| (p, Role::Owner)).collect());
    }
    Ok(projects::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user.id))
        .order((projects::name, projects::id))
        .select((Project::as_select(), memberships::role))
        .load(conn)?)
}

/// The members of a project and their roles, by address.
pub fn members(conn: &mut PgConnection, project_id: Uuid) -> Result<Vec<(User, Role)>, StoreError> {
    Ok(memberships::table
        .inner_join(users::table)
        .filter(memberships::project_id.eq(project_id))
        .order(users::email)
        .select((User::as_select(), memberships::role))
        .load(conn)?)
}

/// An account by id.
pub fn user_by_id(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<User>, StoreError> {
    Ok(users::table.find(user_id).select(User::as_select()).first(conn).optional()?)
}

/// Adds the first account, an admin, only while there is none: the first-run page's
/// one use, in the caller's transaction. `Ok(None)` when someone was first. The table lock makes two first-runs at
/// once take turns, so only one of them finds the table empty.
pub fn insert_first_admin(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<Option<User>, StoreError> {
    diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(conn)?;
    let any: i64 = users::table.count().get_result(conn)?;
    if any > 0 {
        return Ok(None);
    }
    super::accounts::insert_user(conn, email, name, Some(password_hash), true)
}

/// Whether any account exists (the first-run page is open until one does).
pub fn has_users(conn: &mut PgConnection) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)?)
}

/// An invitation as its project's owners list it (never its token).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub project_id: Uuid,
    pub id: Uuid,
    pub role: Role,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Records an invitation under the hash of its token.
pub fn insert_invitation(
    conn: &mut PgConnection,
    project_id: Uuid,
    token_hash: &[u8; 32],
    role: Role,
    email: &str,
    created_by: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<Invitation, StoreError> {
    Ok(diesel::insert_into(invitations::table)
        .values((
            invitations::project_id.eq(project_id),
            invitations::token_hash.eq(token_hash.as_slice()),
            invitations::role.eq(role),
            invitations::email.eq(email),
            invitations::created_by.eq(created_by),
            invitations::expires_at.eq(expires_at),
        ))
        .returning(Invitation::as_returning())
        .get_result(conn)?)
}

/// A project's invitations, newest first: the open ones and the last month's others.
pub fn list_invitations(
    conn: &mut PgConnection,
    project_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Invitation>, StoreError> {
    Ok(invitations::table
        .filter(invitations::project_id.eq(project_id))
        .filter(invitations::created_at.gt(now - chrono::Duration::days(30)))
        .order(invitations::created_at.desc())
        .limit(200)
        .select(Invitation::as_select())
        .load(conn)?)
}

/// The invitation of a token (by its hash), whatever its state, with its project's name.
pub fn invitation_by_token(
    conn: &mut PgConnection,
    token_hash: &[u8; 32],
) -> Result<Option<(Invitation, String)>, StoreError> {
    Ok(invitations::table
        .inner_join(projects::table)
        .filter(invitations::token_hash.eq(token_hash.as_slice()))
        .select((Invitation::as_select(), projects::name))
        .first(conn)
        .optional()?)
}

/// Marks the invitation of a token accepted by `user_id`, if it is still open at `now`;
/// the one statement that decides, so a link works once even when two people click it
/// at the same moment.
pub fn take_invitation(
    conn: &mut PgConnection,
    token_hash: &[u8; 32],
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, StoreError> {
    Ok(diesel::update(invitations::table)
        .filter(invitations::token_hash.eq(token_hash.as_slice()))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::revoked_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .set((invitations::accepted_at.eq(now), invitations::accepted_by.eq(user_id)))
        .returning(Invitation::as_returning())
        .get_result(conn)
        .optional()?)
}

/// Revokes an open invitation of the project; whether there was one.
pub fn revoke_invitation(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = diesel::update(invitations::table.find((project_id, id)))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::revoked_at.is_null())
        .set(invitations::revoked_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

/// Who did something: a person, or a key.
#[derive(Debug, Clone)]
pub enum Actor {
    User { id: Uuid, email: String },
    Key { id: Uuid, name: String },
}

/// One change, as it goes into the audit log.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub project_id: Uuid,
    pub actor: &'a Actor,
    /// What was done, as `thing.verb` (`survey.create`, `member.remove`).
    pub action: &'a str,
    /// What it was done to (a survey's key, a member's address, a key's name).
    pub target: &'a str,
    pub detail: serde_json::Value,
}

/// Appends a change to its project's audit log (in the caller's transaction).
pub fn record(conn: &mut PgConnection, change: &Change<'_>) -> Result<(), StoreError> {
    let (user_id, key_id, actor) = match change.actor {
        Actor::User { id, email } => (Some(*id), None, email.as_str()),
        Actor::Key { id, name } => (None, Some(*id), name.as_str()),
    };
    let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::project_id.eq(change.project_id),
            audit_events::user_id.eq(user_id),
            audit_events::key_id.eq(key_id),
            audit_events::actor.eq(clip(actor, 300)),
            audit_events::action.eq(clip(change.action, 100)),
            audit_events::target.eq(clip(change.target, 300)),
            audit_events::detail.eq(&change.detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// One entry of the audit log.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Set when an API key made the change (`actor` is then the key's name).
    pub key_id: Option<Uuid>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// A page of the project's audit log, newest first, before the entry `before` (an id).
pub fn audit_log(
    conn: &mut PgConnection,
    project_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut query = audit_events::table
        .filter(audit_events::project_id.eq(project_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .select(AuditEvent::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// One project `user` may open, with their role in it (an admin's is `owner`).
pub fn project_of(
    conn: &mut PgConnection,
    user: &User,
    project_id: Uuid,
) -> Result<Option<(Project, Role)>, StoreError> {
    if user.is_admin {
        return Ok(super::projects::find(conn, project_id)?.map(|p| (p, Role::Owner)));
    }
    Ok(projects::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user.id).and(projects::id.eq(project_id)))
        .select((Project::as_select(), memberships::role))
        .first(conn)
        .optional()?)
}

/// Every account, by address (the administrators' page), at most `limit`.
pub fn list_users(conn: &mut PgConnection, limit: i64) -> Result<Vec<User>, StoreError> {
    Ok(users::table.order(users::email).limit(limit).select(User::as_select()).load(conn)?)
}

/// Records a password reset link of `user_id`, made by `created_by`, under its token's hash.
pub fn insert_reset(
    conn: &mut PgConnection,
    user_id: Uuid,
    token_hash: &[u8; 32],
    created_by: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user_id),
            password_resets::token_hash.eq(token_hash.as_slice()),
            password_resets::created_by.eq(created_by),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The account an open reset link (by its hash) is for, if the link is unused and live.
pub fn reset_user(
    conn: &mut PgConnection,
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<User>, StoreError> {
    Ok(password_resets::table
        .inner_join(users::table.on(users::id.eq(password_resets::user_id)))
        .filter(password_resets::token_hash.eq(token_hash.as_slice()))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Uses a reset link: marks it used if it was open, in one statement; its account's id.
pub fn take_reset(
    conn: &mut PgConnection,
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    Ok(diesel::update(password_resets::table)
        .filter(password_resets::token_hash.eq(token_hash.as_slice()))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now))
        .set(password_resets::used_at.eq(now))
        .returning(password_resets::user_id)
        .get_result(conn)
        .optional()?)
}

/// Sets an account's password hash.
pub fn set_password(conn: &mut PgConnection, user_id: Uuid, password_hash: &str) -> Result<(), StoreError> {
    diesel::update(users::table.find(user_id)).set(users::password_hash.eq(password_hash)).execute(conn)?;
    Ok(())
}
