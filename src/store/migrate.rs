//! Embedded migrations, applied under an advisory lock so that replicas starting together
//! take turns instead of racing on the same DDL.

use super::StoreError;
use diesel::{sql_query, PgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

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

/// Whether the schema is behind this binary (used by `/readyz`).
pub fn has_pending_migrations(conn: &mut PgConnection) -> Result<bool, StoreError> {
    conn.has_pending_migration(MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))
}
