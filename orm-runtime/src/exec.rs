//! The execution seam: the one module that hands statements to sqlx. It
//! binds values per backend, runs statements on a pool or a pinned
//! connection, decodes rows by position through `RowReader`, classifies
//! errors and logs every statement. A second executor (for example a direct
//! SQLite driver) would be added here without touching the renderer or
//! generated code.

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::lease::{Lease, State};
use crate::observe;
use crate::render::Statement;
use crate::storable;
use crate::temporal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use orm_core::model::Model;
use orm_core::row::{DecodeError, RowReader};
use orm_core::value::{Kind, Value};
use rust_decimal::Decimal;
use sqlx::{Arguments, AssertSqlSafe, Row, TypeInfo, ValueRef};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Instant;
use uuid::Uuid;

/// A connection pool of one backend.
#[doc(hidden)]
pub enum Pools {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

/// One connection taken from a pool.
#[doc(hidden)]
pub enum PooledConn {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
}

/// A connection held for a unit of work (a transaction or an acquired
/// connection). Statements on it run one at a time.
#[doc(hidden)]
pub struct Pinned {
    pub(crate) conn: tokio::sync::Mutex<Option<PooledConn>>,
    pub(crate) dialect: Dialect,
    /// `INSERT .. RETURNING` is available.
    pub(crate) returning: bool,
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
}

impl Pinned {
    pub(crate) fn new(
        conn: PooledConn,
        dialect: Dialect,
        returning: bool,
        begin: crate::TransactionMode,
    ) -> Self {
        Pinned {
            conn: tokio::sync::Mutex::new(Some(conn)),
            dialect,
            returning,
            begin,
            open_tx: AtomicBool::new(false),
            depth: AtomicI64::new(0),
            pending_rollback: AtomicI64::new(-1),
            failed_depth: AtomicI64::new(-1),
            discarded: AtomicBool::new(false),
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
            vec![crate::render::transaction::rollback(self.dialect, 0)]
        } else {
            vec![
                crate::render::transaction::rollback(self.dialect, depth),
                crate::render::transaction::commit(self.dialect, depth),
            ]
        }
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
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    let _ = match conn {
                        PooledConn::Sqlite(mut c) => raw_on(&mut *c, &rollback).await,
                        PooledConn::Postgres(mut c) => raw_on(&mut *c, &rollback).await,
                        PooledConn::MySql(mut c) => raw_on(&mut *c, &rollback).await,
                    };
                });
            }
            Err(_) => match conn {
                PooledConn::Sqlite(mut c) => c.close_on_drop(),
                PooledConn::Postgres(mut c) => c.close_on_drop(),
                PooledConn::MySql(mut c) => c.close_on_drop(),
            },
        }
    }
}

