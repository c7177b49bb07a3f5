//! A `TimeDelta` is stored as BIGINT microseconds, so `Sum`, `Min` and
//! `Max` of durations are the integer aggregates. `Avg` is not `AVG(x)`:
//! that is a float on SQLite (inexact beyond 2^53 microseconds) and a
//! decimal rounded to four places on MySQL. It becomes the integer quotient
//! of the exact sum by the count, truncated toward zero on every backend
//! (`Func::Quotient`: `(SUM(x) / COUNT(x))` on SQLite, `DIV(SUM(x),
//! COUNT(x))` on PostgreSQL, whose sum is NUMERIC, `(SUM(x) DIV COUNT(x))`
//! on MySQL). Over no rows
//! the sum is NULL, and so is the quotient. As a window function it would
//! be two windows; that is refused.

use super::unsupported;
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{AggFunc, Aggregate, ExprNode, Func, Select, WindowFunc};
use orm_core::fold::{Fold, walk_expr, walk_select};
use orm_core::value::Kind;

fn is_average(a: &Aggregate) -> bool {
    a.func == AggFunc::Avg && a.arg_kind == Kind::Duration
}

/// Rewrites every average of a duration in `s`.
pub(super) fn apply(s: Select, dialect: Dialect) -> Result<Select, Error> {
    let mut f = Average { window: false };
    let s = walk_select(&mut f, s);
    if f.window {
        return Err(unsupported(
            dialect,
            "Avg of a duration as a window function",
        ));
    }
    Ok(s)
}

struct Average {
    window: bool,
}

impl Fold for Average {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match walk_expr(self, e) {
            ExprNode::Window(w) if matches!(&w.func, WindowFunc::Aggregate(a) if is_average(a)) => {
                self.window = true;
                ExprNode::Window(w)
            }
            ExprNode::Aggregate(a) if is_average(&a) => {
                // The same argument, DISTINCT and filter in both halves.
                let part = |func, kind| {
                    ExprNode::Aggregate(Box::new(Aggregate {
                        func,
                        kind,
                        ..(*a).clone()
                    }))
                };
                ExprNode::Func {
                    func: Func::Quotient,
                    args: vec![
                        part(AggFunc::Sum, Kind::Duration),
                        part(AggFunc::Count, Kind::I64),
                    ],
                    kind: Kind::Duration,
                }
            }
            e => e,
        }
    }
}
