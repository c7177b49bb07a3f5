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

use orm_core::ast::{AggFunc, Aggregate, ExprNode, Func, WindowFunc};
use orm_core::value::Kind;
use orm_core::visit_mut::take_aggregate;

fn is_average(a: &Aggregate) -> bool {
    a.func == AggFunc::Avg && a.arg_kind == Kind::Duration
}

/// Rewrites the average of a duration (its parts already lowered);
/// `Err(())` for one used as a window function.
pub(super) fn node(e: &mut ExprNode) -> Result<(), ()> {
    match e {
        ExprNode::Window(w) if matches!(&w.func, WindowFunc::Aggregate(a) if is_average(a)) => {
            Err(())
        }
        ExprNode::Aggregate(a) if is_average(a) => {
            // The same argument, DISTINCT and filter in both halves.
            let count = Aggregate {
                func: AggFunc::Count,
                kind: Kind::I64,
                ..(**a).clone()
            };
            let sum = Aggregate {
                func: AggFunc::Sum,
                kind: Kind::Duration,
                ..take_aggregate(a)
            };
            *e = ExprNode::Func {
                func: Func::Quotient,
                args: vec![
                    ExprNode::Aggregate(Box::new(sum)),
                    ExprNode::Aggregate(Box::new(count)),
                ],
                kind: Kind::Duration,
            };
            Ok(())
        }
        _ => Ok(()),
    }
}
