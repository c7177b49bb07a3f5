//! The execution path: every statement (fetch, execute, raw, stream,
//! transaction control) runs through here. It checks and logs the
//! statement (`observe`), leases a connection (`lease`), and hands the
//! statement to the backend's connection (`backend`), which binds its
//! values and decodes its rows by position through `RowReader` as they
//! arrive.

use crate::backend::sink::{Rows, Sink};
use crate::backend::{Capabilities, PooledConn, Pools};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::lease::{Lease, State};
use crate::observe;
use crate::render::Statement;
use chrono::TimeDelta;
use futures::StreamExt;
use futures::stream::BoxStream;
use orm_core::model::Model;
use orm_core::row::{DecodeError, RowReader};
use orm_core::value::{Kind, Value};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Instant;

/// A pool's queue of write transactions (SQLite).
pub(crate) struct Writers {
    pub(crate) queue: Arc<tokio::sync::Mutex<()>>,
    /// How long to wait in it: the busy timeout. A transaction still
    /// waiting then (say, one opened on the pool by code already inside a
    /// transaction of the same pool) goes on to contend for the lock as
    /// SQLite does, and fails with `database is locked` rather than wait
    /// forever.
    pub(crate) patience: std::time::Duration,
}

impl Writers {
    /// The turn, if no other writer of the pool holds it.
    pub(crate) fn try_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        self.queue.clone().try_lock_owned().ok()
    }

    /// The turn, after the writers ahead; `None` if it did not come
    /// within the busy timeout (the statement then contends for SQLite's
    /// lock itself).
    pub(crate) async fn turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        tokio::time::timeout(self.patience, self.queue.clone().lock_owned())
            .await
            .ok()
    }
}

/// A connection held for a unit of work (a transaction or an acquired
/// connection). Statements on it run one at a time.
#[doc(hidden)]
pub struct Pinned {
    pub(crate) conn: tokio::sync::Mutex<Option<PooledConn>>,
    pub(crate) dialect: Dialect,
    /// What the backend supports.
    pub(crate) caps: Capabilities,
    /// How `transaction(..)` starts a transaction on this connection.
    pub(crate) begin: crate::TransactionMode,
    /// A transaction is open. If the holder is dropped before it ends
    /// (cancelled), the connection is rolled back before it goes back to
    /// the pool.
    pub(crate) open_tx: AtomicBool,
    /// The nesting depth of the transaction level running now.
    pub(crate) depth: AtomicI64,
    /// A level cancelled mid-way (its future dropped): rolled back before
    /// the next statement on this connection. -1: none.
    pub(crate) pending_rollback: AtomicI64,
    /// The shallowest level at which a statement failed inside the
    /// transaction (Django's `needs_rollback`). -1: none.
    pub(crate) failed_depth: AtomicI64,
    /// The connection was closed because a statement on it was cancelled
    /// mid-way (see `lease`).
    pub(crate) discarded: AtomicBool,
    /// The pool's queue of write transactions (SQLite), and this
    /// connection's place at its head while its `BEGIN IMMEDIATE`
    /// transaction runs.
    pub(crate) writers: Option<Writers>,
    pub(crate) writing: std::sync::Mutex<Option<tokio::sync::OwnedMutexGuard<()>>>,
}

impl Pinned {
    pub(crate) fn new(
        conn: PooledConn,
        dialect: Dialect,
        caps: Capabilities,
        begin: crate::TransactionMode,
        writers: Option<Writers>,
    ) -> Self {
        Pinned {
            conn: tokio::sync::Mutex::new(Some(conn)),
            dialect,
            caps,
            begin,
            open_tx: AtomicBool::new(false),
            depth: AtomicI64::new(0),
            pending_rollback: AtomicI64::new(-1),
            failed_depth: AtomicI64::new(-1),
            discarded: AtomicBool::new(false),
            writers,
            writing: std::sync::Mutex::new(None),
        }
    }

    /// The statements that undo a level cancelled mid-way, if any.
    pub(crate) fn take_pending(&self) -> Vec<String> {
        let level = self.pending_rollback.swap(-1, Ordering::SeqCst);
        if level < 0 {
            return Vec::new();
        }
        let depth = u32::try_from(level).unwrap_or(0);
        if self.failed_depth.load(Ordering::SeqCst) >= level {
            self.failed_depth.store(-1, Ordering::SeqCst);
        }
        self.depth.store((level - 1).max(0), Ordering::SeqCst);
        if depth == 0 {
            self.open_tx.store(false, Ordering::SeqCst);
            self.end_writing();
            vec![crate::render::transaction::rollback(self.dialect, 0)]
        } else {
            vec![
                crate::render::transaction::rollback(self.dialect, depth),
                crate::render::transaction::commit(self.dialect, depth),
            ]
        }
    }

