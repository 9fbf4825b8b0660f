//! Queries on projects.

use super::models::{NewProject, Project, ProjectSettingsChanges};
use super::schema::projects;
use super::StoreError;
use diesel::prelude::*;
use uuid::Uuid;

/// Creates a project.
pub fn create(conn: &mut PgConnection, new: &NewProject<'_>) -> Result<Project, StoreError> {
    Ok(diesel::insert_into(projects::table)
        .values(new)
        .returning(Project::as_returning())
        .get_result(conn)?)
}

/// All projects, oldest first.
pub fn list(conn: &mut PgConnection) -> Result<Vec<Project>, StoreError> {
    Ok(projects::table.select(Project::as_select()).order(projects::created_at.asc()).load(conn)?)
}

/// One project.
pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Project>, StoreError> {
    Ok(projects::table.find(id).select(Project::as_select()).first(conn).optional()?)
}

/// One project, its row locked until the transaction ends (for read-modify-write).
pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<Project>, StoreError> {
    Ok(projects::table.find(id).select(Project::as_select()).for_update().first(conn).optional()?)
}

/// Replaces a project's settings; returns the project as it now is.
pub fn update_settings(
    conn: &mut PgConnection,
    id: Uuid,
    changes: &ProjectSettingsChanges<'_>,
) -> Result<Project, StoreError> {
    Ok(diesel::update(projects::table.find(id))
        .set(changes)
        .returning(Project::as_returning())
        .get_result(conn)?)
}

/// Whether any project lets `origin` send answers (used for CORS preflights, which carry
/// no key; the request itself is then checked against its own project).
pub fn any_allows_origin(conn: &mut PgConnection, origin: &str) -> Result<bool, StoreError> {
    use diesel::dsl::exists;
    use diesel::PgArrayExpressionMethods;
    let origins = vec![origin.to_string(), "*".to_string()];
    Ok(diesel::select(exists(projects::table.filter(projects::allowed_origins.overlaps_with(origins))))
        .get_result(conn)?)
}
