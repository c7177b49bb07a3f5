//! SELECT statements: aliases and left-deep join chains for foreign-key
//! paths, expressions, conditions (with Django's NULL semantics under
//! negation), ordering and limits.

use super::{Statement, Writer};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{BinOp, CmpOp, ColumnRef, Cond, ExprNode, JoinStep, LikeOp, OrderItem, Select};
use orm_core::value::Value;

/// What a SELECT returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// The select's own columns.
    Columns,
    /// `COUNT(*)`.
    Count,
    /// `1` (for EXISTS-style checks).
    One,
}

/// How columns are qualified in the current statement.
pub(crate) enum Scope {
    /// `"alias"."column"`, with joins for paths.
    Aliased {
        base: String,
        joins: Vec<(Vec<JoinStep>, String)>,
    },
    /// Bare column names (single-table UPDATE and DELETE).
    Bare,
}

impl Scope {
    fn alias_of(&self, path: &[JoinStep]) -> Option<&str> {
        match self {
            Scope::Bare => None,
            Scope::Aliased { base, joins } => {
                if path.is_empty() {
                    Some(base)
                } else {
                    joins
                        .iter()
                        .find(|(p, _)| p.as_slice() == path)
                        .map(|(_, a)| a.as_str())
                }
            }
        }
    }
}

/// Renders a select with the given projection.
pub fn render(
    select: &Select,
    projection: Projection,
    dialect: Dialect,
) -> Result<Statement, Error> {
    let mut w = Writer::new(dialect);
    if projection == Projection::Count
        && (select.distinct || select.limit.is_some() || select.offset.is_some())
    {
        // Counting a distinct or sliced result counts the rows the select returns.
        w.raw("SELECT COUNT(*) FROM (");
        select_into(&mut w, select, Projection::Columns)?;
        w.raw(") AS ");
        w.ident("sub");
    } else {
        select_into(&mut w, select, projection)?;
    }
    Ok(w.finish())
}

pub(crate) fn select_into(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
    let base = w.alias();
    let mut paths: Vec<Vec<JoinStep>> = Vec::new();
    {
        let mut add = |c: &ColumnRef| {
            for n in 1..=c.path.len() {
                let prefix = &c.path[..n];
                if !paths.iter().any(|p| p.as_slice() == prefix) {
                    paths.push(prefix.to_vec());
                }
            }
        };
        if projection == Projection::Columns {
            s.columns.iter().for_each(|e| visit_expr(e, &mut add));
        }
        s.filter.iter().for_each(|c| visit_cond(c, &mut add));
        s.order.iter().for_each(|o| visit_expr(&o.expr, &mut add));
    }
    let joins: Vec<(Vec<JoinStep>, String)> = paths.into_iter().map(|p| (p, w.alias())).collect();
    let scope = Scope::Aliased {
        base: base.clone(),
        joins,
    };

    w.raw("SELECT ");
    if s.distinct && projection == Projection::Columns {
        w.raw("DISTINCT ");
    }
    match projection {
        Projection::Columns => {
            for (i, e) in s.columns.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                expr(w, e, &scope)?;
            }
        }
        Projection::Count => w.raw("COUNT(*)"),
        Projection::One => w.raw("1"),
    }
    w.raw(" FROM ");
    w.ident(s.table);
    w.raw(" AS ");
    w.ident(&base);
    if let Scope::Aliased { joins, .. } = &scope {
        for (path, alias) in joins {
            let step = path[path.len() - 1];
            let parent = scope
                .alias_of(&path[..path.len() - 1])
                .unwrap_or(&base)
                .to_owned();
            let outer = path.iter().any(|st| st.nullable);
            w.raw(if outer { " LEFT JOIN " } else { " INNER JOIN " });
            w.ident(step.table);
            w.raw(" AS ");
            w.ident(alias);
            w.raw(" ON ");
            w.ident(&parent);
            w.raw(".");
            w.ident(step.fk_column);
            w.raw(" = ");
            w.ident(alias);
            w.raw(".");
            w.ident(step.pk_column);
        }
    }
    where_clause(w, &s.filter, &scope)?;
    if projection == Projection::Columns {
        order_by(w, &s.order, &scope)?;
    }
    if projection != Projection::Count {
        limit_offset(w, s.limit, s.offset);
    }
    Ok(())
}

pub(crate) fn where_clause(w: &mut Writer, filter: &[Cond], scope: &Scope) -> Result<(), Error> {
    if filter.is_empty() {
        return Ok(());
    }
    w.raw(" WHERE ");
    for (i, c) in filter.iter().enumerate() {
        if i > 0 {
            w.raw(" AND ");
        }
        cond(w, c, scope, false)?;
    }
    Ok(())
}

