//! The sentiment task's queue (migration 000090): comments not looked at yet are claimed in
//! batches with `FOR UPDATE SKIP LOCKED`, so replicas running the task side by side share
//! the work instead of scoring a comment twice, and a PATCH waits only for one batch.

use super::StoreError;
use diesel::prelude::*;
use diesel::sql_types::{Array, Float4, Int8, Nullable, Text, Uuid as SqlUuid};
use feedbackd_insights::text::{score_comment, CommentSentiment};
use uuid::Uuid;

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    comment: String,
}

/// Scores up to `batch` pending comments, oldest first, in one transaction; returns how
/// many it scored (fewer than `batch`: the queue is empty, or other replicas hold the rest).
pub fn score_pending(conn: &mut PgConnection, batch: i64) -> Result<usize, StoreError> {
    conn.transaction(|conn| {
        let pending: Vec<Pending> = diesel::sql_query(
            "SELECT project_id, id, comment FROM responses \
             WHERE comment <> '' AND sentiment_language IS NULL \
             ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind::<Int8, _>(batch)
        .load(conn)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let scored: Vec<CommentSentiment> = pending.iter().map(|p| score_comment(&p.comment)).collect();
        diesel::sql_query(
            "UPDATE responses r SET sentiment = u.sentiment, sentiment_language = u.language \
             FROM unnest($1::uuid[], $2::uuid[], $3::real[], $4::text[]) AS u(project_id, id, sentiment, language) \
             WHERE (r.project_id, r.id) = (u.project_id, u.id)",
        )
        .bind::<Array<SqlUuid>, _>(pending.iter().map(|p| p.project_id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(pending.iter().map(|p| p.id).collect::<Vec<_>>())
        .bind::<Array<Nullable<Float4>>, _>(scored.iter().map(|s| s.sentiment).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(scored.iter().map(|s| s.language).collect::<Vec<_>>())
        .execute(conn)?;
        Ok(pending.len())
    })
}
