//! `/v1/themes`: the project's theme catalog as the API reads and writes it.

use feedbackd_core::manage::ThemeEntry;
use feedbackd_core::manage::{ThemeChanged, ThemePatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `PATCH /v1/themes/{theme}`: what to change; an absent field keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemePatchIn {
    /// The name reports show, 1 to 200 characters.
    #[schema(example = "CSV export")]
    pub label: Option<String>,
    /// Left out of reports (still counted, and shown with `include_hidden=true`).
    pub hidden: Option<bool>,
    /// Always reported, whatever its count.
    pub pinned: Option<bool>,
    /// Another theme's key: this one is merged into it (its answers count there, once
    /// each, from now on and back in time). `null` undoes a merge: the answers are analysed
    /// again, and for a few seconds the two themes' counts are being rebuilt.
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<String>, example = "csv export")]
    pub merged_into: Option<Option<String>>,
    /// A new search, for a theme defined by one: its answers are filed anew.
    #[schema(example = "checkout OR payment -paypal")]
    pub search: Option<String>,
}

impl From<ThemePatchIn> for ThemePatch {
    fn from(p: ThemePatchIn) -> Self {
        ThemePatch {
            label: p.label,
            hidden: p.hidden,
            pinned: p.pinned,
            merged_into: p.merged_into,
            search: p.search,
        }
    }
}

/// `POST /v1/themes`: a theme defined by a search, pinned.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemeDefineIn {
    /// Its name, 1 to 99 characters; its key is `=` and the name, lowercased.
    #[schema(example = "Payment problems")]
    pub label: String,
    /// The comments that name it, in the read API's `q` syntax (web search: words, `"a
    /// phrase"`, `or`, `-word`), 1 to 256 characters.
    #[schema(example = "checkout OR payment -paypal")]
    pub search: String,
}

/// `DELETE /v1/themes/{theme}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeDeletedOut {
    pub key: String,
    /// Answers that named it and no longer do (their counts moved in the same transaction).
    pub answers_refiled: usize,
}

/// A theme of the project's catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeOut {
    /// Sorted word stems: how reports and this API name the theme.
    pub key: String,
    pub label: String,
    /// Whether an operator chose the label (otherwise the phrase first seen).
    pub renamed: bool,
    pub hidden: bool,
    pub pinned: bool,
    /// The theme this one is merged into.
    #[schema(required)]
    pub merged_into: Option<String>,
    /// For a theme an operator defined by a search: the search.
    #[schema(required)]
    pub search: Option<String>,
}

impl From<ThemeEntry> for ThemeOut {
    fn from(e: ThemeEntry) -> Self {
        ThemeOut {
            key: e.key,
            label: e.label,
            renamed: e.renamed,
            hidden: e.hidden,
            pinned: e.pinned,
            merged_into: e.merged_into,
            search: e.search,
        }
    }
}

/// A theme after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeChangedOut {
    #[serde(flatten)]
    pub theme: ThemeOut,
    /// Answers whose themes the change rewrote (a merge) or sent back to be analysed (an
    /// undone merge); their counts moved in the same transaction.
    pub answers_refiled: usize,
}

impl From<ThemeChanged> for ThemeChangedOut {
    fn from(c: ThemeChanged) -> Self {
        ThemeChangedOut { theme: c.theme.into(), answers_refiled: c.answers_refiled }
    }
}

/// `GET /v1/themes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeListOut {
    /// The themes an operator renamed, hid, pinned or merged, by key (at most 1,000).
    pub data: Vec<ThemeOut>,
}
