//! `aggregate()` aggregates over exactly the rows its queryset returns
//! (Django runs it over a subquery when the queryset is sliced, distinct
//! or grouped). `aggregate()` builds a select reading the queryset as a
//! derived table; this rule decides how to run it:
//! - over a plain queryset (no slice, DISTINCT, GROUP BY, HAVING or window
//!   filter) the two are merged: the aggregates over the queryset's table
//!   and filter, its ordering dropped (`SELECT AVG("t0"."rating") FROM ..`);
//! - otherwise the queryset stays a derived table whose columns are named
//!   `c0..`; an aggregated expression that is one of its columns refers to
//!   it (so `Avg(Count(..).expr())` over a grouped queryset averages the
//!   counts), and any other column it needs is added:
//!   `SELECT AVG("sub"."c1") FROM (SELECT .. LIMIT 3) AS "sub"`.

use super::{NAMES, unsupported};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{ColumnRef, ExprNode, Select};
use orm_core::fold::{Fold, walk_expr, walk_level};
use orm_core::value::Kind;

/// Merges or maps an `aggregate()` level.
pub(super) fn apply(s: &mut Select, dialect: Dialect) -> Result<(), Error> {
    if s.source.is_none() {
        return Ok(());
    }
    super::owned(s, |s| merge_or_map(s, dialect))
}

fn merge_or_map(mut s: Select, dialect: Dialect) -> Result<Select, Error> {
    let Some(source) = s.source.take() else {
        return Ok(s);
    };
    let mut inner = *source.select;
    // Only values computed on their own (the related rows of relation
    // aggregates): one row, reading nothing.
    let reads_rows =
        |e: &ExprNode| e.has_aggregate() || e.any_node(&|n| matches!(n, ExprNode::Column(_)));
    if s.group_by.is_empty() && s.having.is_empty() && !s.columns.iter().any(reads_rows) {
        let mut values = Select::from_table("");
        values.columns = s.columns;
        values.limit = s.limit;
        return Ok(values);
    }
    let one_row = s.group_by.is_empty() && s.columns.iter().all(ExprNode::has_aggregate);
    if one_row {
        s.order.clear();
    }
    // Aggregating per-row values (annotations, windows, subqueries) needs
    // the rows first.
    let per_row = |m: &ExprNode| {
        matches!(
            m,
            ExprNode::Aggregate(_) | ExprNode::Window(_) | ExprNode::Subquery(_)
        )
    };
    let nested = s.columns.iter().any(|c| {
        c.any_node(&|n| {
            matches!(n, ExprNode::Aggregate(a) if a.arg.as_ref().is_some_and(|arg| arg.any_node(&per_row)))
        })
    });
    let plain = !nested
        && !inner.columns.iter().any(ExprNode::has_aggregate)
        && inner.limit.is_none()
        && inner.offset.is_none()
        && !inner.distinct
        && inner.group_by.is_empty()
        && inner.having.is_empty()
        && inner.qualify.is_empty();
    if plain {
        let mut filter = std::mem::take(&mut inner.filter);
        filter.append(&mut s.filter);
        return Ok(Select {
            table: inner.table,
            filter,
            ..s
        });
    }
    if inner.limit.is_none() && inner.offset.is_none() {
        inner.order.clear();
    }
    let grouped = !inner.group_by.is_empty();
    // Rows that are the table's own rows, only sliced or window-filtered:
    // the derived table selects just the values the aggregates need (a
    // wide model, or one with select_related, has many columns).
    if !grouped
        && !inner.distinct
        && inner.having.is_empty()
        && !inner.columns.iter().any(ExprNode::has_aggregate)
    {
        inner.columns.clear();
    }
    let mut map = Map {
        inner,
        grouped,
        in_aggregate: false,
        error: None,
    };
    let mut s = walk_level(&mut map, s);
    if let Some(e) = map.error {
        return Err(if e {
            unsupported(
                dialect,
                "aggregate() over a grouped values() queryset of a value it does not select",
            )
        } else {
            unsupported(
                dialect,
                "aggregate() over a queryset of more than 64 values",
            )
        });
    }
    let mut inner = map.inner;
    if inner.columns.len() > NAMES.len() {
        return Err(unsupported(
            dialect,
            "aggregate() over a queryset of more than 64 values",
        ));
    }
    if inner.columns.is_empty() {
        // COUNT(*) of the rows alone: any one value will do.
        inner
            .columns
            .push(ExprNode::Value(orm_core::value::Value::I64(1)));
    }
    inner.names = NAMES[..inner.columns.len()].to_vec();
    s.source = Some(orm_core::ast::Derived {
        select: Box::new(inner),
        alias: source.alias,
    });
    Ok(s)
}

/// Replaces the outer level's references to the queryset's rows by
/// references to the derived table's columns. `error`: Some(true) for a
/// value a grouped queryset does not select, Some(false) for too many.
struct Map {
    inner: Select,
    grouped: bool,
    /// Inside the argument of an outer aggregate, where an expression
    /// equal to one of the queryset's values (even an aggregate) is that value.
    in_aggregate: bool,
    error: Option<bool>,
}

impl Map {
    fn column(&mut self, e: ExprNode) -> ExprNode {
        let i = match self.inner.columns.iter().position(|c| *c == e) {
            Some(i) => i,
            None => {
                self.inner.columns.push(e.clone());
                self.inner.columns.len() - 1
            }
        };
        match NAMES.get(i) {
            Some(name) => ExprNode::Column(ColumnRef::local(
                name,
                e.nullable(),
                e.kind().unwrap_or(Kind::I64),
            )),
            None => {
                self.error = Some(false);
                e
            }
        }
    }
}

impl Fold for Map {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        if !self.in_aggregate
            && let ExprNode::Aggregate(a) = e
        {
            // An aggregate of the outer level, over the derived rows.
            self.in_aggregate = true;
            let a = orm_core::fold::walk_aggregate(self, *a);
            self.in_aggregate = false;
            return ExprNode::Aggregate(Box::new(a));
        }
        if self.inner.columns.contains(&e) {
            return self.column(e);
        }
        match e {
            ExprNode::Column(_) | ExprNode::Subquery(_) | ExprNode::Window(_) if self.grouped => {
                self.error = Some(true);
                e
            }
            // A column, or a value computed per row (a correlated subquery
            // or a window), becomes a column of the derived table.
            ExprNode::Column(_) => self.column(e),
            ExprNode::Subquery(_) | ExprNode::Window(_) if self.in_aggregate => self.column(e),
            // An aggregate over a relation of each row (an annotation).
            ExprNode::Aggregate(ref a) if self.in_aggregate && a.over.is_some() => self.column(e),
            e => walk_expr(self, e),
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}
