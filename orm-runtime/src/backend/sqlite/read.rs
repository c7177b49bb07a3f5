//! Row reading: the columns of a SQLite row, decoded in order into the
//! target type as they are stepped (no intermediate row values), from the
//! storage forms `bind` writes.

use crate::backend::convert::{decimal_from_double, int_from, parse_date, parse_datetime};
use crate::temporal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use orm_core::row::RowReader;
use rusqlite::types::ValueRef;
use rust_decimal::Decimal;
use uuid::Uuid;

/// Reads the columns of one row of a running statement in order.
pub(crate) struct Reader<'a, 'stmt> {
    row: &'a rusqlite::Row<'stmt>,
    idx: usize,
}

impl<'a, 'stmt> Reader<'a, 'stmt> {
    /// A reader at the row's first column.
    pub(crate) fn new(row: &'a rusqlite::Row<'stmt>) -> Self {
        Reader { row, idx: 0 }
    }

    fn cell(&self, i: usize) -> ValueRef<'a> {
        self.row.get_ref(i).unwrap_or(ValueRef::Null)
    }
}

fn utf8(t: &[u8]) -> Result<String, String> {
    std::str::from_utf8(t)
        .map(str::to_owned)
        .map_err(|e| e.to_string())
}

fn mismatch(expected: &str, found: ValueRef<'_>) -> String {
    let found = match found {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "INTEGER",
        ValueRef::Real(_) => "REAL",
        ValueRef::Text(_) => "TEXT",
        ValueRef::Blob(_) => "BLOB",
    };
    format!("mismatched types: {expected} cannot be decoded from SQLite {found}")
}

impl<'a> Reader<'a, '_> {
    fn next(&mut self) -> ValueRef<'a> {
        let i = self.idx;
        self.idx += 1;
        self.cell(i)
    }

    /// The next column as text (TEXT, or BLOB holding UTF-8).
    fn text(&mut self, expected: &str) -> Result<Option<String>, String> {
        match self.next() {
            ValueRef::Text(t) | ValueRef::Blob(t) => utf8(t).map(Some),
            ValueRef::Null => Ok(None),
            other => Err(mismatch(expected, other)),
        }
    }

    fn integer(&mut self, expected: &str) -> Result<Option<i64>, String> {
        match self.next() {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i)),
            other => Err(mismatch(expected, other)),
        }
    }

    fn real(&mut self) -> Result<Option<f64>, String> {
        match self.next() {
            ValueRef::Null => Ok(None),
            ValueRef::Real(x) => Ok(Some(x)),
            ValueRef::Integer(i) => Ok(Some(i as f64)),
            other => Err(mismatch("f64", other)),
        }
    }

    fn parsed<T>(
        &mut self,
        expected: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        self.text(expected)?.map(|s| parse(&s)).transpose()
    }
}

