//! Sealing finished UTC days into the day rollups (see migration 000030): each step is one
//! short transaction that holds the writers' lock exclusively for at most a month of one
//! survey's hours.

use super::schema::surveys;
use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamptz};
use uuid::Uuid;

/// Days sealed per transaction, so that writers never wait long for a seal.
const DAYS_PER_STEP: i32 = 31;

/// What a sealing pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SealReport {
    /// Surveys whose seal moved.
    pub surveys: usize,
    /// Transactions run.
    pub steps: usize,
}

/// Seals every survey's days that ended before `up_to`'s UTC midnight.
pub fn seal_all(conn: &mut PgConnection, up_to: DateTime<Utc>) -> Result<SealReport, StoreError> {
    let all: Vec<(Uuid, Uuid)> = surveys::table.select((surveys::project_id, surveys::id)).load(conn)?;
    let mut report = SealReport::default();
    for (project_id, survey_id) in all {
        let steps = seal_survey(conn, project_id, survey_id, up_to)?;
        report.steps += steps;
        report.surveys += usize::from(steps > 0);
    }
    Ok(report)
}

/// Seals one survey's finished days; returns the number of transactions it took.
pub fn seal_survey(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    up_to: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut steps = 0;
    loop {
        let sealed: Option<DateTime<Utc>> = conn.transaction(|conn| {
            diesel::select(
                sql::<Nullable<Timestamptz>>("feedbackd_seal_days(")
                    .bind::<diesel::sql_types::Uuid, _>(project_id)
                    .sql(", ")
                    .bind::<diesel::sql_types::Uuid, _>(survey_id)
                    .sql(", ")
                    .bind::<Timestamptz, _>(up_to)
                    .sql(", ")
                    .bind::<diesel::sql_types::Int4, _>(DAYS_PER_STEP)
                    .sql(")"),
            )
            .get_result(conn)
        })?;
        // NULL once there is nothing left to seal.
        if sealed.is_none() {
            return Ok(steps);
        }
        steps += 1;
    }
}
