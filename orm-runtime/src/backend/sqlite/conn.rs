//! One SQLite connection, driven directly through libsqlite3 (rusqlite,
//! bundled): prepared statements cached per connection, rows decoded
//! straight into the target type as they are stepped.
//!
//! Where statements run: SQLite is in-process and most statements take
//! microseconds, so a statement runs on the calling thread, inside the
//! `poll` of the future awaiting it; a thread handoff per statement would
//! cost more than the statement. Two kinds go to a blocking thread
//! instead and hand their rows back in batches over a channel:
//!
//! - **long reads**: a read-only statement still running after the
//!   inline budget ([`SqliteOptions::inline_budget`]) is interrupted (a
//!   read changes nothing, so it can start again) and rerun on a thread,
//!   where dropping its future stops it; the connection remembers the
//!   statement and runs it on a thread from the start next time;
//! - **streams**, so a slow reader never holds the calling thread.
//!
//! A statement on a thread decodes its rows there (with a clone of the
//! row decoder) and sends them back in batches.
//!
//! Writes always finish on the calling thread: interrupting one inside a
//! transaction could roll back the transaction.
//!
//! Waiting for a lock: SQLite's own busy handler would sleep on the
//! calling thread, blocking the runtime's worker, possibly the one the
//! lock holder needs to finish its transaction. Connections are opened
//! with no busy handler; a statement refused with SQLITE_BUSY (it changed
//! nothing) is tried again after an asynchronous pause, with SQLite's own
//! back-off, until the busy timeout has passed.
//!
//! Cancelling: every statement takes a fresh generation number; dropping
//! the future of a statement on a thread marks its generation cancelled,
//! and the connection's progress handler interrupts it within about a
//! thousand virtual-machine steps. A later statement is never touched by
//! an earlier cancel.

use super::bind::bind;
use super::error::classify;
use super::functions;
use super::read::Reader;
use super::watch::{Backoff, Watch, is_busy, now_nanos};
use crate::SqliteOptions;
use crate::backend::sink::Sink;
use crate::error::{Error, Result};
use crate::exec::{ExecResult, Writers};
use crate::render::Statement;
use rusqlite::fallible_iterator::FallibleIterator;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

/// Rows per batch sent from a statement running on a thread.
const BATCH: usize = 256;
/// Virtual-machine steps between two checks of the progress handler.
const CHECK_EVERY: i32 = 1_000;
/// Statements remembered as long, per connection.
const LONG_MEMORY: usize = 256;

/// Where a database is.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// A private in-memory database (it lives as long as its connection).
    Memory,
    /// A file, opened with these flags.
    File(std::path::PathBuf, rusqlite::OpenFlags),
}

struct Locked {
    conn: rusqlite::Connection,
    /// Reads (statement and values) that outran the inline budget: run on
    /// a thread. The values count: the same statement may read one row or
    /// a million.
    long: HashSet<u64>,
}

/// A statement with its values, as a key.
fn shape(stmt: &Statement) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    stmt.sql.hash(&mut h);
    struct Into<'a>(&'a mut std::collections::hash_map::DefaultHasher);
    impl std::fmt::Write for Into<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            s.hash(self.0);
            Ok(())
        }
    }
    let _ = std::fmt::write(&mut Into(&mut h), format_args!("{:?}", stmt.binds));
    h.finish()
}

struct Shared {
    db: Mutex<Locked>,
    /// The running statement started outside a transaction (or is a
    /// COMMIT), so a refusal for a lock may be waited out. Inside a
    /// transaction that has read, waiting cannot help (the other side may
    /// be waiting for this one), and SQLite itself would fail at once.
    retryable: AtomicBool,
    watch: Arc<Watch>,
    budget: Duration,
    busy_timeout: Duration,
}

/// What an inline attempt came to.
enum Inline<T> {
    /// It ran.
    Done(T),
    /// A long read: run it on a thread.
    Long,
    /// A write that must first wait for its turn.
    Write,
}

/// One open connection. Cheap to clone (the clones share it); statements
/// on it run one at a time.
#[derive(Clone)]
#[doc(hidden)]
pub struct Connection {
    shared: Arc<Shared>,
}

/// A batch of decoded rows, or the error that ended the statement.
type Batch = Result<Box<dyn Sink>>;

