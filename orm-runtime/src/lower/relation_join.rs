//! In a grouped `values()` query, an aggregate over a multi-valued relation
//! joins the relation and aggregates the joined rows, as Django does:
//! `Book::objects().values(Book::rating).annotate(Count(Book::authors))`
//! counts the (book, author) pairs of each rating, and an `Avg` over the
//! authors' ages averages over those pairs. The join is a LEFT JOIN, so a
//! row without related rows still forms its group.
//!
//! Two different relations aggregated in one grouped query would multiply
//! each other's rows (Django's documented defect); that shape is refused
//! with an error instead of giving inflated numbers.

use super::unsupported;
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{ExprNode, Relation, Select};
use orm_core::visit::{Visit, walk_expr, walk_level};
use orm_core::visit_mut::{VisitMut, take_aggregate, walk_expr_mut, walk_level_mut};

pub(super) use orm_core::joins::{Prefix, joined};

struct Relations(Vec<Relation>);

impl Visit for Relations {
    fn visit_expr(&mut self, e: &ExprNode) {
        if let ExprNode::Aggregate(a) = e
            && let Some(rel) = a.over
            && !self.0.contains(&rel)
        {
            self.0.push(rel);
        }
        walk_expr(self, e);
    }
    fn visit_select(&mut self, _: &Select) {}
}

struct Join;

impl VisitMut for Join {
    fn visit_expr_mut(&mut self, e: &mut ExprNode) {
        if let ExprNode::Aggregate(a) = e
            && let Some(rel) = a.over
        {
            **a = joined(take_aggregate(a), rel, true);
        } else {
            walk_expr_mut(self, e);
        }
    }
    fn visit_select_mut(&mut self, _: &mut Select) {}
}

/// Joins the relation aggregated by a grouped query level.
pub(super) fn apply(s: &mut Select, dialect: Dialect) -> Result<(), Error> {
    if s.group_by.is_empty() {
        return Ok(());
    }
    let mut found = Relations(Vec::new());
    walk_level(&mut found, s);
    match found.0.len() {
        0 => Ok(()),
        1 => {
            walk_level_mut(&mut Join, s);
            // A condition on a relation aggregate was a WHERE condition (a
            // correlated subquery); joined, it is a condition on the group.
            let (having, filter): (Vec<_>, Vec<_>) = std::mem::take(&mut s.filter)
                .into_iter()
                .partition(|c| c.has_aggregate());
            s.filter = filter;
            s.having.extend(having);
            Ok(())
        }
        _ => Err(unsupported(
            dialect,
            "aggregates over two different multi-valued relations in one grouped values() query (their joins would multiply each other's rows; annotate each relation in its own query or use a subquery)",
        )),
    }
}
