//! SELECT statements: aliases and left-deep join chains for foreign-key
//! paths, expressions (aggregates, functions, CASE, CAST, subqueries, outer
//! references), conditions (with Django's NULL semantics under negation),
//! GROUP BY/HAVING, ordering and limits.

use super::{Statement, Writer};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{
    AggFunc, Aggregate, BinOp, CmpOp, ColumnRef, Cond, DatePart, ExprNode, FrameBound, Func,
    JoinStep, LikeOp, OrderItem, Relation, Select, Window, WindowFunc,
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

/// How columns are qualified in one select.
pub(crate) enum Scope {
    /// `"alias"."column"`, with joins for paths.
    Aliased {
        base: String,
        /// The base table, for resolving `OuterRef` by model.
        table: &'static str,
        joins: Vec<(Vec<JoinStep>, String)>,
    },
    /// Bare column names (single-table UPDATE and DELETE of `table`).
    Bare { table: &'static str },
}

impl Scope {
    fn alias_of(&self, path: &[JoinStep]) -> Option<String> {
        match self {
            Scope::Bare { .. } => None,
            Scope::Aliased { base, joins, .. } => {
                if path.is_empty() {
                    Some(base.clone())
                } else {
                    joins
                        .iter()
                        .find(|(p, _)| p.as_slice() == path)
                        .map(|(_, a)| a.clone())
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

/// Renders a select with the given projection.
pub fn render(
    select: &Select,
    projection: Projection,
    dialect: Dialect,
) -> Result<Statement, Error> {
    let mut w = Writer::new(dialect);
    let wrap = select.distinct
        || select.limit.is_some()
        || select.offset.is_some()
        || !select.group_by.is_empty()
        || !select.qualify.is_empty();
    if projection == Projection::Count && wrap {
        // Count the rows the select returns: distinct, sliced or grouped.
        let mut inner = select.clone();
        if inner.limit.is_none() && inner.offset.is_none() {
            inner.order.clear();
        }
        w.raw("SELECT COUNT(*) FROM (");
        select_into(&mut w, &inner, Projection::Columns, true)?;
        w.raw(") AS ");
        w.ident("sub");
    } else {
        select_into(&mut w, select, projection, true)?;
    }
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

/// Writes a SELECT. `top` is true when its values are returned to the
/// caller as they are (not used inside an expression), which allows exact
/// decimal aggregation on SQLite.
pub(crate) fn select_into(
    w: &mut Writer,
    s: &Select,
    projection: Projection,
    top: bool,
) -> Result<(), Error> {
    if !s.qualify.is_empty() {
        return qualified(w, s, projection, top);
    }
    select_plain(w, s, projection, top, None)
}

/// Names of the window columns of a wrapped query.
const WINDOW_ALIASES: [&str; 32] = [
    "w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10", "w11", "w12", "w13", "w14",
    "w15", "w16", "w17", "w18", "w19", "w20", "w21", "w22", "w23", "w24", "w25", "w26", "w27",
    "w28", "w29", "w30", "w31",
];

/// A query filtered on window functions. SQL computes windows after WHERE,
/// so the query runs as a derived table whose columns are named `c0..`
/// (selected), `w0..` (window values the conditions test) and `o0..`
/// (ordering keys), and the conditions filter it:
/// `SELECT "sub"."c0", .. FROM (SELECT .., RANK() OVER (..) AS "w0" ..) AS "sub" WHERE "sub"."w0" <= ?`.
fn qualified(w: &mut Writer, s: &Select, projection: Projection, top: bool) -> Result<(), Error> {
    let mut inner = s.clone();
    inner.qualify.clear();
    inner.order.clear();
    inner.limit = None;
    inner.offset = None;
    inner.distinct = false;
    let ncols = inner.columns.len();
    let mut windows: Vec<ExprNode> = Vec::new();
    let conds = s
        .qualify
        .iter()
        .map(|c| lift_windows(c, &mut windows))
        .collect::<Result<Vec<Cond>, ()>>()
        .map_err(|()| {
            unsupported(
                w,
                "a window filter with EXISTS or more than 32 computed values",
            )
        })?;
    inner.columns.extend(windows.iter().cloned());
    inner.columns.extend(s.order.iter().map(|o| o.expr.clone()));
    let mut aliases: Vec<String> = (0..ncols).map(|i| format!("c{i}")).collect();
    aliases.extend(
        WINDOW_ALIASES
            .iter()
            .take(windows.len())
            .map(|a| (*a).to_owned()),
    );
    aliases.extend((0..s.order.len()).map(|i| format!("o{i}")));
    let sub = "sub";
    let col = |w: &mut Writer, name: &str| {
        w.ident(sub);
        w.raw(".");
        w.ident(name);
    };
    w.raw("SELECT ");
    if s.distinct && projection == Projection::Columns {
        w.raw("DISTINCT ");
    }
    match projection {
        Projection::Columns => {
            for (i, a) in aliases.iter().take(ncols).enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                col(w, a);
            }
            if s.distinct {
                // DISTINCT needs its ORDER BY keys in the select list; the
                // positional decoder ignores the extra columns.
                for i in 0..s.order.len() {
                    w.raw(", ");
                    col(w, &format!("o{i}"));
                }
            }
        }
        Projection::Count => w.raw("COUNT(*)"),
        Projection::One => w.raw("1"),
    }
    w.raw(" FROM (");
    select_plain(w, &inner, Projection::Columns, top, Some(&aliases))?;
    w.raw(") AS ");
    w.ident(sub);
    w.scopes.push(Scope::Aliased {
        base: sub.to_owned(),
        table: "",
        joins: Vec::new(),
    });
    let out = (|| {
        w.raw(" WHERE ");
        conds_sep(w, &conds, " AND ", false)?;
        if projection == Projection::Columns && !s.order.is_empty() {
            w.raw(" ORDER BY ");
            for (i, o) in s.order.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                // SQLite's decimal text orders as numbers, as in an unwrapped query.
                let numeric = decimal_on_sqlite(w, &o.expr);
                if numeric {
                    w.raw("CAST(");
                }
                col(w, &format!("o{i}"));
                if numeric {
                    w.raw(" AS REAL)");
                }
                direction(w, o);
            }
        }
        if projection != Projection::Count {
            limit_offset(w, s.limit, s.offset);
        }
        Ok(())
    })();
    w.scopes.pop();
    out
}

/// Replaces the expressions of a window condition that the inner query
/// must compute (window functions, columns, aggregates, subqueries) with the
/// wrapped query's columns (`"sub"."w0"`, ..), collecting the expressions.
fn lift_windows(c: &Cond, windows: &mut Vec<ExprNode>) -> Result<Cond, ()> {
    fn lift(e: &ExprNode, windows: &mut Vec<ExprNode>) -> Result<ExprNode, ()> {
        Ok(match e {
            ExprNode::Window(_)
            | ExprNode::Column(_)
            | ExprNode::Aggregate(_)
            | ExprNode::Subquery(_) => {
                let i = match windows.iter().position(|x| x == e) {
                    Some(i) => i,
                    None => {
                        windows.push(e.clone());
                        windows.len() - 1
                    }
                };
                let name = WINDOW_ALIASES.get(i).ok_or(())?;
                ExprNode::Column(ColumnRef::local(
                    name,
                    e.nullable(),
                    e.kind().unwrap_or(Kind::I64),
                ))
            }
            ExprNode::Binary { op, lhs, rhs, kind } => ExprNode::Binary {
                op: *op,
                lhs: Box::new(lift(lhs, windows)?),
                rhs: Box::new(lift(rhs, windows)?),
                kind: *kind,
            },
            ExprNode::Func { func, args, kind } => ExprNode::Func {
                func: *func,
                args: args
                    .iter()
                    .map(|a| lift(a, windows))
                    .collect::<Result<_, _>>()?,
                kind: *kind,
            },
            ExprNode::Cast { expr, to } => ExprNode::Cast {
                expr: Box::new(lift(expr, windows)?),
                to: *to,
            },
            ExprNode::Case {
                whens,
                default,
                kind,
            } => ExprNode::Case {
                whens: whens
                    .iter()
                    .map(|(c, v)| Ok((lift_windows(c, windows)?, lift(v, windows)?)))
                    .collect::<Result<_, ()>>()?,
                default: default
                    .as_ref()
                    .map(|d| lift(d, windows).map(Box::new))
                    .transpose()?,
                kind: *kind,
            },
            other => other.clone(),
        })
    }
    let all = |v: &[Cond], windows: &mut Vec<ExprNode>| {
        v.iter()
            .map(|c| lift_windows(c, windows))
            .collect::<Result<Vec<_>, ()>>()
    };
    let list = |v: &[ExprNode], windows: &mut Vec<ExprNode>| {
        v.iter()
            .map(|e| lift(e, windows))
            .collect::<Result<Vec<_>, ()>>()
    };
    Ok(match c {
        Cond::All(v) => Cond::All(all(v, windows)?),
        Cond::Any(v) => Cond::Any(all(v, windows)?),
        Cond::Not(c) => Cond::Not(Box::new(lift_windows(c, windows)?)),
        Cond::Cmp { lhs, op, rhs } => Cond::Cmp {
            lhs: lift(lhs, windows)?,
            op: *op,
            rhs: lift(rhs, windows)?,
        },
        Cond::Between { lhs, low, high } => Cond::Between {
            lhs: lift(lhs, windows)?,
            low: lift(low, windows)?,
            high: lift(high, windows)?,
        },
        Cond::In { lhs, items } => Cond::In {
            lhs: lift(lhs, windows)?,
            items: list(items, windows)?,
        },
        Cond::IsNull { lhs, is_null } => Cond::IsNull {
            lhs: lift(lhs, windows)?,
            is_null: *is_null,
        },
        Cond::Like {
            lhs,
            op,
            pattern,
            case_insensitive,
        } => Cond::Like {
            lhs: lift(lhs, windows)?,
            op: *op,
            pattern: pattern.clone(),
            case_insensitive: *case_insensitive,
        },
        Cond::InSelect { lhs, select } => Cond::InSelect {
            lhs: lift(lhs, windows)?,
            select: select.clone(),
        },
        Cond::Exists(_) => return Err(()),
    })
}

/// A SELECT over one table with joins; `aliases` names its columns (for a
/// wrapped query).
fn select_plain(
    w: &mut Writer,
    s: &Select,
    projection: Projection,
    top: bool,
    aliases: Option<&[String]>,
) -> Result<(), Error> {
    let base = w.alias();
    let mut columns: Vec<&ExprNode> = if projection == Projection::Columns {
        s.columns.iter().collect()
    } else {
        Vec::new()
    };
    if s.distinct && projection == Projection::Columns {
        // SELECT DISTINCT needs its ORDER BY keys in the select list; extra
        // trailing columns are ignored by the positional decoder.
        for o in &s.order {
            if !s.columns.contains(&o.expr) {
                columns.push(&o.expr);
            }
        }
    }
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
        columns.iter().for_each(|e| visit_expr(e, &mut add));
        s.filter.iter().for_each(|c| visit_cond(c, &mut add));
        s.having.iter().for_each(|c| visit_cond(c, &mut add));
        s.group_by.iter().for_each(|e| visit_expr(e, &mut add));
        s.order.iter().for_each(|o| visit_expr(&o.expr, &mut add));
    }
    let joins: Vec<(Vec<JoinStep>, String)> = paths.into_iter().map(|p| (p, w.alias())).collect();
    w.scopes.push(Scope::Aliased {
        base: base.clone(),
        table: s.table,
        joins: joins.clone(),
    });
    let out = select_body(w, s, projection, top, aliases, &base, &joins, &columns);
    w.scopes.pop();
    out
}

#[allow(clippy::too_many_arguments)]
fn select_body(
    w: &mut Writer,
    s: &Select,
    projection: Projection,
    top: bool,
    aliases: Option<&[String]>,
    base: &str,
    joins: &[(Vec<JoinStep>, String)],
    columns: &[&ExprNode],
) -> Result<(), Error> {
    w.raw("SELECT ");
    if s.distinct && projection == Projection::Columns {
        w.raw("DISTINCT ");
    }
    match projection {
        Projection::Columns => {
            for (i, e) in columns.iter().enumerate() {
                if i > 0 {
                    w.raw(", ");
                }
                // In a wrapped query only the selected c* columns are returned
                // as they are; w*/o* columns are compared and sorted.
                let returned = aliases
                    .and_then(|a| a.get(i))
                    .is_none_or(|a| a.starts_with('c'));
                if top && returned {
                    expr_top(w, e)?;
                } else {
                    expr(w, e)?;
                }
                if let Some(name) = aliases.and_then(|a| a.get(i)) {
                    w.raw(" AS ");
                    w.ident(name);
                }
            }
        }
        Projection::Count => w.raw("COUNT(*)"),
        Projection::One => w.raw("1"),
    }
    w.raw(" FROM ");
    w.ident(s.table);
    w.raw(" AS ");
    w.ident(base);
    for (path, alias) in joins {
        let step = path[path.len() - 1];
        let parent_path = &path[..path.len() - 1];
        let parent = if parent_path.is_empty() {
            base.to_owned()
        } else {
            joins
                .iter()
                .find(|(p, _)| p.as_slice() == parent_path)
                .map(|(_, a)| a.clone())
                .unwrap_or_else(|| base.to_owned())
        };
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
        numeric_operand(w, &o.expr, decimal_on_sqlite(w, &o.expr))?;
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
        ExprNode::Value(_) | ExprNode::Outer { .. } | ExprNode::Subquery(_) => {}
        ExprNode::Binary { lhs, rhs, .. } => {
            visit_expr(lhs, f);
            visit_expr(rhs, f);
        }
        ExprNode::Aggregate(a) => {
            if a.over.is_none() {
                if let Some(arg) = &a.arg {
                    visit_expr(arg, f);
                }
                if let Some(c) = &a.filter {
                    visit_cond(c, f);
                }
            }
        }
        ExprNode::Func { args, .. } => args.iter().for_each(|a| visit_expr(a, f)),
        ExprNode::Cast { expr, .. } => visit_expr(expr, f),
        ExprNode::OuterRef { .. } => {}
        ExprNode::Window(win) => {
            if let Some(a) = &win.arg {
                visit_expr(a, f);
            }
            if let WindowFunc::Aggregate(a) = &win.func {
                visit_expr(&ExprNode::Aggregate(a.clone()), f);
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
            w.ident(&a);
            w.raw(".");
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

/// An expression whose value is returned as it is: on SQLite, decimal
/// aggregates are computed exactly from the concatenated values.
fn expr_top(w: &mut Writer, e: &ExprNode) -> Result<(), Error> {
    match e {
        ExprNode::Aggregate(a) => aggregate(w, a, true),
        _ => expr(w, e),
    }
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
                Some(i) if c.path.is_empty() => column(w, i, c)?,
                Some(_) => return Err(unsupported(w, "an OuterRef through a foreign-key path")),
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
        ExprNode::Aggregate(a) => aggregate(w, a, false)?,
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
        ExprNode::Subquery(s) if w.dialect == Dialect::Sqlite && !single_row(s) => {
            // SQLite takes the first row where the other backends raise an
            // error; raise one too (SQLite's JSON path error carries the text).
            let mut second = (**s).clone();
            second.limit = Some(1);
            second.offset = Some(s.offset.unwrap_or(0).saturating_add(1));
            w.raw("CASE WHEN EXISTS (");
            select_into(w, &second, Projection::One, false)?;
            w.raw(") THEN json_extract('{}', 'more than one row returned by a subquery used as an expression') ELSE (");
            select_into(w, s, Projection::Columns, false)?;
            w.raw(") END");
        }
        ExprNode::Subquery(s) if redundant_group(s) => {
            // Grouped only by keys the filter fixes: one group or none, and
            // without COUNT an empty group and no group both give NULL, so
            // the GROUP BY (Django's correlated values(fk) pattern) is dropped.
            let mut plain = (**s).clone();
            plain.group_by.clear();
            w.raw("(");
            select_into(w, &plain, Projection::Columns, false)?;
            w.raw(")");
        }
        ExprNode::Subquery(s) => {
            w.raw("(");
            select_into(w, s, Projection::Columns, false)?;
            w.raw(")");
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

fn aggregate(w: &mut Writer, a: &Aggregate, top: bool) -> Result<(), Error> {
    if let Some(rel) = a.over {
        return relation_aggregate(w, a, rel, top);
    }
    let a = &*super::numeric::in_double_precision(a);
    let d = w.dialect;
    let name = match (a.func, d) {
        (AggFunc::Count, _) => "COUNT",
        (AggFunc::Sum, _) => "SUM",
        (AggFunc::Avg, _) => "AVG",
        (AggFunc::Min, _) => "MIN",
        (AggFunc::Max, _) => "MAX",
        // Registered on SQLite connections (sqlite_functions).
        (AggFunc::StdDev, _) => "STDDEV_POP",
        (AggFunc::StdDevSample, _) => "STDDEV_SAMP",
        (AggFunc::Variance, _) => "VAR_POP",
        (AggFunc::VarianceSample, _) => "VAR_SAMP",
    };
    let exact_decimal = top
        && d == Dialect::Sqlite
        && a.arg_kind == Kind::Decimal
        && matches!(
            a.func,
            AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max
        );
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

/// An aggregate over a multi-valued relation, as a correlated subquery:
/// `(SELECT SUM(..) FROM child WHERE child.fk = parent.pk [AND filter])`.
/// Each such aggregate reads its own rows, so two of them never multiply
/// each other the way two joins would.
fn relation_aggregate(
    w: &mut Writer,
    a: &Aggregate,
    rel: Relation,
    top: bool,
) -> Result<(), Error> {
    let inner = Aggregate {
        over: None,
        filter: None,
        ..a.clone()
    };
    let mut sub = Select::from_table(rel.table());
    sub.columns.push(ExprNode::Aggregate(Box::new(inner)));
    match rel {
        Relation::Reverse {
            fk_column,
            parent_pk,
            pk_kind,
            ..
        } => {
            sub.filter.push(Cond::Cmp {
                lhs: ExprNode::Column(ColumnRef::local(fk_column, false, pk_kind)),
                op: CmpOp::Eq,
                rhs: ExprNode::Outer {
                    levels: 1,
                    column: ColumnRef::local(parent_pk, false, pk_kind),
                },
            });
        }
        Relation::ManyToMany {
            through,
            source_column,
            target_column,
            target_pk,
            parent_pk,
            pk_kind,
            target_kind,
            ..
        } => {
            let mut links = Select::from_table(through);
            links.columns.push(ExprNode::Column(ColumnRef::local(
                target_column,
                false,
                target_kind,
            )));
            links.filter.push(Cond::Cmp {
                lhs: ExprNode::Column(ColumnRef::local(source_column, false, pk_kind)),
                op: CmpOp::Eq,
                rhs: ExprNode::Outer {
                    levels: 2,
                    column: ColumnRef::local(parent_pk, false, pk_kind),
                },
            });
            sub.filter.push(Cond::InSelect {
                lhs: ExprNode::Column(ColumnRef::local(target_pk, false, target_kind)),
                select: Box::new(links),
            });
        }
    }
    if let Some(f) = &a.filter {
        sub.filter.push(f.clone());
    }
    w.raw("(");
    select_into(w, &sub, Projection::Columns, top)?;
    w.raw(")");
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
            let guards: Vec<&ExprNode> = if negated {
                nullable_operands(leaf)
            } else {
                Vec::new()
            };
            if !guards.is_empty() {
                w.raw("(");
            }
            leaf_cond(w, leaf)?;
            for g in &guards {
                w.raw(" AND ");
                expr(w, g)?;
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
        | Cond::Between { lhs, .. } => {
            vec![lhs]
        }
        _ => Vec::new(),
    };
    operands
        .into_iter()
        .filter(|e| matches!(e, ExprNode::Column(col) if col.nullable))
        .collect()
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
            let limited = select.limit.is_some() || select.offset.is_some();
            if w.dialect == Dialect::MySql && (limited || w.writing == Some(select.table)) {
                // MySQL refuses LIMIT inside IN, and reading the table an
                // UPDATE/DELETE writes; a derived table has the same rows.
                w.raw("SELECT * FROM (");
                select_into(w, select, Projection::Columns, false)?;
                w.raw(") AS ");
                w.ident("limited");
            } else {
                select_into(w, select, Projection::Columns, false)?;
            }
            w.raw(")");
        }
        Cond::Exists(select) => {
            w.raw("EXISTS (");
            select_into(w, select, Projection::One, false)?;
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
        FrameBound::Preceding(n) => w.raw(&format!("{n} PRECEDING")),
        FrameBound::CurrentRow => w.raw("CURRENT ROW"),
        FrameBound::Following(n) => w.raw(&format!("{n} FOLLOWING")),
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
        WindowFunc::Ntile(n) => w.raw(&format!("NTILE({n})")),
        WindowFunc::Lag(n) | WindowFunc::Lead(n) => {
            w.raw(if matches!(win.func, WindowFunc::Lag(_)) {
                "LAG("
            } else {
                "LEAD("
            });
            arg(w)?;
            w.raw(&format!(", {n})"));
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
            aggregate(w, a, false)?;
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

/// Whether a scalar subquery returns at most one row whatever the data: a
/// LIMIT of 1, or aggregates without GROUP BY, or grouped only by columns
/// the filter fixes to one value (Django's correlated `values(fk)` pattern).
fn single_row(s: &Select) -> bool {
    if s.limit.is_some_and(|l| l <= 1) {
        return true;
    }
    if !s.columns.iter().any(ExprNode::has_aggregate) {
        return false;
    }
    group_fixed(s)
}

/// Whether every GROUP BY key is fixed to one value by the filter.
fn group_fixed(s: &Select) -> bool {
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
    select_into(&mut w, select, Projection::Columns, true)?;
    Ok(w.finish())
}

/// A scalar subquery whose GROUP BY changes nothing: keys fixed by the
/// filter, no HAVING, and no COUNT (which gives 0 rather than NULL without
/// a group).
fn redundant_group(s: &Select) -> bool {
    fn counts(e: &ExprNode) -> bool {
        match e {
            ExprNode::Aggregate(a) => {
                a.func == AggFunc::Count || a.arg.as_ref().is_some_and(counts)
            }
            ExprNode::Binary { lhs, rhs, .. } => counts(lhs) || counts(rhs),
            ExprNode::Func { args, .. } => args.iter().any(counts),
            ExprNode::Cast { expr, .. } => counts(expr),
            ExprNode::Case { whens, default, .. } => {
                whens.iter().any(|(_, v)| counts(v)) || default.as_deref().is_some_and(counts)
            }
            _ => false,
        }
    }
    !s.group_by.is_empty()
        && s.having.is_empty()
        && s.columns.iter().all(|c| c.has_aggregate() && !counts(c))
        && group_fixed(s)
}

/// On PostgreSQL, a list of non-NULL values of one kind as one array value.
fn pg_array(w: &Writer, items: &[ExprNode]) -> Option<Value> {
    if w.dialect != Dialect::Postgres {
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
