//! Queries on API keys. Keys are found by the SHA-256 of the presented token.

use super::models::{ApiKey, NewApiKey, Project};
use super::schema::{api_keys, projects};
use super::StoreError;
use diesel::prelude::*;
use uuid::Uuid;

/// Stores a new key (its hash, never its token).
pub fn create(conn: &mut PgConnection, new: &NewApiKey<'_>) -> Result<ApiKey, StoreError> {
    Ok(diesel::insert_into(api_keys::table).values(new).returning(ApiKey::as_returning()).get_result(conn)?)
}

/// The key with this token hash and its project, revoked or not.
pub fn find_by_hash(conn: &mut PgConnection, hash: &[u8]) -> Result<Option<(ApiKey, Project)>, StoreError> {
    Ok(api_keys::table
        .inner_join(projects::table)
        .filter(api_keys::token_hash.eq(hash))
        .select((ApiKey::as_select(), Project::as_select()))
        .first(conn)
        .optional()?)
}

/// A project's key by id, revoked or not, with its project.
pub fn find(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<(ApiKey, Project)>, StoreError> {
    Ok(api_keys::table
        .inner_join(projects::table)
        .filter(api_keys::project_id.eq(project_id).and(api_keys::id.eq(id)))
        .select((ApiKey::as_select(), Project::as_select()))
        .first(conn)
        .optional()?)
}

/// Records that a key was used. Called when a lookup misses the cache, not per request.
pub fn touch(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<(), StoreError> {
    diesel::update(api_keys::table.find((project_id, id)))
        .set(api_keys::last_used_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

/// A project's keys, newest first.
pub fn list(conn: &mut PgConnection, project_id: Uuid) -> Result<Vec<ApiKey>, StoreError> {
    Ok(api_keys::table
        .filter(api_keys::project_id.eq(project_id))
        .select(ApiKey::as_select())
        .order(api_keys::created_at.desc())
        .load(conn)?)
}

/// Revokes a key of the project; `None` if the project has no such key. Revoking twice keeps
/// the first revocation time.
pub fn revoke(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
    conn.transaction(|conn| {
        diesel::update(api_keys::table.find((project_id, id)))
            .filter(api_keys::revoked_at.is_null())
            .set(api_keys::revoked_at.eq(diesel::dsl::now))
            .execute(conn)?;
        Ok(api_keys::table.find((project_id, id)).select(ApiKey::as_select()).first(conn).optional()?)
    })
}