fn order_by(w: &mut Writer, order: &[OrderItem], scope: &Scope) -> Result<(), Error> {
    if order.is_empty() {
        return Ok(());
    }
    w.raw(" ORDER BY ");
    for (i, o) in order.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        expr(w, &o.expr, scope)?;
        w.raw(if o.desc { " DESC" } else { " ASC" });
        // SQLite and MySQL sort NULL as the smallest value; make PostgreSQL agree.
        if w.dialect == Dialect::Postgres && o.expr.nullable() {
            w.raw(if o.desc {
                " NULLS LAST"
            } else {
                " NULLS FIRST"
            });
        }
    }
    Ok(())
}

fn limit_offset(w: &mut Writer, limit: Option<u64>, offset: Option<u64>) {
    let as_i64 = |n: u64| Value::I64(i64::try_from(n).unwrap_or(i64::MAX));
    match (limit, offset) {
        (None, None) => {}
        (Some(l), None) => {
            w.raw(" LIMIT ");
            w.bind(as_i64(l));
        }
        (l, Some(o)) => {
            match (l, w.dialect) {
                (Some(l), _) => {
                    w.raw(" LIMIT ");
                    w.bind(as_i64(l));
                }
                // OFFSET without LIMIT: SQLite and MySQL need an explicit "no limit".
                (None, Dialect::Sqlite) => w.raw(" LIMIT -1"),
                (None, Dialect::MySql) => w.raw(" LIMIT 18446744073709551615"),
                (None, Dialect::Postgres) => {}
            }
            w.raw(" OFFSET ");
            w.bind(as_i64(o));
        }
    }
}

fn visit_expr(e: &ExprNode, f: &mut impl FnMut(&ColumnRef)) {
    match e {
        ExprNode::Column(c) => f(c),
        ExprNode::Value(_) => {}
        ExprNode::Binary { lhs, rhs, .. } => {
            visit_expr(lhs, f);
            visit_expr(rhs, f);
        }
    }
}

fn visit_cond(c: &Cond, f: &mut impl FnMut(&ColumnRef)) {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| visit_cond(c, f)),
        Cond::Not(c) => visit_cond(c, f),
        Cond::Cmp { lhs, rhs, .. } => {
            visit_expr(lhs, f);
            visit_expr(rhs, f);
        }
        Cond::Like { lhs, .. } | Cond::IsNull { lhs, .. } | Cond::InSelect { lhs, .. } => {
            visit_expr(lhs, f)
        }
        Cond::In { lhs, items } => {
            visit_expr(lhs, f);
            items.iter().for_each(|e| visit_expr(e, f));
        }
        Cond::Between { lhs, low, high } => {
            visit_expr(lhs, f);
            visit_expr(low, f);
            visit_expr(high, f);
        }
    }
}

pub(crate) fn expr(w: &mut Writer, e: &ExprNode, scope: &Scope) -> Result<(), Error> {
    match e {
        ExprNode::Column(c) => {
            if let Some(alias) = scope.alias_of(&c.path) {
                w.ident(alias);
                w.raw(".");
            } else if !c.path.is_empty() {
                return Err(Error::Render {
                    dialect: w.dialect,
                    feature: "a related-model column in a single-table UPDATE or DELETE".into(),
                });
            }
            w.ident(c.column);
        }
        ExprNode::Value(v) => w.bind(v.clone()),
        ExprNode::Binary { op, lhs, rhs } => {
            w.raw("(");
            expr(w, lhs, scope)?;
            w.raw(match op {
                BinOp::Add => " + ",
                BinOp::Sub => " - ",
                BinOp::Mul => " * ",
                BinOp::Div => " / ",
            });
            expr(w, rhs, scope)?;
            w.raw(")");
        }
    }
    Ok(())
}

/// Renders a condition. Under negation (`negated`), a comparison with a
/// nullable column also requires the column to be non-NULL, so that
/// `NOT (..)` keeps NULL rows as Django's `exclude` does.
pub(crate) fn cond(w: &mut Writer, c: &Cond, scope: &Scope, negated: bool) -> Result<(), Error> {
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
            for (i, c) in v.iter().enumerate() {
                if i > 0 {
                    w.raw(sep);
                }
                cond(w, c, scope, negated)?;
            }
            w.raw(")");
        }
        Cond::Not(inner) => {
            w.raw("NOT (");
            cond(w, inner, scope, !negated)?;
            w.raw(")");
        }
        Cond::IsNull { lhs, is_null } => {
            expr(w, lhs, scope)?;
            w.raw(if *is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        Cond::In { items, .. } if items.is_empty() => w.raw("1 = 0"),
        leaf => {
            let guards: Vec<&ExprNode> = if negated {
                nullable_operands(leaf)
            } else {
                Vec::new()
            };
            if !guards.is_empty() {
                w.raw("(");
            }
            leaf_cond(w, leaf, scope)?;
            for g in &guards {
                w.raw(" AND ");
                expr(w, g, scope)?;
                w.raw(" IS NOT NULL");
            }
            if !guards.is_empty() {
                w.raw(")");
            }
        }
    }
    Ok(())
}

