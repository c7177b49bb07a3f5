//! SQLite takes the first row of a scalar subquery that returns several,
//! where PostgreSQL and MySQL raise an error. On SQLite such a subquery,
//! unless it returns at most one row whatever the data, becomes
//! `CASE WHEN EXISTS (<its second row>) THEN <error> ELSE (<it>) END`.

use super::redundant_group::group_fixed;
use orm_core::ast::{Cond, ExprNode, Func, Select};
use orm_core::visit_mut::take_expr;

const MESSAGE: &str = "more than one row returned by a subquery used as an expression";

/// Guards a scalar subquery (its parts already lowered); SQLite only.
pub(super) fn node(e: &mut ExprNode) {
    let ExprNode::Subquery(s) = e else {
        return;
    };
    if single_row(s) {
        return;
    }
    let mut second = (**s).clone();
    second.limit = Some(1);
    second.offset = Some(s.offset.unwrap_or(0).saturating_add(1));
    let kind = s.columns.first().and_then(ExprNode::kind);
    let subquery = take_expr(e);
    *e = ExprNode::Case {
        whens: vec![(
            Cond::Exists(Box::new(second)),
            ExprNode::Func {
                func: Func::Fail(MESSAGE),
                args: Vec::new(),
                kind: kind.unwrap_or(orm_core::value::Kind::I64),
            },
        )],
        default: Some(Box::new(subquery)),
        kind: kind.unwrap_or(orm_core::value::Kind::I64),
    };
}

/// Whether a scalar subquery returns at most one row whatever the data: a
/// LIMIT of 1, or aggregates without GROUP BY, or grouped only by columns
/// the filter fixes to one value.
fn single_row(s: &Select) -> bool {
    if s.limit.is_some_and(|l| l <= 1) {
        return true;
    }
    if !s.columns.iter().any(ExprNode::has_aggregate) {
        return false;
    }
    group_fixed(s)
}
