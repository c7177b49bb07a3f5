//! Untyped values and column types: what travels to the database as a bound
//! parameter, and what a column is declared as in DDL.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The storage kind of a value or column, independent of any dialect.
///
/// The renderer maps each kind to a column type per dialect, and the executor
/// binds and decodes each kind the way its backend stores it (for example a
/// `Decimal` is exact text on SQLite and `NUMERIC` on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `bool`
    Bool,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `String`
    String,
    /// `Vec<u8>`
    Bytes,
    /// `rust_decimal::Decimal`
    Decimal,
    /// `chrono::NaiveDate`
    Date,
    /// `chrono::NaiveDateTime`
    DateTime,
    /// `chrono::DateTime<Utc>`
    DateTimeUtc,
    /// `chrono::NaiveTime`: a time of day, to the microsecond.
    Time,
    /// `chrono::TimeDelta`: a duration, stored as a count of microseconds.
    Duration,
    /// `uuid::Uuid`
    Uuid,
    /// `serde_json::Value`
    Json,
}

impl Kind {
    /// Whether the kind is an integer kind.
    pub const fn is_integer(self) -> bool {
        matches!(self, Kind::I16 | Kind::I32 | Kind::I64)
    }
}

/// One value sent to the database as a bound parameter.
///
/// `Null` carries the kind of the column it stands for, because PostgreSQL
/// types every parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL of the given kind.
    Null(Kind),
    /// A boolean.
    Bool(bool),
    /// A 16-bit integer.
    I16(i16),
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float.
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// Text.
    String(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// An exact decimal.
    Decimal(Decimal),
    /// A date.
    Date(NaiveDate),
    /// A date and time without time zone.
    DateTime(NaiveDateTime),
    /// An instant in UTC.
    DateTimeUtc(DateTime<Utc>),
    /// A time of day.
    Time(NaiveTime),
    /// A duration; the executor binds it as whole microseconds and refuses
    /// one it cannot store that way.
    Duration(TimeDelta),
    /// A UUID.
    Uuid(Uuid),
    /// A JSON document.
    Json(serde_json::Value),
    /// A list of non-NULL values of one kind, bound as one array parameter
    /// (PostgreSQL's `= ANY($1)`).
    List(Kind, Vec<Value>),
}

impl Value {
    /// The kind of this value.
    pub fn kind(&self) -> Kind {
        match self {
            Value::Null(k) => *k,
            Value::Bool(_) => Kind::Bool,
            Value::I16(_) => Kind::I16,
            Value::I32(_) => Kind::I32,
            Value::I64(_) => Kind::I64,
            Value::F32(_) => Kind::F32,
            Value::F64(_) => Kind::F64,
            Value::String(_) => Kind::String,
            Value::Bytes(_) => Kind::Bytes,
            Value::Decimal(_) => Kind::Decimal,
            Value::Date(_) => Kind::Date,
            Value::DateTime(_) => Kind::DateTime,
            Value::DateTimeUtc(_) => Kind::DateTimeUtc,
            Value::Time(_) => Kind::Time,
            Value::Duration(_) => Kind::Duration,
            Value::Uuid(_) => Kind::Uuid,
            Value::Json(_) => Kind::Json,
            Value::List(k, _) => *k,
        }
    }

    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null(_))
    }
}

/// The declared type of a column: its kind plus the sizes DDL needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnType {
    /// Storage kind.
    pub kind: Kind,
    /// `VARCHAR(n)` length for text; `None` means unbounded text.
    pub max_length: Option<u32>,
    /// Total digits of a decimal.
    pub max_digits: Option<u32>,
    /// Digits after the point of a decimal.
    pub decimal_places: Option<u32>,
}

impl ColumnType {
    /// A column type of the given kind with no sizes.
    pub const fn of(kind: Kind) -> Self {
        ColumnType {
            kind,
            max_length: None,
            max_digits: None,
            decimal_places: None,
        }
    }
}