/// Where a statement runs.
#[doc(hidden)]
pub enum Target<'a> {
    Pool(&'a Pools),
    Pinned(&'a Pinned),
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
    /// Whether `INSERT .. RETURNING` is available (SQLite, PostgreSQL,
    /// MariaDB; not MySQL).
    fn supports_returning(&self) -> bool {
        match self.target() {
            Target::Pool(Pools::MySql(_)) => false,
            Target::Pinned(p) => p.returning,
            Target::Pool(_) => true,
        }
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
    fn supports_returning(&self) -> bool {
        (**self).supports_returning()
    }
    fn dialect(&self) -> Dialect {
        (**self).dialect()
    }
    fn target(&self) -> Target<'_> {
        (**self).target()
    }
}

/// Turns the next columns of a row into a value.
pub trait RowDecoder: Send + Sync {
    /// The decoded value.
    type Output: Send + 'static;
    /// Decodes from the reader's next columns.
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<Self::Output, DecodeError>;
}

/// Decodes a model from its stored columns.
pub struct ModelDecoder<M>(PhantomData<fn() -> M>);

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
pub struct ValuesDecoder(pub Vec<Kind>);

impl RowDecoder for ValuesDecoder {
    type Output = Vec<Value>;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<Vec<Value>, DecodeError> {
        self.0.iter().map(|k| read_value(r, *k)).collect()
    }
}

/// Decodes one `i64` (counts).
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

// ---------------------------------------------------------------- binding

const SQLITE_DATETIME: &str = "%Y-%m-%d %H:%M:%S%.6f";

fn bind_err(v: &Value, e: sqlx::error::BoxDynError) -> Error {
    Error::Usage(format!("cannot bind {v:?}: {e}"))
}

/// Per-backend binding and decoding.
pub(crate) trait Backend: sqlx::Database {
    fn arguments(binds: &[Value]) -> Result<Self::Arguments>;
    fn decode_row<D: RowDecoder>(row: &Self::Row, d: &D) -> Result<D::Output>;
    fn exec_result(r: &Self::QueryResult) -> ExecResult;
}

impl Backend for sqlx::Sqlite {
    fn arguments(binds: &[Value]) -> Result<Self::Arguments> {
        let mut a = sqlx::sqlite::SqliteArguments::default();
        for v in binds {
            storable::check(v)?;
            let r = match v {
                Value::Null(_) => a.add(Option::<i64>::None),
                Value::Bool(b) => a.add(*b),
                Value::I16(i) => a.add(*i),
                Value::I32(i) => a.add(*i),
                Value::I64(i) => a.add(*i),
                Value::F32(x) => a.add(*x),
                Value::F64(x) => a.add(*x),
                Value::String(s) => a.add(s.as_str()),
                Value::Bytes(b) => a.add(b.as_slice()),
                // Exact text; normalized so equal decimals compare equal.
                Value::Decimal(d) => a.add(d.normalize().to_string()),
                Value::Date(d) => a.add(d.format("%Y-%m-%d").to_string()),
                Value::DateTime(d) => a.add(d.format(SQLITE_DATETIME).to_string()),
                Value::DateTimeUtc(d) => a.add(d.naive_utc().format(SQLITE_DATETIME).to_string()),
                Value::Time(t) => a.add(temporal::sqlite_time(t)?),
                Value::Duration(d) => a.add(temporal::duration_micros(d)?),
                Value::Uuid(u) => a.add(u.as_bytes().as_slice()),
                Value::Json(j) => a.add(j.to_string()),
                Value::List(..) => Err("lists are bound as arrays on PostgreSQL only".into()),
            };
            r.map_err(|e| bind_err(v, e))?;
        }
        Ok(a)
    }
    fn decode_row<D: RowDecoder>(row: &Self::Row, d: &D) -> Result<D::Output> {
        Ok(d.decode(&mut Reader { row, idx: 0 })?)
    }
    fn exec_result(r: &Self::QueryResult) -> ExecResult {
        ExecResult {
            rows_affected: r.rows_affected(),
            last_insert_id: None,
        }
    }
}

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

impl Backend for sqlx::Postgres {
    fn arguments(binds: &[Value]) -> Result<Self::Arguments> {
        let mut a = sqlx::postgres::PgArguments::default();
        for v in binds {
            storable::check(v)?;
            let r = match v {
                Value::Null(k) => typed_null!(a, k, uuid = Uuid, json = serde_json::Value),
                Value::Bool(b) => a.add(*b),
                Value::I16(i) => a.add(*i),
                Value::I32(i) => a.add(*i),
                Value::I64(i) => a.add(*i),
                Value::F32(x) => a.add(*x),
                Value::F64(x) => a.add(*x),
                Value::String(s) => a.add(s.as_str()),
                Value::Bytes(b) => a.add(b.as_slice()),
                Value::Decimal(d) => a.add(*d),
                Value::Date(d) => a.add(*d),
                Value::DateTime(d) => a.add(*d),
                Value::DateTimeUtc(d) => a.add(*d),
                Value::Time(t) => a.add(temporal::checked_time(t)?),
                Value::Duration(d) => a.add(temporal::duration_micros(d)?),
                Value::Uuid(u) => a.add(*u),
                Value::Json(j) => a.add(j),
                Value::List(kind, items) => bind_pg_list(&mut a, *kind, items),
            };
            r.map_err(|e| bind_err(v, e))?;
        }
        Ok(a)
    }
    fn decode_row<D: RowDecoder>(row: &Self::Row, d: &D) -> Result<D::Output> {
        Ok(d.decode(&mut Reader { row, idx: 0 })?)
    }
    fn exec_result(r: &Self::QueryResult) -> ExecResult {
        ExecResult {
            rows_affected: r.rows_affected(),
            last_insert_id: None,
        }
    }
}

/// A list as one PostgreSQL array parameter of the list's kind.
fn bind_pg_list(
    a: &mut sqlx::postgres::PgArguments,
    kind: Kind,
    items: &[Value],
) -> Result<(), sqlx::error::BoxDynError> {
    macro_rules! array {
        ($variant:ident, $t:ty) => {{
            let typed: Vec<$t> = items
                .iter()
                .map(|v| match v {
                    Value::$variant(x) => Ok(x.clone()),
                    other => Err(format!("{other:?} in a list of {kind:?}")),
                })
                .collect::<Result<_, _>>()?;
            a.add(typed)
        }};
    }
    match kind {
        Kind::Bool => array!(Bool, bool),
        Kind::I16 => array!(I16, i16),
        Kind::I32 => array!(I32, i32),
        Kind::I64 => array!(I64, i64),
        Kind::F32 => array!(F32, f32),
        Kind::F64 => array!(F64, f64),
        Kind::String => array!(String, String),
        Kind::Bytes => array!(Bytes, Vec<u8>),
        Kind::Decimal => array!(Decimal, Decimal),
        Kind::Date => array!(Date, NaiveDate),
        Kind::DateTime => array!(DateTime, NaiveDateTime),
        Kind::DateTimeUtc => array!(DateTimeUtc, DateTime<Utc>),
        Kind::Time => array!(Time, NaiveTime),
        Kind::Duration => {
            let micros: Vec<i64> = items
                .iter()
                .map(|v| match v {
                    Value::Duration(d) => temporal::duration_micros(d).map_err(|e| e.to_string()),
                    other => Err(format!("{other:?} in a list of {kind:?}")),
                })
                .collect::<Result<_, _>>()?;
            a.add(micros)
        }
        Kind::Uuid => array!(Uuid, Uuid),
        Kind::Json => array!(Json, serde_json::Value),
    }
}

impl Backend for sqlx::MySql {
    fn arguments(binds: &[Value]) -> Result<Self::Arguments> {
        let mut a = sqlx::mysql::MySqlArguments::default();
        for v in binds {
            storable::check(v)?;
            let r = match v {
                Value::Null(Kind::DateTimeUtc) => a.add(Option::<NaiveDateTime>::None),
                Value::Null(k) => typed_null!(a, k, uuid = Vec<u8>, json = String),
                Value::Bool(b) => a.add(*b),
                Value::I16(i) => a.add(*i),
                Value::I32(i) => a.add(*i),
                Value::I64(i) => a.add(*i),
                Value::F32(x) => a.add(*x),
                Value::F64(x) => a.add(*x),
                Value::String(s) => a.add(s.as_str()),
                Value::Bytes(b) => a.add(b.as_slice()),
                Value::Decimal(d) => a.add(*d),
                Value::Date(d) => a.add(*d),
                Value::DateTime(d) => a.add(*d),
                // As DATETIME: a TIMESTAMP parameter would overflow after 2038-01-19.
                Value::DateTimeUtc(d) => a.add(d.naive_utc()),
                Value::Time(t) => a.add(temporal::checked_time(t)?),
                Value::Duration(d) => a.add(temporal::duration_micros(d)?),
                Value::Uuid(u) => a.add(u.as_bytes().as_slice()),
                Value::Json(j) => a.add(j.to_string()),
                Value::List(..) => Err("lists are bound as arrays on PostgreSQL only".into()),
            };
            r.map_err(|e| bind_err(v, e))?;
        }
        Ok(a)
    }
    fn decode_row<D: RowDecoder>(row: &Self::Row, d: &D) -> Result<D::Output> {
        Ok(d.decode(&mut Reader { row, idx: 0 })?)
    }
    fn exec_result(r: &Self::QueryResult) -> ExecResult {
        ExecResult {
            rows_affected: r.rows_affected(),
            last_insert_id: Some(r.last_insert_id()),
        }
    }
}

// ---------------------------------------------------------------- decoding

/// Reads the columns of one driver row in order.
struct Reader<'r, R> {
    row: &'r R,
    idx: usize,
}