    /// The `BEGIN IMMEDIATE` transaction ended: the next writer's turn.
    pub(crate) fn end_writing(&self) {
        self.writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    /// Records a database error inside a transaction.
    pub(crate) fn note(&self, error: &Error) {
        if let Error::Database { .. } | Error::Constraint { .. } = error
            && self.open_tx.load(Ordering::SeqCst)
        {
            let depth = self.depth.load(Ordering::SeqCst);
            let _ = self
                .failed_depth
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| {
                    (f < 0 || depth < f).then_some(depth)
                });
        }
    }
}

impl Drop for Pinned {
    /// A transaction left open (its future was dropped): roll it back on a
    /// task before the connection returns to the pool. Without a runtime the
    /// connection is closed instead (which loses an in-memory SQLite
    /// database; with a runtime it is kept).
    fn drop(&mut self) {
        if !self.open_tx.load(Ordering::SeqCst) {
            return;
        }
        let Some(conn) = self.conn.get_mut().take() else {
            return;
        };
        let rollback = crate::render::transaction::rollback(self.dialect, 0);
        match (conn, tokio::runtime::Handle::try_current()) {
            // SQLite runs it here, on this thread.
            (PooledConn::Sqlite(c), _) => {
                let _ = c.execute_raw_now(&rollback);
            }
            (mut conn, Ok(handle)) => {
                handle.spawn(async move {
                    let _ = conn.execute_raw(&rollback, None).await;
                });
            }
            (mut conn, Err(_)) => conn.close_on_drop(),
        }
    }
}

/// Where a statement runs.
#[doc(hidden)]
pub enum Target<'a> {
    Pool(&'a Pools),
    Pinned(&'a Pinned),
    /// A transaction level, refused once it has ended.
    Level(&'a Pinned, &'a AtomicBool),
}

/// Something statements can run on: a [`Db`](crate::Db) (pool), a
/// transaction [`Tx`](crate::Tx) or an acquired [`Conn`](crate::Conn).
pub trait Executor: Send + Sync {
    /// The backend's dialect.
    fn dialect(&self) -> Dialect;
    #[doc(hidden)]
    fn target(&self) -> Target<'_>;
    #[doc(hidden)]
    fn handle(&self) -> Handle<'_>;
    /// What the backend supports.
    fn capabilities(&self) -> Capabilities {
        match self.target() {
            Target::Pinned(p) | Target::Level(p, _) => p.caps,
            Target::Pool(_) => Capabilities::of(self.dialect()),
        }
    }
    /// Whether `INSERT .. RETURNING` is available (SQLite, PostgreSQL,
    /// MariaDB; not MySQL).
    fn supports_returning(&self) -> bool {
        self.capabilities().returning
    }
}

/// The connection handle behind an executor, to open a transaction or a
/// savepoint on it.
#[doc(hidden)]
pub enum Handle<'a> {
    Db(&'a crate::Db),
    Tx(&'a crate::Tx),
    Conn(&'a crate::Conn),
    /// An internal executor of one pinned connection.
    Pinned,
}

impl<E: Executor + ?Sized> Executor for &E {
    fn handle(&self) -> Handle<'_> {
        (**self).handle()
    }
    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }
    fn dialect(&self) -> Dialect {
        (**self).dialect()
    }
    fn target(&self) -> Target<'_> {
        (**self).target()
    }
}

/// Turns the next columns of a row into a value. A decoder is cloned onto
/// the thread of a SQLite statement that runs off the calling thread (a
/// long read or a stream), which then decodes its rows there.
pub trait RowDecoder: Clone + Send + Sync + 'static {
    /// The decoded value.
    type Output: Send + 'static;
    /// Decodes from the reader's next columns.
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<Self::Output, DecodeError>;
}

/// Decodes a model from its stored columns.
pub struct ModelDecoder<M>(PhantomData<fn() -> M>);

impl<M> Clone for ModelDecoder<M> {
    fn clone(&self) -> Self {
        ModelDecoder(PhantomData)
    }
}

impl<M> ModelDecoder<M> {
    /// A decoder for `M`.
    pub fn new() -> Self {
        ModelDecoder(PhantomData)
    }
}

