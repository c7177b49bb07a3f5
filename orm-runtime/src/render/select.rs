//! SELECT statements: aliases and left-deep join chains for foreign-key
//! paths, expressions (aggregates, functions, CASE, CAST, subqueries, outer
//! references), conditions (with Django's NULL semantics under negation),
//! GROUP BY/HAVING, ordering and limits.

use super::{Statement, Writer};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{
    AggFunc, Aggregate, BinOp, CmpOp, ColumnRef, Cond, DatePart, ExprNode, FrameBound, Func,
    JoinStep, LikeOp, OrderItem, Select, Window, WindowFunc,
};
use orm_core::value::{Kind, Value};

/// What a SELECT returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// The select's own columns.
    Columns,
    /// `COUNT(*)` of the rows the select returns.
    Count,
    /// `1` (for EXISTS-style checks).
    One,
}

/// A table alias of one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alias {
    /// `t0`, `t1`, ...: a table the statement reads, numbered in order.
    Table(usize),
    /// A derived table, by its name.
    Derived(&'static str),
}

/// The first table aliases, written without formatting a number.
const TABLES: [&str; 32] = [
    "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12", "t13", "t14",
    "t15", "t16", "t17", "t18", "t19", "t20", "t21", "t22", "t23", "t24", "t25", "t26", "t27",
    "t28", "t29", "t30", "t31",
];

/// Writes an alias as a quoted identifier.
fn alias_ident(w: &mut Writer, a: Alias) {
    match a {
        Alias::Table(n) => match TABLES.get(n) {
            Some(name) => w.ident(name),
            None => w.ident(&format!("t{n}")),
        },
        Alias::Derived(name) => w.ident(name),
    }
}

/// How columns are qualified in one select.
pub(crate) enum Scope {
    /// `"alias"."column"`, with joins for paths.
    Aliased {
        base: Alias,
        /// The base table, for resolving `OuterRef` by model.
        table: &'static str,
        joins: Vec<(Vec<JoinStep>, Alias)>,
    },
    /// Bare column names (single-table UPDATE and DELETE of `table`).
    Bare { table: &'static str },
}

impl Scope {
    fn alias_of(&self, path: &[JoinStep]) -> Option<Alias> {
        match self {
            Scope::Bare { .. } => None,
            Scope::Aliased { base, joins, .. } => {
                if path.is_empty() {
                    Some(*base)
                } else {
                    joins
                        .iter()
                        .find(|(p, _)| p.as_slice() == path)
                        .map(|(_, a)| *a)
                }
            }
        }
    }
}

fn unsupported(w: &Writer, feature: &str) -> Error {
    Error::Render {
        dialect: w.dialect,
        feature: feature.to_owned(),
    }
}

/// Lowers and renders a select with the given projection.
pub fn render(
    select: &Select,
    projection: Projection,
    dialect: Dialect,
) -> Result<Statement, Error> {
    render_owned(select.clone(), projection, dialect)
}

/// [`render`] of a select the caller no longer needs.
pub(crate) fn render_owned(
    select: Select,
    projection: Projection,
    dialect: Dialect,
) -> Result<Statement, Error> {
    let (select, projection) = crate::lower::select(select, projection, dialect)?;
    let mut w = Writer::new(dialect);
    select_into(&mut w, &select, projection)?;
    Ok(w.finish())
}

/// Renders a statement that runs with bare column names (UPDATE/DELETE).
pub(crate) fn with_bare_scope<T>(
    w: &mut Writer,
    table: &'static str,
    f: impl FnOnce(&mut Writer) -> Result<T, Error>,
) -> Result<T, Error> {
    w.scopes.push(Scope::Bare { table });
    let out = f(w);
    w.scopes.pop();
    out
}

/// Writes a lowered SELECT: its table (with aliases and left-deep joins for
/// the paths it uses) or derived table, then its clauses.
pub(crate) fn select_into(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
    if let Some(d) = &s.source {
        // A derived table: its columns are referred to by name, and it is
        // not a query over the model (no OuterRef resolves to it). The
        // derived table itself is written outside this scope.
        let scope = || Scope::Aliased {
            base: Alias::Derived(d.alias),
            table: "",
            joins: Vec::new(),
        };
        w.raw("SELECT ");
        w.scopes.push(scope());
        let out = select_list(w, s, projection);
        w.scopes.pop();
        out?;
        w.raw(" FROM (");
        select_into(w, &d.select, Projection::Columns)?;
        w.raw(") AS ");
        w.ident(d.alias);
        w.scopes.push(scope());
        let out = clauses(w, s, projection);
        w.scopes.pop();
        return out;
    }
    if s.table.is_empty() {
        // Values only (uncorrelated subqueries): no table to read.
        w.raw("SELECT ");
        select_list(w, s, projection)?;
        return clauses(w, s, projection);
    }
    let base = w.alias();
    let mut paths: Vec<Vec<JoinStep>> = Vec::new();
    {
        let mut add = |path: &[JoinStep]| {
            for n in 1..=path.len() {
                let prefix = &path[..n];
                if !paths.iter().any(|p| p.as_slice() == prefix) {
                    paths.push(prefix.to_vec());
                }
            }
        };
        let mut add_column = |c: &ColumnRef| add(&c.path);
        if projection == Projection::Columns {
            s.columns
                .iter()
                .for_each(|e| visit_expr(e, &mut add_column));
        }
        s.filter.iter().for_each(|c| visit_cond(c, &mut add_column));
        s.having.iter().for_each(|c| visit_cond(c, &mut add_column));
        s.group_by
            .iter()
            .for_each(|e| visit_expr(e, &mut add_column));
        s.order
            .iter()
            .for_each(|o| visit_expr(&o.expr, &mut add_column));
        s.joins.iter().for_each(|p| add(p));
    }
    let joins: Vec<(Vec<JoinStep>, Alias)> = paths.into_iter().map(|p| (p, w.alias())).collect();
    // The scope is taken off the stack while the joins, which it holds,
    // are written.
    w.scopes.push(Scope::Aliased {
        base,
        table: s.table,
        joins,
    });
    w.raw("SELECT ");
    let out = select_list(w, s, projection);
    let scope = w.scopes.pop();
    out?;
    w.raw(" FROM ");
    w.ident(s.table);
    w.raw(" AS ");
    alias_ident(w, base);
    if let Some(Scope::Aliased { joins, .. }) = &scope {
        join_chain(w, base, joins);
    }
    w.scopes.extend(scope);
    let out = clauses(w, s, projection);
    w.scopes.pop();
    out
}

/// `[DISTINCT] <columns [AS name]>`, `COUNT(*)` or `1`.
fn select_list(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
    match projection {
        Projection::Columns => {
            if s.distinct {
                w.raw("DISTINCT ");
            }
            if s.columns.is_empty() && s.source.is_some() {
                w.raw("*");
            }
            for (i, e) in s.columns.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                expr(w, e)?;
                if let Some(name) = s.names.get(i) {
                    w.raw(" AS ");
                    w.ident(name);
                }
            }
        }
        Projection::Count => w.raw("COUNT(*)"),
        Projection::One => w.raw("1"),
    }
    Ok(())
}