impl<'r, R: Row> Reader<'r, R>
where
    usize: sqlx::ColumnIndex<R>,
{
    fn get<T>(&mut self) -> Result<Option<T>, String>
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
    fn exact<T>(&mut self) -> Option<Option<T>>
    where
        T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let v = self.row.try_get::<Option<T>, _>(self.idx).ok()?;
        self.idx += 1;
        Some(v)
    }

    /// The next column of any type as text.
    fn text<'a>(&'a mut self) -> Result<Option<String>, String>
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
    fn next_type(&self) -> String {
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

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
        .map_err(|e| format!("{s:?}: {e}"))
}

fn parse_datetime(s: &str) -> Result<NaiveDateTime, String> {
    let trimmed = s.trim_end_matches('Z');
    let trimmed = trimmed.strip_suffix("+00:00").unwrap_or(trimmed);
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f"))
        .map_err(|e| format!("{s:?}: {e}"))
}

/// A stored decimal, or the values of an exact decimal aggregate
/// (`orm-decimal-agg:sum:1.5,2.25`) computed here with rust_decimal because
/// SQLite has no exact decimal arithmetic.
fn parse_sqlite_decimal(s: &str) -> Result<Decimal, String> {
    let parse = |t: &str| t.parse::<Decimal>().map_err(|e| format!("{t:?}: {e}"));
    let Some(rest) = s.strip_prefix(crate::render::select::SQLITE_DECIMAL_AGG) else {
        return parse(s);
    };
    let (op, list) = rest
        .split_once(':')
        .ok_or_else(|| format!("malformed aggregate {s:?}"))?;
    let values = list.split(',').map(parse).collect::<Result<Vec<_>, _>>()?;
    let overflow = || format!("decimal {op} overflows");
    match op {
        "sum" => values
            .iter()
            .try_fold(Decimal::ZERO, |a, v| a.checked_add(*v))
            .ok_or_else(overflow),
        "avg" => {
            let sum = values
                .iter()
                .try_fold(Decimal::ZERO, |a, v| a.checked_add(*v))
                .ok_or_else(overflow)?;
            sum.checked_div(Decimal::from(values.len()))
                .ok_or_else(overflow)
        }
        "min" => values
            .into_iter()
            .min()
            .ok_or_else(|| "no values".to_owned()),
        "max" => values
            .into_iter()
            .max()
            .ok_or_else(|| "no values".to_owned()),
        _ => Err(format!("unknown decimal aggregate {op:?}")),
    }
}