impl<M> Default for ModelDecoder<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> RowDecoder for ModelDecoder<M> {
    type Output = M;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<M, DecodeError> {
        M::decode_row(r)
    }
}

/// Decodes untyped values of the given kinds (join-table keys, returned
/// primary keys).
#[derive(Clone)]
pub struct ValuesDecoder(pub Vec<Kind>);

impl RowDecoder for ValuesDecoder {
    type Output = Vec<Value>;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<Vec<Value>, DecodeError> {
        self.0.iter().map(|k| read_value(r, *k)).collect()
    }
}

/// Decodes one `i64` (counts).
#[derive(Clone, Copy)]
pub struct CountDecoder;

impl RowDecoder for CountDecoder {
    type Output = i64;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<i64, DecodeError> {
        r.read_i64()
            .and_then(|v| v.ok_or_else(|| "unexpected NULL".to_owned()))
            .map_err(|message| DecodeError {
                model: "COUNT(*)",
                column: "count",
                expected: "i64",
                message,
            })
    }
}

/// Reads the next column as a value of `kind`.
pub fn read_value<R: RowReader + ?Sized>(r: &mut R, kind: Kind) -> Result<Value, DecodeError> {
    let err = |message| DecodeError {
        model: "value",
        column: "?",
        expected: "value",
        message,
    };
    macro_rules! read {
        ($m:ident, $v:ident) => {
            r.$m().map_err(err)?.map(Value::$v)
        };
    }
    let v = match kind {
        Kind::Bool => read!(read_bool, Bool),
        Kind::I16 => read!(read_i16, I16),
        Kind::I32 => read!(read_i32, I32),
        Kind::I64 => read!(read_i64, I64),
        Kind::F32 => read!(read_f32, F32),
        Kind::F64 => read!(read_f64, F64),
        Kind::String => read!(read_string, String),
        Kind::Bytes => read!(read_bytes, Bytes),
        Kind::Decimal => read!(read_decimal, Decimal),
        Kind::Date => read!(read_date, Date),
        Kind::DateTime => read!(read_datetime, DateTime),
        Kind::DateTimeUtc => read!(read_datetime_utc, DateTimeUtc),
        Kind::Time => read!(read_time, Time),
        Kind::Duration => r
            .read_i64()
            .map_err(err)?
            .map(|micros| Value::Duration(TimeDelta::microseconds(micros))),
        Kind::Uuid => read!(read_uuid, Uuid),
        Kind::Json => read!(read_json, Json),
    };
    Ok(v.unwrap_or(Value::Null(kind)))
}

/// The outcome of a statement that returns no rows.
#[derive(Debug, Clone, Copy)]
pub struct ExecResult {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// The key of the last inserted row (MySQL).
    pub last_insert_id: Option<u64>,
}

// ---------------------------------------------------------------- running

/// Runs one statement through the observers: N+1 check before, log and
/// captures after, whatever the outcome.
async fn observed<T>(
    stmt: &Statement,
    kind: observe::Kind,
    rows: impl Fn(&T) -> u64,
    run: impl Future<Output = Result<T>>,
) -> Result<T> {
    let started = Instant::now();
    if let Err(e) = observe::start(stmt, kind) {
        observe::finish(stmt, started, Err(&e));
        return Err(e);
    }
    let out = run.await;
    observe::finish(stmt, started, out.as_ref().map(rows));
    out
}

/// Runs `$body` with `$c` bound to a connection leased from `$target`:
/// the one path of every statement that returns at once (see `lease`).
macro_rules! leased {
    ($target:expr, |$c:ident, $w:ident| $body:expr) => {{
        let mut lease = Lease::take($target).await?;
        let writers = lease.writers();
        let $w = writers.as_ref();
        let (conn, _) = lease.start();
        let $c = conn;
        let out = $body;
        lease.finish(out.as_ref().err());
        out
    }};
}

/// Runs a query and decodes every row.
///
/// Only this wrapper is compiled per decoder (and executor) type: the run
/// itself (`fetch_into`) is not generic, so a crate with many queries
/// compiles it once, in this crate.
pub async fn fetch<E: Executor + ?Sized, D: RowDecoder>(
    ex: &E,
    stmt: &Statement,
    d: &D,
) -> Result<Vec<D::Output>> {
    fetch_on(ex.target(), stmt, d).await
}

