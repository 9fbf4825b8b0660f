//! Insights, the service: a survey's figures (summary, time series, breakdown, terms) and
//! its answers, read from the store in one snapshot and computed with the pure statistics
//! of `feedbackd-insights` (re-exported here).
//!
//! - `figures`: the four reports of a survey;
//! - `themes`: what its comments are about, and what that does to the score;
//! - `listing`: the answers a page at a time, and the query the exports share;
//! - `counting`: counts per score over a range, from rollups and raw rows;
//! - [`params`]: what every read is asked (range, zone, filters, cursor);
//! - [`shapes`]: what they answer.

mod counting;
mod figures;
mod listing;
pub mod params;
mod questions;
pub mod shapes;
mod themes;

pub use figures::{breakdown, summary, terms, timeseries, MAX_BUCKETS, MAX_TERM_COMMENTS};
pub use listing::{list, list_query};
pub use params::{Cursor, ReportParams};
pub use questions::{questions, OptionCount, Pmf, QuestionReport, QuestionsReport, PMF_OPTION};
pub use themes::{themes, ThemeFigures, ThemeOrder, ThemeQuery, ThemesReport};

pub use feedbackd_insights::{buckets, drivers, filter, metrics, pieces, significance, stats, terms};
pub use feedbackd_insights::{Band, Filter, Interval};

use feedbackd_store::StoreError;

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    /// No such survey in the caller's project.
    #[error("no survey {0:?} in this project")]
    SurveyNotFound(String),
    /// A parameter that does not fit the survey or the other parameters.
    #[error("{field} {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl InsightsError {
    /// An invalid parameter.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        InsightsError::Invalid { field, message: message.into() }
    }
}
