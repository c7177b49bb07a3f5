//! `aggregate()` over a relation (`Author::objects().aggregate(Avg(Author::
//! friends.then(Author::age)))`) aggregates the related rows of exactly the
//! queryset's rows, one value per (row, related row) pair as in Django's
//! join, in a subquery of its own:
//! `(SELECT AVG(f.age) FROM author_friends AS l INNER JOIN author AS f ON ..
//! WHERE l.from_id IN (SELECT id FROM author WHERE <the queryset's filter>))`.
//! Next to plain aggregates, or to aggregates over another relation, each
//! keeps its own rows, so none inflates another.

use super::relation_join::Prefix;
use super::unsupported;
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{Aggregate, ColumnRef, Cond, ExprNode, JoinStep, Relation, Select};
use orm_core::fold::{Fold, walk_cond, walk_expr, walk_level};
use std::borrow::Cow;

/// Rewrites the relation aggregates of an `aggregate()` level (a select
/// reading its queryset as a derived table).
pub(super) fn apply(s: &mut Select, dialect: Dialect) -> Result<(), Error> {
    if s.source.is_none() {
        return Ok(());
    }
    super::owned(s, |s| rewrite(s, dialect))
}

fn rewrite(s: Select, dialect: Dialect) -> Result<Select, Error> {
    let Some(source) = &s.source else {
        return Ok(s);
    };
    let inner = (*source.select).clone();
    let mut rows = Rows {
        inner,
        dialect,
        in_aggregate: false,
        error: None,
    };
    let s = walk_level(&mut rows, s);
    match rows.error {
        Some(e) => Err(e),
        None => Ok(s),
    }
}

struct Rows {
    inner: Select,
    dialect: Dialect,
    /// Inside another aggregate's argument: an aggregate there is a value
    /// of each of the queryset's rows (an annotation), not of the level.
    in_aggregate: bool,
    error: Option<Error>,
}

impl Fold for Rows {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Aggregate(a) if self.in_aggregate => ExprNode::Aggregate(a),
            ExprNode::Aggregate(a) => match a.over {
                Some(rel) => match related_rows(*a, rel, &self.inner, self.dialect) {
                    Ok(e) => e,
                    Err(err) => {
                        self.error = Some(err);
                        ExprNode::Value(orm_core::value::Value::Null(orm_core::value::Kind::I64))
                    }
                },
                None => {
                    self.in_aggregate = true;
                    let a = orm_core::fold::walk_aggregate(self, *a);
                    self.in_aggregate = false;
                    ExprNode::Aggregate(Box::new(a))
                }
            },
            e => walk_expr(self, e),
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}

/// `SELECT <parent key> FROM <the queryset's rows>`.
fn parent_keys(inner: &Select, parent_pk: &'static str, kind: orm_core::value::Kind) -> Select {
    let mut keys = inner.clone();
    keys.columns = vec![ExprNode::Column(ColumnRef::local(parent_pk, false, kind))];
    keys.names.clear();
    keys.distinct = false;
    if keys.limit.is_none() && keys.offset.is_none() {
        keys.order.clear();
    }
    keys
}

fn related_rows(
    a: Aggregate,
    rel: Relation,
    inner: &Select,
    dialect: Dialect,
) -> Result<ExprNode, Error> {
    if !inner.group_by.is_empty() || inner.source.is_some() {
        return Err(unsupported(
            dialect,
            "aggregate() over a relation of grouped values() rows",
        ));
    }
    let agg = |a: Aggregate, prefix: Option<&[JoinStep]>| {
        let (arg, filter) = match prefix {
            Some(steps) => {
                let mut p = Prefix {
                    steps,
                    nullable: false,
                };
                (
                    a.arg.map(|e| p.fold_expr(e)),
                    a.filter.map(|c| walk_cond(&mut p, c)),
                )
            }
            None => (a.arg, a.filter),
        };
        Aggregate {
            arg,
            filter,
            over: None,
            ..a
        }
    };
    let sub = match rel {
        Relation::Reverse {
            table,
            fk_column,
            parent_pk,
            pk_kind,
        } => {
            let mut sub = Select::from_table(table);
            sub.columns
                .push(ExprNode::Aggregate(Box::new(agg(a, None))));
            sub.filter.push(Cond::InSelect {
                lhs: ExprNode::Column(ColumnRef::local(fk_column, false, pk_kind)),
                select: Box::new(parent_keys(inner, parent_pk, pk_kind)),
            });
            sub
        }
        Relation::ManyToMany {
            through,
            source_column,
            target_pk,
            parent_pk,
            pk_kind,
            ..
        } => {
            // One row per link, joined to the related row it names (an
            // inner join: every link names one).
            let mut step = [rel.steps()[1]];
            step[0].nullable = false;
            let mut sub = Select::from_table(through);
            let mut a = agg(a, Some(&step));
            if a.arg.is_none() {
                a.arg = Some(ExprNode::Column(ColumnRef {
                    path: Cow::Owned(step.to_vec()),
                    column: target_pk,
                    nullable: false,
                    kind: a.arg_kind,
                }));
            }
            sub.columns.push(ExprNode::Aggregate(Box::new(a)));
            sub.filter.push(Cond::InSelect {
                lhs: ExprNode::Column(ColumnRef::local(source_column, false, pk_kind)),
                select: Box::new(parent_keys(inner, parent_pk, pk_kind)),
            });
            sub
        }
    };
    Ok(ExprNode::Subquery(Box::new(sub)))
}
