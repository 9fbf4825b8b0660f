//! A deadline on every database call, enforced by feedbackd itself.
//!
//! A database host that hangs (a frozen VM, a stopped process, a storage stall) keeps its
//! connections open and silent while its kernel still acknowledges every packet: a call
//! sent to it waits in `poll()` forever. Neither the server's `statement_timeout` (the
//! server is what hangs) nor TCP keepalives (they are acknowledged) end that wait, and after
//! a failover the replicas would never reach the promoted standby. So each connection's
//! socket is known, every call on it is timed (diesel's instrumentation marks its start and
//! end), and a watchdog thread shuts the socket down under a call that outlives the limit:
//! libpq then sees the connection closed, the call fails as a lost connection (a 503), the
//! pool drops the connection, and the next one is made afresh — to the new primary.
//!
//! The limit is [`set_limit`] (`FEEDBACKD_DB_CALL_TIMEOUT_MS`). Work that may run longer on
//! purpose (indexing an attribute rewrites its rollups in one statement) runs in [`exempt`].

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use std::cell::Cell;
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// The limit until [`set_limit`] is called.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(5);
/// How often the watchdog looks at the calls in flight: a hung call ends at most this much
/// after its limit.
const TICK: Duration = Duration::from_millis(100);

static LIMIT_MS: AtomicU64 = AtomicU64::new(DEFAULT_LIMIT.as_millis() as u64);

/// Sets how long any database call may take (once, at start).
pub fn set_limit(limit: Duration) {
    LIMIT_MS.store(limit.as_millis().max(1) as u64, Ordering::Relaxed);
}

/// How long any database call may take.
pub fn limit() -> Duration {
    Duration::from_millis(LIMIT_MS.load(Ordering::Relaxed))
}

thread_local! {
    static EXEMPT: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with no deadline on the calls this thread makes: for maintenance statements
/// that are long on purpose. A hung server then holds `f` until the operator stops it.
pub fn exempt<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            EXEMPT.with(|e| e.set(self.0));
        }
    }
    let _restore = Restore(EXEMPT.with(|e| e.replace(true)));
    f()
}

/// Puts `conn`'s calls under the deadline. A connection whose socket cannot be found (a
/// Unix socket, a pooler between, a platform without `/proc`) stays as it was, and says so once.
pub fn watch(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    #[derive(QueryableByName)]
    struct Ends {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        client: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        server: Option<String>,
    }
    // The server sees both ends of the connection; together they name our socket among
    // ours. Behind a pooler or NAT they name no socket of ours, and nothing is watched.
    let ends: Ends = diesel::sql_query(
        "SELECT host(inet_client_addr()) || ' ' || inet_client_port() AS client, \
                host(inet_server_addr()) || ' ' || inet_server_port() AS server",
    )
    .get_result(conn)?;
    let socket = parse_end(ends.client.as_deref())
        .zip(parse_end(ends.server.as_deref()))
        .and_then(|(local, peer)| find_socket(local, peer));
    match socket {
        Some(socket) => {
            let slot = Arc::new(Slot { socket, since: Mutex::new(None) });
            watchdog().register(&slot);
            conn.set_instrumentation(Timer(slot));
        }
        None => {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                tracing::info!("database calls on a Unix socket, or through a connection pooler or NAT, are not under FEEDBACKD_DB_CALL_TIMEOUT_MS")
            });
        }
    }
    Ok(())
}

/// Opens a connection and puts it under the deadline.
pub fn establish_watched(url: &str) -> Result<PgConnection, crate::StoreError> {
    let mut conn = PgConnection::establish(url)?;
    watch(&mut conn)?;
    Ok(conn)
}

/// Our end of one TCP connection to the server: its descriptor, and the two addresses that
/// prove the descriptor still is that connection.
#[derive(Debug, Clone, Copy)]
struct Socket {
    fd: RawFd,
    local: SocketAddr,
    peer: SocketAddr,
}

impl Socket {
    fn read(fd: RawFd) -> Option<Socket> {
        // SAFETY: only borrowed for the two calls below; a descriptor closed meanwhile makes
        // them fail (EBADF), which is a `None`.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let sock = socket2::SockRef::from(&borrowed);
        let local = sock.local_addr().ok()?.as_socket()?;
        let peer = sock.peer_addr().ok()?.as_socket()?;
        Some(Socket { fd, local, peer })
    }

