//! PostgreSQL: the pool, migrations, every query, and the embedded cluster of the
//! zero-config default. Only `async fn`s leave this module;
//! synchronous diesel runs on the blocking pool with the caller's tracing span.

pub mod accounts;
pub mod bulk;
pub mod comment_analysis;
pub mod console;
pub mod contacts;
pub mod deadline;
pub mod digests;
pub mod embedded;
mod error;
pub mod events;
pub mod impressions;
pub mod indexing;
pub mod insights;
pub mod keys;
pub mod limits;
mod migrate;
pub mod models;
pub mod notify;
pub mod privacy;
pub mod projects;
pub mod replicas;
pub mod report_links;
pub mod responses;
pub mod schema;
pub mod seals;
pub mod survey_counters;
pub mod survey_events;
pub mod surveys;
pub mod themes;
mod tx;
pub mod webhook_streams;
pub mod webhooks;

pub use error::StoreError;
pub use migrate::{has_pending_migrations, migrate_once, run_migrations, Backoff};
pub use tx::{connect, read_snapshot, transaction, Conn};

use diesel::r2d2::{ConnectionManager, Pool};
use diesel::PgConnection;
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Repeats `step` (one batch of at most `batch` rows, its own short transaction) until a
/// batch comes back short; the rows it handled in all. Background work that drains a
/// backlog (retention, sentiment) goes through here.
pub fn in_batches(batch: i64, mut step: impl FnMut() -> Result<u64, StoreError>) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let n = step()?;
        total += n;
        if n < batch as u64 {
            return Ok(total);
        }
    }
}

/// Puts each new pooled connection under the call deadline ([`deadline`]).
#[derive(Debug)]
struct Watched;

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for Watched {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        deadline::watch(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Use of the connection pool, for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolUse {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

/// A pool of connections for reads and small writes. The ingest writers hold their own.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<PgConnection>>,
    url: SecretString,
    /// Set once the schema was seen current. Until then every call checks first, so that a
    /// database reached before its migrations ran answers 503, not errors about missing
    /// tables; once current it stays current (a running binary's schema only moves forward).
    schema_current: Arc<AtomicBool>,
}

impl Db {
    /// Builds a pool without connecting: the service must start even while the database is
    /// away, and answer 503 until it is back.
    pub fn new(url: &SecretString, size: u32) -> Self {
        let url = with_connection_defaults(url);
        let manager = ConnectionManager::<PgConnection>::new(url.expose_secret());
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            // A request waits this long for a connection before it is answered 503.
            .connection_timeout(Duration::from_secs(2))
            // diesel's pooled connection only reports a broken transaction, not a server
            // that went away: without this ping, connections killed by a database restart
            // would be handed out (and fail) forever.
            .test_on_check_out(true)
            .connection_customizer(Box::new(Watched))
            .build_unchecked(manager);
        Db { pool, url, schema_current: Arc::new(AtomicBool::new(false)) }
    }

    /// A pool on a streaming standby. Its schema is the primary's, which the primary's
    /// pool checks; the standby could not run that check anyway (it is read-only).
    pub fn replica(url: &SecretString, size: u32) -> Self {
        let db = Db::new(url, size);
        db.schema_current.store(true, Ordering::Relaxed);
        db
    }

    /// The URL (with feedbackd's connection defaults), for components that hold their own connection.
    pub fn url(&self) -> &SecretString {
        &self.url
    }

    /// How many pooled connections are open, and how many of them are idle.
    pub fn pool_state(&self) -> PoolUse {
        let state = self.pool.state();
        PoolUse {
            in_use: state.connections - state.idle_connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, in the caller's span.
    /// The services' one way to the database: `f` is their synchronous part (queries, or a
    /// [`transaction`] of several), its error theirs.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (pool, schema_current) = (self.pool.clone(), self.schema_current.clone());
        let span = tracing::Span::current();
        // Counted so that tests and benchmarks can show that refused requests cost nothing.
        metrics::counter!("feedbackd_db_calls_total").increment(1);
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let mut conn = pool.get().map_err(|e| {
                    metrics::counter!("feedbackd_db_pool_errors_total").increment(1);
                    StoreError::Unavailable(e)
                })?;
                if !schema_current.load(Ordering::Relaxed) {
                    if has_pending_migrations(&mut conn)? {
                        return Err(StoreError::SchemaBehind.into());
                    }
                    schema_current.store(true, Ordering::Relaxed);
                }
                f(&mut conn)
            })
        })
        .await
        .map_err(|join| StoreError::Internal(join.to_string()))?
    }
}

/// Adds timeouts to a URL that does not set them, so that a database that is down or
/// unreachable makes requests fail fast instead of hanging.
pub fn with_connection_defaults(url: &SecretString) -> SecretString {
    let raw = url.expose_secret();
    let defaults = [
        ("connect_timeout", "3"),
        ("keepalives_idle", "10"),
        ("keepalives_interval", "5"),
        ("keepalives_count", "3"),
        ("application_name", "feedbackd"),
    ];
    let mut out = raw.to_string();
    for (name, value) in defaults {
        if !raw.contains(&format!("{name}=")) {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(&format!("{name}={value}"));
        }
    }
    SecretString::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_defaults_keep_what_the_url_sets() {
        let url = SecretString::from("postgres://u@h/db?connect_timeout=9");
        let out = with_connection_defaults(&url);
        let out = out.expose_secret();
        assert!(out.starts_with("postgres://u@h/db?connect_timeout=9&"));
        assert_eq!(out.matches("connect_timeout").count(), 1);
        assert!(out.contains("keepalives_idle=10"));
    }
}
