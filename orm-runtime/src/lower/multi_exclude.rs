//! `exclude()` through a multi-valued relation means "no related row
//! matches", as in Django: under a negation, each condition on a column
//! reached through a reverse foreign key or a many-to-many link becomes a
//! test of the parent's key against the related rows that match,
//! `NOT ("t0"."id" IN (SELECT "t1"."publisher_id" FROM "books" AS "t1"
//! WHERE "t1"."rating" > ? AND "t1"."publisher_id" IS NOT NULL))`, so a
//! parent with no related row is kept and one related row that matches is
//! enough to drop it. Each condition is tested on its own, as Django
//! documents for `exclude()` with several conditions.

use orm_core::ast::{ColumnRef, Cond, ExprNode, JoinStep, Select};
use orm_core::fold::{Fold, walk_expr};
use orm_core::visit::Visit;
use orm_core::visit_mut::{VisitMut, walk_cond_mut};
use std::borrow::Cow;

/// Rewrites the negated conditions of one query level's WHERE.
pub(super) fn apply(s: &mut Select) {
    for c in &mut s.filter {
        Negated { depth: 0 }.visit_cond_mut(c);
    }
}

struct Negated {
    depth: u32,
}

impl VisitMut for Negated {
    fn visit_cond_mut(&mut self, c: &mut Cond) {
        match c {
            Cond::Not(inner) => {
                self.depth += 1;
                self.visit_cond_mut(inner);
                self.depth -= 1;
            }
            Cond::All(_) | Cond::Any(_) => walk_cond_mut(self, c),
            Cond::Exists(_) => {}
            leaf if self.depth > 0 => related_rows(leaf),
            _ => {}
        }
    }
    fn visit_select_mut(&mut self, _: &mut Select) {}
}

/// The first multi-valued hop a condition's columns reach: the path before
/// it and the hop.
fn first_many(c: &Cond) -> Option<(Vec<JoinStep>, JoinStep)> {
    struct Find(Option<(Vec<JoinStep>, JoinStep)>);
    impl Visit for Find {
        fn visit_expr(&mut self, e: &ExprNode) {
            if self.0.is_none()
                && let ExprNode::Column(col) = e
                && let Some(i) = col.path.iter().position(|s| s.many)
            {
                self.0 = Some((col.path[..i].to_vec(), col.path[i]));
            }
            orm_core::visit::walk_expr(self, e);
        }
        fn visit_select(&mut self, _: &Select) {}
    }
    let mut f = Find(None);
    f.visit_cond(c);
    f.0
}

/// Re-roots the columns behind `prefix` + `hop` at the hop's table; any
/// other column of the outer query makes the rewrite impossible.
struct Reroot {
    through: Vec<JoinStep>,
    foreign: bool,
}

impl Fold for Reroot {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Column(c) if c.path.starts_with(&self.through) => {
                ExprNode::Column(ColumnRef {
                    path: Cow::Owned(c.path[self.through.len()..].to_vec()),
                    ..c
                })
            }
            ExprNode::Column(c) => {
                self.foreign = true;
                ExprNode::Column(c)
            }
            e => walk_expr(self, e),
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}

/// Rewrites a negated leaf condition through a multi-valued hop.
fn related_rows(leaf: &mut Cond) {
    let Some((prefix, hop)) = first_many(leaf) else {
        return;
    };
    let mut through = prefix.clone();
    through.push(hop);
    let mut reroot = Reroot {
        through,
        foreign: false,
    };
    let inner = reroot.fold_cond(leaf.clone());
    if reroot.foreign {
        return;
    }
    let key_kind = orm_core::value::Kind::I64;
    let referring = ColumnRef::local(hop.pk_column, true, key_kind);
    let mut sub = Select::from_table(hop.table);
    sub.columns.push(ExprNode::Column(referring.clone()));
    sub.filter.push(inner);
    sub.filter.push(Cond::IsNull {
        lhs: ExprNode::Column(referring),
        is_null: false,
    });
    *leaf = Cond::InSelect {
        lhs: ExprNode::Column(ColumnRef {
            path: Cow::Owned(prefix),
            column: hop.fk_column,
            nullable: false,
            kind: key_kind,
        }),
        select: Box::new(sub),
    };
}
