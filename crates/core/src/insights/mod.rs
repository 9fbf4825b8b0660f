//! Insights: the metrics (pure functions over counts per score, the sufficient statistics
//! of everything reported), calendar buckets, how a range is split over rollups and raw
//! rows, and the reports built from them.

pub mod params;
pub mod report;
pub mod shapes;

pub use feedbackd_insights::{buckets, filter, metrics, pieces, significance, stats, terms};
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
