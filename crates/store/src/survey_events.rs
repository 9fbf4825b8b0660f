//! A survey's history as stored (`survey_events`).

use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_domain::EventKind;
use serde_json::Value;
use uuid::Uuid;

/// One stored event.
#[derive(Debug, Clone, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub kind: EventKind,
    #[diesel(sql_type = Jsonb)]
    pub detail: Value,
}

#[derive(QueryableByName)]
struct At {
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// Records an event; returns its time. The clock's time, not the transaction's start, so
/// that events recorded by one transaction keep their order (the table has no sequence).
pub fn record(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    kind: EventKind,
    detail: &Value,
) -> Result<DateTime<Utc>, StoreError> {
    let row: At = diesel::sql_query(
        "INSERT INTO survey_events (project_id, survey_id, at, kind, detail) \
         VALUES ($1, $2, clock_timestamp(), $3, $4) RETURNING at",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .bind::<Text, _>(kind)
    .bind::<Jsonb, _>(detail)
    .get_result(conn)?;
    Ok(row.at)
}

/// A survey's events, oldest first.
pub fn list(conn: &mut PgConnection, project_id: Uuid, survey_id: Uuid) -> Result<Vec<EventRow>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT at, kind, detail FROM survey_events WHERE project_id = $1 AND survey_id = $2 ORDER BY at",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .load(conn)?)
}
