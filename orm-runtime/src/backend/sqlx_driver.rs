//! What PostgreSQL and MySQL/MariaDB share: both run on sqlx's drivers
//! and pools. Each binds values and reads rows in its own folder
//! (`SqlxBackend`); running a statement, decoding its rows as they arrive
//! and streaming them are the same for both and written once here.

use super::sink::Sink;
use crate::error::{Error, Result};
use crate::exec::{ExecResult, RowDecoder};
use crate::render::Statement;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use orm_core::row::DecodeError;
use orm_core::value::Value;
use sqlx::{AssertSqlSafe, Row, TypeInfo, ValueRef};
use std::time::{Duration, Instant};

/// Per-backend binding and decoding.
pub(crate) trait SqlxBackend: sqlx::Database {
    /// The statement's values as the driver's arguments.
    fn arguments(binds: &[Value]) -> Result<Self::Arguments>;
    /// One row, decoded.
    fn decode_row<D: RowDecoder>(row: &Self::Row, d: &D) -> Result<D::Output>;
    /// One row, decoded into a sink.
    fn push_row(row: &Self::Row, sink: &mut dyn Sink) -> Result<(), DecodeError>;
    /// What a statement that returns no rows reports.
    fn exec_result(r: &Self::QueryResult) -> ExecResult;
}

pub(crate) fn bind_err(v: &Value, e: sqlx::error::BoxDynError) -> Error {
    Error::Usage(format!("cannot bind {v:?}: {e}"))
}

/// Runs a query, decoding each row into `sink` as it arrives. A row that
/// does not decode ends the result with its error once the rest of the
/// reply has been read, so the connection stays usable.
pub(crate) async fn fetch<'c, DB, E>(e: E, stmt: &Statement, sink: &mut dyn Sink) -> Result<()>
where
    DB: SqlxBackend,
    E: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let args = DB::arguments(&stmt.binds)?;
    let mut rows = sqlx::query_with::<DB, _>(AssertSqlSafe(stmt.sql.as_str()), args).fetch(e);
    let mut failed = None;
    while let Some(row) = rows.try_next().await? {
        if failed.is_none()
            && let Err(e) = DB::push_row(&row, sink)
        {
            failed = Some(e);
        }
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Runs a statement that returns no rows.
pub(crate) async fn execute<'c, DB, E>(e: E, stmt: &Statement) -> Result<ExecResult>
where
    DB: SqlxBackend,
    E: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let args = DB::arguments(&stmt.binds)?;
    let r = sqlx::query_with::<DB, _>(AssertSqlSafe(stmt.sql.as_str()), args)
        .execute(e)
        .await?;
    Ok(DB::exec_result(&r))
}

/// Runs SQL text without parameters through the simple protocol.
pub(crate) async fn execute_raw<'c, DB, E>(e: E, sql: &str) -> Result<ExecResult>
where
    DB: SqlxBackend,
    E: sqlx::Executor<'c, Database = DB>,
{
    let r = sqlx::raw_sql(AssertSqlSafe(sql)).execute(e).await?;
    Ok(DB::exec_result(&r))
}

/// The decoded rows of a query as they arrive.
pub(crate) fn stream<'e, 'c: 'e, DB, E, D>(
    e: E,
    stmt: &'e Statement,
    d: &'e D,
) -> BoxStream<'e, Result<D::Output>>
where
    DB: SqlxBackend,
    E: sqlx::Executor<'c, Database = DB> + 'e,
    D: RowDecoder,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    match DB::arguments(&stmt.binds) {
        Err(err) => futures::stream::once(async move { Err(err) }).boxed(),
        Ok(args) => sqlx::query_with::<DB, _>(AssertSqlSafe(stmt.sql.as_str()), args)
            .fetch(e)
            .map(move |row| DB::decode_row(&row?, d))
            .boxed(),
    }
}

/// Reads the columns of one driver row in order.
pub(crate) struct Reader<'r, R> {
    pub(crate) row: &'r R,
    pub(crate) idx: usize,
}

