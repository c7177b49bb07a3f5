//! Conditions: comparisons, lookups and pattern matching, with Django's
//! NULL semantics under negation.

use super::Writer;
use super::expr::*;
use super::select::*;
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{CmpOp, Cond, ExprNode, LikeOp};
use orm_core::value::{Kind, Value};

/// Renders a condition. Under negation (`negated`), a comparison with a
/// nullable column also requires the column to be non-NULL, so that
/// `NOT (..)` keeps NULL rows as Django's `exclude` does.
pub(crate) fn cond(w: &mut Writer, c: &Cond, negated: bool) -> Result<(), Error> {
    match c {
        Cond::All(v) if v.is_empty() => w.raw("1 = 1"),
        Cond::Any(v) if v.is_empty() => w.raw("1 = 0"),
        Cond::All(v) | Cond::Any(v) => {
            let sep = if matches!(c, Cond::All(_)) {
                " AND "
            } else {
                " OR "
            };
            w.raw("(");
            conds_sep(w, v, sep, negated)?;
            w.raw(")");
        }
        Cond::Not(inner) => {
            w.raw("NOT (");
            cond(w, inner, !negated)?;
            w.raw(")");
        }
        Cond::IsNull { lhs, is_null } => {
            expr(w, lhs)?;
            w.raw(if *is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        Cond::In { items, .. } if items.is_empty() => w.raw("1 = 0"),
        leaf => {
            let guards = if negated {
                nullable_operands(leaf)
            } else {
                [None, None]
            };
            let guarded = guards.iter().any(Option::is_some);
            if guarded {
                w.raw("(");
            }
            leaf_cond(w, leaf)?;
            for g in guards.into_iter().flatten() {
                w.raw(" AND ");
                expr(w, g)?;
                w.raw(" IS NOT NULL");
            }
            if guarded {
                w.raw(")");
            }
        }
    }
    Ok(())
}

/// The operands of a leaf condition that are nullable columns, in order.
pub(crate) fn nullable_operands(c: &Cond) -> [Option<&ExprNode>; 2] {
    let (first, second) = match c {
        Cond::Cmp { lhs, rhs, .. } => (Some(lhs), Some(rhs)),
        Cond::Like { lhs, .. }
        | Cond::In { lhs, .. }
        | Cond::InSelect { lhs, .. }
        | Cond::Between { lhs, .. } => (Some(lhs), None),
        _ => (None, None),
    };
    let nullable = |e: &&ExprNode| matches!(e, ExprNode::Column(col) if col.nullable);
    [first.filter(nullable), second.filter(nullable)]
}

pub(crate) fn decimal_on_sqlite(w: &Writer, e: &ExprNode) -> bool {
    w.dialect == Dialect::Sqlite && e.kind() == Some(Kind::Decimal)
}

/// SQLite stores decimals as exact text; where their order matters they are
/// compared as numbers.
pub(crate) fn numeric_operand(w: &mut Writer, e: &ExprNode, as_number: bool) -> Result<(), Error> {
    if as_number {
        w.raw("CAST(");
        expr(w, e)?;
        w.raw(" AS REAL)");
        Ok(())
    } else {
        expr(w, e)
    }
}

pub(crate) fn leaf_cond(w: &mut Writer, c: &Cond) -> Result<(), Error> {
    match c {
        Cond::Cmp { lhs, op, rhs } => {
            let stored = |e: &ExprNode| {
                matches!(
                    e,
                    ExprNode::Column(_) | ExprNode::Outer { .. } | ExprNode::Value(_)
                )
            };
            let decimal = decimal_on_sqlite(w, lhs) || decimal_on_sqlite(w, rhs);
            // Equality of stored decimals compares their normalized text
            // exactly; order and computed values compare as numbers.
            let numeric =
                decimal && (!matches!(op, CmpOp::Eq | CmpOp::Ne) || !stored(lhs) || !stored(rhs));
            numeric_operand(w, lhs, numeric)?;
            w.raw(match op {
                CmpOp::Eq => " = ",
                CmpOp::Ne => " <> ",
                CmpOp::Lt => " < ",
                CmpOp::Lte => " <= ",
                CmpOp::Gt => " > ",
                CmpOp::Gte => " >= ",
            });
            numeric_operand(w, rhs, numeric)?;
        }
        Cond::Like {
            lhs,
            op,
            pattern,
            case_insensitive,
        } => like(w, lhs, *op, pattern, *case_insensitive)?,
        Cond::In { lhs, items } => {
            expr(w, lhs)?;
            match pg_array(w, items) {
                // One array parameter: the same SQL text whatever the list's
                // length, so PostgreSQL's prepared statement is reused.
                Some(list) => {
                    w.raw(" = ANY(");
                    w.bind(list);
                    w.raw(")");
                }
                None => {
                    w.raw(" IN (");
                    args(w, items)?;
                    w.raw(")");
                }
            }
        }
        Cond::InSelect { lhs, select } => {
            expr(w, lhs)?;
            w.raw(" IN (");
            select_into(w, select, Projection::Columns)?;
            w.raw(")");
        }
        Cond::Exists(select) => {
            w.raw("EXISTS (");
            select_into(w, select, Projection::One)?;
            w.raw(")");
        }
        Cond::Between { lhs, low, high } => {
            let numeric = decimal_on_sqlite(w, lhs);
            numeric_operand(w, lhs, numeric)?;
            w.raw(" BETWEEN ");
            numeric_operand(w, low, numeric)?;
            w.raw(" AND ");
            numeric_operand(w, high, numeric)?;
        }
        Cond::All(_) | Cond::Any(_) | Cond::Not(_) | Cond::IsNull { .. } => cond(w, c, false)?,
    }
    Ok(())
}

/// Text matching with the same meaning on every backend:
/// case-sensitive matches use GLOB on SQLite (whose LIKE ignores case) and
/// LIKE elsewhere (MySQL tables use a binary collation); case-insensitive
/// matches use LIKE on SQLite, ILIKE on PostgreSQL and LOWER(..) LIKE
/// LOWER(..) on MySQL. The pattern is bound, its wildcards escaped with `!`
/// (an escape character that means the same in every SQL mode).
pub(crate) fn like(
    w: &mut Writer,
    lhs: &ExprNode,
    op: LikeOp,
    text: &str,
    case_insensitive: bool,
) -> Result<(), Error> {
    let glob = w.dialect == Dialect::Sqlite && !case_insensitive;
    let mut pattern = String::with_capacity(text.len() + 2);
    let any = if glob { '*' } else { '%' };
    if matches!(op, LikeOp::Contains | LikeOp::EndsWith) {
        pattern.push(any);
    }
    for ch in text.chars() {
        if glob {
            match ch {
                '*' | '?' | '[' => {
                    pattern.push('[');
                    pattern.push(ch);
                    pattern.push(']');
                }
                c => pattern.push(c),
            }
        } else {
            if matches!(ch, '%' | '_' | '!') {
                pattern.push('!');
            }
            pattern.push(ch);
        }
    }
    if matches!(op, LikeOp::Contains | LikeOp::StartsWith) {
        pattern.push(any);
    }
    match (w.dialect, case_insensitive) {
        (Dialect::Sqlite, false) => {
            expr(w, lhs)?;
            w.raw(" GLOB ");
            w.bind(Value::String(pattern));
        }
        (Dialect::Sqlite, true) | (Dialect::MySql, false) => {
            expr(w, lhs)?;
            w.raw(" LIKE ");
            w.bind(Value::String(pattern));
            w.raw(" ESCAPE '!'");
        }
        (Dialect::Postgres, ci) => {
            expr(w, lhs)?;
            w.raw(if ci { " ILIKE " } else { " LIKE " });
            w.bind(Value::String(pattern));
            w.raw(" ESCAPE '!'");
        }
        (Dialect::MySql, true) => {
            w.raw("LOWER(");
            expr(w, lhs)?;
            w.raw(") LIKE LOWER(");
            w.bind(Value::String(pattern));
            w.raw(") ESCAPE '!'");
        }
    }
    Ok(())
}
