//! Writes to `respondent_contacts`: when a person was last shown, answered (written by a
//! trigger on `responses`) or dismissed each survey. The fatigue decision reads them with
//! each survey's exemption (`store::impressions::contacts`).

use super::schema::respondent_contacts as rc;
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use uuid::Uuid;

/// Upserts `column` of the (project, survey, respondent) row to `at`, keeping the later time.
macro_rules! record_latest {
    ($conn:expr, $project_id:expr, $survey_id:expr, $respondent_id:expr, $column:ident, $at:expr) => {
        diesel::insert_into(rc::table)
            .values((
                rc::project_id.eq($project_id),
                rc::survey_id.eq($survey_id),
                rc::respondent_id.eq($respondent_id),
                rc::$column.eq($at),
            ))
            .on_conflict((rc::project_id, rc::survey_id, rc::respondent_id))
            .do_update()
            .set(rc::$column.eq(greatest(rc::$column, excluded(rc::$column))))
            .execute($conn)
            .map(|_| ())
            .map_err(StoreError::from)
    };
}

/// Records that a person dismissed a survey at `at` (the latest time wins).
pub fn record_dismissal(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    respondent_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    record_latest!(conn, project_id, survey_id, respondent_id, last_dismissed_at, at)
}

/// Records that a widget was told to show a survey to a person at `at`.
pub fn record_shown(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    respondent_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    record_latest!(conn, project_id, survey_id, respondent_id, last_shown_at, at)
}

diesel::define_sql_function! {
    /// PostgreSQL's `greatest`, which ignores NULLs.
    fn greatest(a: diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, b: diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>) -> diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>;
}
