//! A connection leased for one statement: the one path every statement
//! (fetch, execute, raw, stream, transaction control) takes to a
//! connection, and what happens when its future is dropped half-way.
//!
//! Taking a lease gets a connection from the pool, or locks the pinned
//! connection of a transaction or acquired connection and first rolls back
//! a transaction level cancelled mid-way. Finishing it records a failed
//! statement against the transaction level that ran it (Django's
//! `needs_rollback`). Dropping it while the driver is in the middle of a
//! statement (the caller's future cancelled, for example by
//! `tokio::time::timeout`) discards the connection on PostgreSQL and
//! MySQL/MariaDB instead of handing it back: the wire protocol may be
//! half-read, and the driver's own recovery (reading the rest of the reply
//! when the connection is next used, or pinging it on the way back to the
//! pool) can wait for the whole statement or hang, which left `Db::close`
//! waiting forever. The socket is closed at once (the server then ends the
//! statement and rolls back any open transaction) and the pool may open a
//! replacement. SQLite keeps the connection: a statement there runs on the
//! calling thread (so it cannot be dropped half-way) or, if long, on a
//! blocking thread that stops it when its future is dropped; and an
//! in-memory database lives only as long as its one connection.
//!
//! A stream dropped between rows is not mid-statement: on a pinned
//! connection the driver reads the rest of the reply before the next
//! statement, so the transaction goes on; on the pool the connection is
//! discarded rather than made to read an unknown number of remaining rows.

use crate::backend::{PooledConn, Pools};
use crate::error::{Error, Result};
use crate::exec::{Pinned, Target};
use crate::observe;
use crate::render::Statement;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::MutexGuard;

/// Where the leased connection lives.
enum Slot<'a> {
    /// Taken from the pool for this statement; returned when the lease ends.
    Pool(&'a Pools, Option<PooledConn>),
    /// The connection of a transaction or an acquired connection, locked for
    /// this statement.
    Pinned(&'a Pinned, MutexGuard<'a, Option<PooledConn>>),
}

/// What a dropped lease does with its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// No statement is running: the connection is handed back as it is.
    Idle,
    /// The driver is in the middle of a statement.
    Busy,
    /// A stream has yielded a row and waits for its reader; the rest of the
    /// reply is still to be read.
    BetweenRows,
}

/// A connection leased for one statement (see the module docs).
pub(crate) struct Lease<'a> {
    slot: Slot<'a>,
    state: State,
    /// No statement on the connection failed with a connection error.
    healthy: bool,
}

impl<'a> Lease<'a> {
    /// Leases the connection a statement runs on.
    pub(crate) async fn take(target: Target<'a>) -> Result<Lease<'a>> {
        let slot = match target {
            Target::Pool(pools) => Slot::Pool(pools, Some(pools.acquire().await?)),
            Target::Level(_, live) if !live.load(Ordering::SeqCst) => {
                return Err(Error::Usage("the transaction has already finished".into()));
            }
            Target::Pinned(pin) | Target::Level(pin, _) => {
                let guard = pin.conn.lock().await;
                if guard.is_none() {
                    return Err(gone(pin));
                }
                Slot::Pinned(pin, guard)
            }
        };
        let mut lease = Lease {
            slot,
            state: State::Idle,
            healthy: true,
        };
        lease.undo_cancelled().await?;
        Ok(lease)
    }

    /// The connection, for a statement that starts now, and the state to
    /// set while a stream hands out rows.
    pub(crate) fn start(&mut self) -> (&mut PooledConn, &mut State) {
        self.state = State::Busy;
        let conn = match &mut self.slot {
            Slot::Pool(_, c) => c.as_mut(),
            Slot::Pinned(_, guard) => guard.as_mut(),
        };
        // A lease is only made with a connection, and loses it only when
        // dropped.
        let conn = conn.expect("a lease holds a connection");
        (conn, &mut self.state)
    }

    /// The queue the pool's writes wait in (a statement on SQLite's pool;
    /// a transaction's statements already hold their turn).
    pub(crate) fn writers(&self) -> Option<crate::exec::Writers> {
        match &self.slot {
            Slot::Pool(pools, _) => pools.writers(),
            Slot::Pinned(..) => None,
        }
    }

    /// The statement is over: the connection is clean again. A database
    /// error inside a transaction marks its level as failed.
    pub(crate) fn finish(&mut self, error: Option<&Error>) {
        self.state = State::Idle;
        if let Some(Error::Connection(_)) = error {
            self.healthy = false;
        }
        if let (Slot::Pinned(pin, _), Some(e)) = (&self.slot, error) {
            pin.note(e);
        }
    }

    /// The statement stops with its reply partly unread (a stream ended by
    /// a row that does not decode): the connection is handled as for a
    /// stream dropped between rows.
    pub(crate) fn abandon(&mut self) {
        self.state = State::BetweenRows;
    }

    /// Rolls back a transaction level that was cancelled mid-way, before
    /// the connection runs anything else; observed like any statement.
    async fn undo_cancelled(&mut self) -> Result<()> {
        let Slot::Pinned(pin, _) = &self.slot else {
            return Ok(());
        };
        let pin: &Pinned = pin;
        for sql in pin.take_pending() {
            let stmt = Statement {
                dialect: pin.dialect,
                sql,
                binds: Vec::new(),
            };
            let started = Instant::now();
            let (conn, _) = self.start();
            let undone = conn.execute_raw(&stmt.sql, None).await;
            self.finish(None);
            observe::finish(&stmt, started, undone.as_ref().map(|r| r.rows_affected));
            undone?;
        }
        Ok(())
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mid_way = match self.state {
            State::Idle => {
                if let Slot::Pool(pools, conn) = &mut self.slot
                    && let Some(c) = conn.take()
                {
                    pools.release(c, self.healthy);
                }
                return;
            }
            State::Busy => "a statement was cancelled mid-way",
            State::BetweenRows => "a stream was dropped before its last row",
        };
        match &mut self.slot {
            Slot::Pool(_, conn) => {
                let kept = conn
                    .as_ref()
                    .is_some_and(PooledConn::survives_dropped_stream);
                if (self.state == State::Busy || !kept)
                    && let Some(c) = conn.take()
                {
                    // A kept (SQLite) connection goes back to the pool.
                    drop(discard(c, mid_way));
                }
            }
            // The driver reads the rest of the reply before the next
            // statement; the transaction goes on.
            Slot::Pinned(_, _) if self.state == State::BetweenRows => {}
            Slot::Pinned(pin, guard) => {
                if let Some(conn) = guard.take() {
                    match discard(conn, mid_way) {
                        Some(kept) => **guard = Some(kept),
                        None => pin.discarded.store(true, Ordering::SeqCst),
                    }
                }
            }
        }
    }
}

/// Closes a connection left mid-statement without waiting for the server,
/// and frees its place in the pool. SQLite connections are kept (returned).
fn discard(conn: PooledConn, why: &str) -> Option<PooledConn> {
    let kept = conn.discard();
    if kept.is_none() {
        tracing::warn!(target: "orm::query", "{why}: its connection was closed rather than reused");
    }
    kept
}

/// The error for a statement on a pinned connection that has no
/// connection any more.
fn gone(pin: &Pinned) -> Error {
    if pin.discarded.load(Ordering::SeqCst) {
        Error::connection(
            std::io::ErrorKind::ConnectionAborted,
            "a statement on this connection was cancelled mid-way, so the connection was closed \
             (an open transaction was rolled back by the server)",
        )
    } else {
        Error::Usage("the transaction or connection has already finished".into())
    }
}
