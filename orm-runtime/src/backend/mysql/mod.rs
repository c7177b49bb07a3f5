//! MySQL and MariaDB, through sqlx's driver and pool: connecting (and
//! telling MariaDB, which has `INSERT .. RETURNING`, from MySQL), binding
//! (date-times as DATETIME, UUIDs as 16 bytes), reading rows (unsigned
//! window results, DECIMAL aggregates), and what each supports.

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
use sqlx::{Arguments, AssertSqlSafe, ConnectOptions, Row};
use std::str::FromStr;
use uuid::Uuid;

/// What MariaDB supports (MySQL proper: no `RETURNING`).
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    returning: true,
    max_binds: 65_535,
    array_binds: false,
    transactional_ddl: false,
    lock_of: false,
};

/// What the server supports: MariaDB (10.5+) has `INSERT .. RETURNING`;
/// MySQL does not, but has `FOR UPDATE OF`.
pub(crate) async fn capabilities<'c, E>(conn: E) -> Result<Capabilities>
where
    E: sqlx::Executor<'c, Database = sqlx::MySql>,
{
    let version: String = sqlx::query_scalar(AssertSqlSafe("SELECT VERSION()"))
        .fetch_one(conn)
        .await
        .map_err(Error::from_sqlx)?;
    let mariadb = version.to_lowercase().contains("mariadb");
    Ok(Capabilities {
        returning: mariadb,
        lock_of: !mariadb,
        ..CAPABILITIES
    })
}

/// Connects (`mysql://` or `mariadb://`), asking the server which it is.
pub(crate) async fn connect(
    url: &str,
    cfg: &PoolConfig,
) -> Result<(sqlx::MySqlPool, Capabilities)> {
    let url = url.replacen("mariadb://", "mysql://", 1);
    let opts = sqlx::mysql::MySqlConnectOptions::from_str(&url)
        .map_err(|e| Error::Connection(Box::new(e)))?
        .disable_statement_logging();
    let mut conn = super::sqlx_driver::probe(&opts).await?;
    let caps = capabilities(&mut conn).await?;
    sqlx::Connection::close(conn)
        .await
        .map_err(|e| Error::Connection(Box::new(e)))?;
    let pool = super::sqlx_driver::pool_options::<sqlx::MySql>(cfg)
        .connect_with(opts)
        .await
        .map_err(|e| Error::Connection(Box::new(e)))?;
    Ok((pool, caps))
}

impl SqlxBackend for sqlx::MySql {
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
    fn push_row(row: &Self::Row, sink: &mut dyn Sink) -> Result<(), DecodeError> {
        sink.mysql(&mut Reader { row, idx: 0 })
    }
    fn exec_result(r: &Self::QueryResult) -> ExecResult {
        ExecResult {
            rows_affected: r.rows_affected(),
            last_insert_id: Some(r.last_insert_id()),
        }
    }
}

impl RowReader for Reader<'_, sqlx::mysql::MySqlRow> {
    sqlx_reader_shared!();
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
    fn read_decimal(&mut self) -> Result<Option<Decimal>, String> {
        match self.next_type().as_str() {
            "DECIMAL" => self.get::<Decimal>(),
            // FLOOR/CEIL of a decimal can come back as an integer type.
            t if t.contains("INT") => Ok(self.read_i64()?.map(Decimal::from)),
            "DOUBLE" | "FLOAT" => self.read_f64()?.map(decimal_from_double).transpose(),
            _ => self.get::<Decimal>(),
        }
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
}
