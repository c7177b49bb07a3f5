//! Querysets that match nothing (`none()`, an empty `is_in` list): their
//! rows are known without asking the database, so terminal methods send no
//! statement. A select returns no row then, except an aggregate without
//! GROUP BY, which returns its one row of values over no rows (NULL, 0 for
//! `Count`, the default of a `Coalesce`), computed here. Where that value
//! needs the database (a subquery, a `CASE`, a user function) the statement
//! runs after all, still with `WHERE 1 = 0`.

use crate::error::Result;
use crate::exec::RowDecoder;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use orm_core::ast::{AggFunc, ExprNode, Func, Select};
use orm_core::row::RowReader;
use orm_core::value::Value;
use rust_decimal::Decimal;
use uuid::Uuid;

/// The rows `select` returns, when it matches nothing and they are known
/// without the database; `None` when the statement must run.
pub(crate) fn rows(select: &Select) -> Option<Vec<Vec<Value>>> {
    if !select.matches_nothing() {
        return None;
    }
    if !select.is_aggregate_row() {
        return Some(Vec::new());
    }
    if !select.having.is_empty() || !select.qualify.is_empty() {
        return None;
    }
    if select.limit == Some(0) || select.offset.unwrap_or(0) > 0 {
        return Some(Vec::new());
    }
    let row = select
        .columns
        .iter()
        .map(over_no_rows)
        .collect::<Option<Vec<_>>>()?;
    Some(vec![row])
}

/// Whether `count()` of `select` is 0 without asking: it matches nothing and
/// is not a single aggregate row.
pub(crate) fn counts_zero(select: &Select) -> bool {
    select.matches_nothing() && !select.is_aggregate_row()
}

/// The value of `e` in the row of aggregates over no rows, if it is known
/// without the database.
fn over_no_rows(e: &ExprNode) -> Option<Value> {
    match e {
        ExprNode::Aggregate(a) if a.over.is_none() => Some(if a.func == AggFunc::Count {
            Value::I64(0)
        } else {
            Value::Null(a.kind)
        }),
        ExprNode::Value(v) => Some(v.clone()),
        ExprNode::Func {
            func: Func::Coalesce,
            args,
            kind,
        } => {
            for arg in args {
                let v = over_no_rows(arg)?;
                if !v.is_null() {
                    return Some(v);
                }
            }
            Some(Value::Null(*kind))
        }
        // NULL in, NULL out; any other value needs the database.
        ExprNode::Cast { expr, to } => over_no_rows(expr)
            .filter(Value::is_null)
            .map(|_| Value::Null(*to)),
        ExprNode::Binary { lhs, rhs, kind, .. } => [lhs, rhs]
            .iter()
            .any(|x| over_no_rows(x).is_some_and(|v| v.is_null()))
            .then_some(Value::Null(*kind)),
        ExprNode::Func {
            func: Func::Concat | Func::Custom(_),
            ..
        } => None,
        ExprNode::Func { args, kind, .. } => args
            .iter()
            .any(|x| over_no_rows(x).is_some_and(|v| v.is_null()))
            .then_some(Value::Null(*kind)),
        _ => None,
    }
}

/// Decodes known rows with the queryset's decoder.
pub(crate) fn decode<D: RowDecoder>(rows: Vec<Vec<Value>>, decoder: &D) -> Result<Vec<D::Output>> {
    rows.into_iter()
        .map(|values| {
            let mut r = ValuesReader { values, next: 0 };
            Ok(decoder.decode(&mut r)?)
        })
        .collect()
}

/// Reads a row of known values.
struct ValuesReader {
    values: Vec<Value>,
    next: usize,
}

impl ValuesReader {
    fn take(&mut self) -> Value {
        let v = self
            .values
            .get(self.next)
            .cloned()
            .unwrap_or(Value::Null(orm_core::value::Kind::I64));
        self.next += 1;
        v
    }

    fn int(&mut self) -> Result<Option<i64>, String> {
        match self.take() {
            Value::Null(_) => Ok(None),
            Value::I16(i) => Ok(Some(i.into())),
            Value::I32(i) => Ok(Some(i.into())),
            Value::I64(i) => Ok(Some(i)),
            Value::Duration(d) => Ok(d.num_microseconds()),
            other => Err(format!("expected an integer, got {other:?}")),
        }
    }
}

fn mismatch<T>(what: &str, v: Value) -> Result<Option<T>, String> {
    match v {
        Value::Null(_) => Ok(None),
        other => Err(format!("expected {what}, got {other:?}")),
    }
}

macro_rules! read_as {
    ($($m:ident -> $t:ty: $variant:ident;)*) => {$(
        fn $m(&mut self) -> Result<Option<$t>, String> {
            match self.take() {
                Value::$variant(v) => Ok(Some(v)),
                other => mismatch(stringify!($t), other),
            }
        }
    )*};
}

impl RowReader for ValuesReader {
    read_as! {
        read_bool -> bool: Bool;
        read_string -> String: String;
        read_bytes -> Vec<u8>: Bytes;
        read_date -> NaiveDate: Date;
        read_datetime -> NaiveDateTime: DateTime;
        read_datetime_utc -> DateTime<Utc>: DateTimeUtc;
        read_time -> chrono::NaiveTime: Time;
        read_uuid -> Uuid: Uuid;
        read_json -> serde_json::Value: Json;
    }
    fn read_i16(&mut self) -> Result<Option<i16>, String> {
        self.int()?
            .map(|i| i16::try_from(i).map_err(|e| e.to_string()))
            .transpose()
    }
    fn read_i32(&mut self) -> Result<Option<i32>, String> {
        self.int()?
            .map(|i| i32::try_from(i).map_err(|e| e.to_string()))
            .transpose()
    }
    fn read_i64(&mut self) -> Result<Option<i64>, String> {
        self.int()
    }
    fn read_f32(&mut self) -> Result<Option<f32>, String> {
        Ok(self.read_f64()?.map(|x| x as f32))
    }
    fn read_f64(&mut self) -> Result<Option<f64>, String> {
        match self.take() {
            Value::F32(x) => Ok(Some(x.into())),
            Value::F64(x) => Ok(Some(x)),
            Value::I16(i) => Ok(Some(i.into())),
            Value::I32(i) => Ok(Some(i.into())),
            Value::I64(i) => Ok(Some(i as f64)),
            other => mismatch("f64", other),
        }
    }
    fn read_decimal(&mut self) -> Result<Option<Decimal>, String> {
        match self.take() {
            Value::Decimal(d) => Ok(Some(d)),
            Value::I16(i) => Ok(Some(i.into())),
            Value::I32(i) => Ok(Some(i.into())),
            Value::I64(i) => Ok(Some(i.into())),
            other => mismatch("Decimal", other),
        }
    }
    fn skip(&mut self) {
        self.next += 1;
    }
    fn remaining(&self) -> usize {
        self.values.len().saturating_sub(self.next)
    }
}
