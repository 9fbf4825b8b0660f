//! Which attribute keys get rollups: a project may index up to [`MAX_INDEXED`] keys, so that
//! breakdowns and filters by them read rollups (milliseconds) instead of raw rows. Adding a
//! key fills its rollups from the stored answers, newest first, in chunks of about
//! [`CHUNK_ROWS`] answers, each its own transaction that holds ingestion for milliseconds
//! (see `store::indexing` and migration 000210); reports count the key from the raw rows
//! until the last chunk. Removing one takes it out of the list at once and then deletes its
//! rollups in batches, which nothing reads any more.

use super::ManageError;
use feedbackd_domain::FieldError;
use feedbackd_store::indexing::{self as store, lock_writers};
use feedbackd_store::{deadline, transaction, Conn, Db};
use serde::Serialize;
use uuid::Uuid;

/// Most indexed keys per project (a check on `projects.indexed_attributes` too): each one
/// adds rollup rows to every insert.
pub const MAX_INDEXED: usize = 16;
/// Longest key that can be indexed, in characters.
pub const MAX_KEY_CHARS: usize = 64;
/// Answers per chunk of a backfill. Ingest waits while a chunk runs: 1,000 answers take
/// about 10 ms here (BENCHMARKS.md, "Indexing an attribute while answers arrive").
pub const CHUNK_ROWS: i64 = 1_000;
/// Rollup rows an unindex deletes per statement, each its own short transaction.
const DELETE_BATCH: i64 = 10_000;
/// Largest chunk that can be asked for: a million answers held ingestion for about 2 s.
pub const MAX_CHUNK_ROWS: i64 = 1_000_000;

/// What a change of the list did.
#[derive(Debug, Clone, Serialize)]
pub struct IndexChange {
    pub project_id: Uuid,
    pub key: String,
    /// Whether the list changed (false: the key was already in it, or already out of it).
    pub changed: bool,
    /// Whether the key's rollups count every answer: false only if its backfill stopped
    /// before the end because the key was unindexed meanwhile.
    pub filled: bool,
    /// Chunks of the backfill this call ran (an earlier, interrupted call's backfill is
    /// resumed where it stopped).
    pub chunks: usize,
    /// The list as it now is.
    pub indexed_attributes: Vec<String>,
    /// Hourly rollup rows written or added to by the backfill's chunks (indexing), or
    /// deleted (unindexing).
    pub hourly_rows: usize,
    /// Day rollup rows written, added to, or deleted.
    pub daily_rows: usize,
    /// The longest any chunk of this call held ingestion, in milliseconds (from asking
    /// for the writers' lock to the commit).
    pub slowest_chunk_ms: u64,
}

/// Indexes attribute `key` (`index`) and fills its rollups, or stops indexing it.
pub async fn set_indexed(
    db: &Db,
    project_id: Uuid,
    key: &str,
    index: bool,
) -> Result<IndexChange, ManageError> {
    set_indexed_in_chunks(db, project_id, key, index, CHUNK_ROWS).await
}

/// [`set_indexed`], filling in chunks of about `chunk_rows` answers (1 to
/// [`MAX_CHUNK_ROWS`]): smaller ones hold ingestion for less time each, larger ones finish
/// sooner.
pub async fn set_indexed_in_chunks(
    db: &Db,
    project_id: Uuid,
    key: &str,
    index: bool,
    chunk_rows: i64,
) -> Result<IndexChange, ManageError> {
    if !(1..=MAX_CHUNK_ROWS).contains(&chunk_rows) {
        return Err(ManageError::invalid("chunk_answers", format!("must be 1 to {MAX_CHUNK_ROWS}")));
    }
    let key = key.strip_prefix("attributes.").unwrap_or(key).to_string();
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS || key.contains('\0') {
        let message = format!("must be an attribute key of 1 to {MAX_KEY_CHARS} characters");
        return Err(ManageError::Invalid(vec![FieldError::new("key", message)]));
    }
    if index && feedbackd_insights::filter::is_reserved_dimension(&key) {
        return Err(ManageError::invalid(
            "key",
            "cannot start with `?` or `#`: those name the questions' and the themes' rollups",
        ));
    }
    let list_key = key.clone();
    let mut change =
        db.run(move |conn| transaction(conn, |conn| change_list(conn, project_id, &list_key, index))).await?;
    if index {
        backfill(db, &mut change, chunk_rows).await?;
    } else {
        // Also when the key was out already: an interrupted unindex left some behind.
        delete_rollups(db, &mut change).await?;
    }
    Ok(change)
}

