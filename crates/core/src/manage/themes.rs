//! Curating the project's themes: rename, hide, pin, merge into another theme and undo a
//! merge. The counts follow in the same transaction (`feedbackd_store::themes`), so every
//! report is exact before and after.

use super::ManageError;
use feedbackd_insights::text::themes::MAX_LABEL_CHARS;
pub use feedbackd_store::models::ThemeEntry;
use feedbackd_store::themes::{self as store, EntryChange};
use feedbackd_store::{deadline, transaction, Conn, Db};
use serde::Serialize;
use uuid::Uuid;

/// What a `PATCH /v1/themes/{theme}` asks; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct ThemePatch {
    pub label: Option<String>,
    pub hidden: Option<bool>,
    pub pinned: Option<bool>,
    /// `Some(Some(key))` merges into `key`; `Some(None)` undoes the merge.
    pub merged_into: Option<Option<String>>,
    /// A new search for a theme defined by one.
    pub search: Option<String>,
}

/// Longest search that defines a theme.
pub const MAX_SEARCH_CHARS: usize = 256;
/// Longest label of a theme defined by a search (its key is `=` and the label, lowercased).
pub const MAX_SEARCHED_LABEL_CHARS: usize = 99;

/// A theme after a change, and how many answers the change refiled.
#[derive(Debug, Serialize)]
pub struct ThemeChanged {
    #[serde(flatten)]
    pub theme: ThemeEntry,
    /// Answers whose themes were rewritten (a merge) or sent back to be analysed again (an
    /// undone merge); their counts moved in the same transaction.
    pub answers_refiled: usize,
}

/// The themes of the project an operator has curated (renamed, hidden, pinned, merged).
pub async fn curated_themes(db: &Db, project_id: Uuid) -> Result<Vec<ThemeEntry>, ManageError> {
    db.run(move |conn| Ok(store::curated(conn, project_id)?)).await
}

fn check_label(label: &str) -> Result<String, ManageError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(ManageError::invalid(
            "label",
            format!("must be 1 to {MAX_LABEL_CHARS} characters, without control characters"),
        ));
    }
    Ok(label.to_string())
}

/// Applies `patch` to the theme `key` of the project.
pub async fn update_theme(
    db: &Db,
    project_id: Uuid,
    key: &str,
    patch: ThemePatch,
) -> Result<ThemeChanged, ManageError> {
    let label = patch.label.as_deref().map(check_label).transpose()?;
    let key = key.to_string();
    // A merge rewrites every answer naming the theme: one statement, however long.
    db.run(move |conn| {
        deadline::exempt(|| transaction(conn, |conn| update_in(conn, project_id, &key, label, &patch)))
    })
    .await
}

/// The search, checked: 1 to [`MAX_SEARCH_CHARS`] characters naming at least one word.
fn check_search(conn: &mut Conn, search: &str) -> Result<(), ManageError> {
    if search.trim().is_empty() || search.chars().count() > MAX_SEARCH_CHARS {
        return Err(ManageError::invalid("search", format!("must be 1 to {MAX_SEARCH_CHARS} characters")));
    }
    if !store::search_has_words(conn, search)? {
        return Err(ManageError::invalid("search", "names no word, so it would match no comment"));
    }
    Ok(())
}

/// Adds a pinned theme defined by `search` (the read API's `q` syntax) and named `label`;
/// its key is `=` and the label, lowercased. Every analysed comment the search matches
/// names it from now on, and so does every comment analysed later.
pub async fn define_theme(
    db: &Db,
    project_id: Uuid,
    label: &str,
    search: &str,
) -> Result<ThemeChanged, ManageError> {
    let label = check_label(label)?;
    if label.chars().count() > MAX_SEARCHED_LABEL_CHARS {
        return Err(ManageError::invalid(
            "label",
            format!("must be 1 to {MAX_SEARCHED_LABEL_CHARS} characters"),
        ));
    }
    let key = format!("={}", label.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase());
    let search = search.to_string();
    db.run(move |conn| {
        deadline::exempt(|| {
            transaction(conn, |conn| {
                check_search(conn, &search)?;
                store::lock_catalog(conn, true)?;
                let (theme, filed) =
                    store::define(conn, project_id, &key, &label, &search)?.ok_or_else(|| {
                        ManageError::Conflict(format!("the project has a theme {key:?} already"))
                    })?;
                Ok(ThemeChanged { theme, answers_refiled: filed })
            })
        })
    })
    .await
}

/// Deletes a theme defined by a search (an extracted one can only be hidden): the answers
/// forget it. Returns how many named it.
pub async fn delete_theme(db: &Db, project_id: Uuid, key: &str) -> Result<usize, ManageError> {
    let key = key.to_string();
    db.run(move |conn| {
        deadline::exempt(|| {
            transaction(conn, |conn| {
                store::lock_catalog(conn, true)?;
                let theme = store::entry_for_update(conn, project_id, &key)?
                    .ok_or_else(|| ManageError::NotFound(format!("no theme {key:?} in this project")))?;
                if theme.search.is_none() {
                    return Err(ManageError::Conflict(format!(
                        "{key:?} was found in the comments, not defined by a search: hide it instead"
                    )));
                }
                Ok(store::delete_searched(conn, project_id, &key)?)
            })
        })
    })
    .await
}

fn update_in(
    conn: &mut Conn,
    project_id: Uuid,
    key: &str,
    label: Option<String>,
    patch: &ThemePatch,
) -> Result<ThemeChanged, ManageError> {
    store::lock_catalog(conn, patch.merged_into.is_some() || patch.search.is_some())?;
    let current = store::entry_for_update(conn, project_id, key)?
        .ok_or_else(|| ManageError::NotFound(format!("no theme {key:?} in this project")))?;
    let mut refiled = 0;
    if let Some(search) = &patch.search {
        if current.search.is_none() {
            return Err(ManageError::invalid("search", "only a theme defined by a search has one"));
        }
        check_search(conn, search)?;
        refiled = store::research(conn, project_id, key, search)?;
    }
    if patch.merged_into.is_some() && current.search.is_some() {
        return Err(ManageError::invalid(
            "merged_into",
            "a theme defined by a search is not merged: change its search",
        ));
    }
    match (&patch.merged_into, &current.merged_into) {
        (Some(Some(into)), Some(already)) if into != already => {
            return Err(ManageError::Conflict(format!(
                "{key:?} is merged into {already:?}; undo that merge first (merged_into: null)"
            )))
        }
        (Some(Some(into)), None) => {
            let target = store::entry_for_update(conn, project_id, into)?.ok_or_else(|| {
                ManageError::invalid("merged_into", format!("no theme {into:?} in this project"))
            })?;
            if target.key == key {
                return Err(ManageError::invalid("merged_into", "cannot be the theme itself"));
            }
            if target.search.is_some() {
                return Err(ManageError::invalid(
                    "merged_into",
                    format!("{into:?} is defined by a search: widen its search instead"),
                ));
            }
            if let Some(further) = target.merged_into {
                return Err(ManageError::invalid(
                    "merged_into",
                    format!("{into:?} is merged into {further:?}; merge into that one"),
                ));
            }
            refiled = store::merge(conn, project_id, key, into)?;
        }
        (Some(None), Some(into)) => refiled = store::unmerge(conn, project_id, key, into)?,
        _ => {}
    }
    let change = EntryChange {
        renamed: label.as_ref().map(|_| true),
        label,
        hidden: patch.hidden,
        pinned: patch.pinned,
    };
    let theme = store::change(conn, project_id, key, &change)?;
    Ok(ThemeChanged { theme, answers_refiled: refiled })
}
