//! Transactions for the services. The services compose several queries into one
//! transaction without naming diesel: the connection is [`Conn`], and a transaction is a
//! closure whose error is the service's own (anything a [`StoreError`] converts into).

use super::StoreError;
use diesel::{Connection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// A connection to the database, as the services see it: something to pass to queries.
pub type Conn = diesel::PgConnection;

/// Carries the service's error through diesel's transaction, which wants its own.
struct Rollback<E>(E);

impl<E: From<StoreError>> From<diesel::result::Error> for Rollback<E> {
    fn from(error: diesel::result::Error) -> Self {
        Rollback(StoreError::Query(error).into())
    }
}

/// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise.
pub fn transaction<T, E: From<StoreError>>(
    conn: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T, E>,
) -> Result<T, E> {
    conn.transaction(|conn| f(conn).map_err(Rollback)).map_err(|Rollback(e)| e)
}

/// Runs `f` in a read-only repeatable-read transaction, so that everything it reads
/// (rollups and raw rows, or the pages of an export) comes from one snapshot.
pub fn read_snapshot<T, E: From<StoreError>>(
    conn: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T, E>,
) -> Result<T, E> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            // Many short index range scans look expensive in sum to the planner, which then
            // spends more time compiling them (JIT) than running them.
            diesel::sql_query("SET LOCAL jit = off").execute(conn)?;
            f(conn).map_err(Rollback)
        })
        .map_err(|Rollback(e)| e)
}

/// A connection of its own, for a component that holds one for long (the ingest writers).
pub fn connect(url: &SecretString) -> Result<Conn, StoreError> {
    let mut conn = super::deadline::establish_watched(url.expose_secret())?;
    // A statement stuck on a lock must not hold every request hostage. The server ends it
    // before the call deadline would cut the connection: a failed statement keeps it.
    let limit = (super::deadline::limit() * 4 / 5).min(Duration::from_secs(10));
    diesel::sql_query(format!("SET statement_timeout = {}", limit.as_millis().max(1))).execute(&mut conn)?;
    Ok(conn)
}