impl Connection {
    /// Opens a connection: foreign keys on, the busy timeout, the
    /// statement cache, the ORM's functions and the progress handler.
    pub(crate) fn open(location: &Location, options: &SqliteOptions) -> Result<Connection> {
        let conn = match location {
            Location::Memory => rusqlite::Connection::open_in_memory(),
            Location::File(path, flags) => rusqlite::Connection::open_with_flags(path, *flags),
        }
        .map_err(classify)?;
        // Waits are asynchronous (`retry_busy`), not SQLite's.
        conn.busy_timeout(Duration::ZERO).map_err(classify)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(classify)?;
        conn.set_prepared_statement_cache_capacity(options.statement_cache);
        functions::register(&conn).map_err(classify)?;
        let watch = Arc::new(Watch::default());
        let handler = watch.clone();
        conn.progress_handler(CHECK_EVERY, Some(move || handler.interrupt_now()))
            .map_err(classify)?;
        Ok(Connection {
            shared: Arc::new(Shared {
                retryable: AtomicBool::new(true),
                db: Mutex::new(Locked {
                    conn,
                    long: HashSet::new(),
                }),
                watch,
                budget: options.inline_budget,
                busy_timeout: options.busy_timeout,
            }),
        })
    }

    /// Waits for the connection (a statement still running on a thread
    /// after its future was dropped stops within a few steps).
    fn lock(&self) -> MutexGuard<'_, Locked> {
        self.shared
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs a query and decodes every row into `rows`: on this thread, or
    /// on a blocking thread if it is (or turns out to be) a long read. On
    /// the pool (`writers` given), a statement that writes (`INSERT ..
    /// RETURNING`) first waits for its turn among the pool's writers.
    pub(crate) async fn fetch(
        &self,
        stmt: &Statement,
        rows: &mut dyn Sink,
        writers: Option<&Writers>,
    ) -> Result<()> {
        match self.fetch_inline(stmt, rows, writers.is_some()) {
            Inline::Done(Err(e)) if self.busy(&e) => {}
            Inline::Done(done) => {
                // A statement that ran here counts against the task's
                // budget, so a loop of them still yields to other tasks
                // (and to a timeout around it).
                tokio::task::consume_budget().await;
                return done;
            }
            Inline::Long => return Box::pin(self.fetch_on_thread(stmt, rows)).await,
            Inline::Write => {}
        }
        // A write waiting for its turn, or a statement refused for a lock:
        // the slow path, boxed so that the common future stays small.
        Box::pin(async {
            let _turn = match writers {
                Some(w) => w.turn().await,
                None => None,
            };
            let mut backoff = Backoff::new(self.shared.busy_timeout);
            loop {
                match self.fetch_inline(stmt, rows, false) {
                    Inline::Done(Err(e)) if self.busy(&e) => match backoff.next() {
                        Some(pause) => tokio::time::sleep(pause).await,
                        None => return Err(e),
                    },
                    Inline::Done(done) => return done,
                    Inline::Long | Inline::Write => return self.fetch_on_thread(stmt, rows).await,
                }
            }
        })
        .await
    }

    /// Runs a query on a blocking thread, decoding its rows there in
    /// batches that are appended to `rows` here.
    async fn fetch_on_thread(&self, stmt: &Statement, rows: &mut dyn Sink) -> Result<()> {
        let mut feed = self.feed(stmt, &*rows);
        while let Some(batch) = feed.next_batch().await {
            rows.absorb(batch?);
        }
        Ok(())
    }

    /// The inline attempt. With `writes_wait`, a statement that writes is
    /// not run (`Inline::Write`: it waits for its turn first). Rows are
    /// kept only if it ran to the end (`Inline::Done(Ok)`).
    fn fetch_inline(
        &self,
        stmt: &Statement,
        sink: &mut dyn Sink,
        writes_wait: bool,
    ) -> Inline<Result<()>> {
        let mut locked = self.lock();
        if !locked.long.is_empty() && locked.long.contains(&shape(stmt)) {
            return Inline::Long;
        }
        let watch = &self.shared.watch;
        watch.start();
        self.note_retryable(&locked.conn, &stmt.sql);
        let before = sink.len();
        let out = (|| {
            let mut st = locked.conn.prepare_cached(&stmt.sql).map_err(classify)?;
            if writes_wait && !st.readonly() {
                return Ok(false);
            }
            bind(&mut st, &stmt.binds)?;
            if st.readonly() {
                let budget = self.shared.budget.as_nanos() as u64;
                watch
                    .deadline
                    .store(now_nanos().saturating_add(budget), Ordering::SeqCst);
            }
            let mut rows = st.raw_query();
            while let Some(row) = rows.next().map_err(classify)? {
                sink.sqlite(&mut Reader::new(row))?;
            }
            Ok(true)
        })();
        watch.deadline.store(0, Ordering::SeqCst);
        if !matches!(out, Ok(true)) || watch.escaped.load(Ordering::SeqCst) {
            sink.truncate(before);
        }
        if watch.escaped.load(Ordering::SeqCst) {
            if locked.long.len() >= LONG_MEMORY {
                locked.long.clear();
            }
            locked.long.insert(shape(stmt));
            return Inline::Long;
        }
        match out {
            Ok(false) => Inline::Write,
            Ok(true) => Inline::Done(Ok(())),
            Err(e) => Inline::Done(Err(e)),
        }
    }

