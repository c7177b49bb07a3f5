//! Expressions: columns of the scopes being written, values, arithmetic,
//! CASE, CAST, subqueries and outer references, aggregates and window
//! functions.

use super::Writer;
use super::cond::*;
use super::functions::*;
use super::select::*;
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{
    AggFunc, Aggregate, BinOp, ColumnRef, Cond, ExprNode, FrameBound, Window, WindowFunc,
};
use orm_core::value::{Kind, Value};

/// Visits the columns of the current select's scope (not those inside
/// subqueries, which have their own).
pub(crate) fn visit_expr(e: &ExprNode, f: &mut impl FnMut(&ColumnRef)) {
    match e {
        ExprNode::Column(c) => f(c),
        ExprNode::Value(_)
        | ExprNode::Outer { .. }
        | ExprNode::Subquery(_)
        | ExprNode::Ordinal { .. }
        | ExprNode::AnnotationRef { .. }
        | ExprNode::OuterAnnotation { .. } => {}
        ExprNode::Binary { lhs, rhs, .. } => {
            visit_expr(lhs, f);
            visit_expr(rhs, f);
        }
        ExprNode::Aggregate(a) => visit_aggregate(a, f),
        ExprNode::Func { args, .. } => args.iter().for_each(|a| visit_expr(a, f)),
        ExprNode::Cast { expr, .. } => visit_expr(expr, f),
        ExprNode::OuterRef { .. } => {}
        ExprNode::Window(win) => {
            if let Some(a) = &win.arg {
                visit_expr(a, f);
            }
            if let WindowFunc::Aggregate(a) = &win.func {
                visit_aggregate(a, f);
            }
            win.partition_by.iter().for_each(|e| visit_expr(e, f));
            win.order_by.iter().for_each(|o| visit_expr(&o.expr, f));
        }
        ExprNode::Case { whens, default, .. } => {
            for (c, v) in whens {
                visit_cond(c, f);
                visit_expr(v, f);
            }
            if let Some(d) = default {
                visit_expr(d, f);
            }
        }
    }
}

/// The columns of an aggregate of the current select (one over a relation
/// reads its own rows).
pub(crate) fn visit_aggregate(a: &Aggregate, f: &mut impl FnMut(&ColumnRef)) {
    if a.over.is_none() {
        if let Some(arg) = &a.arg {
            visit_expr(arg, f);
        }
        if let Some(c) = &a.filter {
            visit_cond(c, f);
        }
    }
}

pub(crate) fn visit_cond(c: &Cond, f: &mut impl FnMut(&ColumnRef)) {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| visit_cond(c, f)),
        Cond::Not(c) => visit_cond(c, f),
        Cond::Exists(_) => {}
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

pub(crate) fn column(w: &mut Writer, scope_index: usize, c: &ColumnRef) -> Result<(), Error> {
    let alias = w.scopes.get(scope_index).and_then(|s| s.alias_of(&c.path));
    match alias {
        Some(a) => {
            alias_ident(w, a);
            w.raw(".");
        }
        // The table an UPDATE or DELETE writes, seen from a subquery:
        // qualified by its name, since the subquery's own columns are
        // aliased and a bare name would be the subquery's own column.
        None if c.path.is_empty() && scope_index + 1 < w.scopes.len() => {
            if let Some(Scope::Bare { table }) = w.scopes.get(scope_index) {
                w.ident(table);
                w.raw(".");
            }
        }
        None if c.path.is_empty() => {}
        None => {
            return Err(unsupported(
                w,
                "a related-model column in a single-table UPDATE or DELETE",
            ));
        }
    }
    w.ident(c.column);
    Ok(())
}

