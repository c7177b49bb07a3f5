//! Grouping inference, as Django does it. A query level that selects an
//! aggregate of its own rows next to plain values, or filters on one
//! (HAVING), is grouped by those values:
//! - `Song::objects().annotate(Sum(Song::length))` groups by the model's
//!   columns, so each song is its own group (one row per song);
//! - `values(a).annotate(..)` groups by `a` (set by `values()`), and a
//!   plain value selected later is grouped too;
//! - an ordering key of a grouped query joins the GROUP BY (Django's
//!   "interaction with `order_by()`": `values(a).annotate(..).order_by(b)`
//!   groups by `a` and `b`).
//!
//! `aggregate()` of aggregates only is one row: its ordering is dropped
//! rather than grouped by.
//!
//! Constants, subqueries and window functions are not grouping keys: a
//! subquery refers to grouped columns of the row it is computed for.

use orm_core::ast::{ExprNode, Select};

fn key(e: &ExprNode) -> bool {
    !e.has_any_aggregate()
        && !matches!(
            e,
            ExprNode::Value(_)
                | ExprNode::Subquery(_)
                | ExprNode::Window(_)
                | ExprNode::Ordinal { .. }
                | ExprNode::Outer { .. }
                | ExprNode::OuterRef { .. }
        )
}

/// Adds the missing GROUP BY keys of one query level.
pub(super) fn apply(s: &mut Select) {
    // Rows a filter through a multi-valued relation repeats are collapsed
    // again when an aggregate over a relation is annotated (Django groups
    // any query with an aggregate annotation by the model).
    let repeated = s
        .columns
        .iter()
        .any(|c| c.any_node(&|n| matches!(n, ExprNode::Aggregate(a) if a.over.is_some())))
        && s.filter.iter().any(|c| {
            c.any_node(&|n| matches!(n, ExprNode::Column(col) if col.path.iter().any(|st| st.many)))
        });
    let aggregated =
        s.columns.iter().any(ExprNode::has_aggregate) || !s.having.is_empty() || repeated;
    if !aggregated {
        return;
    }
    if s.source.is_some() && s.columns.iter().all(ExprNode::has_aggregate) {
        // `aggregate()`: one row, whatever order was asked of it.
        s.order.clear();
        return;
    }
    let candidates: Vec<ExprNode> = s
        .columns
        .iter()
        .chain(s.order.iter().map(|o| &o.expr))
        .filter(|e| key(e))
        .cloned()
        .collect();
    for e in candidates {
        if !s.group_by.contains(&e) {
            s.group_by.push(e);
        }
    }
}
