//! The project's theme catalog (migration 000160) and the operators' changes to it.
//!
//! A merge rewrites the answers' theme lists (`from` becomes `into`, once per answer) in
//! the same transaction as the catalog, and the rollup trigger moves their theme cells:
//! counts stay exact at every moment, for every period. Undoing a merge cannot know which
//! answers named `from`, so it sends the answers that now name `into` back to the comment
//! task, which finds their themes again under the new catalog.
//!
//! The comment task holds [`CATALOG_LOCK`] shared while it files a batch, and a merge holds
//! it exclusively: a batch can never file a key under a catalog that a merge has changed
//! after the batch read it.

use super::models::ThemeEntry;
use super::schema::themes;
use super::StoreError;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use uuid::Uuid;

/// The advisory lock between the comment task (shared) and merges (exclusive).
pub const CATALOG_LOCK: i64 = 7_264_018_390_411_275_160;

/// Takes [`CATALOG_LOCK`] until the transaction ends.
pub fn lock_catalog(conn: &mut PgConnection, exclusive: bool) -> Result<(), StoreError> {
    let sql = if exclusive {
        "SELECT pg_advisory_xact_lock($1)"
    } else {
        "SELECT pg_advisory_xact_lock_shared($1)"
    };
    diesel::sql_query(sql).bind::<diesel::sql_types::Int8, _>(CATALOG_LOCK).execute(conn)?;
    Ok(())
}

/// The catalog entries of `keys` (those the catalog has).
pub fn entries(
    conn: &mut PgConnection,
    project_id: Uuid,
    keys: &[String],
) -> Result<Vec<ThemeEntry>, StoreError> {
    Ok(themes::table
        .filter(themes::project_id.eq(project_id))
        .filter(themes::key.eq_any(keys))
        .select(ThemeEntry::as_select())
        .load(conn)?)
}

/// One entry, locked until the transaction ends.
pub fn entry_for_update(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
) -> Result<Option<ThemeEntry>, StoreError> {
    Ok(themes::table
        .find((project_id, key))
        .select(ThemeEntry::as_select())
        .for_update()
        .first(conn)
        .optional()?)
}

/// Most curated entries read at once (the list API, a report's pinned themes).
pub const MAX_CURATED: i64 = 1000;

/// The entries an operator changed (renamed, hidden, pinned, merged or defined by a
/// search), up to [`MAX_CURATED`] of them, by key.
pub fn curated(conn: &mut PgConnection, project_id: Uuid) -> Result<Vec<ThemeEntry>, StoreError> {
    Ok(themes::table
        .filter(themes::project_id.eq(project_id))
        .filter(themes::renamed.or(themes::hidden).or(themes::pinned).or(themes::merged_into.is_not_null()))
        .order(themes::key)
        .limit(MAX_CURATED)
        .select(ThemeEntry::as_select())
        .load(conn)?)
}

/// What an operator changes on one entry; `None` leaves a field as it is.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = themes)]
pub struct EntryChange {
    pub label: Option<String>,
    pub renamed: Option<bool>,
    pub hidden: Option<bool>,
    pub pinned: Option<bool>,
}

/// Applies `change` to the entry; the entry after it.
pub fn change(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    change: &EntryChange,
) -> Result<ThemeEntry, StoreError> {
    Ok(diesel::update(themes::table.find((project_id, key)))
        .set((change, themes::updated_at.eq(Utc::now())))
        .returning(ThemeEntry::as_returning())
        .get_result(conn)?)
}

