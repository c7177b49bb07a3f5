//! SQL computes window functions after WHERE, so a condition on one
//! filters a derived table that computes it. The inner query names its
//! columns `c0..` (selected), `w0..` (values the conditions test) and
//! `o0..` (ordering keys); the outer query selects the `c` columns, tests
//! the `w` columns and sorts by the `o` columns:
//! `SELECT "sub"."c0", .. FROM (SELECT .., RANK() OVER (..) AS "w0" ..) AS "sub" WHERE "sub"."w0" <= ?`.

use super::{NAMES, unsupported};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{ColumnRef, Cond, Derived, ExprNode, OrderItem, Select};
use orm_core::fold::{Fold, walk_cond, walk_expr};
use orm_core::value::Kind;

const WINDOWS: [&str; 32] = [
    "w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10", "w11", "w12", "w13", "w14",
    "w15", "w16", "w17", "w18", "w19", "w20", "w21", "w22", "w23", "w24", "w25", "w26", "w27",
    "w28", "w29", "w30", "w31",
];

const ORDER: [&str; 32] = [
    "o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9", "o10", "o11", "o12", "o13", "o14",
    "o15", "o16", "o17", "o18", "o19", "o20", "o21", "o22", "o23", "o24", "o25", "o26", "o27",
    "o28", "o29", "o30", "o31",
];

fn local(name: &'static str, e: &ExprNode) -> ExprNode {
    ExprNode::Column(ColumnRef::local(
        name,
        e.nullable(),
        e.kind().unwrap_or(Kind::I64),
    ))
}

/// Wraps a query level that has window conditions.
pub(super) fn apply(s: &mut Select, dialect: Dialect) -> Result<(), Error> {
    if s.qualify.is_empty() {
        return Ok(());
    }
    super::owned(s, |s| wrap(s, dialect))
}

fn wrap(s: Select, dialect: Dialect) -> Result<Select, Error> {
    let too_many = || {
        unsupported(
            dialect,
            "a window filter with EXISTS or more than 32 computed values",
        )
    };
    let mut lift = Lift {
        selected: s.columns.clone(),
        lifted: Vec::new(),
        failed: false,
    };
    let conds: Vec<Cond> = s
        .qualify
        .iter()
        .cloned()
        .map(|c| lift.fold_cond(c))
        .collect();
    if lift.failed || lift.lifted.len() > WINDOWS.len() {
        return Err(too_many());
    }
    if s.columns.len() > NAMES.len() || s.order.len() > ORDER.len() {
        return Err(too_many());
    }
    let mut inner = Select {
        qualify: Vec::new(),
        order: Vec::new(),
        limit: None,
        offset: None,
        distinct: false,
        ..s.clone()
    };
    let ncols = inner.columns.len();
    inner.columns.extend(lift.lifted.iter().cloned());
    // A computed ordering key that is selected is sorted by its column (a
    // computed group key must not be written twice); others get an `o`
    // column each.
    let selected = |e: &ExprNode| {
        e.any_node(&|n| matches!(n, ExprNode::Value(_) | ExprNode::Subquery(_)))
            .then(|| s.columns.iter().position(|c| c == e))
            .flatten()
    };
    let sorted: Vec<&OrderItem> = s
        .order
        .iter()
        .filter(|o| selected(&o.expr).is_none())
        .collect();
    inner.columns.extend(sorted.iter().map(|o| o.expr.clone()));
    inner.names = NAMES[..ncols]
        .iter()
        .chain(&WINDOWS[..lift.lifted.len()])
        .chain(&ORDER[..sorted.len()])
        .copied()
        .collect();
    let mut outer = Select::from_table(s.table);
    outer.columns = s
        .columns
        .iter()
        .zip(NAMES)
        .map(|(e, name)| local(name, e))
        .collect();
    outer.filter = conds;
    let mut next = ORDER.iter();
    outer.order = s
        .order
        .iter()
        .map(|o| {
            let name = match selected(&o.expr) {
                Some(i) => NAMES[i],
                None => next.next().copied().unwrap_or("o0"),
            };
            OrderItem {
                expr: local(name, &o.expr),
                desc: o.desc,
            }
        })
        .collect();
    outer.limit = s.limit;
    outer.offset = s.offset;
    outer.distinct = s.distinct;
    outer.source = Some(Derived {
        select: Box::new(inner),
        alias: "sub",
    });
    Ok(outer)
}

/// Replaces what the inner query must compute (window functions, columns,
/// aggregates, subqueries) with references to its `w` columns.
struct Lift {
    /// The inner query's selected values: a tested expression equal to one
    /// is its `c` column (a computed group key must not be written twice).
    selected: Vec<ExprNode>,
    lifted: Vec<ExprNode>,
    failed: bool,
}

impl Fold for Lift {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        if let Some(i) = self.selected.iter().position(|c| *c == e)
            && let Some(name) = NAMES.get(i)
        {
            return local(name, &e);
        }
        match e {
            ExprNode::Window(_)
            | ExprNode::Column(_)
            | ExprNode::Aggregate(_)
            | ExprNode::Subquery(_) => {
                let i = match self.lifted.iter().position(|x| *x == e) {
                    Some(i) => i,
                    None => {
                        self.lifted.push(e.clone());
                        self.lifted.len() - 1
                    }
                };
                match WINDOWS.get(i) {
                    Some(name) => local(name, &e),
                    None => {
                        self.failed = true;
                        e
                    }
                }
            }
            e => walk_expr(self, e),
        }
    }
    fn fold_cond(&mut self, c: Cond) -> Cond {
        match c {
            Cond::Exists(_) => {
                self.failed = true;
                c
            }
            // The subquery keeps its own columns; only the tested value is lifted.
            Cond::InSelect { lhs, select } => Cond::InSelect {
                lhs: self.fold_expr(lhs),
                select,
            },
            c => walk_cond(self, c),
        }
    }
}
