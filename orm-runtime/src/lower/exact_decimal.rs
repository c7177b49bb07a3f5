//! SQLite stores decimals as exact text and has no decimal arithmetic. A
//! `Sum`/`Avg`/`Min`/`Max` of decimals that the caller receives as it is (a
//! column of the top-level select) is therefore computed by the executor
//! from the listed values, exactly, with rust_decimal. Inside expressions
//! SQLite computes them as numbers.

use crate::dialect::Dialect;
use orm_core::ast::{AggFunc, ExprNode, Select};
use orm_core::value::Kind;

/// Marks the top-level decimal aggregates of a select on SQLite.
pub(super) fn top(s: &mut Select, dialect: Dialect) {
    if dialect != Dialect::Sqlite {
        return;
    }
    for c in &mut s.columns {
        if let ExprNode::Aggregate(a) = c
            && a.arg_kind == Kind::Decimal
            && matches!(
                a.func,
                AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max
            )
        {
            a.exact = true;
        }
    }
}
