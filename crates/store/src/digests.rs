//! Survey digests (migration `2026-11-30-000110_survey_digests`): which projects want them,
//! which surveys are due one for a period, and recording one exactly once with its event.

use super::events;
use super::models::{Project, Survey};
use super::schema::{projects, survey_digests, webhook_endpoints};
use super::{surveys, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_domain::webhook::EventType;
use uuid::Uuid;

/// The projects with an enabled endpoint subscribed to `survey.digest`: only theirs are
/// worth computing figures for.
pub fn projects_wanting_digests(conn: &mut PgConnection) -> Result<Vec<Project>, StoreError> {
    let wanting = webhook_endpoints::table
        .filter(webhook_endpoints::project_id.eq(projects::id))
        .filter(webhook_endpoints::enabled)
        .filter(webhook_endpoints::event_types.contains(vec![EventType::SurveyDigest.as_str()]));
    Ok(projects::table.filter(diesel::dsl::exists(wanting)).select(Project::as_select()).load(conn)?)
}

/// One project's period to look at: the period that starts on `period_start` (a local
/// date), and the instants `[since, until)` in which a survey must have had answers to
/// get a digest for it (the period and the one before, so a survey that went quiet still
/// says so once).
#[derive(Debug, Clone, Copy)]
pub struct DuePeriod {
    pub project_id: Uuid,
    pub period_start: NaiveDate,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct SurveyKey {
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The surveys that are due a digest of `period` (`day` or `week`) for one of `due`: not
/// archived or a draft, wanted by an enabled `survey.digest` endpoint of their project
/// (its survey filter included), with answers in `[since, until)`, and without the digest
/// yet.
pub fn surveys_due(
    conn: &mut PgConnection,
    period: &str,
    due: &[DuePeriod],
) -> Result<Vec<Survey>, StoreError> {
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<SurveyKey> = diesel::sql_query(
        "SELECT s.project_id, s.id \
         FROM unnest($1::uuid[], $2::date[], $3::timestamptz[], $4::timestamptz[]) AS w(project_id, period_start, since, until) \
         JOIN surveys s ON s.project_id = w.project_id \
         WHERE s.status IN ('active', 'paused') \
           AND NOT EXISTS (SELECT 1 FROM survey_digests d \
             WHERE (d.project_id, d.survey_id, d.period, d.period_start) = (s.project_id, s.id, $5, w.period_start)) \
           AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.project_id = s.project_id AND e.enabled \
             AND $6 = ANY(e.event_types) AND (e.survey_ids IS NULL OR s.id = ANY(e.survey_ids))) \
           AND EXISTS (SELECT 1 FROM responses r WHERE r.project_id = s.project_id AND r.survey_id = s.id \
             AND r.answered_at >= w.since AND r.answered_at < w.until)",
    )
    .bind::<Array<SqlUuid>, _>(due.iter().map(|d| d.project_id).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(due.iter().map(|d| d.period_start).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(due.iter().map(|d| d.since).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(due.iter().map(|d| d.until).collect::<Vec<_>>())
    .bind::<Text, _>(period)
    .bind::<Text, _>(EventType::SurveyDigest.as_str())
    .load(conn)?;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<(Uuid, Uuid)> = keys.into_iter().map(|k| (k.project_id, k.id)).collect();
    surveys::by_keys(conn, &keys)
}

/// A digest to record.
#[derive(Debug, Clone, Copy)]
pub struct NewDigest<'a> {
    pub project_id: Uuid,
    pub survey_id: Uuid,
    /// `day` or `week`.
    pub period: &'a str,
    pub period_start: NaiveDate,
    /// The event's `data`: the digest's figures.
    pub data: &'a serde_json::Value,
}

/// Records that the survey has its digest for the period and writes its `survey.digest`
/// event, in one transaction; the event only if the digest was not there yet. Whether it
/// was new: another replica (or an earlier run) may have recorded it first, and then the
/// figures computed here are dropped.
pub fn record(conn: &mut PgConnection, digest: &NewDigest<'_>) -> Result<bool, StoreError> {
    conn.transaction(|conn| {
        let inserted = diesel::insert_into(survey_digests::table)
            .values((
                survey_digests::project_id.eq(digest.project_id),
                survey_digests::survey_id.eq(digest.survey_id),
                survey_digests::period.eq(digest.period),
                survey_digests::period_start.eq(digest.period_start),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Ok(false);
        }
        events::record_digest(conn, digest.project_id, digest.survey_id, digest.data)?;
        Ok(true)
    })
}
