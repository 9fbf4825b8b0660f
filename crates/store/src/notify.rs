//! What changed in the database, as its triggers announce it (migration
//! `2026-11-30-000060_cache_invalidation`): one thread per process `LISTEN`s on a connection
//! of its own and reports each change, so that caches of keys, projects and surveys follow
//! a change made anywhere (the API of any replica, the CLI, psql) at once.
//!
//! While that connection is down the caches fall back to their time to live; the thread
//! reconnects by itself, and reports [`Event::Resync`] every time it listens again, since
//! notifications sent meanwhile were lost.

use super::{Backoff, StoreError};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use diesel::{sql_query, PgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The channel the triggers notify.
pub const CHANNEL: &str = "feedbackd_invalidate";

/// The listener connection's `application_name`, to find it in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "feedbackd-invalidation";

/// How often waiting notifications are read. Reading them is local (libpq has already
/// received them), so this bounds the delay without a round trip to the server.
const POLL: Duration = Duration::from_millis(50);

/// How often the connection is checked with a query. A server that closes the connection
/// is noticed at the next poll; one that vanishes (a network partition) only when a query
/// or the TCP keepalives fail.
const PING: Duration = Duration::from_secs(5);

/// More distinct changes than this in one poll (a bulk edit) are reported as one
/// [`Event::Resync`]: forgetting everything once is cheaper than many selective passes.
const MAX_CHANGES_PER_POLL: usize = 32;

/// A table whose rows processes cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    ApiKeys,
    Projects,
    Surveys,
}

impl Table {
    /// The table's name, as in the payload.
    pub fn as_str(self) -> &'static str {
        match self {
            Table::ApiKeys => "api_keys",
            Table::Projects => "projects",
            Table::Surveys => "surveys",
        }
    }
}

/// Rows of `table` changed: of one project, or of every project (`None`, a `TRUNCATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Change {
    pub table: Table,
    pub project: Option<Uuid>,
}

impl Change {
    /// Reads a trigger's payload, `<table>:<project id>` or `<table>:*`.
    pub fn parse(payload: &str) -> Option<Change> {
        let (table, project) = payload.split_once(':')?;
        let table =
            [Table::ApiKeys, Table::Projects, Table::Surveys].into_iter().find(|t| t.as_str() == table)?;
        let project = if project == "*" { None } else { Some(project.parse().ok()?) };
        Some(Change { table, project })
    }
}

/// What the listener reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// These rows changed.
    Changed(Change),
    /// Anything may have changed: the listener (re)connected after notifications could not
    /// reach it, or got a payload it does not know (from a newer schema).
    Resync,
}

/// The listening thread. Dropping it lets the thread end by itself within a poll;
/// [`Listener::stop`] also waits for it.
pub struct Listener {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Starts listening on a connection of its own to `url`, calling `on_event` from the
    /// listening thread. It connects in the background: the service starts while the
    /// database is away.
    pub fn start(url: SecretString, on_event: impl FnMut(Event) + Send + 'static) -> Listener {
        let (stop, stopped) = crossbeam_channel::bounded(0);
        let thread = std::thread::Builder::new()
            .name("feedbackd-invalidation".into())
            .spawn(move || run(&url, &stopped, on_event))
            .expect("spawning the invalidation listener");
        Listener { stop: Some(stop), thread: Some(thread) }
    }

    /// Stops the thread and waits for it (at most a connection attempt's timeout).
    pub fn stop(mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Closing the channel is the signal; the thread is not waited for here.
        self.stop.take();
    }
}

/// Listens until stopped, reconnecting with backoff. A lost connection is logged once,
/// not at every failed attempt.
fn run(url: &SecretString, stopped: &Receiver<()>, mut on_event: impl FnMut(Event)) {
    let mut backoff = Backoff::default();
    let mut down = false;
    loop {
        let lost = match listen(url) {
            Ok(mut conn) => {
                set_connected(true);
                if down {
                    tracing::info!("cache invalidation: listening again; caches emptied");
                }
                (down, backoff) = (false, Backoff::default());
                // After LISTEN: a change committed from now on is notified, and one
                // committed before is no longer in any cache.
                on_event(Event::Resync);
                match relay(&mut conn, stopped, &mut on_event) {
                    Ok(()) => return,
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        set_connected(false);
        if !down {
            tracing::warn!(
                error = format!("{:#}", anyhow::Error::from(lost)),
                "cache invalidation: no connection; caches expire after FEEDBACKD_AUTH_CACHE_TTL_SECS until it is back"
            );
            down = true;
        }
        if !matches!(stopped.recv_timeout(backoff.next_delay()), Err(RecvTimeoutError::Timeout)) {
            return;
        }
    }
}

fn listen(url: &SecretString) -> Result<PgConnection, StoreError> {
    let mut conn = crate::deadline::establish_watched(url.expose_secret())?;
    sql_query(format!("SET application_name = '{APPLICATION_NAME}'")).execute(&mut conn)?;
    sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    Ok(conn)
}

/// Reports notifications as they come until stopped (`Ok`) or the connection fails.
fn relay(
    conn: &mut PgConnection,
    stopped: &Receiver<()>,
    on_event: &mut impl FnMut(Event),
) -> Result<(), StoreError> {
    let mut pinged = Instant::now();
    loop {
        if !matches!(stopped.recv_timeout(POLL), Err(RecvTimeoutError::Timeout)) {
            return Ok(());
        }
        let mut changes = HashSet::new();
        let mut unknown = false;
        for notification in conn.notifications_iter() {
            match Change::parse(&notification?.payload) {
                Some(change) => _ = changes.insert(change),
                None => unknown = true,
            }
        }
        if unknown || changes.len() > MAX_CHANGES_PER_POLL {
            on_event(Event::Resync);
        } else {
            changes.into_iter().for_each(|change| on_event(Event::Changed(change)));
        }
        if pinged.elapsed() >= PING {
            sql_query("SELECT 1").execute(conn)?;
            pinged = Instant::now();
        }
    }
}

fn set_connected(connected: bool) {
    metrics::gauge!("feedbackd_cache_invalidation_connected").set(if connected { 1.0 } else { 0.0 });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_table_and_a_project_or_all() {
        let id = Uuid::now_v7();
        assert_eq!(
            Change::parse(&format!("api_keys:{id}")),
            Some(Change { table: Table::ApiKeys, project: Some(id) })
        );
        assert_eq!(Change::parse("surveys:*"), Some(Change { table: Table::Surveys, project: None }));
        for unknown in ["responses:*", "projects", "projects:nope", ""] {
            assert_eq!(Change::parse(unknown), None, "{unknown}");
        }
    }
}
