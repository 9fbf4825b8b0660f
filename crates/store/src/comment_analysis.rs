//! The comment task's queue (migrations 000090, 000160): comments not analysed yet are
//! claimed in batches with `FOR UPDATE SKIP LOCKED`, so replicas running the task side by
//! side share the work instead of analysing a comment twice, and a PATCH waits only for
//! one batch. One pass stores the sentiment, the language and the themes; the rollup
//! trigger counts the themes (their cells alone, migration 000160), and the project's
//! theme catalog learns each new key with the phrase it was first written as.

use super::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Float4, Int8, Jsonb, Nullable, Text, Uuid as SqlUuid};
use feedbackd_insights::text::{analyse_comment, CommentAnalysis};
use std::collections::HashSet;
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

/// Analyses up to `batch` pending comments, oldest first, in one transaction; returns how
/// many it analysed (fewer than `batch`: the queue is empty, or other replicas hold the rest).
pub fn analyse_pending(conn: &mut PgConnection, batch: i64) -> Result<usize, StoreError> {
    conn.transaction(|conn| {
        super::themes::lock_catalog(conn, false)?;
        let pending: Vec<Pending> = diesel::sql_query(
            "SELECT project_id, id, comment FROM responses \
             WHERE comment <> '' AND themes IS NULL \
             ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind::<Int8, _>(batch)
        .load(conn)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let analysed: Vec<CommentAnalysis> = pending.iter().map(|p| analyse_comment(&p.comment)).collect();
        learn_themes(conn, &pending, &analysed)?;
        // A key an operator merged into another counts under that one; a comment naming
        // both counts once. The themes operators defined by a search follow.
        diesel::sql_query(
            "UPDATE responses r SET sentiment = u.sentiment, sentiment_language = u.language, \
                themes = ARRAY(SELECT m.key FROM ( \
                    SELECT coalesce(t.merged_into, k.key) AS key, min(k.i) AS i \
                    FROM jsonb_array_elements_text(u.themes) WITH ORDINALITY AS k(key, i) \
                    LEFT JOIN themes t ON (t.project_id, t.key) = (u.project_id, k.key) \
                    GROUP BY 1) m ORDER BY m.i) \
                || ARRAY(SELECT s.key FROM themes s WHERE s.project_id = u.project_id AND s.search IS NOT NULL \
                    AND r.comment_tsv @@ websearch_to_tsquery('simple', s.search) ORDER BY s.key) \
             FROM unnest($1::uuid[], $2::uuid[], $3::real[], $4::text[], $5::jsonb[]) \
                AS u(project_id, id, sentiment, language, themes) \
             WHERE (r.project_id, r.id) = (u.project_id, u.id)",
        )
        .bind::<Array<SqlUuid>, _>(pending.iter().map(|p| p.project_id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(pending.iter().map(|p| p.id).collect::<Vec<_>>())
        .bind::<Array<Nullable<Float4>>, _>(analysed.iter().map(|a| a.sentiment).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(analysed.iter().map(|a| a.language).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(
            analysed
                .iter()
                .map(|a| serde_json::Value::from(a.themes.iter().map(|t| t.key.as_str()).collect::<Vec<_>>()))
                .collect::<Vec<_>>(),
        )
        .execute(conn)?;
        Ok(pending.len())
    })
}

/// Adds the keys the project's catalog has not seen, each with the first phrase seen.
fn learn_themes(
    conn: &mut PgConnection,
    pending: &[Pending],
    analysed: &[CommentAnalysis],
) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    let (mut projects, mut keys, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for (p, a) in pending.iter().zip(analysed) {
        for theme in &a.themes {
            if seen.insert((p.project_id, theme.key.as_str())) {
                projects.push(p.project_id);
                keys.push(theme.key.clone());
                labels.push(theme.label.clone());
            }
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    // Sorted, so concurrent tasks insert in one order and cannot deadlock.
    diesel::sql_query(
        "INSERT INTO themes (project_id, key, label) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ORDER BY 1, 2 \
         ON CONFLICT (project_id, key) DO NOTHING",
    )
    .bind::<Array<SqlUuid>, _>(projects)
    .bind::<Array<Text>, _>(keys)
    .bind::<Array<Text>, _>(labels)
    .execute(conn)?;
    Ok(())
}

/// Most pending comments counted for a report (the queue is short but for bursts).
pub const MAX_PENDING_COUNTED: i64 = 100_000;

/// Comments of a survey answered in `[from, to)` that the task has not analysed yet, at
/// most [`MAX_PENDING_COUNTED`]. Read through the queue's own index (ordered by it, with a
/// limit, which the planner always takes): conditions on the answers' own columns led it to
/// their index, a scan of the whole period to find the queue empty (1 s for a year).
pub fn pending_between(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<u64, StoreError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Int8)]
        n: i64,
    }
    let c: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM (SELECT 1 FROM responses \
         WHERE comment <> '' AND themes IS NULL \
           AND project_id = $1 AND survey_id = $2 AND answered_at >= $3 AND answered_at < $4 \
         ORDER BY received_at LIMIT $5) pending",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .bind::<diesel::sql_types::Timestamptz, _>(from)
    .bind::<diesel::sql_types::Timestamptz, _>(to)
    .bind::<Int8, _>(MAX_PENDING_COUNTED)
    .get_result(conn)?;
    Ok(c.n as u64)
}
