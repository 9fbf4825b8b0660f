//! Errors of the storage layer.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong talking to PostgreSQL, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now: answer 503 and let the client retry.
    #[error("database unavailable")]
    Unavailable(#[source] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed")]
    Query(#[from] DieselError),
    /// Could not connect.
    #[error("could not connect to the database")]
    Connect(#[from] diesel::ConnectionError),
    /// The database is there but its schema is behind this binary (migrations pending):
    /// 503 until they have run.
    #[error("the database schema is behind this binary")]
    SchemaBehind,
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A bug or an impossible state.
    #[error("internal store error: {0}")]
    Internal(String),
}

impl StoreError {
    /// Whether the connection itself broke (as opposed to one query failing), so the
    /// request may be retried once the database is back.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Connect(_) | StoreError::SchemaBehind => true,
            StoreError::Query(DieselError::DatabaseError(kind, info)) => {
                matches!(kind, DatabaseErrorKind::ClosedConnection)
                    || info.message().contains("terminating connection")
                    || info.message().contains("server closed the connection")
                    || info.message().contains("no connection to the server")
            }
            StoreError::Query(DieselError::BrokenTransactionManager) => true,
            _ => false,
        }
    }

    /// Whether this is a unique violation (a name or key that is already taken).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)))
    }
}
