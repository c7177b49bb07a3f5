//! The SQL of duration aggregates that differs from the numeric ones.
//!
//! A `TimeDelta` is stored as BIGINT microseconds, so `Sum`, `Min` and `Max`
//! are the plain integer aggregates. `Avg` is not `AVG(x)`: that is a float
//! on SQLite (inexact beyond 2^53 microseconds) and a decimal rounded to four
//! places on MySQL, so the backends would round differently. It is written
//! as the integer quotient of the sum by the count, truncated toward zero on
//! every backend:
//!
//! ```text
//! SQLite      (SUM("t0"."x") / COUNT("t0"."x"))
//! PostgreSQL  DIV(SUM("t0"."x"), COUNT("t0"."x"))
//! MySQL       (SUM(`t0`.`x`) DIV COUNT(`t0`.`x`))
//! ```
//!
//! Over no rows (or only NULLs) the sum is NULL, and so is the quotient.

use super::Writer;
use super::select::expr;
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{AggFunc, Aggregate, ExprNode};
use orm_core::value::Kind;

fn is_average(a: &Aggregate) -> bool {
    a.func == AggFunc::Avg && a.arg_kind == Kind::Duration
}

/// Writes `a` if it is the average of a duration and returns `true`;
/// returns `false`, writing nothing, for any other aggregate.
pub(crate) fn average(w: &mut Writer, a: &Aggregate) -> Result<bool, Error> {
    if !is_average(a) {
        return Ok(false);
    }
    // The same argument, DISTINCT and filter in both halves.
    let part = |func, kind| {
        ExprNode::Aggregate(Box::new(Aggregate {
            func,
            kind,
            ..a.clone()
        }))
    };
    let sum = part(AggFunc::Sum, Kind::Duration);
    let count = part(AggFunc::Count, Kind::I64);
    let (open, between, close) = match w.dialect {
        Dialect::Sqlite => ("(", " / ", ")"),
        Dialect::Postgres => ("DIV(", ", ", ")"),
        Dialect::MySql => ("(", " DIV ", ")"),
    };
    w.raw(open);
    expr(w, &sum)?;
    w.raw(between);
    expr(w, &count)?;
    w.raw(close);
    Ok(true)
}

/// The average of a duration is two aggregates, which one `OVER` clause
/// cannot window: refused as a window function.
pub(crate) fn refuse_in_window(w: &Writer, a: &Aggregate) -> Result<(), Error> {
    if is_average(a) {
        return Err(Error::Render {
            dialect: w.dialect,
            feature: "Avg of a duration as a window function".to_owned(),
        });
    }
    Ok(())
}
