//! An aggregate over a multi-valued relation of each row becomes a
//! correlated subquery over the related rows:
//! `(SELECT SUM(..) FROM child WHERE child.fk = parent.pk [AND filter])`.
//! Each such aggregate reads its own rows, so two of them never multiply
//! each other the way two joins would.

use orm_core::ast::{Aggregate, CmpOp, ColumnRef, Cond, ExprNode, Relation, Select};
use orm_core::fold::{Fold, walk_expr, walk_level};

/// Rewrites the relation aggregates of one query level.
pub(super) fn apply(s: Select) -> Select {
    walk_level(&mut Correlate, s)
}

struct Correlate;

impl Fold for Correlate {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Aggregate(a) if a.over.is_some() => correlated(*a),
            e => walk_expr(self, e),
        }
    }
    // Nested selects are their own levels.
    fn fold_select(&mut self, s: Select) -> Select {
        s
    }
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

fn correlated(a: Aggregate) -> ExprNode {
    let Some(rel) = a.over else {
        return ExprNode::Aggregate(Box::new(a));
    };
    let filter = a.filter.clone();
    let inner = Aggregate {
        over: None,
        filter: None,
        ..a
    };
    let (mut sub, link) = of_parent(rel, 1);
    sub.columns.push(ExprNode::Aggregate(Box::new(inner)));
    sub.filter.push(link);
    if let Some(f) = filter {
        sub.filter.push(f);
    }
    ExprNode::Subquery(Box::new(sub))
}
