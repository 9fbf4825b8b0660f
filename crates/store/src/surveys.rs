//! Queries on surveys.

use super::models::{NewSurvey, Survey, SurveyChanges};
use super::schema::surveys;
use super::StoreError;
use diesel::prelude::*;
use feedbackd_domain::SurveyStatus;
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

/// A project's surveys in one status, oldest first.
pub fn list_by_status(
    conn: &mut PgConnection,
    project_id: Uuid,
    status: SurveyStatus,
) -> Result<Vec<Survey>, StoreError> {
    Ok(surveys::table
        .filter(surveys::project_id.eq(project_id))
        .filter(surveys::status.eq(status))
        .select(Survey::as_select())
        .order(surveys::created_at.asc())
        .load(conn)?)
}

/// Like [`find_by_ref`], locking the row until the transaction ends (for read-modify-write).
pub fn find_by_ref_for_update(
    conn: &mut PgConnection,
    project_id: Uuid,
    reference: &str,
) -> Result<Option<Survey>, StoreError> {
    let query =
        surveys::table.filter(surveys::project_id.eq(project_id)).select(Survey::as_select()).for_update();
    let found = match Uuid::parse_str(reference) {
        Ok(id) => query.filter(surveys::id.eq(id)).first(conn),
        Err(_) => query.filter(surveys::key.eq(reference)).first(conn),
    };
    Ok(found.optional()?)
}

/// Replaces a survey's content and rules.
pub fn update(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    changes: &SurveyChanges<'_>,
) -> Result<Survey, StoreError> {
    Ok(diesel::update(surveys::table.find((project_id, id)))
        .set((changes, surveys::updated_at.eq(diesel::dsl::now)))
        .returning(Survey::as_returning())
        .get_result(conn)?)
}

/// Moves a survey to `status`.
pub fn set_status(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    status: SurveyStatus,
) -> Result<Survey, StoreError> {
    Ok(diesel::update(surveys::table.find((project_id, id)))
        .set((surveys::status.eq(status), surveys::updated_at.eq(diesel::dsl::now)))
        .returning(Survey::as_returning())
        .get_result(conn)?)
}

/// Surveys by `(project_id, id)`, whatever their project (the webhook dispatcher's).
pub fn by_keys(conn: &mut PgConnection, keys: &[(Uuid, Uuid)]) -> Result<Vec<Survey>, StoreError> {
    let (projects, ids): (Vec<Uuid>, Vec<Uuid>) = keys.iter().copied().unzip();
    Ok(surveys::table
        .filter(surveys::id.eq_any(ids))
        .filter(surveys::project_id.eq_any(projects))
        .select(Survey::as_select())
        .load(conn)?)
}
