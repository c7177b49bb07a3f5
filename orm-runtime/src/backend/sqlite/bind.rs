//! Values bound to SQLite parameters. SQLite has five storage classes;
//! the other types are stored as text or integers in forms that compare
//! and sort correctly (see DESIGN.md's type table):
//!
//! - decimals as normalized text (`1.50` and `1.5` are equal);
//! - dates and date-times as ISO-8601 text with six fractional digits;
//! - times as `HH:MM:SS.ffffff`, durations as integer microseconds;
//! - UUIDs as 16-byte blobs, JSON as its text.

use crate::error::{Error, Result};
use crate::storable;
use crate::temporal;
use orm_core::value::Value;
use rusqlite::types::{ToSqlOutput, Value as Owned, ValueRef};

/// How date-times are written (and compared, as text).
pub(crate) const DATETIME: &str = "%Y-%m-%d %H:%M:%S%.6f";

/// One value as SQLite stores it: borrowed where it already is in that
/// form, else converted.
fn sqlite_value(v: &Value) -> Result<ToSqlOutput<'_>> {
    storable::check(v)?;
    fn borrowed(r: ValueRef<'_>) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(r)
    }
    fn owned(o: Owned) -> ToSqlOutput<'static> {
        ToSqlOutput::Owned(o)
    }
    Ok(match v {
        Value::Null(_) => borrowed(ValueRef::Null),
        Value::Bool(b) => borrowed(ValueRef::Integer(i64::from(*b))),
        Value::I16(i) => borrowed(ValueRef::Integer(i64::from(*i))),
        Value::I32(i) => borrowed(ValueRef::Integer(i64::from(*i))),
        Value::I64(i) => borrowed(ValueRef::Integer(*i)),
        Value::F32(x) => borrowed(ValueRef::Real(f64::from(*x))),
        Value::F64(x) => borrowed(ValueRef::Real(*x)),
        Value::String(s) => borrowed(ValueRef::Text(s.as_bytes())),
        Value::Bytes(b) => borrowed(ValueRef::Blob(b)),
        Value::Decimal(d) => owned(Owned::Text(d.normalize().to_string())),
        Value::Date(d) => owned(Owned::Text(d.format("%Y-%m-%d").to_string())),
        Value::DateTime(d) => owned(Owned::Text(d.format(DATETIME).to_string())),
        Value::DateTimeUtc(d) => owned(Owned::Text(d.naive_utc().format(DATETIME).to_string())),
        Value::Time(t) => owned(Owned::Text(temporal::sqlite_time(t)?)),
        Value::Duration(d) => borrowed(ValueRef::Integer(temporal::duration_micros(d)?)),
        Value::Uuid(u) => borrowed(ValueRef::Blob(u.as_bytes())),
        Value::Json(j) => owned(Owned::Text(j.to_string())),
        Value::List(..) => {
            return Err(Error::Usage(format!(
                "cannot bind {v:?}: lists are bound as arrays on PostgreSQL only"
            )));
        }
    })
}

/// Binds `binds` to the statement's parameters, in order.
pub(crate) fn bind(stmt: &mut rusqlite::Statement<'_>, binds: &[Value]) -> Result<()> {
    let expected = stmt.parameter_count();
    if expected != binds.len() {
        return Err(Error::Usage(format!(
            "the statement has {expected} parameters but {} values were given",
            binds.len()
        )));
    }
    for (i, v) in binds.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, sqlite_value(v)?)
            .map_err(super::error::classify)?;
    }
    Ok(())
}
