//! Errors of ingestion.

use feedbackd_domain::FieldError;
use feedbackd_store::StoreError;

/// Why an answer was not stored. Each maps to one HTTP status in `http::problem`.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The answer breaks the rules; every broken rule is listed.
    #[error("{} field(s) invalid", .0.len())]
    Invalid(Vec<FieldError>),
    /// The writer's queue is full: load to shed, retry later.
    #[error("ingestion queue full")]
    Overloaded,
    /// The database could not take the answer now (down, restarting, or too slow).
    /// Whether it was stored is unknown; a retry with the same id is safe.
    #[error("database unavailable")]
    Unavailable,
    /// The service is shutting down.
    #[error("shutting down")]
    ShuttingDown,
    /// The answer to follow up does not exist in this project.
    #[error("no such answer")]
    NotFound,
    /// The follow-up would overwrite what the answer already says.
    #[error("answer already has a different follow-up")]
    Conflict,
    /// The survey takes no answers now: not open yet, past its close, or full. The detail
    /// says which, in words.
    #[error("the survey {0}")]
    SurveyClosed(String),
    /// Anything else: a bug or a database error that a retry will not fix.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for IngestError {
    fn from(error: StoreError) -> Self {
        if error.is_connection_lost() {
            IngestError::Unavailable
        } else {
            IngestError::Store(error)
        }
    }
}
