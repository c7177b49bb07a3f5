//! What every backend stores exactly, and what is refused before a
//! statement runs.
//!
//! A value either comes back identical from SQLite, PostgreSQL and
//! MariaDB, or it is refused with the same typed error on all three while
//! the statement's parameters are built, before anything is sent. Writes of
//! several statements (`bulk_create`, `bulk_update`) check every row before
//! their transaction starts.
//!
//! Refused everywhere, as `Error::Unstorable` (naming the field when the
//! value is written to one):
//! - text (and JSON strings) holding a NUL character: PostgreSQL text
//!   cannot hold one, and SQLite's LIKE/GLOB patterns stop at it, so a
//!   lookup such as `contains("\0")` would match every row there;
//! - NaN and infinite floats: SQLite stores NaN as NULL, MariaDB refuses
//!   both, PostgreSQL stores both;
//! - dates and datetimes outside the years 1 to 9999 (as Django's): SQLite
//!   text and MariaDB's DATETIME cannot hold the others;
//! - times of day and durations that are not whole microseconds
//!   (`temporal`).
//!
//! Refused in writes of model rows, as `Error::ExceedsLimit` naming model,
//! field and limit: text longer than `max_length` characters (trailing
//! spaces count, where PostgreSQL and MariaDB would cut them), decimals
//! with more digits before the point than `max_digits - decimal_places`,
//! and decimals with more places than `decimal_places` (refused, never
//! rounded: PostgreSQL and MariaDB round them, SQLite keeps them).

use crate::error::{Error, FieldName, Limit, Result};
use crate::temporal;
use chrono::Datelike;
use orm_core::model::{FieldMeta, ModelMeta};
use orm_core::value::{Kind, Value};
use rust_decimal::Decimal;

/// The years every backend stores and reads back (Django's range).
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

fn unstorable(type_name: &'static str, value: String, reason: &'static str) -> Error {
    Error::Unstorable {
        type_name,
        value,
        reason,
        field: None,
    }
}

fn text(s: &str) -> Result<()> {
    if s.contains('\0') {
        return Err(unstorable(
            "String",
            shorten(s),
            "text cannot hold a NUL character (PostgreSQL refuses it and SQLite patterns stop at it)",
        ));
    }
    Ok(())
}

fn json(j: &serde_json::Value) -> Result<()> {
    let nul = |s: &str| s.contains('\0');
    let has_nul = match j {
        serde_json::Value::String(s) => nul(s),
        serde_json::Value::Array(items) => return items.iter().try_for_each(json),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if nul(k) {
                    return Err(json_nul(j));
                }
                json(v)?;
            }
            false
        }
        _ => false,
    };
    if has_nul { Err(json_nul(j)) } else { Ok(()) }
}

fn json_nul(j: &serde_json::Value) -> Error {
    unstorable(
        "serde_json::Value",
        shorten(&j.to_string()),
        "JSON text cannot hold a NUL character (PostgreSQL's jsonb refuses \\u0000)",
    )
}

fn float(type_name: &'static str, finite: bool, value: String) -> Result<()> {
    if finite {
        return Ok(());
    }
    Err(unstorable(
        type_name,
        value,
        "NaN and infinite floats are refused (SQLite stores NaN as NULL, MariaDB refuses both)",
    ))
}

fn year(type_name: &'static str, year: i32, value: String) -> Result<()> {
    if YEARS.contains(&year) {
        return Ok(());
    }
    Err(unstorable(
        type_name,
        value,
        "dates are stored for the years 1 to 9999 (SQLite and MariaDB cannot hold the others)",
    ))
}