/// Runs a query on `target` and decodes every row.
pub(crate) async fn fetch_on<D: RowDecoder>(
    target: Target<'_>,
    stmt: &Statement,
    d: &D,
) -> Result<Vec<D::Output>> {
    let mut rows = Rows::new(d.clone(), 0);
    fetch_into(target, stmt, &mut rows).await?;
    Ok(rows.rows)
}

/// Runs a query on `target`, decoding every row into `rows`.
pub(crate) async fn fetch_into(
    target: Target<'_>,
    stmt: &Statement,
    rows: &mut dyn Sink,
) -> Result<()> {
    let run = async {
        leased!(target, |c, w| c.fetch(stmt, &mut *rows, w).await)?;
        Ok(rows.len() as u64)
    };
    observed(stmt, observe::Kind::Query, |n: &u64| *n, run)
        .await
        .map(|_| ())
}

/// Runs a statement that returns no rows.
pub async fn execute<E: Executor + ?Sized>(ex: &E, stmt: &Statement) -> Result<ExecResult> {
    let run = async { leased!(ex.target(), |c, w| c.execute(stmt, w).await) };
    observed(
        stmt,
        observe::Kind::Query,
        |r: &ExecResult| r.rows_affected,
        run,
    )
    .await
}

/// Runs SQL text without parameters through the simple (unprepared)
/// protocol: DDL and transaction control.
pub async fn execute_raw<E: Executor + ?Sized>(ex: &E, sql: &str) -> Result<ExecResult> {
    let stmt = Statement {
        dialect: ex.dialect(),
        sql: sql.to_owned(),
        binds: Vec::new(),
    };
    let run = async { leased!(ex.target(), |c, w| c.execute_raw(sql, w).await) };
    observed(
        &stmt,
        observe::Kind::Unprepared,
        |r: &ExecResult| r.rows_affected,
        run,
    )
    .await
}

/// Runs SQL text without parameters on a pinned connection.
pub(crate) async fn execute_raw_pinned(pin: &Pinned, sql: &str) -> Result<ExecResult> {
    struct P<'a>(&'a Pinned);
    impl Executor for P<'_> {
        fn dialect(&self) -> Dialect {
            self.0.dialect
        }
        fn target(&self) -> Target<'_> {
            Target::Pinned(self.0)
        }
        fn handle(&self) -> Handle<'_> {
            Handle::Pinned
        }
    }
    execute_raw(&P(pin), sql).await
}

/// Streams the decoded rows of a query without collecting them, through
/// the same lease as every other statement (see `lease`). On a pinned
/// connection the connection stays locked while the stream lives.
pub fn stream<'a, E: Executor + ?Sized, D: RowDecoder + 'a>(
    ex: &'a E,
    stmt: Statement,
    d: D,
) -> BoxStream<'a, Result<D::Output>> {
    let target = ex.target();
    Box::pin(async_stream::try_stream! {
        let started = Instant::now();
        if let Err(e) = observe::start(&stmt, observe::Kind::Query) {
            observe::finish(&stmt, started, Err(&e));
            Err(e)?;
        }
        let d = d;
        let mut lease = match Lease::take(target).await {
            Ok(lease) => lease,
            Err(e) => {
                observe::finish(&stmt, started, Err(&e));
                Err(e)?
            }
        };
        let (conn, state) = lease.start();
        let mut rows: BoxStream<'_, Result<D::Output>> =
            conn.stream(&stmt, &d);
        let mut count = 0u64;
        let mut failed = None;
        while let Some(item) = rows.next().await {
            match item {
                Ok(row) => {
                    count += 1;
                    *state = State::BetweenRows;
                    yield row;
                    *state = State::Busy;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(rows);
        if let Some(Error::Decode(_)) = failed {
            // The rest of the reply is unread, as when the reader drops the
            // stream between rows.
            lease.abandon();
        } else {
            lease.finish(failed.as_ref());
        }
        if let Some(e) = failed {
            observe::finish(&stmt, started, Err(&e));
            Err(e)?;
        }
        observe::finish(&stmt, started, Ok(count));
    })
}

/// Decodes every remaining column of a row as text (EXPLAIN output).
#[derive(Clone, Copy)]
pub struct TextRowDecoder;

impl RowDecoder for TextRowDecoder {
    type Output = Vec<Option<String>>;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<Self::Output, DecodeError> {
        let n = r.remaining();
        (0..n)
            .map(|_| {
                r.read_text().map_err(|message| DecodeError {
                    model: "EXPLAIN",
                    column: "?",
                    expected: "text",
                    message,
                })
            })
            .collect()
    }
}
