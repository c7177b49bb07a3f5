//! Lowering: the statement tree a queryset builds is turned into a simpler
//! tree with the same meaning, which the writer (`render`) then spells
//! without deciding anything. Each rewrite is a named rule in its own
//! module, applied in a fixed order:
//!
//! 1. [`exact_decimal`]: top-level decimal aggregates on SQLite are handed
//!    to the executor as lists (SQLite has no decimal arithmetic).
//! 2. [`relation_rows`]: an aggregate over a relation in `aggregate()` runs
//!    over the related rows of exactly the queryset's rows.
//! 3. [`aggregate_source`]: `aggregate()` over a sliced, distinct or grouped
//!    queryset reads it as a derived table; over a plain one it is merged.
//! 4. [`relation_join`]: in a grouped `values()` query, an aggregate over a
//!    relation joins the relation (Django's result: one value per pair).
//! 5. [`grouping`]: a query selecting aggregates next to plain values is
//!    grouped by those values (and by its ordering keys).
//! 6. [`count`]: `count()` of a distinct, sliced or grouped query counts the
//!    rows of a derived table.
//! 7. [`outer_paths`]: a query level joins the foreign-key paths its
//!    subqueries' outer references reach from its rows.
//! 8. [`multi_exclude`]: under a negation, a condition through a
//!    multi-valued relation tests the parent's key against the related rows
//!    that match ("no related row matches").
//! 9. [`relation_aggregate`]: an aggregate over a relation of each row is a
//!    correlated subquery, so two relations never multiply each other.
//! 10. [`group_ordinal`] (HAVING part): a HAVING condition on a computed
//!     group key moves to the window-filter wrapping.
//! 11. [`window_filter`]: a condition on a window function filters a
//!     derived table that computes it.
//! 12. [`distinct_order`]: `SELECT DISTINCT` selects its ordering keys.
//! 13. [`redundant_group`]: a scalar subquery grouped only by keys its
//!     filter fixes loses the GROUP BY.
//! 14. [`one_row_guard`]: on SQLite, a scalar subquery that may return more
//!     than one row raises an error as on the other backends.
//! 15. [`limited_in`]: on MySQL, `IN (SELECT .. LIMIT)` and reads of the
//!     table being written go through a derived table.
//! 16. [`duration_average`]: the average of a duration is the integer
//!     quotient of its sum by its count, the same on every backend.
//! 17. [`double_precision`]: `Avg` of integers and `StdDev`/`Variance`
//!     compute in double precision on every backend.
//! 18. [`group_ordinal`]: on PostgreSQL and MySQL, a computed GROUP BY key
//!     is written once, as its position in the select list (an ordering-only
//!     one is first added to the top-level select list).

mod aggregate_source;
mod count;
mod distinct_order;
mod double_precision;
mod duration_average;
mod exact_decimal;
mod features;
mod group_ordinal;
mod grouping;
mod limited_in;
mod multi_exclude;
mod one_row_guard;
mod outer_paths;
mod redundant_group;
mod relation_aggregate;
mod relation_join;
mod relation_rows;
mod window_filter;

use crate::dialect::Dialect;
use crate::error::Error;
use crate::render::select::Projection;
use orm_core::ast::{Cond, Delete, ExprNode, Select, Update};
use orm_core::visit_mut::{VisitMut, walk_cond_mut, walk_expr_mut, walk_select_mut};

/// A lowering rule failed: the query cannot be run as asked.
pub(crate) fn unsupported(dialect: Dialect, feature: &str) -> Error {
    Error::Render {
        dialect,
        feature: feature.to_owned(),
    }
}

/// Column names of derived tables: `c0`, `c1`, ...
pub(crate) const NAMES: [&str; 64] = [
    "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12", "c13", "c14",
    "c15", "c16", "c17", "c18", "c19", "c20", "c21", "c22", "c23", "c24", "c25", "c26", "c27",
    "c28", "c29", "c30", "c31", "c32", "c33", "c34", "c35", "c36", "c37", "c38", "c39", "c40",
    "c41", "c42", "c43", "c44", "c45", "c46", "c47", "c48", "c49", "c50", "c51", "c52", "c53",
    "c54", "c55", "c56", "c57", "c58", "c59", "c60", "c61", "c62", "c63",
];

/// Applies `rule` to the select and to every select nested in it, inner
/// selects first, in place.
pub(crate) fn every_level(
    s: &mut Select,
    rule: &mut dyn FnMut(&mut Select) -> Result<(), Error>,
) -> Result<(), Error> {
    struct Levels<'a> {
        rule: &'a mut dyn FnMut(&mut Select) -> Result<(), Error>,
        error: Option<Error>,
    }
    impl VisitMut for Levels<'_> {
        fn visit_select_mut(&mut self, s: &mut Select) {
            walk_select_mut(self, s);
            if self.error.is_none()
                && let Err(e) = (self.rule)(s)
            {
                // The statement is abandoned: what is left is never written.
                self.error = Some(e);
            }
        }
    }
    let mut levels = Levels { rule, error: None };
    levels.visit_select_mut(s);
    match levels.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// [`every_level`] for a statement whose features are `f`: the top level
/// alone when it nests no select.
fn levels(
    s: &mut Select,
    f: &features::Features,
    rule: &mut dyn FnMut(&mut Select) -> Result<(), Error>,
) -> Result<(), Error> {
    if f.nested() {
        every_level(s, rule)
    } else {
        rule(s)
    }
}

