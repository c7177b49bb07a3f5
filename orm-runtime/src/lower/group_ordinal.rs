//! A GROUP BY key that holds a bound value or a subquery cannot be written
//! twice: PostgreSQL sees `$1` in the select list and `$4` in GROUP BY as
//! different expressions, and MySQL reads `GROUP BY ?` as a column
//! position. Such a key, when selected, is written once in the select list
//! and referred to by its position there in GROUP BY and ORDER BY
//! (`GROUP BY 1`). SQLite compares the expressions by value and needs no
//! rewrite.
//!
//! A computed key that is only an ordering key (not selected) is appended
//! to the top-level select list first; the positional decoder ignores the
//! extra trailing column. A HAVING condition on a computed key cannot refer
//! to a position: it becomes a condition on a derived table that computes
//! the groups (moved to the window-filter wrapping, which refers to the
//! selected key by its column name).

use crate::dialect::Dialect;
use orm_core::ast::{ExprNode, Select};
use orm_core::value::Kind;

/// Whether the backend needs computed keys written once.
fn applies(dialect: Dialect) -> bool {
    dialect != Dialect::Sqlite
}

/// Appends the computed group keys that only order a top-level grouped
/// select to its select list.
pub(super) fn select_order_keys(s: &mut Select, dialect: Dialect) {
    if !applies(dialect) || s.group_by.is_empty() || s.source.is_some() {
        return;
    }
    for o in &s.order {
        if computed(&o.expr) && s.group_by.contains(&o.expr) && !s.columns.contains(&o.expr) {
            s.columns.push(o.expr.clone());
        }
    }
}

/// Moves HAVING conditions that test a computed group key to the
/// conditions of a wrapping query (see `window_filter`).
pub(super) fn wrap_having(s: &mut Select, dialect: Dialect) {
    if !applies(dialect) || s.group_by.is_empty() || s.having.is_empty() {
        return;
    }
    let keys: Vec<ExprNode> = s.group_by.iter().filter(|k| computed(k)).cloned().collect();
    if keys.is_empty() {
        return;
    }
    let (outer, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut s.having)
        .into_iter()
        .partition(|c| c.any_node(&|n| keys.contains(n)));
    s.having = kept;
    s.qualify.extend(outer);
}

/// Whether a key is computed from a value or a subquery.
pub(super) fn computed(e: &ExprNode) -> bool {
    e.any_node(&|n| matches!(n, ExprNode::Value(_) | ExprNode::Subquery(_)))
}

/// Replaces computed group keys (and ordering keys equal to them) of one
/// query level by their select-list positions.
pub(super) fn apply(s: &mut Select, dialect: Dialect) {
    if !applies(dialect) || !s.group_by.iter().any(computed) {
        return;
    }
    let position = |columns: &[ExprNode], e: &ExprNode| -> Option<ExprNode> {
        let i = columns.iter().position(|c| c == e)?;
        Some(ExprNode::Ordinal {
            position: u32::try_from(i + 1).ok()?,
            nullable: e.nullable(),
            kind: e.kind().unwrap_or(Kind::I64),
        })
    };
    let keys: Vec<ExprNode> = s.group_by.iter().filter(|k| computed(k)).cloned().collect();
    for k in &mut s.group_by {
        if computed(k)
            && let Some(p) = position(&s.columns, k)
        {
            *k = p;
        }
    }
    for o in &mut s.order {
        if keys.contains(&o.expr)
            && let Some(p) = position(&s.columns, &o.expr)
        {
            o.expr = p;
        }
    }
}
