//! An aggregate over a multi-valued relation of each row becomes a
//! correlated subquery over the related rows:
//! `(SELECT SUM(..) FROM child WHERE child.fk = parent.pk [AND filter])`.
//! Each such aggregate reads its own rows, so two of them never multiply
//! each other the way two joins would.

use orm_core::ast::{Aggregate, CmpOp, ColumnRef, Cond, ExprNode, Relation, Select};
use orm_core::visit_mut::{VisitMut, walk_expr_mut, walk_level_mut};

/// Rewrites the relation aggregates of one query level.
pub(super) fn apply(s: &mut Select) {
    walk_level_mut(&mut Correlate, s);
}

struct Correlate;

impl VisitMut for Correlate {
    fn visit_expr_mut(&mut self, e: &mut ExprNode) {
        if let ExprNode::Aggregate(a) = e
            && let Some(rel) = a.over
        {
            let sub = correlated(rel, a);
            *e = sub;
        } else {
            walk_expr_mut(self, e);
        }
    }
    // Nested selects are their own levels.
    fn visit_select_mut(&mut self, _: &mut Select) {}
}

/// The related rows of the current row of the enclosing query (`levels`
/// scopes out), as conditions on a select of the related table.
pub(super) fn of_parent(rel: Relation, levels: u32) -> (Select, Cond) {
    let sub = Select::from_table(rel.table());
    let cond = match rel {
        Relation::Reverse {
            fk_column,
            parent_pk,
            pk_kind,
            ..
        } => Cond::Cmp {
            lhs: ExprNode::Column(ColumnRef::local(fk_column, false, pk_kind)),
            op: CmpOp::Eq,
            rhs: ExprNode::Outer {
                levels,
                column: ColumnRef::local(parent_pk, false, pk_kind),
            },
        },
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
                    levels: levels + 1,
                    column: ColumnRef::local(parent_pk, false, pk_kind),
                },
            });
            Cond::InSelect {
                lhs: ExprNode::Column(ColumnRef::local(target_pk, false, target_kind)),
                select: Box::new(links),
            }
        }
    };
    (sub, cond)
}

/// The subquery of an aggregate over `rel`, its parts moved out of `a`.
fn correlated(rel: Relation, a: &mut Aggregate) -> ExprNode {
    let filter = a.filter.take();
    let inner = Aggregate {
        arg: a.arg.take(),
        filter: None,
        over: None,
        ..*a
    };
    let (mut sub, link) = of_parent(rel, 1);
    sub.columns.push(ExprNode::Aggregate(Box::new(inner)));
    sub.filter.push(link);
    if let Some(f) = filter {
        sub.filter.push(f);
    }
    ExprNode::Subquery(Box::new(sub))
}