impl<'r, R: Row> Reader<'r, R>
where
    usize: sqlx::ColumnIndex<R>,
{
    pub(crate) fn get<T>(&mut self) -> Result<Option<T>, String>
    where
        T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let i = self.idx;
        self.idx += 1;
        self.row
            .try_get::<Option<T>, _>(i)
            .map_err(|e| e.to_string())
    }

    /// The next column as `T` if the driver's type matches exactly (the
    /// common case, without looking at type names); `None` leaves it for
    /// a lenient read.
    pub(crate) fn exact<T>(&mut self) -> Option<Option<T>>
    where
        T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let v = self.row.try_get::<Option<T>, _>(self.idx).ok()?;
        self.idx += 1;
        Some(v)
    }

    /// The next column of any type as text.
    pub(crate) fn text<'a>(&'a mut self) -> Result<Option<String>, String>
    where
        Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        Option<serde_json::Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let i = self.idx;
        self.idx += 1;
        if let Ok(v) = self.row.try_get::<Option<String>, _>(i) {
            return Ok(v);
        }
        if let Ok(v) = self.row.try_get::<Option<i64>, _>(i) {
            return Ok(v.map(|x| x.to_string()));
        }
        if let Ok(v) = self.row.try_get::<Option<f64>, _>(i) {
            return Ok(v.map(|x| x.to_string()));
        }
        match self.row.try_get::<Option<serde_json::Value>, _>(i) {
            Ok(v) => Ok(v.map(|x| x.to_string())),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The type name the driver reports for the next column.
    pub(crate) fn next_type(&self) -> String {
        self.row
            .try_get_raw(self.idx)
            .map(|v| {
                if v.is_null() {
                    String::new()
                } else {
                    v.type_info().name().to_owned()
                }
            })
            .unwrap_or_default()
    }
}

/// Opens one connection directly, so an unreachable server reports the
/// driver's own error at once instead of a pool timeout.
pub(crate) async fn probe<O>(opts: &O) -> Result<O::Connection>
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    opts.connect()
        .await
        .map_err(|e| Error::Connection(Box::new(e)))
}

/// sqlx pool options from the ORM's pool settings.
pub(crate) fn pool_options<DB: sqlx::Database>(
    cfg: &crate::PoolConfig,
) -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(cfg.max_connections)
        .min_connections(cfg.min_connections)
        .acquire_timeout(cfg.acquire_timeout)
        .idle_timeout(cfg.idle_timeout)
        .max_lifetime(cfg.max_lifetime)
}

/// A NULL typed as the column's kind (PostgreSQL and MySQL type their
/// parameters).
macro_rules! typed_null {
    ($a:ident, $k:expr, uuid = $uuid:ty, json = $json:ty) => {
        match $k {
            Kind::Bool => $a.add(Option::<bool>::None),
            Kind::I16 => $a.add(Option::<i16>::None),
            Kind::I32 => $a.add(Option::<i32>::None),
            Kind::I64 => $a.add(Option::<i64>::None),
            Kind::F32 => $a.add(Option::<f32>::None),
            Kind::F64 => $a.add(Option::<f64>::None),
            Kind::String => $a.add(Option::<String>::None),
            Kind::Bytes => $a.add(Option::<Vec<u8>>::None),
            Kind::Decimal => $a.add(Option::<Decimal>::None),
            Kind::Date => $a.add(Option::<NaiveDate>::None),
            Kind::DateTime => $a.add(Option::<NaiveDateTime>::None),
            Kind::DateTimeUtc => $a.add(Option::<DateTime<Utc>>::None),
            Kind::Time => $a.add(Option::<NaiveTime>::None),
            Kind::Duration => $a.add(Option::<i64>::None),
            Kind::Uuid => $a.add(Option::<$uuid>::None),
            Kind::Json => $a.add(Option::<$json>::None),
        }
    };
}

pub(crate) use typed_null;