/// Deletes an unindexed key's rollups in batches of [`DELETE_BATCH`] rows, outside the
/// writers' lock: nothing reads or writes them once the key is out of the list.
async fn delete_rollups(db: &Db, change: &mut IndexChange) -> Result<(), ManageError> {
    loop {
        let (project_id, key) = (change.project_id, change.key.clone());
        let Some((hourly, daily)) =
            db.run(move |conn| store::delete_unindexed(conn, project_id, &key, DELETE_BATCH)).await?
        else {
            return Ok(());
        };
        change.hourly_rows += hourly;
        change.daily_rows += daily;
    }
}

/// Puts `key` in the list (its backfill started, nothing counted yet) or takes it out
/// (a backfill under way ended; [`delete_rollups`] deletes its rows afterwards).
fn change_list(
    conn: &mut Conn,
    project_id: Uuid,
    key: &str,
    index: bool,
) -> Result<IndexChange, ManageError> {
    lock_writers(conn)?;
    let mut list =
        store::indexed_attributes(conn, project_id)?.ok_or_else(|| super::no_project(project_id))?;
    let mut change = IndexChange {
        project_id,
        key: key.to_string(),
        changed: list.iter().any(|k| k == key) != index,
        filled: index,
        chunks: 0,
        indexed_attributes: Vec::new(),
        hourly_rows: 0,
        daily_rows: 0,
        slowest_chunk_ms: 0,
    };
    if change.changed {
        if index && list.len() >= MAX_INDEXED {
            return Err(ManageError::Conflict(format!(
                "the project already indexes {MAX_INDEXED} attributes; stop indexing one first"
            )));
        }
        store::set_indexed(conn, project_id, key, index)?;
        if index {
            // What an unindex still had to delete (usually nothing): the backfill starts clean.
            store::delete_dimension(conn, project_id, key)?;
            store::start_backfill(conn, project_id, key)?;
        } else {
            store::end_backfill(conn, project_id, key)?;
        }
        list = store::indexed_attributes(conn, project_id)?.unwrap_or_default();
    }
    change.indexed_attributes = list;
    Ok(change)
}

/// Runs the key's backfill, if one is under way, to its end, a chunk per transaction.
async fn backfill(db: &Db, change: &mut IndexChange, chunk_rows: i64) -> Result<(), ManageError> {
    loop {
        // The chunk's bounds, and its pages into memory, first: without the lock (and
        // without the call deadline: a cold read holds nothing).
        let (project_id, key) = (change.project_id, change.key.clone());
        let planned = db
            .run(move |conn| {
                deadline::exempt(|| {
                    let Some(watermark) = store::backfill_watermark(conn, project_id, &key)? else {
                        return Ok::<_, ManageError>(None);
                    };
                    let from = store::chunk_start(conn, project_id, watermark, chunk_rows)?;
                    store::read_chunk(conn, project_id, &key, from, watermark)?;
                    Ok(Some((watermark, from)))
                })
            })
            .await?;
        let started = std::time::Instant::now();
        let (project_id, key) = (change.project_id, change.key.clone());
        let chunk = db
            .run(move |conn| {
                transaction(conn, |conn| {
                    lock_writers(conn)?;
                    store::commit_without_flush(conn)?;
                    let Some(watermark) = store::backfill_watermark(conn, project_id, &key)? else {
                        return Ok::<_, ManageError>(None);
                    };
                    // The planned bounds hold if nothing moved the watermark meanwhile (answers
                    // that arrived since only make the chunk a little larger).
                    let from = match planned {
                        Some((planned_mark, from)) if planned_mark == watermark => from,
                        _ => store::chunk_start(conn, project_id, watermark, chunk_rows)?,
                    };
                    let rows = store::fill_chunk(conn, project_id, &key, from, watermark)?;
                    if from.is_none() {
                        store::end_backfill(conn, project_id, &key)?;
                    }
                    Ok(Some((rows, from.is_none())))
                })
            })
            .await?;
        let took = started.elapsed();
        let Some(((hourly, daily), last)) = chunk else {
            // Unindexed meanwhile, or filled by another call at the same time.
            let (project_id, key) = (change.project_id, change.key.clone());
            let filled = db.run(move |conn| store::filled_attributes(conn, project_id)).await?;
            change.filled = filled.is_some_and(|list| list.contains(&key));
            return Ok(());
        };
        change.chunks += 1;
        change.hourly_rows += hourly;
        change.daily_rows += daily;
        change.slowest_chunk_ms = change.slowest_chunk_ms.max(took.as_millis() as u64);
        if change.chunks % 100 == 0 {
            tracing::info!(project = %change.project_id, key = %change.key, chunks = change.chunks, "backfilling");
        }
        if last {
            return Ok(());
        }
        // As long again for the writers: chunk after chunk, each asking for the lock as the
        // last let go, held it nearly always, and ingest fell behind (a p50 of 10 s). Longer
        // pauses (three times the chunk) doubled the walk's time and did not lower ingest's
        // p99 measurably (BENCHMARKS.md, "Indexing an attribute while answers arrive").
        tokio::time::sleep(took).await;
    }
}