/// A double where a decimal is expected (`Sqrt` of a decimal is computed
/// in double precision), converted as SQLite's REAL decimals are, so every
/// backend gives the same `Decimal`.
fn decimal_from_double(x: f64) -> Result<Decimal, String> {
    Decimal::try_from(x).map_err(|e| e.to_string())
}

fn int_from<T: TryFrom<i64>>(v: Option<i64>) -> Result<Option<T>, String> {
    v.map(|x| T::try_from(x).map_err(|_| format!("{x} is out of range")))
        .transpose()
}

fn decimal_to_i64(d: Option<Decimal>) -> Result<Option<i64>, String> {
    use rust_decimal::prelude::ToPrimitive;
    d.map(|d| {
        d.trunc()
            .to_i64()
            .ok_or_else(|| format!("{d} is out of range for i64"))
    })
    .transpose()
}

impl RowReader for Reader<'_, sqlx::sqlite::SqliteRow> {
    fn read_text(&mut self) -> Result<Option<String>, String> {
        self.text()
    }
    fn remaining(&self) -> usize {
        self.row.len().saturating_sub(self.idx)
    }
    fn read_bool(&mut self) -> Result<Option<bool>, String> {
        self.get::<bool>()
    }
    fn read_i16(&mut self) -> Result<Option<i16>, String> {
        int_from(self.get::<i64>()?)
    }
    fn read_i32(&mut self) -> Result<Option<i32>, String> {
        int_from(self.get::<i64>()?)
    }
    fn read_i64(&mut self) -> Result<Option<i64>, String> {
        self.get::<i64>()
    }
    fn read_f32(&mut self) -> Result<Option<f32>, String> {
        self.get::<f32>()
    }
    fn read_f64(&mut self) -> Result<Option<f64>, String> {
        self.get::<f64>()
    }
    fn read_string(&mut self) -> Result<Option<String>, String> {
        self.get::<String>()
    }
    fn read_bytes(&mut self) -> Result<Option<Vec<u8>>, String> {
        self.get::<Vec<u8>>()
    }
    fn read_decimal(&mut self) -> Result<Option<Decimal>, String> {
        match self.next_type().as_str() {
            "INTEGER" => Ok(self.get::<i64>()?.map(Decimal::from)),
            "REAL" => self.get::<f64>()?.map(decimal_from_double).transpose(),
            _ => self
                .get::<String>()?
                .map(|s| parse_sqlite_decimal(&s))
                .transpose(),
        }
    }
    fn read_date(&mut self) -> Result<Option<NaiveDate>, String> {
        self.get::<String>()?.map(|s| parse_date(&s)).transpose()
    }
    fn read_datetime(&mut self) -> Result<Option<NaiveDateTime>, String> {
        self.get::<String>()?
            .map(|s| parse_datetime(&s))
            .transpose()
    }
    fn read_datetime_utc(&mut self) -> Result<Option<DateTime<Utc>>, String> {
        Ok(self.read_datetime()?.map(|d| d.and_utc()))
    }
    fn read_time(&mut self) -> Result<Option<NaiveTime>, String> {
        self.get::<String>()?
            .map(|s| temporal::parse_sqlite_time(&s))
            .transpose()
    }
    fn read_uuid(&mut self) -> Result<Option<Uuid>, String> {
        match self.next_type().as_str() {
            "TEXT" => self
                .get::<String>()?
                .map(|s| Uuid::parse_str(&s).map_err(|e| e.to_string()))
                .transpose(),
            _ => self
                .get::<Vec<u8>>()?
                .map(|b| Uuid::from_slice(&b).map_err(|e| e.to_string()))
                .transpose(),
        }
    }
    fn read_json(&mut self) -> Result<Option<serde_json::Value>, String> {
        self.get::<String>()?
            .map(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
            .transpose()
    }
    fn skip(&mut self) {
        self.idx += 1;
    }
}

