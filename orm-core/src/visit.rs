//! The read-only traversal of the statement tree, the twin of
//! [`crate::fold`]: a pass that only looks (to collect or decide) overrides
//! the nodes it cares about and calls the `walk_*` function to go on. Every
//! variant is matched by name, so a new node kind does not compile until
//! the walk knows its children.

use crate::ast::{Cond, ExprNode, Select, WindowFunc};

/// A look at the tree, node by node.
pub trait Visit {
    /// Looks at an expression (default: its children).
    fn visit_expr(&mut self, e: &ExprNode) {
        walk_expr(self, e);
    }
    /// Looks at a condition (default: its children).
    fn visit_cond(&mut self, c: &Cond) {
        walk_cond(self, c);
    }
    /// Looks at a nested select (default: every part of it).
    fn visit_select(&mut self, s: &Select) {
        walk_select(self, s);
    }
}

/// Visits the children of an expression.
pub fn walk_expr<V: Visit + ?Sized>(v: &mut V, e: &ExprNode) {
    match e {
        ExprNode::Column(_)
        | ExprNode::Outer { .. }
        | ExprNode::OuterRef { .. }
        | ExprNode::Value(_)
        | ExprNode::Ordinal { .. }
        | ExprNode::AnnotationRef { .. }
        | ExprNode::OuterAnnotation { .. } => {}
        ExprNode::Binary { lhs, rhs, .. } => {
            v.visit_expr(lhs);
            v.visit_expr(rhs);
        }
        ExprNode::Aggregate(a) => {
            if let Some(arg) = &a.arg {
                v.visit_expr(arg);
            }
            if let Some(f) = &a.filter {
                v.visit_cond(f);
            }
        }
        ExprNode::Func { args, .. } => args.iter().for_each(|a| v.visit_expr(a)),
        ExprNode::Cast { expr, .. } => v.visit_expr(expr),
        ExprNode::Case { whens, default, .. } => {
            for (c, x) in whens {
                v.visit_cond(c);
                v.visit_expr(x);
            }
            if let Some(d) = default {
                v.visit_expr(d);
            }
        }
        ExprNode::Subquery(s) => v.visit_select(s),
        ExprNode::Window(w) => {
            if let WindowFunc::Aggregate(a) = &w.func {
                if let Some(arg) = &a.arg {
                    v.visit_expr(arg);
                }
                if let Some(f) = &a.filter {
                    v.visit_cond(f);
                }
            }
            if let Some(a) = &w.arg {
                v.visit_expr(a);
            }
            w.partition_by.iter().for_each(|e| v.visit_expr(e));
            w.order_by.iter().for_each(|o| v.visit_expr(&o.expr));
        }
    }
}

/// Visits the children of a condition.
pub fn walk_cond<V: Visit + ?Sized>(v: &mut V, c: &Cond) {
    match c {
        Cond::All(list) | Cond::Any(list) => list.iter().for_each(|c| v.visit_cond(c)),
        Cond::Not(c) => v.visit_cond(c),
        Cond::Cmp { lhs, rhs, .. } => {
            v.visit_expr(lhs);
            v.visit_expr(rhs);
        }
        Cond::Like { lhs, .. } | Cond::IsNull { lhs, .. } => v.visit_expr(lhs),
        Cond::In { lhs, items } => {
            v.visit_expr(lhs);
            items.iter().for_each(|e| v.visit_expr(e));
        }
        Cond::InSelect { lhs, select } => {
            v.visit_expr(lhs);
            v.visit_select(select);
        }
        Cond::Between { lhs, low, high } => {
            v.visit_expr(lhs);
            v.visit_expr(low);
            v.visit_expr(high);
        }
        Cond::Exists(s) => v.visit_select(s),
    }
}

/// Visits every part of a select: its derived table, columns, conditions,
/// grouping and ordering.
pub fn walk_select<V: Visit + ?Sized>(v: &mut V, s: &Select) {
    if let Some(d) = &s.source {
        v.visit_select(&d.select);
    }
    walk_level(v, s);
}

/// Visits the parts of one query level, not its derived table.
pub fn walk_level<V: Visit + ?Sized>(v: &mut V, s: &Select) {
    s.columns.iter().for_each(|e| v.visit_expr(e));
    s.filter.iter().for_each(|c| v.visit_cond(c));
    s.group_by.iter().for_each(|e| v.visit_expr(e));
    s.having.iter().for_each(|c| v.visit_cond(c));
    s.qualify.iter().for_each(|c| v.visit_cond(c));
    s.order.iter().for_each(|o| v.visit_expr(&o.expr));
}

/// The correlation scopes ([`Select::correlated`]) that bind to one query
/// level: those of the subqueries directly in the nodes visited, and of
/// their derived tables (written outside the subquery's own scope). Outer
/// references with these scopes, at any depth below, refer to that level.
#[derive(Default)]
pub struct Correlations(pub Vec<u32>);

impl Correlations {
    /// The scopes binding to query level `s`.
    pub fn of_level(s: &Select) -> Vec<u32> {
        let mut c = Correlations::default();
        walk_level(&mut c, s);
        c.0
    }
}

impl Visit for Correlations {
    fn visit_select(&mut self, s: &Select) {
        let mut s = s;
        loop {
            if let Some(scope) = s.correlated {
                self.0.push(scope);
            }
            match &s.source {
                Some(d) => s = &d.select,
                None => break,
            }
        }
    }
}