/// How long a connection may rest in the stash before it goes back
/// through the pool (which pings it before handing it out again).
const STASH_REST: Duration = Duration::from_secs(1);
/// How long a connection may go from stash to statement without passing
/// through the pool, where its `max_lifetime` and health are checked.
const STASH_SPAN: Duration = Duration::from_secs(30);

/// A stashed connection: when it was stashed, and when it was first taken
/// from the pool.
type Resting<DB> = (sqlx::pool::PoolConnection<DB>, Instant, Instant);

/// A sqlx pool with a stash of recently used connections in front of it.
///
/// Taking a connection from sqlx's pool pings it first (a round trip to
/// the server) and giving it back spawns a task; together about as much
/// as a small query. A connection whose statement ended cleanly goes into
/// the stash instead, and the next statement takes it from there with no
/// ping. It goes back through the pool (pinged on its next use, its
/// lifetime checked) when it rested a second, after 30 s of such reuse,
/// or when its statement failed with a connection error. The pool's
/// limits still hold: stashed connections count as taken. Statements
/// waiting for a connection are served in turn: while one waits, a
/// returning connection goes to it rather than to the next newcomer.
pub struct Stashed<DB: sqlx::Database> {
    pub(crate) pool: sqlx::Pool<DB>,
    stash: std::sync::Mutex<Stash<DB>>,
    acquire_timeout: Duration,
    /// How long a connection may rest, and go on being reused, in the
    /// stash (never longer than the pool's `idle_timeout` and
    /// `max_lifetime`).
    rest: Duration,
    span: Duration,
}

struct Stash<DB: sqlx::Database> {
    resting: Vec<Resting<DB>>,
    /// Statements waiting for a connection, oldest first: a connection
    /// given back goes to the first of them rather than to the stash.
    waiting: std::collections::VecDeque<tokio::sync::oneshot::Sender<PooledConnection<DB>>>,
    closed: bool,
}

impl<DB: sqlx::Database> Stashed<DB> {
    pub(crate) fn new(pool: sqlx::Pool<DB>, cfg: &crate::PoolConfig) -> Self {
        let at_most = |d: Duration, limit: Option<Duration>| limit.map_or(d, |l| d.min(l));
        Stashed {
            rest: at_most(STASH_REST, cfg.idle_timeout),
            span: at_most(STASH_SPAN, cfg.max_lifetime),
            pool,
            stash: std::sync::Mutex::new(Stash {
                resting: Vec::new(),
                waiting: std::collections::VecDeque::new(),
                closed: false,
            }),
            acquire_timeout: cfg.acquire_timeout,
        }
    }

    fn stash(&self) -> std::sync::MutexGuard<'_, Stash<DB>> {
        self.stash
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A stashed connection that rested briefly, unless others wait.
    pub(crate) fn try_acquire(&self) -> Option<PooledConnection<DB>> {
        let mut stash = self.stash();
        stash.waiting.retain(|w| !w.is_closed());
        if !stash.waiting.is_empty() || stash.closed {
            return None;
        }
        let now = Instant::now();
        // Rested or reused too long: back to the pool, which checks it.
        let (rest, span) = (self.rest, self.span);
        stash.resting.retain(|(_, at, since)| {
            now.duration_since(*at) < rest && now.duration_since(*since) < span
        });
        stash
            .resting
            .pop()
            .map(|(conn, _, since)| PooledConnection { conn, since })
    }

    /// A connection: stashed, handed over by a statement that ended, or
    /// from the pool, waiting in turn up to `acquire_timeout`.
    pub(crate) async fn acquire(&self) -> Result<PooledConnection<DB>> {
        if let Some(c) = self.try_acquire() {
            return Ok(c);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut stash = self.stash();
            if stash.closed {
                return Err(closed());
            }
            stash.waiting.push_back(tx);
        }
        tokio::select! {
            biased;
            handed = rx => match handed {
                Ok(c) => Ok(c),
                Err(_) => Err(closed()),
            },
            taken = tokio::time::timeout(self.acquire_timeout, self.pool.acquire()) => match taken {
                Ok(Ok(conn)) => Ok(PooledConnection { conn, since: Instant::now() }),
                Ok(Err(e)) => Err(Error::Connection(Box::new(e))),
                Err(_) => Err(Error::Connection(Box::new(sqlx::Error::PoolTimedOut))),
            },
        }
    }