    /// Notes whether the statement starting now may wait for a lock.
    fn note_retryable(&self, conn: &rusqlite::Connection, sql: &str) {
        let commit = sql.eq_ignore_ascii_case("COMMIT");
        self.shared
            .retryable
            .store(conn.is_autocommit() || commit, Ordering::SeqCst);
    }

    /// Whether `e` refused the statement that just ran for a lock another
    /// connection holds, and waiting may help.
    fn busy(&self, e: &Error) -> bool {
        is_busy(e) && self.shared.retryable.load(Ordering::SeqCst)
    }

    /// Runs `run` until it is not refused for a lock another connection
    /// holds, or the busy timeout has passed.
    async fn retry_busy<T>(&self, mut run: impl FnMut() -> Result<T>) -> Result<T> {
        match run() {
            Err(e) if self.busy(&e) => {}
            done => return done,
        }
        // The slow path, boxed so that the common future stays small.
        Box::pin(async move {
            let mut backoff = Backoff::new(self.shared.busy_timeout);
            loop {
                let Some(pause) = backoff.next() else {
                    return run();
                };
                tokio::time::sleep(pause).await;
                match run() {
                    Err(e) if self.busy(&e) => {}
                    done => return done,
                }
            }
        })
        .await
    }

    /// Runs a statement that returns no rows; on the pool (`writers`
    /// given) after waiting for its turn among the pool's writers.
    pub(crate) async fn execute(
        &self,
        stmt: &Statement,
        writers: Option<&Writers>,
    ) -> Result<ExecResult> {
        self.write(writers, || self.execute_now(stmt)).await
    }

    /// Runs SQL text without parameters (one or more statements); on the
    /// pool (`writers` given) after waiting for its turn among the pool's
    /// writers.
    pub(crate) async fn execute_raw(
        &self,
        sql: &str,
        writers: Option<&Writers>,
    ) -> Result<ExecResult> {
        self.write(writers, || self.execute_raw_now(sql)).await
    }

    /// Runs a write in its turn among the pool's writers (taken at once
    /// when free), retrying while it is refused for a lock.
    async fn write<T>(
        &self,
        writers: Option<&Writers>,
        mut run: impl FnMut() -> Result<T>,
    ) -> Result<T> {
        let turn = match writers {
            Some(w) => match w.try_turn() {
                Some(turn) => Some(turn),
                // Others of the pool are writing: wait (the slow path, boxed).
                None => {
                    return Box::pin(async move {
                        let _turn = w.turn().await;
                        self.retry_busy(run).await
                    })
                    .await;
                }
            },
            None => None,
        };
        let done = self.retry_busy(&mut run).await;
        drop(turn);
        tokio::task::consume_budget().await;
        done
    }

    /// Runs a statement that returns no rows, on this thread, once.
    fn execute_now(&self, stmt: &Statement) -> Result<ExecResult> {
        let locked = self.lock();
        self.shared.watch.start();
        self.note_retryable(&locked.conn, &stmt.sql);
        let mut st = locked.conn.prepare_cached(&stmt.sql).map_err(classify)?;
        bind(&mut st, &stmt.binds)?;
        let before = locked.conn.total_changes();
        let mut rows = st.raw_query();
        while rows.next().map_err(classify)?.is_some() {}
        drop(rows);
        Ok(ExecResult {
            rows_affected: changes(&locked.conn, before),
            last_insert_id: None,
        })
    }

