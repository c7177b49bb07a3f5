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
use orm_core::fold::{Fold, walk_cond, walk_expr};
use std::borrow::Cow;

/// Rewrites the negated conditions of one query level's WHERE.
pub(super) fn apply(mut s: Select) -> Select {
    let filter = std::mem::take(&mut s.filter);
    s.filter = filter
        .into_iter()
        .map(|c| Negated { depth: 0 }.fold_cond(c))
        .collect();
    s
}

struct Negated {
    depth: u32,
}

impl Fold for Negated {
    fn fold_cond(&mut self, c: Cond) -> Cond {
        match c {
            Cond::Not(inner) => {
                self.depth += 1;
                let inner = self.fold_cond(*inner);
                self.depth -= 1;
                Cond::Not(Box::new(inner))
            }
            Cond::All(_) | Cond::Any(_) => walk_cond(self, c),
            Cond::Exists(_) => c,
            leaf if self.depth > 0 => related_rows(leaf),
            leaf => leaf,
        }
    }
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
}

/// The first multi-valued hop a condition's columns reach: the path before
/// it and the hop.
fn first_many(c: &Cond) -> Option<(Vec<JoinStep>, JoinStep)> {
    struct Find(Option<(Vec<JoinStep>, JoinStep)>);
    impl Fold for Find {
        fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
            if self.0.is_none()
                && let ExprNode::Column(col) = &e
                && let Some(i) = col.path.iter().position(|s| s.many)
            {
                self.0 = Some((col.path[..i].to_vec(), col.path[i]));
            }
            walk_expr(self, e)
        }
        fn fold_select(&mut self, s: Select) -> Select {
            s
        }
    }
    let mut f = Find(None);
    f.fold_cond(c.clone());
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

fn related_rows(leaf: Cond) -> Cond {
    let Some((prefix, hop)) = first_many(&leaf) else {
        return leaf;
    };
    let mut through = prefix.clone();
    through.push(hop);
    let mut reroot = Reroot {
        through,
        foreign: false,
    };
    let inner = reroot.fold_cond(leaf.clone());
    if reroot.foreign {
        return leaf;
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
    Cond::InSelect {
        lhs: ExprNode::Column(ColumnRef {
            path: Cow::Owned(prefix),
            column: hop.fk_column,
            nullable: false,
            kind: key_kind,
        }),
        select: Box::new(sub),
    }
}