impl RowReader for Reader<'_, sqlx::postgres::PgRow> {
    fn read_text(&mut self) -> Result<Option<String>, String> {
        self.text()
    }
    fn remaining(&self) -> usize {
        self.row.len().saturating_sub(self.idx)
    }
    fn read_bool(&mut self) -> Result<Option<bool>, String> {
        self.get::<bool>()
    }
    fn read_i16(&mut self) -> Result<Option<i16>, String> {
        match self.exact::<i16>() {
            Some(v) => Ok(v),
            None => int_from(self.read_i64()?),
        }
    }
    fn read_i32(&mut self) -> Result<Option<i32>, String> {
        match self.exact::<i32>() {
            Some(v) => Ok(v),
            None => int_from(self.read_i64()?),
        }
    }
    fn read_i64(&mut self) -> Result<Option<i64>, String> {
        if let Some(v) = self.exact::<i64>() {
            return Ok(v);
        }
        // Aggregates: SUM of bigint is NUMERIC, of smaller integers BIGINT.
        match self.next_type().as_str() {
            "INT2" => Ok(self.get::<i16>()?.map(i64::from)),
            "INT4" => Ok(self.get::<i32>()?.map(i64::from)),
            "NUMERIC" => decimal_to_i64(self.get::<Decimal>()?),
            _ => self.get::<i64>(),
        }
    }
    fn read_f32(&mut self) -> Result<Option<f32>, String> {
        match self.exact::<f32>() {
            Some(v) => Ok(v),
            // Math on a REAL column is computed in double precision.
            None => Ok(self.read_f64()?.map(|x| x as f32)),
        }
    }
    fn read_f64(&mut self) -> Result<Option<f64>, String> {
        if let Some(v) = self.exact::<f64>() {
            return Ok(v);
        }
        match self.next_type().as_str() {
            "FLOAT4" => Ok(self.get::<f32>()?.map(f64::from)),
            "NUMERIC" => {
                use rust_decimal::prelude::ToPrimitive;
                Ok(self.get::<Decimal>()?.and_then(|d| d.to_f64()))
            }
            _ => self.get::<f64>(),
        }
    }
    fn read_string(&mut self) -> Result<Option<String>, String> {
        self.get::<String>()
    }
    fn read_bytes(&mut self) -> Result<Option<Vec<u8>>, String> {
        self.get::<Vec<u8>>()
    }
    fn read_decimal(&mut self) -> Result<Option<Decimal>, String> {
        match self.next_type().as_str() {
            "INT2" | "INT4" | "INT8" => Ok(self.read_i64()?.map(Decimal::from)),
            "FLOAT4" | "FLOAT8" => self.read_f64()?.map(decimal_from_double).transpose(),
            _ => self.get::<Decimal>(),
        }
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
    fn read_uuid(&mut self) -> Result<Option<Uuid>, String> {
        self.get::<Uuid>()
    }
    fn read_json(&mut self) -> Result<Option<serde_json::Value>, String> {
        self.get::<serde_json::Value>()
    }
    fn skip(&mut self) {
        self.idx += 1;
    }
}