pub(crate) fn expr(w: &mut Writer, e: &ExprNode) -> Result<(), Error> {
    match e {
        ExprNode::Column(c) => column(w, w.scopes.len().saturating_sub(1), c)?,
        ExprNode::Outer { levels, column: c } => {
            let depth = w.scopes.len();
            let levels = *levels as usize;
            if levels == 0 || levels >= depth {
                return Err(unsupported(
                    w,
                    "an OuterRef that no enclosing query provides",
                ));
            }
            if !c.path.is_empty() {
                return Err(unsupported(w, "an OuterRef through a foreign-key path"));
            }
            column(w, depth - 1 - levels, c)?;
        }
        ExprNode::OuterRef {
            scope,
            table,
            column: c,
        } => {
            // The query the correlated subquery of `scope` is used in.
            let found = w.bindings.iter().rev().find(|(s, _)| s == scope);
            match found.map(|&(_, i)| (i, &w.scopes[i])) {
                Some((_, Scope::Bare { table: t })) if t == table && c.path.is_empty() => {
                    // The table an UPDATE writes, seen from a subquery: qualify
                    // with its name, since the subquery's own columns are aliased.
                    w.ident(table);
                    w.raw(".");
                    w.ident(c.column);
                }
                // Through a path: the enclosing query joins it (lower/outer_paths.rs).
                Some((i, Scope::Aliased { table: t, .. })) if t == table => column(w, i, c)?,
                _ => {
                    return Err(unsupported(
                        w,
                        &format!(
                            "an outer reference to \"{table}\".\"{}\" outside the subquery it was made for (a handle of `correlated` kept past its closure)",
                            c.column
                        ),
                    ));
                }
            }
        }
        ExprNode::Window(win) => window(w, win)?,
        ExprNode::Value(v) => w.bind(v.clone()),
        ExprNode::Binary { op, lhs, rhs, kind } => {
            w.raw("(");
            expr(w, lhs)?;
            w.raw(match op {
                BinOp::Add => " + ",
                BinOp::Sub => " - ",
                BinOp::Mul => " * ",
                // MySQL's `/` is decimal division; DIV truncates like the others.
                BinOp::Div if w.dialect == Dialect::MySql && kind.is_integer() => " DIV ",
                BinOp::Div => " / ",
            });
            expr(w, rhs)?;
            w.raw(")");
        }
        ExprNode::Aggregate(a) => aggregate(w, a)?,
        ExprNode::Func { func, args, kind } => function(w, *func, args, *kind)?,
        ExprNode::Cast { expr: inner, to } if super::numeric::truncates(w, inner, *to) => {
            super::numeric::truncating_cast(w, inner, *to)?
        }
        ExprNode::Cast { expr: inner, to } => {
            w.raw("CAST(");
            expr(w, inner)?;
            w.raw(" AS ");
            cast_type(w, *to)?;
            w.raw(")");
        }
        ExprNode::Case { whens, default, .. } => {
            w.raw("CASE");
            for (c, v) in whens {
                w.raw(" WHEN ");
                cond(w, c, false)?;
                w.raw(" THEN ");
                expr(w, v)?;
            }
            if let Some(d) = default {
                w.raw(" ELSE ");
                expr(w, d)?;
            }
            w.raw(" END");
        }
        ExprNode::Subquery(s) => {
            w.raw("(");
            select_into(w, s, Projection::Columns)?;
            w.raw(")");
        }
        ExprNode::Ordinal { position, .. } => w.int(u64::from(*position)),
        ExprNode::AnnotationRef { index, .. } => {
            return Err(unsupported(
                w,
                &format!("annotation field #{index} used before annotate_into() filled it"),
            ));
        }
        ExprNode::OuterAnnotation { table, index, .. } => {
            return Err(unsupported(
                w,
                &format!(
                    "an outer reference to annotation field #{index} of \"{table}\" in a query that does not fill it with a plain expression"
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn cast_type(w: &mut Writer, to: Kind) -> Result<(), Error> {
    let name = match (w.dialect, to) {
        (Dialect::Sqlite, Kind::I16 | Kind::I32 | Kind::I64 | Kind::Bool) => "INTEGER",
        (Dialect::Sqlite, Kind::F32 | Kind::F64) => "REAL",
        (Dialect::Sqlite, Kind::Decimal | Kind::String) => "TEXT",
        (Dialect::Postgres, Kind::I16) => "SMALLINT",
        (Dialect::Postgres, Kind::I32) => "INTEGER",
        (Dialect::Postgres, Kind::I64) => "BIGINT",
        (Dialect::Postgres, Kind::F32) => "REAL",
        (Dialect::Postgres, Kind::F64) => "DOUBLE PRECISION",
        (Dialect::Postgres, Kind::Decimal) => "NUMERIC",
        (Dialect::Postgres, Kind::String) => "TEXT",
        (Dialect::Postgres, Kind::Bool) => "BOOLEAN",
        (Dialect::Postgres, Kind::Date) => "DATE",
        (Dialect::Postgres, Kind::DateTime) => "TIMESTAMP",
        (Dialect::MySql, Kind::I16 | Kind::I32 | Kind::I64 | Kind::Bool) => "SIGNED",
        (Dialect::MySql, Kind::F32 | Kind::F64) => "DOUBLE",
        (Dialect::MySql, Kind::Decimal) => "DECIMAL(65, 20)",
        (Dialect::MySql, Kind::String) => "CHAR",
        (Dialect::MySql, Kind::Date) => "DATE",
        (Dialect::MySql, Kind::DateTime) => "DATETIME(6)",
        (_, k) => return Err(unsupported(w, &format!("CAST to {k:?}"))),
    };
    w.raw(name);
    Ok(())
}

pub(crate) fn args(w: &mut Writer, list: &[ExprNode]) -> Result<(), Error> {
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        expr(w, a)?;
    }
    Ok(())
}

pub(crate) fn call(w: &mut Writer, name: &str, list: &[ExprNode]) -> Result<(), Error> {
    w.raw(name);
    w.raw("(");
    args(w, list)?;
    w.raw(")");
    Ok(())
}

/// The prefix of an exactly aggregated decimal on SQLite, read back by the
/// executor (`sum:`, `avg:`, `min:`, `max:` then the comma-separated values).
pub const SQLITE_DECIMAL_AGG: &str = "orm-decimal-agg:";

pub(crate) fn aggregate(w: &mut Writer, a: &Aggregate) -> Result<(), Error> {
    if a.over.is_some() {
        return Err(unsupported(
            w,
            "an aggregate over a relation in this position",
        ));
    }
    let d = w.dialect;
    let name = match (a.func, d) {
        (AggFunc::Count, _) => "COUNT",
        (AggFunc::Sum, _) => "SUM",
        (AggFunc::Avg, _) => "AVG",
        (AggFunc::Min, _) => "MIN",
        (AggFunc::Max, _) => "MAX",
        // Registered on SQLite connections (backend/sqlite/functions.rs).
        (AggFunc::StdDev, _) => "STDDEV_POP",
        (AggFunc::StdDevSample, _) => "STDDEV_SAMP",
        (AggFunc::Variance, _) => "VAR_POP",
        (AggFunc::VarianceSample, _) => "VAR_SAMP",
    };
    let exact_decimal = a.exact;
    if exact_decimal {
        // SQLite has no exact decimal arithmetic: hand the values over and
        // let the executor compute the result with rust_decimal.
        let op = match a.func {
            AggFunc::Sum => "sum:",
            AggFunc::Avg => "avg:",
            AggFunc::Min => "min:",
            _ => "max:",
        };
        w.raw("('");
        w.raw(SQLITE_DECIMAL_AGG);
        w.raw(op);
        w.raw("' || group_concat(");
    } else {
        w.raw(name);
        w.raw("(");
    }
    if a.distinct {
        w.raw("DISTINCT ");
    }
    match (&a.filter, d) {
        (Some(f), Dialect::MySql) => {
            // MySQL has no FILTER: only matching rows give a non-NULL value.
            w.raw("CASE WHEN ");
            cond(w, f, false)?;
            w.raw(" THEN ");
            match &a.arg {
                Some(arg) => expr(w, arg)?,
                None => w.raw("1"),
            }
            w.raw(" END)");
        }
        _ => {
            // Inside an expression, SQLite's decimal text aggregates as numbers.
            let numeric = d == Dialect::Sqlite && !exact_decimal && a.arg_kind == Kind::Decimal;
            match &a.arg {
                Some(arg) => numeric_operand(w, arg, numeric)?,
                None => w.raw("*"),
            }
            w.raw(")");
            if let Some(f) = &a.filter {
                w.raw(" FILTER (WHERE ");
                cond(w, f, false)?;
                w.raw(")");
            }
        }
    }
    if exact_decimal {
        w.raw(")");
    }
    Ok(())
}

pub(crate) fn frame_bound(w: &mut Writer, b: FrameBound) {
    match b {
        FrameBound::UnboundedPreceding => w.raw("UNBOUNDED PRECEDING"),
        FrameBound::Preceding(n) => {
            w.int(u64::from(n));
            w.raw(" PRECEDING");
        }
        FrameBound::CurrentRow => w.raw("CURRENT ROW"),
        FrameBound::Following(n) => {
            w.int(u64::from(n));
            w.raw(" FOLLOWING");
        }
        FrameBound::UnboundedFollowing => w.raw("UNBOUNDED FOLLOWING"),
    }
}

/// `f(..) OVER (PARTITION BY .. ORDER BY .. frame)`. Offsets and bucket
/// counts are written as integer literals: MySQL accepts no parameters there.
pub(crate) fn window(w: &mut Writer, win: &Window) -> Result<(), Error> {
    let arg = |w: &mut Writer| -> Result<(), Error> {
        match &win.arg {
            Some(a) => expr(w, a),
            None => Err(unsupported(w, "a window function without its argument")),
        }
    };
    match &win.func {
        WindowFunc::RowNumber => w.raw("ROW_NUMBER()"),
        WindowFunc::Rank => w.raw("RANK()"),
        WindowFunc::DenseRank => w.raw("DENSE_RANK()"),
        WindowFunc::PercentRank => w.raw("PERCENT_RANK()"),
        WindowFunc::Ntile(n) => {
            w.raw("NTILE(");
            w.int(u64::from(*n));
            w.raw(")");
        }
        WindowFunc::Lag(n) | WindowFunc::Lead(n) => {
            w.raw(if matches!(win.func, WindowFunc::Lag(_)) {
                "LAG("
            } else {
                "LEAD("
            });
            arg(w)?;
            w.raw(", ");
            w.int(u64::from(*n));
            w.raw(")");
        }
        WindowFunc::FirstValue | WindowFunc::LastValue => {
            w.raw(if win.func == WindowFunc::FirstValue {
                "FIRST_VALUE("
            } else {
                "LAST_VALUE("
            });
            arg(w)?;
            w.raw(")");
        }
        WindowFunc::Aggregate(a) => {
            if a.over.is_some() {
                return Err(unsupported(
                    w,
                    "an aggregate over a relation used as a window function",
                ));
            }
            aggregate(w, a)?;
        }
    }
    w.raw(" OVER (");
    let mut sep = "";
    if !win.partition_by.is_empty() {
        w.raw("PARTITION BY ");
        args(w, &win.partition_by)?;
        sep = " ";
    }
    if !win.order_by.is_empty() {
        w.raw(sep);
        w.raw("ORDER BY ");
        order_keys(w, &win.order_by)?;
        sep = " ";
    }
    if let Some(f) = win.frame {
        w.raw(sep);
        w.raw(if f.rows {
            "ROWS BETWEEN "
        } else {
            "RANGE BETWEEN "
        });
        frame_bound(w, f.start);
        w.raw(" AND ");
        frame_bound(w, f.end);
    }
    w.raw(")");
    Ok(())
}

/// Where lists bind as arrays (PostgreSQL), a list of non-NULL values of
/// one kind as one array value.
pub(crate) fn pg_array(w: &Writer, items: &[ExprNode]) -> Option<Value> {
    if !crate::Capabilities::of(w.dialect).array_binds {
        return None;
    }
    let kind = match items.first()? {
        ExprNode::Value(v) if !v.is_null() => v.kind(),
        _ => return None,
    };
    let values: Option<Vec<Value>> = items
        .iter()
        .map(|e| match e {
            ExprNode::Value(v)
                if !v.is_null() && v.kind() == kind && !matches!(v, Value::List(..)) =>
            {
                Some(v.clone())
            }
            _ => None,
        })
        .collect();
    Some(Value::List(kind, values?))
}
