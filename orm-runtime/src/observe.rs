//! Seeing, counting and asserting the statements code runs.
//!
//! Every statement (querysets, writes, many-to-many changes, raw SQL, DDL,
//! BEGIN/COMMIT/ROLLBACK and savepoints) passes through the execution seam,
//! which reports it here: a `tracing` event on target `orm::query` (SQL,
//! number of binds, rows, duration, backend; WARN above the slow-query
//! threshold), and to the observers of the running task:
//!
//! - [`capture`] records the statements a future runs;
//! - [`assert_num_queries`] fails with the list of statements when the
//!   count differs;
//! - [`n_plus_one`] reports a statement shape run more than a threshold
//!   number of times in a scope (a tracing warning, or an error in strict
//!   mode).
//!
//! Observers live in a tokio task-local, so each capture sees only the
//! statements of its own future (not those of other tasks), nested captures
//! all see them, and transactions are observed like any other statement.

use crate::dialect::Dialect;
use crate::error::Error;
use crate::render::Statement;
use orm_core::value::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One statement as it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedQuery {
    /// The SQL text.
    pub sql: String,
    /// The bound values, unless the capture redacts them.
    pub binds: Option<Vec<Value>>,
    /// How many values were bound.
    pub bind_count: usize,
    /// The backend.
    pub backend: Dialect,
    /// How long it took.
    pub duration: Duration,
    /// Rows returned or affected, if it succeeded.
    pub rows: Option<u64>,
    /// The error, if it failed.
    pub error: Option<String>,
}

impl std::fmt::Display for CapturedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.sql)?;
        match &self.binds {
            Some(b) if !b.is_empty() => write!(f, " -- binds: {b:?}")?,
            None if self.bind_count > 0 => write!(f, " -- {} binds (redacted)", self.bind_count)?,
            _ => {}
        }
        match (&self.rows, &self.error) {
            (_, Some(e)) => write!(f, " -- failed: {e}"),
            (Some(r), None) => write!(f, " -- {r} rows, {:?}", self.duration),
            (None, None) => Ok(()),
        }
    }
}

/// What a capture keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptureOptions {
    /// Keep only the number of binds, not their values (for logs that must
    /// not hold personal data).
    pub redact_binds: bool,
}

/// N+1 detection settings.
#[derive(Debug, Clone, Copy)]
pub struct NPlusOne {
    /// A statement shape run more than this many times is reported.
    pub threshold: usize,
    /// Fail the statement that exceeds the threshold with
    /// `Error::NPlusOne` instead of warning.
    pub strict: bool,
}

impl NPlusOne {
    /// Warn (through `tracing`) when a shape runs more than `threshold` times.
    pub fn warn(threshold: usize) -> Self {
        NPlusOne {
            threshold,
            strict: false,
        }
    }

    /// Fail the statement that runs a shape more than `threshold` times.
    pub fn strict(threshold: usize) -> Self {
        NPlusOne {
            threshold,
            strict: true,
        }
    }
}

/// A statement shape that ran more often than the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedQuery {
    /// The SQL text (the same for every run; only binds differ).
    pub sql: String,
    /// How many times it ran in the scope.
    pub count: usize,
}

struct Detector {
    config: NPlusOne,
    counts: Mutex<HashMap<String, usize>>,
}

#[derive(Clone)]
enum Observer {
    Capture {
        sink: Arc<Mutex<Vec<CapturedQuery>>>,
        options: CaptureOptions,
    },
    Detector(Arc<Detector>),
}

tokio::task_local! {
    static OBSERVERS: Arc<Vec<Observer>>;
}

fn observers() -> Option<Arc<Vec<Observer>>> {
    OBSERVERS.try_with(Arc::clone).ok()
}

async fn observed<F: Future>(observer: Observer, fut: F) -> F::Output {
    let mut chain: Vec<Observer> = observers().map(|c| c.as_ref().clone()).unwrap_or_default();
    chain.push(observer);
    OBSERVERS.scope(Arc::new(chain), fut).await
}

/// Runs `fut` and returns its output with every statement it ran, in order.
///
/// ```
/// use orm_runtime::observe::capture;
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Author {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 50)] pub name: String,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Author::META]).await?;
/// # for name in ["a", "b"] {
/// #     Author::objects().create(&db, Author { id: 0, name: name.into() }).await?;
/// # }
/// let (authors, queries) = capture(Author::objects().filter(Author::name.eq("b")).all(&db)).await;
/// assert_eq!(authors?.len(), 1);
/// assert_eq!(queries.len(), 1);
/// assert_eq!(
///     queries[0].sql,
///     r#"SELECT "t0"."id", "t0"."name" FROM "author" AS "t0" WHERE "t0"."name" = ?"#
/// );
/// assert_eq!((queries[0].bind_count, queries[0].rows), (1, Some(1)));
/// # Ok(()) }
/// ```
pub async fn capture<F: Future>(fut: F) -> (F::Output, Vec<CapturedQuery>) {
    capture_with(CaptureOptions::default(), fut).await
}

/// [`capture`] with options (bind redaction).
pub async fn capture_with<F: Future>(
    options: CaptureOptions,
    fut: F,
) -> (F::Output, Vec<CapturedQuery>) {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let out = observed(
        Observer::Capture {
            sink: sink.clone(),
            options,
        },
        fut,
    )
    .await;
    let queries = std::mem::take(&mut *sink.lock().unwrap_or_else(PoisonError::into_inner));
    (out, queries)
}

