//! Embedded migrations, applied under an advisory lock so that replicas starting together
//! take turns instead of racing on the same DDL.

use super::StoreError;
use diesel::{sql_query, Connection, PgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Arbitrary but fixed: every feedbackd process uses this advisory lock id for migrations.
const MIGRATION_LOCK_ID: i64 = 0x6665_6564_6261_636b; // "feedback"

/// Applies pending migrations; returns how many were applied.
pub fn run_migrations(conn: &mut PgConnection) -> Result<usize, StoreError> {
    sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")).execute(conn)?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| applied.len())
        .map_err(|e| StoreError::Migration(e.to_string()));
    // Unlock even when a migration failed; the session ending would also release it.
    let unlocked = sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")).execute(conn);
    let applied = result?;
    unlocked?;
    Ok(applied)
}

/// Connects and applies pending migrations: one attempt.
pub fn migrate_once(url: &SecretString) -> Result<usize, StoreError> {
    let mut conn = PgConnection::establish(url.expose_secret())?;
    run_migrations(&mut conn)
}

/// Waits between attempts to reach a database that is not there yet: 200 ms, doubling up
/// to 5 s.
#[derive(Debug)]
pub struct Backoff {
    delay: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { delay: Duration::from_millis(200) }
    }
}

impl Backoff {
    /// The wait before the next attempt, after `error`, which it logs.
    pub fn next_after(&mut self, error: &StoreError) -> Duration {
        let delay = self.next_delay();
        tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "database not reachable yet");
        delay
    }

    /// The wait before the next attempt, for callers that log failures themselves.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.delay;
        self.delay = (delay * 2).min(Duration::from_secs(5));
        delay
    }
}

/// Whether the schema is behind this binary (used by `/readyz` and the first query of a
/// pool). Read-only: diesel's own check creates its bookkeeping table on an empty database,
/// and two of those at once (a probe and a background task at start-up) collide on it.
pub fn has_pending_migrations(conn: &mut PgConnection) -> Result<bool, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let table: Exists = sql_query("SELECT to_regclass('__diesel_schema_migrations') IS NOT NULL AS exists")
        .get_result(conn)?;
    if !table.exists {
        return Ok(true);
    }
    conn.has_pending_migration(MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))
}