/// Merges `from` into `into` (both in the catalog, `into` not merged itself): the catalog
/// files `from` and whatever was merged into it under `into`, and the answers naming
/// `from` name `into` instead, once. Returns the answers rewritten.
pub fn merge(conn: &mut PgConnection, project_id: Uuid, from: &str, into: &str) -> Result<usize, StoreError> {
    diesel::sql_query(
        "UPDATE themes SET merged_into = $3, updated_at = now() \
         WHERE project_id = $1 AND (key = $2 OR merged_into = $2)",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(from)
    .bind::<Text, _>(into)
    .execute(conn)?;
    let rewritten = diesel::sql_query(
        "UPDATE responses r SET themes = ARRAY( \
             SELECT m.key FROM ( \
                 SELECT CASE WHEN k.key = $2 THEN $3 ELSE k.key END AS key, min(k.i) AS i \
                 FROM unnest(r.themes) WITH ORDINALITY AS k(key, i) GROUP BY 1) m \
             ORDER BY m.i) \
         WHERE r.project_id = $1 AND r.themes @> ARRAY[$2]::text[]",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(from)
    .bind::<Text, _>(into)
    .execute(conn)?;
    Ok(rewritten)
}

/// Undoes the merge of `key`: the catalog files it under itself again, and the answers now
/// naming what it was merged into go back to the comment task. Returns those answers.
pub fn unmerge(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    into: &str,
) -> Result<usize, StoreError> {
    diesel::update(themes::table.find((project_id, key)))
        .set((themes::merged_into.eq(None::<String>), themes::updated_at.eq(Utc::now())))
        .execute(conn)?;
    let requeued = diesel::sql_query(
        "UPDATE responses SET themes = NULL WHERE project_id = $1 AND themes @> ARRAY[$2]::text[]",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(into)
    .execute(conn)?;
    Ok(requeued)
}

/// Adds a theme defined by `search` (the `q` syntax) under `key` (which starts with `=`),
/// pinned, and files every analysed answer it matches under it (not yet analysed ones get
/// it from the comment task). `None` when the key is taken. Returns it and the answers filed.
pub fn define(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    label: &str,
    search: &str,
) -> Result<Option<(ThemeEntry, usize)>, StoreError> {
    let entry = diesel::insert_into(themes::table)
        .values((
            themes::project_id.eq(project_id),
            themes::key.eq(key),
            themes::label.eq(label),
            themes::renamed.eq(true),
            themes::pinned.eq(true),
            themes::search.eq(search),
        ))
        .on_conflict_do_nothing()
        .returning(ThemeEntry::as_returning())
        .get_result(conn)
        .optional()?;
    let Some(entry) = entry else { return Ok(None) };
    let filed = file_searched(conn, project_id, key, search)?;
    Ok(Some((entry, filed)))
}

/// Files the analysed answers that `search` matches under `key`.
fn file_searched(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    search: &str,
) -> Result<usize, StoreError> {
    Ok(diesel::sql_query(
        "UPDATE responses SET themes = themes || ARRAY[$2]::text[] \
         WHERE project_id = $1 AND themes IS NOT NULL AND NOT themes @> ARRAY[$2]::text[] \
           AND comment_tsv @@ websearch_to_tsquery('simple', $3)",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .bind::<Text, _>(search)
    .execute(conn)?)
}

/// Takes `key` off every answer that names it; how many did.
fn unfile(conn: &mut PgConnection, project_id: Uuid, key: &str) -> Result<usize, StoreError> {
    Ok(diesel::sql_query(
        "UPDATE responses SET themes = array_remove(themes, $2) WHERE project_id = $1 AND themes @> ARRAY[$2]::text[]",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(key)
    .execute(conn)?)
}

/// Gives a searched theme a new search: its answers are filed anew. Returns the answers
/// that name it now.
pub fn research(
    conn: &mut PgConnection,
    project_id: Uuid,
    key: &str,
    search: &str,
) -> Result<usize, StoreError> {
    diesel::update(themes::table.find((project_id, key))).set(themes::search.eq(search)).execute(conn)?;
    unfile(conn, project_id, key)?;
    file_searched(conn, project_id, key, search)
}

/// Deletes a searched theme: off every answer, out of the catalog. Returns the answers
/// that named it.
pub fn delete_searched(conn: &mut PgConnection, project_id: Uuid, key: &str) -> Result<usize, StoreError> {
    let unfiled = unfile(conn, project_id, key)?;
    diesel::delete(themes::table.find((project_id, key))).execute(conn)?;
    Ok(unfiled)
}

/// Whether `search` (the `q` syntax) names at least one word, so that it can match.
pub fn search_has_words(conn: &mut PgConnection, search: &str) -> Result<bool, StoreError> {
    #[derive(QueryableByName)]
    struct Words {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        some: bool,
    }
    let w: Words = diesel::sql_query("SELECT numnode(websearch_to_tsquery('simple', $1)) > 0 AS some")
        .bind::<Text, _>(search)
        .get_result(conn)?;
    Ok(w.some)
}
