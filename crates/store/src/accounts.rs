//! Accounts of the console (issue 23): people, and their role in each project.

use super::schema::{memberships, users};
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