fn nullable_operands(c: &Cond) -> Vec<&ExprNode> {
    let operands: Vec<&ExprNode> = match c {
        Cond::Cmp { lhs, rhs, .. } => vec![lhs, rhs],
        Cond::Like { lhs, .. }
        | Cond::In { lhs, .. }
        | Cond::InSelect { lhs, .. }
        | Cond::Between { lhs, .. } => vec![lhs],
        _ => Vec::new(),
    };
    operands
        .into_iter()
        .filter(|e| matches!(e, ExprNode::Column(col) if col.nullable))
        .collect()
}

fn leaf_cond(w: &mut Writer, c: &Cond, scope: &Scope) -> Result<(), Error> {
    match c {
        Cond::Cmp { lhs, op, rhs } => {
            expr(w, lhs, scope)?;
            w.raw(match op {
                CmpOp::Eq => " = ",
                CmpOp::Ne => " <> ",
                CmpOp::Lt => " < ",
                CmpOp::Lte => " <= ",
                CmpOp::Gt => " > ",
                CmpOp::Gte => " >= ",
            });
            expr(w, rhs, scope)?;
        }
        Cond::Like {
            lhs,
            op,
            pattern,
            case_insensitive,
        } => like(w, lhs, *op, pattern, *case_insensitive, scope)?,
        Cond::In { lhs, items } => {
            expr(w, lhs, scope)?;
            w.raw(" IN (");
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                expr(w, e, scope)?;
            }
            w.raw(")");
        }
        Cond::InSelect { lhs, select } => {
            expr(w, lhs, scope)?;
            w.raw(" IN (");
            select_into(w, select, Projection::Columns)?;
            w.raw(")");
        }
        Cond::Between { lhs, low, high } => {
            expr(w, lhs, scope)?;
            w.raw(" BETWEEN ");
            expr(w, low, scope)?;
            w.raw(" AND ");
            expr(w, high, scope)?;
        }
        Cond::All(_) | Cond::Any(_) | Cond::Not(_) | Cond::IsNull { .. } => {
            cond(w, c, scope, false)?;
        }
    }
    Ok(())
}

/// Text matching with the same meaning on every backend:
/// case-sensitive matches use GLOB on SQLite (whose LIKE ignores case) and
/// LIKE elsewhere (MySQL tables use a binary collation); case-insensitive
/// matches use LIKE on SQLite, ILIKE on PostgreSQL and LOWER(..) LIKE
/// LOWER(..) on MySQL. The pattern is bound, with its wildcards escaped.
fn like(
    w: &mut Writer,
    lhs: &ExprNode,
    op: LikeOp,
    text: &str,
    case_insensitive: bool,
    scope: &Scope,
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
            if matches!(ch, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(ch);
        }
    }
    if matches!(op, LikeOp::Contains | LikeOp::StartsWith) {
        pattern.push(any);
    }
    match (w.dialect, case_insensitive) {
        (Dialect::Sqlite, false) => {
            expr(w, lhs, scope)?;
            w.raw(" GLOB ");
            w.bind(Value::String(pattern));
        }
        (Dialect::Sqlite, true) => {
            expr(w, lhs, scope)?;
            w.raw(" LIKE ");
            w.bind(Value::String(pattern));
            w.raw(" ESCAPE '\\'");
        }
        (Dialect::Postgres, ci) => {
            expr(w, lhs, scope)?;
            w.raw(if ci { " ILIKE " } else { " LIKE " });
            w.bind(Value::String(pattern));
        }
        (Dialect::MySql, false) => {
            expr(w, lhs, scope)?;
            w.raw(" LIKE ");
            w.bind(Value::String(pattern));
        }
        (Dialect::MySql, true) => {
            w.raw("LOWER(");
            expr(w, lhs, scope)?;
            w.raw(") LIKE LOWER(");
            w.bind(Value::String(pattern));
            w.raw(")");
        }
    }
    Ok(())
}
