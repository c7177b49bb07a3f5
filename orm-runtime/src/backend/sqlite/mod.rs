//! SQLite, embedded: a direct driver on libsqlite3 (rusqlite with SQLite
//! bundled, so nothing is needed on the machine), a pool of its own, and
//! what SQLite's SQL differs in.
//!
//! - `conn`: one connection; where its statements run (the calling
//!   thread, or a blocking thread for long reads and streams).
//! - `bind`, `read`: values to parameters and columns to Rust values, in
//!   the storage forms of DESIGN.md's type table.
//! - `functions`: math, exact decimal and statistics functions the bundled
//!   SQLite lacks.
//! - `options`: WAL, busy timeout, how transactions begin, the inline
//!   budget.
//! - `error`: result codes to the ORM's error cases.
//! - `syntax`: quoting, parameters, column types.
//! - `watch`: when a statement is interrupted, and the back-off of one
//!   refused for a lock.

mod bind;
mod conn;
mod error;
mod functions;
pub(crate) mod options;
pub(super) mod read;
pub(crate) mod syntax;
mod watch;

pub(crate) use conn::Connection;

use super::Capabilities;
use crate::PoolConfig;
use crate::error::{Error, Result};
use conn::Location;
use rusqlite::OpenFlags;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What SQLite supports.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    returning: true,
    max_binds: 32_766,
    array_binds: false,
    transactional_ddl: true,
    lock_of: false,
};

/// A pool of connections to one database. In-process connections are
/// cheap to hold, so idle ones are kept until they reach `max_lifetime`
/// (an in-memory database has one connection, kept until the pool
/// closes).
#[doc(hidden)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    location: Location,
    options: options::SqliteOptions,
    idle: Mutex<Vec<(Connection, Instant)>>,
    permits: Arc<Semaphore>,
    acquire_timeout: std::time::Duration,
    max_lifetime: Option<std::time::Duration>,
    closed: AtomicBool,
    /// Taken by a `BEGIN IMMEDIATE` transaction of this pool for its whole
    /// length, so that the pool's writers queue in order instead of
    /// retrying for SQLite's write lock (other processes still contend
    /// for it through the busy timeout).
    writers: Arc<tokio::sync::Mutex<()>>,
}

/// A connection taken from the pool; it goes back when dropped.
#[doc(hidden)]
pub struct Pooled {
    conn: Option<(Connection, Instant)>,
    pool: Arc<PoolInner>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Pooled {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Present until dropped.
        &self.conn.as_ref().expect("a pooled connection").0
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some((conn, opened)) = self.conn.take() else {
            return;
        };
        let expired = self.pool.max_lifetime.is_some_and(|l| {
            opened.elapsed() > l && !matches!(self.pool.location, Location::Memory)
        });
        if !expired && !self.pool.closed.load(Ordering::SeqCst) {
            let mut idle = self
                .pool
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            idle.push((conn, opened));
        }
    }
}

/// Where a `sqlite:` URL points: `sqlite::memory:`, `sqlite://path` or
/// `sqlite:path`, with `?mode=ro|rw|rwc|memory` (default `rw`: the file
/// must exist).
fn location(url: &str) -> Result<Location> {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut memory = path == ":memory:" || path.is_empty();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("mode", "ro")) => {
                flags =
                    (flags - OpenFlags::SQLITE_OPEN_READ_WRITE) | OpenFlags::SQLITE_OPEN_READ_ONLY;
            }
            Some(("mode", "rw")) => {}
            Some(("mode", "rwc")) => flags |= OpenFlags::SQLITE_OPEN_CREATE,
            Some(("mode", "memory")) => memory = true,
            _ => {
                return Err(Error::Usage(format!(
                    "unsupported SQLite URL parameter {pair:?} in {url:?}: expected mode=ro, rw, rwc or memory"
                )));
            }
        }
    }
    Ok(if memory {
        Location::Memory
    } else {
        Location::File(path.into(), flags)
    })
}

impl Pool {
    /// Opens the database: one connection at once (so a database that
    /// cannot be opened fails here), switched to WAL if asked.
    pub(crate) async fn connect(url: &str, cfg: &PoolConfig) -> Result<Pool> {
        let location = location(url)?;
        let memory = matches!(location, Location::Memory);
        let first = Connection::open(&location, &cfg.sqlite)?;
        let read_only = matches!(&location, Location::File(_, f) if f.contains(OpenFlags::SQLITE_OPEN_READ_ONLY));
        if cfg.sqlite.wal && !memory && !read_only {
            // Once: the journal mode is stored in the file.
            first.execute_raw("PRAGMA journal_mode = WAL", None).await?;
        }
        let max = if memory {
            1
        } else {
            cfg.max_connections.max(1) as usize
        };
        Ok(Pool {
            inner: Arc::new(PoolInner {
                location,
                options: cfg.sqlite.clone(),
                idle: Mutex::new(vec![(first, Instant::now())]),
                permits: Arc::new(Semaphore::new(max)),
                acquire_timeout: cfg.acquire_timeout,
                max_lifetime: cfg.max_lifetime,
                closed: AtomicBool::new(false),
                writers: Arc::new(tokio::sync::Mutex::new(())),
            }),
        })
    }

    /// A connection if one can be had without waiting: an idle one, or a
    /// new one if fewer than `max_connections` are out.
    pub(crate) fn try_acquire(&self) -> Result<Option<Pooled>> {
        let inner = &self.inner;
        if inner.closed.load(Ordering::SeqCst) {
            return Err(conn::closed());
        }
        match inner.permits.clone().try_acquire_owned() {
            Ok(permit) => self.with_permit(permit).map(Some),
            Err(tokio::sync::TryAcquireError::Closed) => Err(conn::closed()),
            Err(tokio::sync::TryAcquireError::NoPermits) => Ok(None),
        }
    }

    /// A connection, waiting up to `acquire_timeout` for one to be free.
    pub(crate) async fn acquire(&self) -> Result<Pooled> {
        if let Some(c) = self.try_acquire()? {
            return Ok(c);
        }
        let inner = &self.inner;
        match tokio::time::timeout(inner.acquire_timeout, inner.permits.clone().acquire_owned())
            .await
        {
            Ok(Ok(permit)) => self.with_permit(permit),
            Ok(Err(_)) => Err(conn::closed()),
            Err(_) => Err(Error::connection(
                std::io::ErrorKind::TimedOut,
                format!(
                    "no SQLite connection was free within {:?} (acquire_timeout)",
                    inner.acquire_timeout
                ),
            )),
        }
    }

    fn with_permit(&self, permit: OwnedSemaphorePermit) -> Result<Pooled> {
        let inner = &self.inner;
        let reused = inner
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match reused {
            Some(c) => c,
            None if matches!(inner.location, Location::Memory) => return Err(conn::closed()),
            None => (
                Connection::open(&inner.location, &inner.options)?,
                Instant::now(),
            ),
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: inner.clone(),
            _permit: permit,
        })
    }

    /// The queue of the pool's write transactions.
    pub(crate) fn writers(&self) -> crate::exec::Writers {
        crate::exec::Writers {
            queue: self.inner.writers.clone(),
            patience: self.inner.options.busy_timeout,
        }
    }

    /// Closes the pool: idle connections now, the others when given back.
    pub(crate) fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.permits.close();
        self.inner
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}
