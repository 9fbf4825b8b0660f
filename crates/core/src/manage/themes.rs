//! Curating the project's themes: rename, hide, pin, merge into another theme and undo a
//! merge. The counts follow in the same transaction (`feedbackd_store::themes`), so every
//! report is exact before and after.

use super::ManageError;
use feedbackd_domain::FieldError;
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
}

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
    db.run(move |conn| Ok(store::curated(conn, project_id, 1000)?)).await
}

fn check_label(label: &str) -> Result<String, ManageError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        let message = format!("must be 1 to {MAX_LABEL_CHARS} characters, without control characters");
        return Err(ManageError::Invalid(vec![FieldError::new("label", message)]));
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

fn update_in(
    conn: &mut Conn,
    project_id: Uuid,
    key: &str,
    label: Option<String>,
    patch: &ThemePatch,
) -> Result<ThemeChanged, ManageError> {
    store::lock_catalog(conn, patch.merged_into.is_some())?;
    let current = store::entry_for_update(conn, project_id, key)?
        .ok_or_else(|| ManageError::NotFound(format!("no theme {key:?} in this project")))?;
    let mut refiled = 0;
    match (&patch.merged_into, &current.merged_into) {
        (Some(Some(into)), Some(already)) if into != already => {
            return Err(ManageError::Conflict(format!(
                "{key:?} is merged into {already:?}; undo that merge first (merged_into: null)"
            )))
        }
        (Some(Some(into)), None) => {
            let target = store::entry_for_update(conn, project_id, into)?.ok_or_else(|| {
                ManageError::Invalid(vec![FieldError::new(
                    "merged_into",
                    format!("no theme {into:?} in this project"),
                )])
            })?;
            if target.key == key {
                return Err(ManageError::Invalid(vec![FieldError::new(
                    "merged_into",
                    "cannot be the theme itself",
                )]));
            }
            if let Some(further) = target.merged_into {
                return Err(ManageError::Invalid(vec![FieldError::new(
                    "merged_into",
                    format!("{into:?} is merged into {further:?}; merge into that one"),
                )]));
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