/// Left-deep joins, each from the alias of its path's parent:
/// `LEFT JOIN "b" AS "t1" ON "t0"."b_id" = "t1"."id"`.
fn join_chain(w: &mut Writer, base: Alias, joins: &[(Vec<JoinStep>, Alias)]) {
    for (path, to) in joins {
        let step = path[path.len() - 1];
        let parent_path = &path[..path.len() - 1];
        let parent = if parent_path.is_empty() {
            base
        } else {
            joins
                .iter()
                .find(|(p, _)| p.as_slice() == parent_path)
                .map_or(base, |(_, a)| *a)
        };
        let outer = path.iter().any(|st| st.nullable);
        w.raw(if outer { " LEFT JOIN " } else { " INNER JOIN " });
        w.ident(step.table);
        w.raw(" AS ");
        alias_ident(w, *to);
        w.raw(" ON ");
        alias_ident(w, parent);
        w.raw(".");
        w.ident(step.fk_column);
        w.raw(" = ");
        alias_ident(w, *to);
        w.raw(".");
        w.ident(step.pk_column);
    }
}

/// WHERE, GROUP BY, HAVING, ORDER BY and LIMIT/OFFSET.
fn clauses(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
    where_clause(w, &s.filter)?;
    if !s.group_by.is_empty() {
        w.raw(" GROUP BY ");
        args(w, &s.group_by)?;
    }
    if !s.having.is_empty() {
        w.raw(" HAVING ");
        conds_sep(w, &s.having, " AND ", false)?;
    }
    if projection == Projection::Columns {
        order_by(w, &s.order)?;
    }
    if projection != Projection::Count {
        limit_offset(w, s.limit, s.offset);
    }
    Ok(())
}

fn conds_sep(w: &mut Writer, list: &[Cond], sep: &str, negated: bool) -> Result<(), Error> {
    for (i, c) in list.iter().enumerate() {
        if i > 0 {
            w.raw(sep);
        }
        cond(w, c, negated)?;
    }
    Ok(())
}