impl RowReader for Reader<'_, sqlx::mysql::MySqlRow> {
    fn read_text(&mut self) -> Result<Option<String>, String> {
        self.text()
    }
    fn remaining(&self) -> usize {
        self.row.len().saturating_sub(self.idx)
    }
    fn read_bool(&mut self) -> Result<Option<bool>, String> {
        self.get::<bool>()
    }
    fn read_i16(&mut self) -> Result<Option<i16>, String> {
        int_from(self.read_i64()?)
    }
    fn read_i32(&mut self) -> Result<Option<i32>, String> {
        int_from(self.read_i64()?)
    }
    fn read_i64(&mut self) -> Result<Option<i64>, String> {
        if let Some(v) = self.exact::<i64>() {
            return Ok(v);
        }
        match self.next_type().as_str() {
            "DECIMAL" => decimal_to_i64(self.get::<Decimal>()?),
            // Window functions such as ROW_NUMBER() are unsigned on MySQL/MariaDB.
            t if t.ends_with("UNSIGNED") => self
                .get::<u64>()?
                .map(|v| i64::try_from(v).map_err(|_| format!("{v} is out of range for i64")))
                .transpose(),
            _ => self.get::<i64>(),
        }
    }
    fn read_f32(&mut self) -> Result<Option<f32>, String> {
        match self.exact::<f32>() {
            Some(v) => Ok(v),
            // Math on a FLOAT column is computed in double precision.
            None => Ok(self.read_f64()?.map(|x| x as f32)),
        }
    }
    fn read_f64(&mut self) -> Result<Option<f64>, String> {
        if let Some(v) = self.exact::<f64>() {
            return Ok(v);
        }
        match self.next_type().as_str() {
            "FLOAT" => Ok(self.get::<f32>()?.map(f64::from)),
            "DECIMAL" => {
                use rust_decimal::prelude::ToPrimitive;
                Ok(self.get::<Decimal>()?.and_then(|d| d.to_f64()))
            }
            _ => self.get::<f64>(),
        }
    }
    fn read_string(&mut self) -> Result<Option<String>, String> {
        self.get::<String>()
    }
    fn read_bytes(&mut self) -> Result<Option<Vec<u8>>, String> {
        self.get::<Vec<u8>>()
    }
    fn read_decimal(&mut self) -> Result<Option<Decimal>, String> {
        match self.next_type().as_str() {
            "DECIMAL" => self.get::<Decimal>(),
            // FLOOR/CEIL of a decimal can come back as an integer type.
            t if t.contains("INT") => Ok(self.read_i64()?.map(Decimal::from)),
            "DOUBLE" | "FLOAT" => self.read_f64()?.map(decimal_from_double).transpose(),
            _ => self.get::<Decimal>(),
        }
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
    fn read_uuid(&mut self) -> Result<Option<Uuid>, String> {
        self.get::<Vec<u8>>()?
            .map(|b| Uuid::from_slice(&b).map_err(|e| e.to_string()))
            .transpose()
    }
    fn read_json(&mut self) -> Result<Option<serde_json::Value>, String> {
        if self.next_type() == "JSON" {
            return self.get::<serde_json::Value>();
        }
        self.get::<String>()?
            .map(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
            .transpose()
    }
    fn skip(&mut self) {
        self.idx += 1;
    }
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

async fn fetch_on<'c, DB, E, D>(e: E, stmt: &Statement, d: &D) -> Result<Vec<D::Output>>
where
    DB: Backend,
    E: sqlx::Executor<'c, Database = DB>,
    D: RowDecoder,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let args = DB::arguments(&stmt.binds)?;
    // Collect the driver rows first, then decode: decoding as rows arrive
    // makes the consumer slower than SQLite's worker thread and costs a
    // thread wake-up per row. stream() decodes as rows arrive instead.
    let rows = sqlx::query_with::<DB, _>(AssertSqlSafe(stmt.sql.clone()), args)
        .fetch_all(e)
        .await?;
    rows.iter().map(|row| DB::decode_row(row, d)).collect()
}

async fn execute_on<'c, DB, E>(e: E, stmt: &Statement) -> Result<ExecResult>
where
    DB: Backend,
    E: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let args = DB::arguments(&stmt.binds)?;
    let r = sqlx::query_with::<DB, _>(AssertSqlSafe(stmt.sql.clone()), args)
        .execute(e)
        .await?;
    Ok(DB::exec_result(&r))
}