/// Refuses a value no backend stores exactly; other values pass. Every
/// bound parameter goes through it, filter values and raw parameters too.
pub(crate) fn check(v: &Value) -> Result<()> {
    match v {
        Value::String(s) => text(s),
        Value::Json(j) => json(j),
        Value::F32(x) => float("f32", x.is_finite(), x.to_string()),
        Value::F64(x) => float("f64", x.is_finite(), x.to_string()),
        Value::Date(d) => year("NaiveDate", d.year(), d.to_string()),
        Value::DateTime(d) => year("NaiveDateTime", d.year(), d.to_string()),
        Value::DateTimeUtc(d) => year("DateTime<Utc>", d.year(), d.to_string()),
        Value::Time(_) | Value::Duration(_) => temporal::check(v),
        Value::List(_, items) => items.iter().try_for_each(check),
        Value::Null(_)
        | Value::Bool(_)
        | Value::I16(_)
        | Value::I32(_)
        | Value::I64(_)
        | Value::Bytes(_)
        | Value::Decimal(_)
        | Value::Uuid(_) => Ok(()),
    }
}

/// Refuses a value written to field `f` of `model`: what [`check`] refuses
/// (naming the field) and what exceeds the field's declared limits.
pub(crate) fn check_field(model: &'static str, f: &FieldMeta, v: &Value) -> Result<()> {
    let name = FieldName {
        model,
        field: f.name,
    };
    check(v).map_err(|e| match e {
        Error::Unstorable {
            type_name,
            value,
            reason,
            field: None,
        } => Error::Unstorable {
            type_name,
            value,
            reason,
            field: Some(name),
        },
        other => other,
    })?;
    let exceeds = |limit, value| Error::ExceedsLimit {
        field: name,
        limit,
        value,
    };
    match v {
        Value::String(s) if f.ty.kind == Kind::String => match f.ty.max_length {
            // Characters, as VARCHAR(n) counts them; bytes are never fewer.
            Some(n) if s.len() > n as usize && s.chars().count() > n as usize => {
                Err(exceeds(Limit::MaxLength(n), shorten(s)))
            }
            _ => Ok(()),
        },
        Value::Decimal(d) => match decimal_limit(d, f.ty.max_digits, f.ty.decimal_places) {
            Some(limit) => Err(exceeds(limit, d.to_string())),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Checks a whole row of `meta` (values in field order).
pub(crate) fn check_row(meta: &ModelMeta, values: &[Value]) -> Result<()> {
    meta.fields
        .iter()
        .zip(values)
        .try_for_each(|(f, v)| check_field(meta.name, f, v))
}

/// The declared limit a decimal exceeds, if any. Trailing zeros do not
/// count as places (`1.50` fits two places).
fn decimal_limit(d: &Decimal, max_digits: Option<u32>, places: Option<u32>) -> Option<Limit> {
    let d = d.normalize();
    let places = places.unwrap_or(0);
    if d.scale() > places {
        return Some(Limit::DecimalPlaces(places));
    }
    let max_digits = max_digits?;
    let integer_digits = max_digits.saturating_sub(places);
    let int_part = d.abs().trunc();
    let digits = if int_part.is_zero() {
        0
    } else {
        int_part.normalize().to_string().len() as u32
    };
    (digits > integer_digits).then_some(Limit::IntegerDigits(integer_digits))
}

/// Long text shortened for an error message.
fn shorten(s: &str) -> String {
    const KEEP: usize = 40;
    let count = s.chars().count();
    if count <= KEEP {
        return format!("{s:?}");
    }
    let head: String = s.chars().take(KEEP).collect();
    format!("{head:?}… ({count} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn limit(s: &str, digits: u32, places: u32) -> Option<Limit> {
        decimal_limit(&Decimal::from_str(s).unwrap(), Some(digits), Some(places))
    }

    #[test]
    fn decimals_fit_their_digits_or_name_the_limit() {
        assert_eq!(limit("999.99", 5, 2), None);
        assert_eq!(limit("-999.99", 5, 2), None);
        assert_eq!(limit("1.50", 5, 2), None);
        assert_eq!(limit("0.5", 2, 2), None);
        assert_eq!(limit("1000", 5, 2), Some(Limit::IntegerDigits(3)));
        assert_eq!(limit("1.239", 5, 2), Some(Limit::DecimalPlaces(2)));
        assert_eq!(limit("1", 2, 2), Some(Limit::IntegerDigits(0)));
    }
}
