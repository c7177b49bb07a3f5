//! SELECT statements: aliases and left-deep join chains for foreign-key
//! paths, the select list, WHERE/GROUP BY/HAVING, ordering and limits,
//! EXPLAIN. Expressions are in `expr`, conditions in `cond`, functions in
//! `functions`.

use super::cond::*;
use super::expr::*;
use super::{Statement, Writer};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{ColumnRef, Cond, ExprNode, JoinStep, OrderItem, Select};
use orm_core::value::Value;

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
pub(crate) fn alias_ident(w: &mut Writer, a: Alias) {
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
        /// The base table (empty for a derived table).
        table: &'static str,
        joins: Vec<(Vec<JoinStep>, Alias)>,
    },
    /// Bare column names (single-table UPDATE and DELETE of `table`).
    Bare { table: &'static str },
}

impl Scope {
    pub(crate) fn alias_of(&self, path: &[JoinStep]) -> Option<Alias> {
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

pub(crate) fn unsupported(w: &Writer, feature: &str) -> Error {
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
/// the paths it uses) or derived table, then its clauses. A correlated
/// subquery binds its scope to the query it is written in, where its outer
/// references resolve.
pub(crate) fn select_into(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
    let Some(scope) = s.correlated else {
        return select_level(w, s, projection);
    };
    match w.scopes.len().checked_sub(1) {
        Some(at) => w.bindings.push((scope, at)),
        None => return select_level(w, s, projection),
    }
    let out = select_level(w, s, projection);
    w.bindings.pop();
    out
}

fn select_level(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
    if let Some(d) = &s.source {
        // A derived table: its columns are referred to by name, and it is
        // not a query over the model (no outer reference resolves to it).
        // The derived table itself is written outside this scope.
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
pub(crate) fn select_list(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
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
pub(crate) fn join_chain(w: &mut Writer, base: Alias, joins: &[(Vec<JoinStep>, Alias)]) {
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
pub(crate) fn clauses(w: &mut Writer, s: &Select, projection: Projection) -> Result<(), Error> {
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

pub(crate) fn conds_sep(
    w: &mut Writer,
    list: &[Cond],
    sep: &str,
    negated: bool,
) -> Result<(), Error> {
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

pub(crate) fn order_by(w: &mut Writer, order: &[OrderItem]) -> Result<(), Error> {
    if order.is_empty() {
        return Ok(());
    }
    w.raw(" ORDER BY ");
    order_keys(w, order)
}

/// `key ASC|DESC, ..`.
pub(crate) fn order_keys(w: &mut Writer, order: &[OrderItem]) -> Result<(), Error> {
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
pub(crate) fn direction(w: &mut Writer, o: &OrderItem) {
    w.raw(if o.desc { " DESC" } else { " ASC" });
    if w.dialect == Dialect::Postgres && o.expr.nullable() {
        w.raw(if o.desc {
            " NULLS LAST"
        } else {
            " NULLS FIRST"
        });
    }
}

pub(crate) fn limit_offset(w: &mut Writer, limit: Option<u64>, offset: Option<u64>) {
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
