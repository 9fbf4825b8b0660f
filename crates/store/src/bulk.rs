//! Bulk loading for `feedbackd seed`: answers written with `COPY`, past the writer's checks
//! (the seeder makes them valid), on connections without the services' statement timeout.

use super::schema::responses;
use super::{Conn, StoreError};
use diesel::pg::CopyFormat;
use diesel::prelude::ExecuteCopyFromDsl;
use diesel::{Connection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};

/// A connection with no statement timeout: a bulk load or its sealing may run for minutes.
pub fn connect(url: &SecretString) -> Result<Conn, StoreError> {
    Ok(Conn::establish(url.expose_secret())?)
}

/// Copies answers in PostgreSQL's text format, one per line, with the columns in the order
/// below; returns how many were stored.
pub fn copy_answers(conn: &mut Conn, data: &str) -> Result<usize, StoreError> {
    use responses::*;
    let n = diesel::copy_from(responses::table)
        .from_raw_data(
            (
                project_id,
                id,
                survey_id,
                survey_version,
                respondent_id,
                score,
                comment,
                category,
                attributes,
                answered_at,
                received_at,
            ),
            |w: &mut dyn std::io::Write| {
                w.write_all(data.as_bytes())
                    .map_err(|e| StoreError::Internal(format!("writing COPY data: {e}")))
            },
        )
        .with_format(CopyFormat::Text)
        .execute(conn)?;
    Ok(n)
}

/// Refreshes the planner's statistics of the answers and rollups after a bulk load.
pub fn analyze_answers(conn: &mut Conn) -> Result<(), StoreError> {
    diesel::sql_query(
        "ANALYZE responses, score_rollups, score_rollups_quarter, score_rollups_daily, score_rollups_monthly",
    )
    .execute(conn)?;
    Ok(())
}