/// Runs a rule written over an owned select on `s` in place.
pub(crate) fn owned(
    s: &mut Select,
    rule: impl FnOnce(Select) -> Result<Select, Error>,
) -> Result<(), Error> {
    let taken = std::mem::replace(s, Select::from_table(""));
    *s = rule(taken)?;
    Ok(())
}

/// Lowers a select for `dialect`, returning the select to write and what
/// to write as its select list.
pub(crate) fn select(
    mut s: Select,
    projection: Projection,
    dialect: Dialect,
) -> Result<(Select, Projection), Error> {
    if projection == Projection::Columns {
        exact_decimal::top(&mut s, dialect);
    }
    // One read-only scan decides which rules can apply; the rules below
    // only add what the later gates already allow for (see `shared`).
    let mut f = features::Features::of(&s);
    if f.source {
        if f.relation_aggregate {
            every_level(&mut s, &mut |s| relation_rows::apply(s, dialect))?;
        }
        every_level(&mut s, &mut |s| aggregate_source::apply(s, dialect))?;
        // The related rows of relation aggregates are subqueries.
        f.subquery = true;
    }
    if f.grouped {
        let relations = f.relation_aggregate;
        let mut computed_key = false;
        levels(&mut s, &f, &mut |s| {
            if relations {
                relation_join::apply(s, dialect)?;
            }
            grouping::apply(s);
            computed_key |= s.group_by.iter().any(group_ordinal::computed);
            Ok(())
        })?;
        f.computed_key |= computed_key;
    }
    let (mut s, projection) = count::apply(s, projection);
    // Counting some queries reads them as a derived table.
    f.source |= s.source.is_some();
    if projection == Projection::Columns {
        group_ordinal::select_order_keys(&mut s, dialect);
    }
    shared(&mut s, f, dialect, None)?;
    Ok((s, projection))
}

/// The rules every statement kind goes through, after the query-shaping
/// ones: relation aggregates, window filters, subquery shapes per backend.
/// `f` holds at least the features of `s`.
fn shared(
    s: &mut Select,
    mut f: features::Features,
    dialect: Dialect,
    writing: Option<&'static str>,
) -> Result<(), Error> {
    // Rules about one query level, in order, each level after its inner
    // ones; each is skipped where the scan found nothing it rewrites.
    if f.level_rules() {
        levels(s, &f, &mut |s| {
            if f.outer_path {
                outer_paths::apply(s);
            }
            if f.negation {
                multi_exclude::apply(s);
            }
            if f.relation_aggregate {
                relation_aggregate::apply(s);
            }
            group_ordinal::wrap_having(s, dialect);
            window_filter::apply(s, dialect)?;
            distinct_order::nested(s);
            Ok(())
        })?;
        // Relation aggregates and exclusions through relations become
        // subqueries, which the node rules must see; window filters (also
        // of HAVING conditions moved there) read derived tables.
        f.subquery |= f.relation_aggregate || f.negation;
        f.source |= f.qualify || f.having;
    }
    if !f.subquery && !f.grouped {
        return Ok(());
    }
    // Rules about one node, applied in one walk, children first.
    let mut nodes = Nodes {
        dialect,
        writing,
        window_average: false,
    };
    walk_select_mut(&mut nodes, s);
    if nodes.window_average {
        return Err(unsupported(
            dialect,
            "Avg of a duration as a window function",
        ));
    }
    if !f.computed_key || dialect == Dialect::Sqlite {
        return Ok(());
    }
    levels(s, &f, &mut |s| {
        group_ordinal::apply(s, dialect);
        Ok(())
    })
}

/// The node rules: redundant GROUP BYs of scalar subqueries, SQLite's
/// one-row guard, MySQL's derived table for `IN (SELECT ..)`, duration
/// averages and double-precision aggregates.
struct Nodes {
    dialect: Dialect,
    writing: Option<&'static str>,
    window_average: bool,
}

impl VisitMut for Nodes {
    fn visit_expr_mut(&mut self, e: &mut ExprNode) {
        walk_expr_mut(self, e);
        redundant_group::node(e);
        if self.dialect == Dialect::Sqlite {
            one_row_guard::node(e);
        }
        if duration_average::node(e).is_err() {
            self.window_average = true;
        }
        double_precision::node(e);
    }
    fn visit_cond_mut(&mut self, c: &mut Cond) {
        walk_cond_mut(self, c);
        if self.dialect == Dialect::MySql {
            limited_in::node(c, self.writing);
        }
    }
}

/// Lowers the expressions and conditions of an UPDATE.
pub(crate) fn update(up: Update, dialect: Dialect) -> Result<Update, Error> {
    let mut probe = Select::from_table(up.table);
    let n = up.set.len();
    let (names, exprs): (Vec<_>, Vec<_>) = up.set.into_iter().unzip();
    probe.columns = exprs;
    probe.filter = up.filter;
    // The written table's own level has no window filter, DISTINCT or
    // GROUP BY for the level rules to reshape.
    let f = features::Features::of(&probe);
    shared(&mut probe, f, dialect, Some(up.table))?;
    debug_assert_eq!(probe.columns.len(), n);
    Ok(Update {
        table: up.table,
        set: names.into_iter().zip(probe.columns).collect(),
        filter: probe.filter,
    })
}

/// Lowers the conditions of a DELETE.
pub(crate) fn delete(del: Delete, dialect: Dialect) -> Result<Delete, Error> {
    let mut probe = Select::from_table(del.table);
    probe.filter = del.filter;
    let f = features::Features::of(&probe);
    shared(&mut probe, f, dialect, Some(del.table))?;
    Ok(Delete {
        table: del.table,
        filter: probe.filter,
    })
}