/// Runs `fut` and panics, listing every statement, unless it ran exactly
/// `expected` statements (Django's `assertNumQueries`).
///
/// ```
/// use orm_runtime::observe::assert_num_queries;
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Author {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 50)] pub name: String,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Author::META]).await?;
/// # for name in ["a", "b"] {
/// #     Author::objects().create(&db, Author { id: 0, name: name.into() }).await?;
/// # }
/// let n = assert_num_queries(1, Author::objects().count(&db)).await?;
/// assert_eq!(n, 2);
///
/// // Two statements where one is expected: the task panics, listing both.
/// let db2 = db.clone();
/// let outcome = tokio::spawn(assert_num_queries(1, async move {
///     Author::objects().count(&db2).await?;
///     Author::objects().exists(&db2).await
/// }))
/// .await;
/// assert!(outcome.unwrap_err().is_panic());
/// # Ok(()) }
/// ```
pub async fn assert_num_queries<F: Future>(expected: usize, fut: F) -> F::Output {
    let (out, queries) = capture(fut).await;
    if queries.len() != expected {
        let list: Vec<String> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| format!("  {}. {q}", i + 1))
            .collect();
        panic!(
            "expected {expected} queries, {} ran:\n{}",
            queries.len(),
            list.join("\n")
        );
    }
    out
}

/// Runs `fut` (a request handler, a test) watching for N+1 patterns: a
/// statement shape (the same SQL, whatever the binds) run more than
/// `config.threshold` times. Each is reported as a tracing warning with its
/// count and SQL, and returned; in strict mode the statement that exceeds
/// the threshold fails with `Error::NPlusOne` instead of running.
pub async fn n_plus_one<F: Future>(config: NPlusOne, fut: F) -> (F::Output, Vec<RepeatedQuery>) {
    let detector = Arc::new(Detector {
        config,
        counts: Mutex::new(HashMap::new()),
    });
    let out = observed(Observer::Detector(detector.clone()), fut).await;
    let counts = std::mem::take(
        &mut *detector
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    let mut repeated: Vec<RepeatedQuery> = counts
        .into_iter()
        .filter(|(_, n)| *n > config.threshold)
        .map(|(sql, count)| RepeatedQuery { sql, count })
        .collect();
    repeated.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.sql.cmp(&b.sql)));
    for r in &repeated {
        tracing::warn!(target: "orm::n_plus_one", count = r.count, sql = %r.sql, "the same query ran {} times (N+1?)", r.count);
    }
    (out, repeated)
}

static SLOW_MICROS: AtomicU64 = AtomicU64::new(0);

/// Statements slower than this are logged at WARN instead of DEBUG
/// (process-wide; `None` turns it off).
pub fn set_slow_query_threshold(threshold: Option<Duration>) {
    let micros = threshold.map_or(0, |d| {
        u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
    });
    SLOW_MICROS.store(micros, Ordering::Relaxed);
}

/// Whether a statement counts for N+1 detection: transaction control and
/// DDL (run unprepared) do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Query,
    Unprepared,
}

/// Called before a statement runs; in strict N+1 mode refuses a shape run
/// too often.
pub(crate) fn start(stmt: &Statement, kind: Kind) -> Result<(), Error> {
    let Some(chain) = observers() else {
        return Ok(());
    };
    if kind == Kind::Unprepared {
        return Ok(());
    }
    for o in chain.iter() {
        if let Observer::Detector(d) = o {
            let mut counts = d.counts.lock().unwrap_or_else(PoisonError::into_inner);
            let n = counts.entry(stmt.sql.clone()).or_insert(0);
            *n += 1;
            if d.config.strict && *n > d.config.threshold {
                return Err(Error::NPlusOne {
                    count: *n,
                    sql: stmt.sql.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Called after a statement ran (or failed): logs it and hands it to the
/// task's captures.
pub(crate) fn finish(stmt: &Statement, started: Instant, outcome: Result<u64, &Error>) {
    let duration = started.elapsed();
    let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
    let slow = SLOW_MICROS.load(Ordering::Relaxed);
    let backend = stmt.dialect.name();
    match (&outcome, slow > 0 && micros >= slow) {
        (Ok(rows), false) => {
            tracing::debug!(target: "orm::query", backend, sql = %stmt.sql, binds = stmt.binds.len(), rows, micros, "query")
        }
        (Ok(rows), true) => {
            tracing::warn!(target: "orm::query", backend, sql = %stmt.sql, binds = stmt.binds.len(), rows, micros, "slow query")
        }
        (Err(e), _) => {
            tracing::debug!(target: "orm::query", backend, sql = %stmt.sql, binds = stmt.binds.len(), micros, error = %e, "query failed")
        }
    }
    let Some(chain) = observers() else { return };
    for o in chain.iter() {
        if let Observer::Capture { sink, options } = o {
            let q = CapturedQuery {
                sql: stmt.sql.clone(),
                binds: (!options.redact_binds).then(|| stmt.binds.clone()),
                bind_count: stmt.binds.len(),
                backend: stmt.dialect,
                duration,
                rows: outcome.as_ref().ok().copied(),
                error: outcome.as_ref().err().map(|e| e.to_string()),
            };
            sink.lock().unwrap_or_else(PoisonError::into_inner).push(q);
        }
    }
}
