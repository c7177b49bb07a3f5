//! Conversions every backend's row reader shares: the text forms of dates
//! and date-times, integer narrowing, and decimals read from doubles or
//! integers, so every backend gives the same Rust value.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A date stored as text (`YYYY-MM-DD`, or the start of a date-time).
pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
        .map_err(|e| format!("{s:?}: {e}"))
}

/// A date-time stored as text, with a space or `T`, with or without a UTC
/// suffix.
pub(crate) fn parse_datetime(s: &str) -> Result<NaiveDateTime, String> {
    let trimmed = s.trim_end_matches('Z');
    let trimmed = trimmed.strip_suffix("+00:00").unwrap_or(trimmed);
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f"))
        .map_err(|e| format!("{s:?}: {e}"))
}

/// A double where a decimal is expected (`Sqrt` of a decimal is computed
/// in double precision), converted as SQLite's REAL decimals are, so every
/// backend gives the same `Decimal`.
pub(crate) fn decimal_from_double(x: f64) -> Result<Decimal, String> {
    Decimal::try_from(x).map_err(|e| e.to_string())
}

/// An integer narrowed to a smaller type, refusing values out of its range.
pub(crate) fn int_from<T: TryFrom<i64>>(v: Option<i64>) -> Result<Option<T>, String> {
    v.map(|x| T::try_from(x).map_err(|_| format!("{x} is out of range")))
        .transpose()
}

/// A decimal where an integer is expected (PostgreSQL's SUM of BIGINT),
/// truncated toward zero.
pub(crate) fn decimal_to_i64(d: Option<Decimal>) -> Result<Option<i64>, String> {
    d.map(|d| {
        d.trunc()
            .to_i64()
            .ok_or_else(|| format!("{d} is out of range for i64"))
    })
    .transpose()
}
