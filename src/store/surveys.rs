//! Queries on surveys.

use super::models::{NewSurvey, Survey};
use super::schema::surveys;
use super::StoreError;
use diesel::prelude::*;
use uuid::Uuid;

/// Creates a survey.
pub fn create(conn: &mut PgConnection, new: &NewSurvey<'_>) -> Result<Survey, StoreError> {
    Ok(diesel::insert_into(surveys::table).values(new).returning(Survey::as_returning()).get_result(conn)?)
}

/// A project's surveys, oldest first.
pub fn list(conn: &mut PgConnection, project_id: Uuid) -> Result<Vec<Survey>, StoreError> {
    Ok(surveys::table
        .filter(surveys::project_id.eq(project_id))
        .select(Survey::as_select())
        .order(surveys::created_at.asc())
        .load(conn)?)
}

/// The project's survey named by id or by key (slug). Never another project's.
pub fn find_by_ref(
    conn: &mut PgConnection,
    project_id: Uuid,
    reference: &str,
) -> Result<Option<Survey>, StoreError> {
    let query = surveys::table.filter(surveys::project_id.eq(project_id)).select(Survey::as_select());
    let found = match Uuid::parse_str(reference) {
        Ok(id) => query.filter(surveys::id.eq(id)).first(conn),
        Err(_) => query.filter(surveys::key.eq(reference)).first(conn),
    };
    Ok(found.optional()?)
}
