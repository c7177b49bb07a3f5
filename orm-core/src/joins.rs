//! Which join a condition's multi-valued hops use. Django's rule for
//! relations that reach several rows: the conditions of one `filter()`
//! call are about the same related row (they share the join), and a later
//! `filter()` call on a relation the query already joins gets a join of
//! its own, so its conditions may be about a different related row.
//! Selected values, ordering and the first `filter()` on a relation share
//! its join (join 0).

use crate::ast::{ColumnRef, Cond, ExprNode, JoinStep, Select};
use crate::fold::{Fold, walk_expr};
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

impl Fold for Reached {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        if let ExprNode::Column(c) = &e {
            for s in c.path.iter() {
                self.max_join = self.max_join.max(s.join);
            }
            if let Some(p) = many_prefix(&c.path)
                && !self.prefixes.iter().any(|q| q.as_slice() == p)
            {
                self.prefixes.push(p.to_vec());
            }
        }
        walk_expr(self, e)
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}

fn reached(s: &Select) -> Reached {
    let mut r = Reached::default();
    let mut probe = s.clone();
    probe.source = None;
    crate::fold::walk_select(&mut r, probe);
    r
}

/// Moves a condition's multi-valued hops that the query already joins to
/// a join of their own, one per relation, shared within the condition.
pub fn separate<M>(qs: &crate::queryset::QuerySet<M>, cond: Cond) -> Cond {
    let mut own = Reached::default();
    let cond = own.fold_cond(cond);
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
