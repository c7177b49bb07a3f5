//! A GROUP BY key that holds a bound value or a subquery cannot be written
//! twice: PostgreSQL sees `$1` in the select list and `$4` in GROUP BY as
//! different expressions, and MySQL reads `GROUP BY ?` as a column
//! position. Such a key, when selected, is written once in the select list
//! and referred to by its position there in GROUP BY and ORDER BY
//! (`GROUP BY 1`). SQLite compares the expressions by value and needs no
//! rewrite.

use crate::dialect::Dialect;
use orm_core::ast::{ExprNode, Select};
use orm_core::value::Kind;

fn computed(e: &ExprNode) -> bool {
    e.any_node(&|n| matches!(n, ExprNode::Value(_) | ExprNode::Subquery(_)))
}

/// Replaces computed group keys (and ordering keys equal to them) of one
/// query level by their select-list positions.
pub(super) fn apply(mut s: Select, dialect: Dialect) -> Select {
    if dialect == Dialect::Sqlite || s.group_by.is_empty() {
        return s;
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
    s
}