    /// Gives back a connection whose statement ended (`healthy`: without a
    /// connection error): to the first waiting statement, else to the
    /// stash.
    pub(crate) fn release(&self, conn: PooledConnection<DB>, healthy: bool) {
        if !healthy {
            return;
        }
        let mut stash = self.stash();
        if stash.closed {
            return;
        }
        let mut conn = conn;
        while let Some(waiter) = stash.waiting.pop_front() {
            match waiter.send(conn) {
                Ok(()) => return,
                // That statement stopped waiting.
                Err(back) => conn = back,
            }
        }
        stash.resting.push((conn.conn, Instant::now(), conn.since));
    }

    /// Closes the pool, stashed connections included; nothing is stashed
    /// or taken from the stash after.
    pub(crate) async fn close(&self) {
        let (resting, waiting) = {
            let mut stash = self.stash();
            stash.closed = true;
            (
                std::mem::take(&mut stash.resting),
                std::mem::take(&mut stash.waiting),
            )
        };
        drop(resting);
        drop(waiting);
        self.pool.close().await;
    }
}

/// A connection from a stashed pool, and when it was first taken from the
/// pool.
pub struct PooledConnection<DB: sqlx::Database> {
    pub(crate) conn: sqlx::pool::PoolConnection<DB>,
    since: Instant,
}

impl<DB: sqlx::Database> std::ops::Deref for PooledConnection<DB> {
    type Target = sqlx::pool::PoolConnection<DB>;
    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for PooledConnection<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

fn closed() -> Error {
    Error::Connection(Box::new(sqlx::Error::PoolClosed))
}

/// The `RowReader` methods PostgreSQL and MySQL/MariaDB read the same way
/// (sqlx decodes these types alike on both).
macro_rules! sqlx_reader_shared {
    () => {
        fn read_text(&mut self) -> Result<Option<String>, String> {
            self.text()
        }
        fn remaining(&self) -> usize {
            self.row.len().saturating_sub(self.idx)
        }
        fn read_bool(&mut self) -> Result<Option<bool>, String> {
            self.get::<bool>()
        }
        fn read_f32(&mut self) -> Result<Option<f32>, String> {
            match self.exact::<f32>() {
                Some(v) => Ok(v),
                // Math on a REAL column is computed in double precision.
                None => Ok(self.read_f64()?.map(|x| x as f32)),
            }
        }
        fn read_string(&mut self) -> Result<Option<String>, String> {
            self.get::<String>()
        }
        fn read_bytes(&mut self) -> Result<Option<Vec<u8>>, String> {
            self.get::<Vec<u8>>()
        }
        fn read_date(&mut self) -> Result<Option<NaiveDate>, String> {
            self.get::<NaiveDate>()
        }
        fn read_datetime(&mut self) -> Result<Option<NaiveDateTime>, String> {
            self.get::<NaiveDateTime>()
        }
        fn read_datetime_utc(&mut self) -> Result<Option<DateTime<Utc>>, String> {
            self.get::<DateTime<Utc>>()
        }
        fn read_time(&mut self) -> Result<Option<NaiveTime>, String> {
            self.get::<NaiveTime>()
        }
        fn skip(&mut self) {
            self.idx += 1;
        }
        fn column_name(&self, index: usize) -> Option<&str> {
            use sqlx::Column as _;
            self.row.columns().get(index).map(|c| c.name())
        }
        fn seek(&mut self, index: usize) -> bool {
            self.idx = index;
            true
        }
    };
}
pub(crate) use sqlx_reader_shared;