impl RowReader for Reader<'_, '_> {
    fn read_text(&mut self) -> Result<Option<String>, String> {
        match self.next() {
            ValueRef::Text(t) | ValueRef::Blob(t) => utf8(t).map(Some),
            ValueRef::Integer(i) => Ok(Some(i.to_string())),
            ValueRef::Real(x) => Ok(Some(x.to_string())),
            ValueRef::Null => Ok(None),
        }
    }
    fn remaining(&self) -> usize {
        AsRef::<rusqlite::Statement<'_>>::as_ref(self.row)
            .column_count()
            .saturating_sub(self.idx)
    }
    fn read_bool(&mut self) -> Result<Option<bool>, String> {
        Ok(self.integer("bool")?.map(|i| i != 0))
    }
    fn read_i16(&mut self) -> Result<Option<i16>, String> {
        int_from(self.integer("i16")?)
    }
    fn read_i32(&mut self) -> Result<Option<i32>, String> {
        int_from(self.integer("i32")?)
    }
    fn read_i64(&mut self) -> Result<Option<i64>, String> {
        self.integer("i64")
    }
    fn read_f32(&mut self) -> Result<Option<f32>, String> {
        Ok(self.real()?.map(|x| x as f32))
    }
    fn read_f64(&mut self) -> Result<Option<f64>, String> {
        self.real()
    }
    fn read_string(&mut self) -> Result<Option<String>, String> {
        self.text("String")
    }
    fn read_bytes(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self.next() {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) | ValueRef::Text(b) => Ok(Some(b.to_vec())),
            other => Err(mismatch("Vec<u8>", other)),
        }
    }
    fn read_decimal(&mut self) -> Result<Option<Decimal>, String> {
        match self.cell(self.idx) {
            ValueRef::Integer(i) => {
                self.idx += 1;
                Ok(Some(Decimal::from(i)))
            }
            ValueRef::Real(x) => {
                self.idx += 1;
                decimal_from_double(x).map(Some)
            }
            _ => self.parsed("Decimal", parse_decimal),
        }
    }
    fn read_date(&mut self) -> Result<Option<NaiveDate>, String> {
        self.parsed("NaiveDate", parse_date)
    }
    fn read_datetime(&mut self) -> Result<Option<NaiveDateTime>, String> {
        self.parsed("NaiveDateTime", parse_datetime)
    }
    fn read_datetime_utc(&mut self) -> Result<Option<DateTime<Utc>>, String> {
        Ok(self.read_datetime()?.map(|d| d.and_utc()))
    }
    fn read_time(&mut self) -> Result<Option<NaiveTime>, String> {
        self.parsed("NaiveTime", temporal::parse_sqlite_time)
    }
    fn read_uuid(&mut self) -> Result<Option<Uuid>, String> {
        match self.next() {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => Uuid::from_slice(b).map(Some).map_err(|e| e.to_string()),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map_err(|e| e.to_string())
                .and_then(|s| Uuid::parse_str(s).map_err(|e| e.to_string()))
                .map(Some),
            other => Err(mismatch("Uuid", other)),
        }
    }
    fn read_json(&mut self) -> Result<Option<serde_json::Value>, String> {
        self.parsed("JSON", |s| {
            serde_json::from_str(s).map_err(|e| e.to_string())
        })
    }
    fn skip(&mut self) {
        self.idx += 1;
    }
    fn column_name(&self, index: usize) -> Option<&str> {
        AsRef::<rusqlite::Statement<'_>>::as_ref(self.row)
            .column_name(index)
            .ok()
    }
    fn seek(&mut self, index: usize) -> bool {
        self.idx = index;
        true
    }
}

/// A stored decimal, or the values of an exact decimal aggregate
/// (`orm-decimal-agg:sum:1.5,2.25`) computed here with rust_decimal because
/// SQLite has no exact decimal arithmetic.
fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let parse = |t: &str| t.parse::<Decimal>().map_err(|e| format!("{t:?}: {e}"));
    let Some(rest) = s.strip_prefix(crate::render::SQLITE_DECIMAL_AGG) else {
        return parse(s);
    };
    let (op, list) = rest
        .split_once(':')
        .ok_or_else(|| format!("malformed aggregate {s:?}"))?;
    let values = list.split(',').map(parse).collect::<Result<Vec<_>, _>>()?;
    let overflow = || format!("decimal {op} overflows");
    let sum = || {
        values
            .iter()
            .try_fold(Decimal::ZERO, |a, v| a.checked_add(*v))
            .ok_or_else(overflow)
    };
    match op {
        "sum" => sum(),
        "avg" => sum()?
            .checked_div(Decimal::from(values.len()))
            .ok_or_else(overflow),
        "min" => values
            .iter()
            .min()
            .copied()
            .ok_or_else(|| "no values".to_owned()),
        "max" => values
            .iter()
            .max()
            .copied()
            .ok_or_else(|| "no values".to_owned()),
        _ => Err(format!("unknown decimal aggregate {op:?}")),
    }
}
