//! Privacy: erasing a respondent on request, and deleting answers past a project's
//! retention horizon. Both only DELETE from `responses` (and `respondent_contacts`); the
//! rollup triggers take the deleted answers out of the counts in the same transaction.

use chrono::{DateTime, Duration, Utc};
use feedbackd_domain::RespondentId;
use feedbackd_store::Conn;
use feedbackd_store::{in_batches, privacy as q, surveys, Db, StoreError};
use serde::Serialize;
use std::time::Duration as StdDuration;
use uuid::Uuid;

/// Answers deleted per statement (one short transaction each) by retention.
pub const RETENTION_BATCH: i64 = 5000;

/// What an erasure removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Erased {
    pub respondent_id: String,
    /// Answers deleted.
    pub deleted: u64,
    /// Recontact rows (shown, answered, dismissed) deleted.
    pub contacts_deleted: u64,
}

/// Deletes every answer and contact row of `respondent_id` in the project, in one
/// transaction. Idempotent: a second call deletes nothing.
pub async fn erase(db: &Db, project_id: Uuid, respondent_id: RespondentId) -> Result<Erased, StoreError> {
    let respondent_id = respondent_id.into_string();
    let id = respondent_id.clone();
    let (deleted, contacts_deleted) = db.run(move |conn| q::erase_respondent(conn, project_id, &id)).await?;
    metrics::counter!("feedbackd_erased_answers_total").increment(deleted);
    // Counts only: the respondent id is personal data and stays out of the logs.
    tracing::info!(%project_id, deleted, contacts_deleted, "respondent erased");
    Ok(Erased { respondent_id, deleted, contacts_deleted })
}

/// What retention deleted in one project.
#[derive(Debug, Serialize)]
pub struct ProjectRetention {
    pub project_id: Uuid,
    pub retention_days: i32,
    /// Answers answered before this were deleted.
    pub horizon: DateTime<Utc>,
    pub answers_deleted: u64,
    pub contacts_deleted: u64,
    /// Rollup rows before the horizon left counting nothing by the deletes.
    pub empty_rollups_deleted: u64,
}

/// What one retention run did.
#[derive(Debug, Serialize)]
pub struct RetentionReport {
    /// False when another replica's run held the lock (nothing was done).
    pub ran: bool,
    pub projects: Vec<ProjectRetention>,
}

/// Deletes, in every project with a retention, the answers answered before `now` minus its
/// days (by `answered_at`, the time reports count them in), in batches of `batch`, the
/// rollup rows they leave at zero, and the contact rows not touched since. One replica at
/// a time (a session advisory lock).
pub async fn run_retention(db: &Db, now: DateTime<Utc>, batch: i64) -> Result<RetentionReport, StoreError> {
    db.run(move |conn| {
        if !q::try_lock_retention(conn)? {
            return Ok(RetentionReport { ran: false, projects: vec![] });
        }
        let result = sweep(conn, now, batch);
        q::unlock_retention(conn)?;
        Ok(RetentionReport { ran: true, projects: result? })
    })
    .await
}

fn sweep(conn: &mut Conn, now: DateTime<Utc>, batch: i64) -> Result<Vec<ProjectRetention>, StoreError> {
    let mut out = Vec::new();
    for (project_id, days) in q::projects_with_retention(conn)? {
        let horizon = now - Duration::days(i64::from(days));
        let mut answers_deleted = 0;
        for survey in surveys::list(conn, project_id)? {
            answers_deleted +=
                in_batches(batch, || q::delete_answers_before(conn, project_id, survey.id, horizon, batch))?;
        }
        let contacts_deleted =
            in_batches(batch, || q::delete_contacts_before(conn, project_id, horizon, batch))?
                + in_batches(batch, || q::delete_impressions_before(conn, project_id, horizon, batch))?;
        let empty_rollups_deleted =
            in_batches(batch, || q::delete_empty_rollups_before(conn, project_id, horizon, batch))?;
        metrics::counter!("feedbackd_retention_deleted_answers_total").increment(answers_deleted);
        if answers_deleted + contacts_deleted > 0 {
            tracing::info!(%project_id, days, answers_deleted, contacts_deleted, "retention deleted old data");
        }
        out.push(ProjectRetention {
            project_id,
            retention_days: days,
            horizon,
            answers_deleted,
            contacts_deleted,
            empty_rollups_deleted,
        });
    }
    Ok(out)
}

/// Runs retention every `interval` (the first run right away) until the process ends.
pub fn spawn_retention_task(db: Db, interval: StdDuration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_retention(&db, Utc::now(), RETENTION_BATCH).await {
                Ok(report) => {
                    tracing::debug!(ran = report.ran, projects = report.projects.len(), "retention run")
                }
                Err(e) => tracing::warn!(error = %e, "retention run failed; retrying at the next interval"),
            }
        }
    });
}