    /// Ends the connection under a waiting call: its `poll()` wakes to the end of stream.
    /// The descriptor stays open (libpq closes it), so it cannot be reused meanwhile.
    fn cut(&self) -> bool {
        if !Socket::read(self.fd).is_some_and(|now| now.local == self.local && now.peer == self.peer) {
            return false;
        }
        // SAFETY: as in `read`; the addresses just matched, so this is still our connection.
        let borrowed = unsafe { BorrowedFd::borrow_raw(self.fd) };
        socket2::SockRef::from(&borrowed).shutdown(std::net::Shutdown::Both).is_ok()
    }
}

/// `"127.0.0.1 5432"` as an address.
fn parse_end(end: Option<&str>) -> Option<SocketAddr> {
    let (ip, port) = end?.split_once(' ')?;
    Some(SocketAddr::new(ip.parse().ok()?, port.parse().ok()?))
}

/// The TCP socket of this process from `local` to `peer`.
fn find_socket(local: SocketAddr, peer: SocketAddr) -> Option<Socket> {
    std::fs::read_dir("/proc/self/fd")
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .filter_map(Socket::read)
        .find(|socket| socket.local == local && socket.peer == peer)
}

/// One watched connection: when its call in flight began.
struct Slot {
    socket: Socket,
    since: Mutex<Option<Instant>>,
}

impl Slot {
    fn set(&self, since: Option<Instant>) {
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = since;
    }
}

/// The connection's instrumentation: starts and stops its call's clock.
struct Timer(Arc<Slot>);

impl Instrumentation for Timer {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } if !EXEMPT.with(Cell::get) => {
                self.0.set(Some(Instant::now()))
            }
            InstrumentationEvent::FinishQuery { .. } => self.0.set(None),
            _ => {}
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.0.set(None);
    }
}

/// The thread that cuts calls past the limit, and the connections it watches.
struct Watchdog {
    slots: Mutex<Vec<Weak<Slot>>>,
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog { slots: Mutex::new(Vec::new()) }));
        std::thread::Builder::new()
            .name("db-deadline".into())
            .spawn(move || loop {
                std::thread::sleep(TICK);
                dog.sweep(limit());
            })
            .expect("spawning the database deadline thread");
        dog
    })
}

impl Watchdog {
    fn register(&self, slot: &Arc<Slot>) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).push(Arc::downgrade(slot));
    }

    fn sweep(&self, limit: Duration) {
        let live: Vec<Arc<Slot>> = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.retain(|slot| slot.strong_count() > 0);
            slots.iter().filter_map(Weak::upgrade).collect()
        };
        let mut hung = Vec::new();
        for slot in &live {
            // Held while cutting: the call cannot finish and its connection close meanwhile.
            let mut since = slot.since.lock().unwrap_or_else(|e| e.into_inner());
            let Some(started) = *since else { continue };
            if started.elapsed() < limit {
                continue;
            }
            *since = None;
            if slot.socket.cut() {
                metrics::counter!("feedbackd_db_calls_cut_total").increment(1);
                tracing::warn!(
                    server = %slot.socket.peer,
                    waited_ms = started.elapsed().as_millis() as u64,
                    "a database call outlived FEEDBACKD_DB_CALL_TIMEOUT_MS: its connection is closed and the call fails; the next one connects afresh"
                );
                hung.push(Arc::clone(slot));
            }
        }
        // A server that held one call may hold them all: its idle connections are closed
        // too, so that the pool does not hand them out one by one, each to wait out the
        // limit. Closing an idle connection costs a reconnection, nothing else; calls in
        // flight on them keep their own deadline (a slow statement is not a hung server).
        let mut idle_closed = 0;
        for slot in &live {
            let same_server = hung.iter().any(|cut| cut.socket.peer == slot.socket.peer);
            if !same_server || hung.iter().any(|cut| Arc::ptr_eq(cut, slot)) {
                continue;
            }
            let since = slot.since.lock().unwrap_or_else(|e| e.into_inner());
            if since.is_none() && slot.socket.cut() {
                idle_closed += 1;
            }
        }
        if idle_closed > 0 {
            tracing::info!(
                idle_closed,
                "closed the idle connections to a server that held a call past the limit"
            );
        }
    }
}
