//! How times of day and durations are stored, and which values are refused.
//!
//! A `NaiveTime` is TIME on PostgreSQL, TIME(6) on MySQL/MariaDB and
//! fixed-width text `HH:MM:SS.ffffff` on SQLite, so that text order is time
//! order there. A `TimeDelta` is a BIGINT count of microseconds on every
//! backend. A value that would not come back identical (a fraction of a
//! microsecond, a leap second, a duration beyond `i64` microseconds) is
//! refused here with the same `Error::Unstorable` on every backend, while
//! the statement's parameters are built and before it is sent.

use crate::error::{Error, Result};
use chrono::{NaiveTime, TimeDelta, Timelike};
use orm_core::value::Value;

/// SQLite's text form of a time of day: always six fraction digits.
const SQLITE_TIME: &str = "%H:%M:%S%.6f";

/// The microseconds a duration is stored as.
pub(crate) fn duration_micros(d: &TimeDelta) -> Result<i64> {
    let refuse = |reason| Error::Unstorable {
        type_name: "TimeDelta",
        value: d.to_string(),
        reason,
        field: None,
    };
    if d.subsec_nanos() % 1_000 != 0 {
        return Err(refuse("durations are stored in whole microseconds"));
    }
    d.num_microseconds().ok_or_else(|| {
        refuse("durations are stored as i64 microseconds (about 292,000 years either way)")
    })
}

/// A time of day every backend stores exactly.
pub(crate) fn checked_time(t: &NaiveTime) -> Result<NaiveTime> {
    let nanos = t.nanosecond();
    let reason = if nanos >= 1_000_000_000 {
        "leap seconds cannot be stored"
    } else if !nanos.is_multiple_of(1_000) {
        "times of day are stored to the microsecond"
    } else {
        return Ok(*t);
    };
    Err(Error::Unstorable {
        type_name: "NaiveTime",
        value: t.to_string(),
        reason,
        field: None,
    })
}

/// The text SQLite stores for a time of day.
pub(crate) fn sqlite_time(t: &NaiveTime) -> Result<String> {
    Ok(checked_time(t)?.format(SQLITE_TIME).to_string())
}

/// A time of day read back from SQLite text (the fraction is optional, so
/// rows written by other tools are read too).
pub(crate) fn parse_sqlite_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f").map_err(|e| format!("{s:?}: {e}"))
}

/// Refuses a time of day or duration no backend stores exactly; other
/// values pass (`storable::check` covers every kind).
pub(crate) fn check(v: &Value) -> Result<()> {
    match v {
        Value::Time(t) => checked_time(t).map(drop),
        Value::Duration(d) => duration_micros(d).map(drop),
        _ => Ok(()),
    }
}