pub(crate) fn where_clause(w: &mut Writer, filter: &[Cond]) -> Result<(), Error> {
    if filter.is_empty() {
        return Ok(());
    }
    w.raw(" WHERE ");
    conds_sep(w, filter, " AND ", false)
}

fn order_by(w: &mut Writer, order: &[OrderItem]) -> Result<(), Error> {
    if order.is_empty() {
        return Ok(());
    }
    w.raw(" ORDER BY ");
    order_keys(w, order)
}

/// `key ASC|DESC, ..`.
fn order_keys(w: &mut Writer, order: &[OrderItem]) -> Result<(), Error> {
    for (i, o) in order.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        // A position is a number in ORDER BY, not a value to convert.
        let numeric = decimal_on_sqlite(w, &o.expr) && !matches!(o.expr, ExprNode::Ordinal { .. });
        numeric_operand(w, &o.expr, numeric)?;
        direction(w, o);
    }
    Ok(())
}

/// ` ASC`/` DESC`; SQLite and MySQL sort NULL as the smallest value, and
/// PostgreSQL is told to agree.
fn direction(w: &mut Writer, o: &OrderItem) {
    w.raw(if o.desc { " DESC" } else { " ASC" });
    if w.dialect == Dialect::Postgres && o.expr.nullable() {
        w.raw(if o.desc {
            " NULLS LAST"
        } else {
            " NULLS FIRST"
        });
    }
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

/// Visits the columns of the current select's scope (not those inside
/// subqueries, which have their own).
fn visit_expr(e: &ExprNode, f: &mut impl FnMut(&ColumnRef)) {
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
fn visit_aggregate(a: &Aggregate, f: &mut impl FnMut(&ColumnRef)) {
    if a.over.is_none() {
        if let Some(arg) = &a.arg {
            visit_expr(arg, f);
        }
        if let Some(c) = &a.filter {
            visit_cond(c, f);
        }
    }
}

fn visit_cond(c: &Cond, f: &mut impl FnMut(&ColumnRef)) {
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

fn column(w: &mut Writer, scope_index: usize, c: &ColumnRef) -> Result<(), Error> {
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
        ExprNode::OuterRef { table, column: c } => {
            // The nearest enclosing query over the model, at any depth.
            let depth = w.scopes.len();
            let found = (0..depth.saturating_sub(1))
                .rev()
                .find(|&i| match &w.scopes[i] {
                    Scope::Aliased { table: t, .. } | Scope::Bare { table: t } => t == table,
                });
            match found {
                Some(i) if matches!(w.scopes[i], Scope::Bare { .. }) && c.path.is_empty() => {
                    // The table an UPDATE writes, seen from a subquery: qualify
                    // with its name, since the subquery's own columns are aliased.
                    w.ident(table);
                    w.raw(".");
                    w.ident(c.column);
                }
                // Through a path: the enclosing query joins it (lower/outer_paths.rs).
                Some(i) => column(w, i, c)?,
                None => {
                    return Err(unsupported(
                        w,
                        &format!(
                            "OuterRef to \"{table}\".\"{}\" outside any query over that table",
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
                    "OuterRef to annotation field #{index} of \"{table}\" in a query that does not fill it with a plain expression"
                ),
            ));
        }
    }
    Ok(())
}

pub(super) fn cast_type(w: &mut Writer, to: Kind) -> Result<(), Error> {
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

fn args(w: &mut Writer, list: &[ExprNode]) -> Result<(), Error> {
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        expr(w, a)?;
    }
    Ok(())
}

pub(super) fn call(w: &mut Writer, name: &str, list: &[ExprNode]) -> Result<(), Error> {
    w.raw(name);
    w.raw("(");
    args(w, list)?;
    w.raw(")");
    Ok(())
}

fn function(w: &mut Writer, func: Func, list: &[ExprNode], kind: Kind) -> Result<(), Error> {
    let d = w.dialect;
    let arg_kind = list.first().and_then(ExprNode::kind).unwrap_or(kind);
    match func {
        Func::Coalesce => call(w, "COALESCE", list),
        Func::NullIf => call(w, "NULLIF", list),
        Func::Lower => call(w, "LOWER", list),
        Func::Upper => call(w, "UPPER", list),
        Func::Length => call(
            w,
            if d == Dialect::MySql {
                "CHAR_LENGTH"
            } else {
                "LENGTH"
            },
            list,
        ),
        Func::Substr => call(
            w,
            if d == Dialect::MySql {
                "SUBSTRING"
            } else {
                "SUBSTR"
            },
            list,
        ),
        Func::Greatest | Func::Least => {
            let greatest = func == Func::Greatest;
            match d {
                Dialect::Sqlite => call(w, if greatest { "MAX" } else { "MIN" }, list),
                Dialect::MySql => call(w, if greatest { "GREATEST" } else { "LEAST" }, list),
                Dialect::Postgres => {
                    // PostgreSQL's GREATEST ignores NULLs; the others return NULL.
                    w.raw("CASE WHEN ");
                    for (i, a) in list.iter().enumerate() {
                        if i > 0 {
                            w.raw(" OR ");
                        }
                        expr(w, a)?;
                        w.raw(" IS NULL");
                    }
                    w.raw(" THEN NULL ELSE ");
                    call(w, if greatest { "GREATEST" } else { "LEAST" }, list)?;
                    w.raw(" END");
                    Ok(())
                }
            }
        }
        Func::Concat => {
            let coalesced = |w: &mut Writer, a: &ExprNode| -> Result<(), Error> {
                w.raw("COALESCE(");
                expr(w, a)?;
                w.raw(", ");
                w.bind(Value::String(String::new()));
                w.raw(")");
                Ok(())
            };
            if d == Dialect::MySql {
                w.raw("CONCAT(");
            } else {
                w.raw("(");
            }
            for (i, a) in list.iter().enumerate() {
                if i > 0 {
                    w.raw(if d == Dialect::MySql { ", " } else { " || " });
                }
                coalesced(w, a)?;
            }
            w.raw(")");
            Ok(())
        }
        Func::Extract(part) => {
            let (word, fmt) = match part {
                DatePart::Year => ("YEAR", "'%Y'"),
                DatePart::Month => ("MONTH", "'%m'"),
                DatePart::Day => ("DAY", "'%d'"),
            };
            match d {
                Dialect::Sqlite => {
                    w.raw("CAST(strftime(");
                    w.raw(fmt);
                    w.raw(", ");
                    expr(w, &list[0])?;
                    w.raw(") AS INTEGER)");
                }
                Dialect::Postgres => {
                    w.raw("CAST(EXTRACT(");
                    w.raw(word);
                    w.raw(" FROM ");
                    utc(w, &list[0], arg_kind)?;
                    w.raw(") AS INTEGER)");
                }
                Dialect::MySql => {
                    w.raw("EXTRACT(");
                    w.raw(word);
                    w.raw(" FROM ");
                    expr(w, &list[0])?;
                    w.raw(")");
                }
            }
            Ok(())
        }
        Func::Trunc(part) => trunc(w, part, &list[0], arg_kind),
        Func::Quotient => {
            let (open, between, close) = match d {
                Dialect::Sqlite => ("(", " / ", ")"),
                Dialect::Postgres => ("DIV(", ", ", ")"),
                Dialect::MySql => ("(", " DIV ", ")"),
            };
            w.raw(open);
            expr(w, &list[0])?;
            w.raw(between);
            expr(w, &list[1])?;
            w.raw(close);
            Ok(())
        }
        Func::Fail(message) if d == Dialect::Sqlite => {
            // SQLite's JSON path error carries the message.
            w.raw("json_extract('{}', ");
            w.str_literal(message);
            w.raw(")");
            Ok(())
        }
        Func::Fail(_) => Err(unsupported(w, "an expression that raises an error")),
        Func::Math(m) => super::math::function(w, m, list, kind),
        Func::Custom(name) => {
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(unsupported(
                    w,
                    &format!("function name {name:?} (not a plain identifier)"),
                ));
            }
            call(w, name, list)
        }
    }
}

/// A TIMESTAMPTZ seen in UTC on PostgreSQL, so date parts do not depend on
/// the session's time zone.
fn utc(w: &mut Writer, e: &ExprNode, kind: Kind) -> Result<(), Error> {
    if kind == Kind::DateTimeUtc {
        w.raw("(");
        expr(w, e)?;
        w.raw(" AT TIME ZONE 'UTC')");
        Ok(())
    } else {
        expr(w, e)
    }
}

fn trunc(w: &mut Writer, part: DatePart, e: &ExprNode, kind: Kind) -> Result<(), Error> {
    let date = kind == Kind::Date;
    match w.dialect {
        Dialect::Sqlite => {
            w.raw(if date { "date(" } else { "datetime(" });
            expr(w, e)?;
            w.raw(match part {
                DatePart::Year => ", 'start of year')",
                DatePart::Month => ", 'start of month')",
                DatePart::Day => ", 'start of day')",
            });
        }
        Dialect::Postgres => {
            let word = match part {
                DatePart::Year => "'year'",
                DatePart::Month => "'month'",
                DatePart::Day => "'day'",
            };
            if date {
                w.raw("CAST(DATE_TRUNC(");
                w.raw(word);
                w.raw(", ");
                expr(w, e)?;
                w.raw(") AS DATE)");
            } else {
                w.raw("DATE_TRUNC(");
                w.raw(word);
                w.raw(", ");
                utc(w, e, kind)?;
                w.raw(")");
                if kind == Kind::DateTimeUtc {
                    w.raw(" AT TIME ZONE 'UTC'");
                }
            }
        }
        Dialect::MySql => {
            let fmt = match (part, date) {
                (DatePart::Year, true) => "'%Y-01-01'",
                (DatePart::Month, true) => "'%Y-%m-01'",
                (DatePart::Day, true) => "'%Y-%m-%d'",
                (DatePart::Year, false) => "'%Y-01-01 00:00:00'",
                (DatePart::Month, false) => "'%Y-%m-01 00:00:00'",
                (DatePart::Day, false) => "'%Y-%m-%d 00:00:00'",
            };
            w.raw("CAST(DATE_FORMAT(");
            expr(w, e)?;
            w.raw(", ");
            w.raw(fmt);
            w.raw(if date {
                ") AS DATE)"
            } else {
                ") AS DATETIME(6))"
            });
        }
    }
    Ok(())
}

/// The prefix of an exactly aggregated decimal on SQLite, read back by the
/// executor (`sum:`, `avg:`, `min:`, `max:` then the comma-separated values).
pub const SQLITE_DECIMAL_AGG: &str = "orm-decimal-agg:";

fn aggregate(w: &mut Writer, a: &Aggregate) -> Result<(), Error> {
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
fn nullable_operands(c: &Cond) -> [Option<&ExprNode>; 2] {
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

fn decimal_on_sqlite(w: &Writer, e: &ExprNode) -> bool {
    w.dialect == Dialect::Sqlite && e.kind() == Some(Kind::Decimal)
}

/// SQLite stores decimals as exact text; where their order matters they are
/// compared as numbers.
fn numeric_operand(w: &mut Writer, e: &ExprNode, as_number: bool) -> Result<(), Error> {
    if as_number {
        w.raw("CAST(");
        expr(w, e)?;
        w.raw(" AS REAL)");
        Ok(())
    } else {
        expr(w, e)
    }
}

fn leaf_cond(w: &mut Writer, c: &Cond) -> Result<(), Error> {
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
fn like(
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

fn frame_bound(w: &mut Writer, b: FrameBound) {
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
fn window(w: &mut Writer, win: &Window) -> Result<(), Error> {
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

/// What `explain()` asks the database for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExplainOptions {
    /// Run the query and report actual times (PostgreSQL only).
    pub analyze: bool,
    /// JSON output (PostgreSQL; MySQL/MariaDB always answer in JSON).
    pub json: bool,
}

/// The EXPLAIN statement of a select: `EXPLAIN QUERY PLAN` on SQLite,
/// `EXPLAIN [(ANALYZE, FORMAT JSON)]` on PostgreSQL, `EXPLAIN FORMAT=JSON` on
/// MySQL/MariaDB.
pub fn explain(
    select: &Select,
    options: ExplainOptions,
    dialect: Dialect,
) -> Result<Statement, Error> {
    let mut w = Writer::new(dialect);
    match dialect {
        Dialect::Sqlite if options.analyze || options.json => {
            return Err(unsupported(&w, "EXPLAIN with ANALYZE or JSON output"));
        }
        Dialect::Sqlite => w.raw("EXPLAIN QUERY PLAN "),
        Dialect::Postgres => {
            w.raw("EXPLAIN ");
            match (options.analyze, options.json) {
                (true, true) => w.raw("(ANALYZE, FORMAT JSON) "),
                (true, false) => w.raw("(ANALYZE) "),
                (false, true) => w.raw("(FORMAT JSON) "),
                (false, false) => {}
            }
        }
        Dialect::MySql if options.analyze => return Err(unsupported(&w, "EXPLAIN ANALYZE")),
        Dialect::MySql => w.raw("EXPLAIN FORMAT=JSON "),
    }
    let (select, projection) = crate::lower::select(select.clone(), Projection::Columns, dialect)?;
    select_into(&mut w, &select, projection)?;
    Ok(w.finish())
}

/// Where lists bind as arrays (PostgreSQL), a list of non-NULL values of
/// one kind as one array value.
fn pg_array(w: &Writer, items: &[ExprNode]) -> Option<Value> {
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
