//! The in-place traversal of the statement tree, the twin of
//! [`crate::visit`] for rewrites: a rule overrides the nodes it cares about
//! and changes them where they are, so nodes it leaves alone are neither
//! moved nor rebuilt (lowering runs on every query's path). Every variant
//! is matched by name, so a new node kind does not compile until the walk
//! knows its children.
//!
//! The walk enters subqueries (scalar, `EXISTS`, `IN (SELECT ..)`, derived
//! tables) through [`VisitMut::visit_select_mut`], in the same order as
//! [`crate::fold`]; a rule about one query level overrides it to stop there.

use crate::ast::{AggFunc, Aggregate, Cond, ExprNode, Select, WindowFunc};
use crate::value::{Kind, Value};

/// A rewrite of the tree in place, node by node.
pub trait VisitMut {
    /// Rewrites an expression (default: its children).
    fn visit_expr_mut(&mut self, e: &mut ExprNode) {
        walk_expr_mut(self, e);
    }
    /// Rewrites a condition (default: its children).
    fn visit_cond_mut(&mut self, c: &mut Cond) {
        walk_cond_mut(self, c);
    }
    /// Rewrites a nested select (default: every part of it).
    fn visit_select_mut(&mut self, s: &mut Select) {
        walk_select_mut(self, s);
    }
}

/// Rewrites the argument and filter of an aggregate.
pub fn walk_aggregate_mut<V: VisitMut + ?Sized>(v: &mut V, a: &mut Aggregate) {
    if let Some(arg) = &mut a.arg {
        v.visit_expr_mut(arg);
    }
    if let Some(f) = &mut a.filter {
        v.visit_cond_mut(f);
    }
}

/// Rewrites the children of an expression.
pub fn walk_expr_mut<V: VisitMut + ?Sized>(v: &mut V, e: &mut ExprNode) {
    match e {
        ExprNode::Column(_)
        | ExprNode::Outer { .. }
        | ExprNode::OuterRef { .. }
        | ExprNode::Value(_)
        | ExprNode::Ordinal { .. }
        | ExprNode::AnnotationRef { .. }
        | ExprNode::OuterAnnotation { .. } => {}
        ExprNode::Binary { lhs, rhs, .. } => {
            v.visit_expr_mut(lhs);
            v.visit_expr_mut(rhs);
        }
        ExprNode::Aggregate(a) => walk_aggregate_mut(v, a),
        ExprNode::Func { args, .. } => args.iter_mut().for_each(|a| v.visit_expr_mut(a)),
        ExprNode::Cast { expr, .. } => v.visit_expr_mut(expr),
        ExprNode::Case { whens, default, .. } => {
            for (c, x) in whens {
                v.visit_cond_mut(c);
                v.visit_expr_mut(x);
            }
            if let Some(d) = default {
                v.visit_expr_mut(d);
            }
        }
        ExprNode::Subquery(s) => v.visit_select_mut(s),
        ExprNode::Window(w) => {
            if let WindowFunc::Aggregate(a) = &mut w.func {
                walk_aggregate_mut(v, a);
            }
            if let Some(a) = &mut w.arg {
                v.visit_expr_mut(a);
            }
            w.partition_by.iter_mut().for_each(|e| v.visit_expr_mut(e));
            w.order_by
                .iter_mut()
                .for_each(|o| v.visit_expr_mut(&mut o.expr));
        }
    }
}

/// Rewrites the children of a condition.
pub fn walk_cond_mut<V: VisitMut + ?Sized>(v: &mut V, c: &mut Cond) {
    match c {
        Cond::All(list) | Cond::Any(list) => list.iter_mut().for_each(|c| v.visit_cond_mut(c)),
        Cond::Not(c) => v.visit_cond_mut(c),
        Cond::Cmp { lhs, rhs, .. } => {
            v.visit_expr_mut(lhs);
            v.visit_expr_mut(rhs);
        }
        Cond::Like { lhs, .. } | Cond::IsNull { lhs, .. } => v.visit_expr_mut(lhs),
        Cond::In { lhs, items } => {
            v.visit_expr_mut(lhs);
            items.iter_mut().for_each(|e| v.visit_expr_mut(e));
        }
        Cond::InSelect { lhs, select } => {
            v.visit_expr_mut(lhs);
            v.visit_select_mut(select);
        }
        Cond::Between { lhs, low, high } => {
            v.visit_expr_mut(lhs);
            v.visit_expr_mut(low);
            v.visit_expr_mut(high);
        }
        Cond::Exists(s) => v.visit_select_mut(s),
    }
}

/// Rewrites every part of a select: its derived table, columns,
/// conditions, ordering and grouping.
pub fn walk_select_mut<V: VisitMut + ?Sized>(v: &mut V, s: &mut Select) {
    if let Some(d) = &mut s.source {
        v.visit_select_mut(&mut d.select);
    }
    walk_level_mut(v, s);
}

/// Rewrites the parts of one query level (columns, conditions, ordering,
/// grouping), leaving its derived table alone. Nested subqueries are
/// entered or not as `v.visit_select_mut` decides.
pub fn walk_level_mut<V: VisitMut + ?Sized>(v: &mut V, s: &mut Select) {
    s.columns.iter_mut().for_each(|e| v.visit_expr_mut(e));
    s.filter.iter_mut().for_each(|c| v.visit_cond_mut(c));
    s.order
        .iter_mut()
        .for_each(|o| v.visit_expr_mut(&mut o.expr));
    s.group_by.iter_mut().for_each(|e| v.visit_expr_mut(e));
    s.having.iter_mut().for_each(|c| v.visit_cond_mut(c));
    s.qualify.iter_mut().for_each(|c| v.visit_cond_mut(c));
}

/// Moves an expression out to rewrite it by value, leaving a placeholder
/// the caller overwrites.
pub fn take_expr(e: &mut ExprNode) -> ExprNode {
    std::mem::replace(e, ExprNode::Value(Value::Null(Kind::I64)))
}

/// Moves a condition out to rewrite it by value, leaving a placeholder
/// the caller overwrites.
pub fn take_cond(c: &mut Cond) -> Cond {
    std::mem::replace(c, Cond::All(Vec::new()))
}

/// Moves an aggregate out to rewrite it by value, leaving a placeholder
/// the caller overwrites.
pub fn take_aggregate(a: &mut Aggregate) -> Aggregate {
    std::mem::replace(
        a,
        Aggregate {
            func: AggFunc::Count,
            arg: None,
            arg_kind: Kind::I64,
            kind: Kind::I64,
            distinct: false,
            filter: None,
            over: None,
            exact: false,
        },
    )
}
