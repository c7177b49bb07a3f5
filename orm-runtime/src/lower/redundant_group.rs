//! A scalar subquery grouped only by keys its filter fixes to one value
//! (Django's correlated `values(fk).annotate(..)` pattern) has one group or
//! none; without COUNT and HAVING, an empty group and no group both give
//! NULL, so the GROUP BY is dropped.

use orm_core::ast::{AggFunc, CmpOp, Cond, ExprNode, Select};

/// Drops the GROUP BY of a scalar subquery (its parts already lowered)
/// when it is redundant.
pub(super) fn node(e: &mut ExprNode) {
    if let ExprNode::Subquery(s) = e
        && redundant(s)
    {
        s.group_by.clear();
    }
}

/// Whether every GROUP BY key is fixed to one value by the filter.
pub(super) fn group_fixed(s: &Select) -> bool {
    let fixed = |key: &ExprNode| {
        s.filter.iter().any(|c| match c {
            Cond::Cmp {
                lhs,
                op: CmpOp::Eq,
                rhs,
            } => {
                let constant = |e: &ExprNode| {
                    matches!(
                        e,
                        ExprNode::OuterRef { .. } | ExprNode::Outer { .. } | ExprNode::Value(_)
                    )
                };
                (lhs == key && constant(rhs)) || (rhs == key && constant(lhs))
            }
            _ => false,
        })
    };
    s.group_by.iter().all(fixed)
}

fn redundant(s: &Select) -> bool {
    fn counts(e: &ExprNode) -> bool {
        e.any_node(&|n| matches!(n, ExprNode::Aggregate(a) if a.func == AggFunc::Count || a.arg.as_ref().is_some_and(counts)))
    }
    !s.group_by.is_empty()
        && s.having.is_empty()
        && s.source.is_none()
        && s.columns.iter().all(|c| c.has_aggregate() && !counts(c))
        && group_fixed(s)
}
