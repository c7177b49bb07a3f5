//! PostgreSQL, through sqlx's driver and pool: connecting, binding
//! (lists as one array parameter), reading rows (aggregates come back as
//! NUMERIC or wider integers and are read leniently), and what it
//! supports.

pub(crate) mod syntax;
use super::Capabilities;
use super::convert::{decimal_from_double, decimal_to_i64, int_from};
use super::sink::Sink;
use super::sqlx_driver::{Reader, SqlxBackend, bind_err, sqlx_reader_shared, typed_null};
use crate::PoolConfig;
use crate::error::{Error, Result};
use crate::exec::{ExecResult, RowDecoder};
use crate::storable;
use crate::temporal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use orm_core::row::{DecodeError, RowReader};
use orm_core::value::{Kind, Value};
use rust_decimal::Decimal;
use sqlx::{Arguments, ConnectOptions, Row};
use std::str::FromStr;
use uuid::Uuid;

/// What PostgreSQL supports.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    returning: true,
    max_binds: 65_535,
    array_binds: true,
    transactional_ddl: true,
    lock_of: true,
};

/// Connects: one connection first, so an unreachable server reports the
/// driver's own error at once instead of a pool timeout. sqlx's own
/// statement logging is off: the ORM logs every statement itself.
pub(crate) async fn connect(url: &str, cfg: &PoolConfig) -> Result<sqlx::PgPool> {
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|e| Error::Connection(Box::new(e)))?
        .disable_statement_logging();
    sqlx::Connection::close(super::sqlx_driver::probe(&opts).await?)
        .await
        .map_err(|e| Error::Connection(Box::new(e)))?;
    super::sqlx_driver::pool_options::<sqlx::Postgres>(cfg)
        .connect_with(opts)
        .await
        .map_err(|e| Error::Connection(Box::new(e)))
}

impl SqlxBackend for sqlx::Postgres {
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
    fn push_row(row: &Self::Row, sink: &mut dyn Sink) -> Result<(), DecodeError> {
        sink.postgres(&mut Reader { row, idx: 0 })
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

impl RowReader for Reader<'_, sqlx::postgres::PgRow> {
    sqlx_reader_shared!();
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
    fn read_decimal(&mut self) -> Result<Option<Decimal>, String> {
        match self.next_type().as_str() {
            "INT2" | "INT4" | "INT8" => Ok(self.read_i64()?.map(Decimal::from)),
            "FLOAT4" | "FLOAT8" => self.read_f64()?.map(decimal_from_double).transpose(),
            _ => self.get::<Decimal>(),
        }
    }
    fn read_uuid(&mut self) -> Result<Option<Uuid>, String> {
        self.get::<Uuid>()
    }
    fn read_json(&mut self) -> Result<Option<serde_json::Value>, String> {
        self.get::<serde_json::Value>()
    }
}