    /// Runs SQL text without parameters (one or more statements), on this
    /// thread, once. A statement refused for a lock after an earlier one
    /// of the same text ran is not tried again.
    pub(crate) fn execute_raw_now(&self, sql: &str) -> Result<ExecResult> {
        let locked = self.lock();
        self.shared.watch.start();
        self.note_retryable(&locked.conn, sql);
        let conn = &locked.conn;
        let mut affected = 0;
        let mut run = |st: &mut rusqlite::Statement<'_>| -> Result<()> {
            let before = conn.total_changes();
            let mut rows = st.raw_query();
            while rows.next().map_err(classify)?.is_some() {}
            drop(rows);
            affected += changes(conn, before);
            Ok(())
        };
        let body = sql.trim_end().trim_end_matches(';');
        if body.contains(';') {
            let mut batch = rusqlite::Batch::new(conn, sql);
            let mut first = true;
            while let Some(mut st) = batch.next().map_err(classify)? {
                match run(&mut st) {
                    Err(e) if !first && is_busy(&e) => {
                        return Err(Error::Database {
                            message: format!("{e} (after earlier statements of the batch ran)"),
                            code: None,
                            source: Box::new(e),
                        });
                    }
                    other => other?,
                }
                first = false;
            }
        } else {
            let mut st = conn.prepare_cached(sql).map_err(classify)?;
            run(&mut st)?;
        }
        Ok(ExecResult {
            rows_affected: affected,
            last_insert_id: None,
        })
    }

    /// Runs a query on a blocking thread, which decodes its rows (into
    /// sinks forked from `rows`, with its decoder) and sends them back in
    /// batches.
    pub(crate) fn feed(&self, stmt: &Statement, rows: &dyn Sink) -> Feed {
        let (tx, rx) = mpsc::channel::<Batch>(2);
        let proto = rows.fork(0);
        let shared = self.shared.clone();
        let generation = Arc::new(AtomicU64::new(u64::MAX));
        let started = generation.clone();
        let dropped = Arc::new(AtomicBool::new(false));
        let stop = dropped.clone();
        let sql = stmt.sql.clone();
        let binds = stmt.binds.clone();
        tokio::task::spawn_blocking(move || {
            let locked = shared
                .db
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let g = shared.watch.start();
            let retryable = locked.conn.is_autocommit();
            started.store(g, Ordering::SeqCst);
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let sent = AtomicBool::new(false);
            let run = || -> Result<()> {
                let mut st = locked.conn.prepare_cached(&sql).map_err(classify)?;
                bind(&mut st, &binds)?;
                let mut rows = st.raw_query();
                let mut batch = proto.fork(BATCH);
                while let Some(row) = rows.next().map_err(classify)? {
                    batch.sqlite(&mut Reader::new(row))?;
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, proto.fork(BATCH));
                        sent.store(true, Ordering::Relaxed);
                        if tx.blocking_send(Ok(full)).is_err() {
                            return Ok(());
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.blocking_send(Ok(batch));
                }
                Ok(())
            };
            let mut backoff = Backoff::new(shared.busy_timeout);
            loop {
                match run() {
                    // Refused before any row was sent: it can start again.
                    Err(e) if is_busy(&e) && retryable && !sent.load(Ordering::Relaxed) => {
                        match backoff.next() {
                            Some(pause) if !stop.load(Ordering::SeqCst) => {
                                std::thread::sleep(pause)
                            }
                            _ => {
                                let _ = tx.blocking_send(Err(e));
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                    Ok(()) => return,
                }
            }
        });
        Feed {
            rx,
            watch: self.shared.watch.clone(),
            generation,
            dropped,
            done: false,
        }
    }
}

/// Rows changed by the statement just run (0 for statements that change
/// none, whose `changes()` would still report an earlier statement's).
fn changes(conn: &rusqlite::Connection, before: u64) -> u64 {
    if conn.total_changes() == before {
        0
    } else {
        conn.changes()
    }
}

/// The rows of a statement running on a blocking thread. Dropping it
/// before the last row stops the statement.
pub(crate) struct Feed {
    rx: mpsc::Receiver<Batch>,
    watch: Arc<Watch>,
    /// The statement's generation, once it started (`u64::MAX` before).
    generation: Arc<AtomicU64>,
    /// Set when the reader goes away: a statement that starts after it
    /// does not run.
    dropped: Arc<AtomicBool>,
    done: bool,
}

impl Feed {
    /// The next batch; `None` after the last.
    pub(crate) async fn next_batch(&mut self) -> Option<Batch> {
        let batch = self.rx.recv().await;
        if batch.is_none() {
            self.done = true;
        }
        batch
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.rx.close();
        // Either the statement has started and is cancelled here, or it
        // sees the flag when it starts.
        self.dropped.store(true, Ordering::SeqCst);
        let g = self.generation.load(Ordering::SeqCst);
        if g != u64::MAX {
            self.watch.cancel(g);
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sqlite::Connection")
    }
}

/// The error of a statement whose connection was closed.
pub(crate) fn closed() -> Error {
    Error::connection(
        std::io::ErrorKind::NotConnected,
        "the SQLite pool is closed",
    )
}
