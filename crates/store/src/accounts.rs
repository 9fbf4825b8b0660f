//! Accounts of the console (issue 23): people, and their role in each project.

use super::schema::{console_sessions, memberships, users};
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use feedbackd_domain::Role;
use uuid::Uuid;

/// A person who signs in to the console. The password hash stays in the store.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// Adds a person; `Ok(None)` when the address already has an account.
pub fn insert_user(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    password_hash: Option<&str>,
    is_admin: bool,
) -> Result<Option<User>, StoreError> {
    let inserted = diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::name.eq(name),
            users::password_hash.eq(password_hash),
            users::is_admin.eq(is_admin),
        ))
        .returning(User::as_returning())
        .get_result(conn);
    match inserted {
        Ok(user) => Ok(Some(user)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The account of `email` (normalised) and its password hash, if there is one.
pub fn user_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<(User, Option<String>)>, StoreError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select((User::as_select(), users::password_hash))
        .first(conn)
        .optional()?)
}

/// Gives `user` `role` in `project`, or changes it; false when the project does not exist.
pub fn set_role(
    conn: &mut PgConnection,
    project_id: Uuid,
    user_id: Uuid,
    role: Role,
) -> Result<bool, StoreError> {
    let written = diesel::insert_into(memberships::table)
        .values((
            memberships::project_id.eq(project_id),
            memberships::user_id.eq(user_id),
            memberships::role.eq(role),
        ))
        .on_conflict((memberships::project_id, memberships::user_id))
        .do_update()
        .set(memberships::role.eq(role))
        .execute(conn);
    match written {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// `user`'s role in `project`, if any.
pub fn role_in(conn: &mut PgConnection, project_id: Uuid, user_id: Uuid) -> Result<Option<Role>, StoreError> {
    Ok(memberships::table
        .filter(memberships::project_id.eq(project_id).and(memberships::user_id.eq(user_id)))
        .select(memberships::role)
        .first::<Role>(conn)
        .optional()?)
}

/// A signed-in session, as its owner lists it (never its token).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = console_sessions)]
pub struct Session {
    pub id: Uuid,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Records a new session of `user_id` under the hash of its token.
pub fn insert_session(
    conn: &mut PgConnection,
    user_id: Uuid,
    token_hash: &[u8; 32],
    user_agent: &str,
    expires_at: DateTime<Utc>,
) -> Result<Session, StoreError> {
    Ok(diesel::insert_into(console_sessions::table)
        .values((
            console_sessions::user_id.eq(user_id),
            console_sessions::token_hash.eq(token_hash.as_slice()),
            console_sessions::user_agent.eq(user_agent),
            console_sessions::expires_at.eq(expires_at),
        ))
        .returning(Session::as_returning())
        .get_result(conn)?)
}

/// The session of a token (by its hash) and its person, if the session is neither revoked
/// nor expired and the account is not disabled. Marks the session seen, at most once a
/// minute, so that reading pages does not write on every request.
pub fn session_user(
    conn: &mut PgConnection,
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, User)>, StoreError> {
    let live = console_sessions::table
        .inner_join(users::table)
        .filter(console_sessions::token_hash.eq(token_hash.as_slice()))
        .filter(console_sessions::revoked_at.is_null())
        .filter(console_sessions::expires_at.gt(now))
        .filter(users::disabled_at.is_null())
        .select((console_sessions::id, console_sessions::last_seen_at, User::as_select()))
        .first::<(Uuid, DateTime<Utc>, User)>(conn)
        .optional()?;
    let Some((session_id, seen, user)) = live else { return Ok(None) };
    if now - seen > chrono::Duration::minutes(1) {
        diesel::update(console_sessions::table.find((user.id, session_id)))
            .set(console_sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some((session_id, user)))
}

/// `user_id`'s live sessions, newest first.
pub fn list_sessions(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, StoreError> {
    Ok(console_sessions::table
        .filter(console_sessions::user_id.eq(user_id))
        .filter(console_sessions::revoked_at.is_null())
        .filter(console_sessions::expires_at.gt(now))
        .order(console_sessions::created_at.desc())
        .select(Session::as_select())
        .load(conn)?)
}

/// Ends one of `user_id`'s sessions (`Some`), or all of them (`None`); how many ended.
pub fn revoke_sessions(
    conn: &mut PgConnection,
    user_id: Uuid,
    session: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut target = diesel::update(console_sessions::table)
        .filter(console_sessions::user_id.eq(user_id))
        .filter(console_sessions::revoked_at.is_null())
        .into_boxed();
    if let Some(id) = session {
        target = target.filter(console_sessions::id.eq(id));
    }
    Ok(target.set(console_sessions::revoked_at.eq(now)).execute(conn)?)
}

/// Disables an account: it can no longer sign in, and its sessions end now.
pub fn disable_user(conn: &mut PgConnection, user_id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let n = diesel::update(users::table.find(user_id)).set(users::disabled_at.eq(now)).execute(conn)?;
    revoke_sessions(conn, user_id, None, now)?;
    Ok(n == 1)
}

/// Takes `user_id`'s role in `project_id` away; whether there was one. Access is checked
/// against memberships on every request, so it ends at once.
pub fn remove_member(conn: &mut PgConnection, project_id: Uuid, user_id: Uuid) -> Result<bool, StoreError> {
    let n = diesel::delete(memberships::table.find((project_id, user_id))).execute(conn)?;
    Ok(n == 1)
}
