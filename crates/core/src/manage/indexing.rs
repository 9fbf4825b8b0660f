//! Which attribute keys get rollups: a project may index up to [`MAX_INDEXED`] keys, so that
//! breakdowns and filters by them read rollups (milliseconds) instead of raw rows. Adding a
//! key fills its rollups from every stored answer in one transaction that pauses ingestion
//! (see `store::indexing`); removing one deletes them.

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

/// What a change of the list did.
#[derive(Debug, Clone, Serialize)]
pub struct IndexChange {
    pub project_id: Uuid,
    pub key: String,
    /// Whether the list changed (false: the key was already in it, or already out of it).
    pub changed: bool,
    /// The list as it now is.
    pub indexed_attributes: Vec<String>,
    /// Hourly rollup rows written (indexing) or deleted (unindexing).
    pub hourly_rows: usize,
    /// Day rollup rows written or deleted.
    pub daily_rows: usize,
}

/// Indexes attribute `key` (`index`) or stops indexing it, in one transaction.
pub async fn set_indexed(
    db: &Db,
    project_id: Uuid,
    key: &str,
    index: bool,
) -> Result<IndexChange, ManageError> {
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
    // Rewriting a key's rollups over every answer is one long statement on purpose.
    db.run(move |conn| deadline::exempt(|| transaction(conn, |conn| index_in(conn, project_id, &key, index))))
        .await
}

fn index_in(conn: &mut Conn, project_id: Uuid, key: &str, index: bool) -> Result<IndexChange, ManageError> {
    lock_writers(conn)?;
    let mut list =
        store::indexed_attributes(conn, project_id)?.ok_or_else(|| super::no_project(project_id))?;
    let mut change = IndexChange {
        project_id,
        key: key.to_string(),
        changed: list.iter().any(|k| k == key) != index,
        indexed_attributes: Vec::new(),
        hourly_rows: 0,
        daily_rows: 0,
    };
    if change.changed {
        if index && list.len() >= MAX_INDEXED {
            return Err(ManageError::Conflict(format!(
                "the project already indexes {MAX_INDEXED} attributes; stop indexing one first"
            )));
        }
        store::set_indexed(conn, project_id, key, index)?;
        // An earlier index of the same key left nothing behind, but start clean anyway.
        let (hourly, daily) = store::delete_dimension(conn, project_id, key)?;
        (change.hourly_rows, change.daily_rows) =
            if index { store::fill_dimension(conn, project_id, key)? } else { (hourly, daily) };
        list = store::indexed_attributes(conn, project_id)?.unwrap_or_default();
    }
    change.indexed_attributes = list;
    Ok(change)
}
