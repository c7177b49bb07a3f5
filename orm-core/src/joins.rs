//! Which join a condition's multi-valued hops use. Django's rule for
//! relations that reach several rows: the conditions of one `filter()`
//! call are about the same related row (they share the join), and a later
//! `filter()` call on a relation the query already joins gets a join of
//! its own, so its conditions may be about a different related row.
//! Selected values, ordering and the first `filter()` on a relation share
//! its join (join 0).

use crate::ast::{Aggregate, ColumnRef, Cond, ExprNode, JoinStep, Relation, Select};
use crate::fold::{Fold, walk_cond, walk_expr};
use crate::visit::Visit;
use std::borrow::Cow;

/// The path up to and including its first multi-valued hop.
fn many_prefix(path: &[JoinStep]) -> Option<&[JoinStep]> {
    let i = path.iter().position(|s| s.many)?;
    Some(&path[..=i])
}

/// Collects the multi-valued prefixes one query level reaches, and the
/// largest join number it uses.
#[derive(Default)]
struct Reached {
    prefixes: Vec<Vec<JoinStep>>,
    max_join: u32,
}

impl Visit for Reached {
    fn visit_expr(&mut self, e: &ExprNode) {
        if let ExprNode::Column(c) = e {
            for s in c.path.iter() {
                self.max_join = self.max_join.max(s.join);
            }
            if let Some(p) = many_prefix(&c.path)
                && !self.prefixes.iter().any(|q| q.as_slice() == p)
            {
                self.prefixes.push(p.to_vec());
            }
        }
        crate::visit::walk_expr(self, e);
    }
    // Subqueries have their own joins.
    fn visit_select(&mut self, _: &Select) {}
}

/// What one query level (not its derived table or subqueries) reaches.
fn reached(s: &Select) -> Reached {
    let mut r = Reached::default();
    crate::visit::walk_level(&mut r, s);
    r
}

/// Moves a condition's multi-valued hops that the query already joins to
/// a join of their own, one per relation, shared within the condition.
pub fn separate<M>(qs: &crate::queryset::QuerySet<M>, cond: Cond) -> Cond {
    let mut own = Reached::default();
    own.visit_cond(&cond);
    if own.prefixes.is_empty() {
        return cond;
    }
    let existing = reached(&qs.statement());
    let clashing: Vec<Vec<JoinStep>> = own
        .prefixes
        .into_iter()
        .filter(|p| existing.prefixes.contains(p))
        .collect();
    if clashing.is_empty() {
        return cond;
    }
    let mut renumber = Renumber {
        clashing,
        first: existing.max_join.max(own.max_join) + 1,
    };
    renumber.fold_cond(cond)
}

/// Gives the `i`-th clashing prefix the join number `first + i`.
struct Renumber {
    clashing: Vec<Vec<JoinStep>>,
    first: u32,
}

impl Fold for Renumber {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Column(c) => {
                let found = many_prefix(&c.path)
                    .and_then(|p| self.clashing.iter().position(|q| q.as_slice() == p));
                match found {
                    Some(i) => {
                        let at = c.path.iter().position(|s| s.many).unwrap_or(0);
                        let mut path = c.path.into_owned();
                        path[at].join = self.first + u32::try_from(i).unwrap_or(0);
                        ExprNode::Column(ColumnRef {
                            path: Cow::Owned(path),
                            ..c
                        })
                    }
                    None => ExprNode::Column(c),
                }
            }
            e => walk_expr(self, e),
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}

/// Moves the columns of an expression or condition about the related
/// rows behind the join steps that reach them.
pub struct Prefix<'a> {
    /// The steps to put in front of every column.
    pub steps: &'a [JoinStep],
    /// Whether the joined columns become nullable (LEFT JOINs).
    pub nullable: bool,
}

impl Fold for Prefix<'_> {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Column(c) => {
                let mut path = self.steps.to_vec();
                path.extend_from_slice(&c.path);
                ExprNode::Column(ColumnRef {
                    path: Cow::Owned(path),
                    column: c.column,
                    nullable: c.nullable || self.nullable,
                    kind: c.kind,
                })
            }
            e => walk_expr(self, e),
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}

/// The aggregate over the joined related rows.
pub fn joined(a: Aggregate, rel: Relation, nullable: bool) -> Aggregate {
    let (steps, key) = (rel.steps(), rel.key());
    let mut prefix = Prefix {
        steps: &steps,
        nullable,
    };
    let arg = match a.arg {
        Some(arg) => prefix.fold_expr(arg),
        // Count(relation): the related rows that exist.
        None => ExprNode::Column(key),
    };
    Aggregate {
        arg: Some(arg),
        filter: a.filter.map(|f| walk_cond(&mut prefix, f)),
        over: None,
        ..a
    }
}

/// Django's "order of `filter()` and `annotate()`": an aggregate over a
/// relation annotated after a `filter()` that joined the same relation
/// aggregates the joined rows that filter kept
/// (`filter(Publisher::books.then(Book::rating).gt(4.0)).annotate(Count(Publisher::books))`
/// counts each publisher's books rated above 4). Other relation aggregates
/// keep their own rows.
pub fn restricted_by_filters<M>(qs: &crate::queryset::QuerySet<M>, node: ExprNode) -> ExprNode {
    let mut own = Reached::default();
    for c in &qs.select().filter {
        own.visit_cond(c);
    }
    if own.prefixes.is_empty() {
        return node;
    }
    Restrict(&own.prefixes).fold_expr(node)
}

struct Restrict<'a>(&'a [Vec<JoinStep>]);

impl Fold for Restrict<'_> {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Aggregate(a) => match a.over {
                Some(rel) if self.0.iter().any(|p| rel.steps().starts_with(p)) => {
                    ExprNode::Aggregate(Box::new(joined(*a, rel, true)))
                }
                _ => walk_expr(self, ExprNode::Aggregate(a)),
            },
            e => walk_expr(self, e),
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}
