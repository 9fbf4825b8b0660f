//! Queries on report share links. Links are found by the SHA-256 of the presented token,
//! and always come with their survey's key (the page's address) and their project.

use super::models::{NewReportLink, Project, ReportLink};
use super::schema::{projects, report_links, surveys};
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

/// A link with the key of its survey and its project.
pub type LinkWithSurvey = (ReportLink, String, Project);

/// Stores a new link (its hash, never its token).
pub fn create(conn: &mut PgConnection, new: &NewReportLink<'_>) -> Result<ReportLink, StoreError> {
    Ok(diesel::insert_into(report_links::table)
        .values(new)
        .returning(ReportLink::as_returning())
        .get_result(conn)?)
}

/// Locks the project against concurrent link creation until the transaction ends, so
/// that two requests cannot both pass the limit on live links. `NO KEY UPDATE` does not
/// conflict with the key-share locks that foreign keys take, so nothing else waits.
pub fn lock_project(conn: &mut PgConnection, project_id: Uuid) -> Result<bool, StoreError> {
    let found = projects::table
        .filter(projects::id.eq(project_id))
        .select(projects::id)
        .for_no_key_update()
        .first::<Uuid>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Deletes the project's links that ended (revoked or expired) before `before`, so the
/// table and the list stay bounded; the number deleted.
pub fn forget_ended(
    conn: &mut PgConnection,
    project_id: Uuid,
    before: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let ended = report_links::revoked_at.lt(before).or(report_links::expires_at.lt(before));
    Ok(diesel::delete(report_links::table.filter(report_links::project_id.eq(project_id)).filter(ended))
        .execute(conn)?)
}

/// How many of the project's links are live (neither revoked nor expired) at `now`.
pub fn count_live(conn: &mut PgConnection, project_id: Uuid, now: DateTime<Utc>) -> Result<i64, StoreError> {
    Ok(report_links::table
        .filter(report_links::project_id.eq(project_id))
        .filter(report_links::revoked_at.is_null())
        .filter(report_links::expires_at.gt(now))
        .count()
        .get_result(conn)?)
}

/// Links with their survey's key and project, joined and selected as [`LinkWithSurvey`].
macro_rules! with_survey {
    () => {
        report_links::table
            .inner_join(surveys::table.on(
                surveys::project_id.eq(report_links::project_id).and(surveys::id.eq(report_links::survey_id)),
            ))
            .inner_join(projects::table.on(projects::id.eq(report_links::project_id)))
            .select((ReportLink::as_select(), surveys::key, Project::as_select()))
    };
}

/// The project's links (of one survey, if given), newest first, revoked and expired ones too.
pub fn list(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Option<Uuid>,
) -> Result<Vec<LinkWithSurvey>, StoreError> {
    let mut query = with_survey!()
        .filter(report_links::project_id.eq(project_id))
        .order((report_links::created_at.desc(), report_links::id))
        .into_boxed();
    if let Some(survey_id) = survey_id {
        query = query.filter(report_links::survey_id.eq(survey_id));
    }
    Ok(query.load(conn)?)
}

/// The link with this token hash, revoked or not.
pub fn find_by_hash(conn: &mut PgConnection, hash: &[u8]) -> Result<Option<LinkWithSurvey>, StoreError> {
    Ok(with_survey!().filter(report_links::token_hash.eq(hash)).first(conn).optional()?)
}

/// A project's link by id, revoked or not.
pub fn find(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<LinkWithSurvey>, StoreError> {
    Ok(with_survey!()
        .filter(report_links::project_id.eq(project_id).and(report_links::id.eq(id)))
        .first(conn)
        .optional()?)
}

/// Revokes a link of the project and returns it; `None` if the project has no such link.
/// Revoking twice keeps the first revocation time.
pub fn revoke(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<LinkWithSurvey>, StoreError> {
    diesel::update(report_links::table.find((project_id, id)))
        .filter(report_links::revoked_at.is_null())
        .set(report_links::revoked_at.eq(diesel::dsl::now))
        .execute(conn)?;
    find(conn, project_id, id)
}