async fn raw_on<'c, DB, E>(e: E, sql: &str) -> Result<ExecResult>
where
    DB: Backend,
    E: sqlx::Executor<'c, Database = DB>,
{
    let r = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(e)
        .await?;
    Ok(DB::exec_result(&r))
}

/// Runs SQL text without parameters on a leased connection.
pub(crate) async fn raw_on_conn(conn: &mut PooledConn, sql: &str) -> Result<ExecResult> {
    on_conn!(conn, |c| raw_on(c, sql).await)
}

/// Runs `$body` with `$c` bound to the backend's connection.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            PooledConn::Sqlite(c) => {
                let $c = &mut **c;
                $body
            }
            PooledConn::Postgres(c) => {
                let $c = &mut **c;
                $body
            }
            PooledConn::MySql(c) => {
                let $c = &mut **c;
                $body
            }
        }
    };
}
use on_conn;

/// Runs `$body` with `$c` bound to a connection leased from `$target`:
/// the one path of every statement that returns at once (see `lease`).
macro_rules! leased {
    ($target:expr, |$c:ident| $body:expr) => {{
        let mut lease = Lease::take($target).await?;
        let (conn, _) = lease.start();
        let out = on_conn!(conn, |$c| $body);
        lease.finish(out.as_ref().err());
        out
    }};
}

/// Runs a query and decodes every row.
pub async fn fetch<E: Executor + ?Sized, D: RowDecoder>(
    ex: &E,
    stmt: &Statement,
    d: &D,
) -> Result<Vec<D::Output>> {
    let run = async { leased!(ex.target(), |c| fetch_on(c, stmt, d).await) };
    observed(
        stmt,
        observe::Kind::Query,
        |v: &Vec<D::Output>| v.len() as u64,
        run,
    )
    .await
}

/// Runs a statement that returns no rows.
pub async fn execute<E: Executor + ?Sized>(ex: &E, stmt: &Statement) -> Result<ExecResult> {
    let run = async { leased!(ex.target(), |c| execute_on(c, stmt).await) };
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
    let run = async { leased!(ex.target(), |c| raw_on(c, sql).await) };
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

fn decoded<'e, 'c: 'e, DB, E, D>(
    e: E,
    stmt: &Statement,
    d: &'e D,
) -> BoxStream<'e, Result<D::Output>>
where
    DB: Backend,
    E: sqlx::Executor<'c, Database = DB> + 'e,
    D: RowDecoder,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    match DB::arguments(&stmt.binds) {
        Err(err) => futures::stream::once(async move { Err(err) }).boxed(),
        Ok(args) => sqlx::query_with::<DB, _>(AssertSqlSafe(stmt.sql.clone()), args)
            .fetch(e)
            .map(move |row| DB::decode_row(&row?, d))
            .boxed(),
    }
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
            on_conn!(conn, |c| decoded(c, &stmt, &d));
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
