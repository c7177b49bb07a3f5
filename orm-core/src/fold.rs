//! The one traversal of the statement tree. A rewrite implements [`Fold`]
//! and overrides the few nodes it cares about; the `walk_*` functions
//! rebuild every other node from its folded children. Every variant is
//! matched by name, so a new node kind does not compile until the walk
//! knows its children.
//!
//! A fold enters subqueries (scalar, `EXISTS`, `IN (SELECT ..)`, derived
//! tables) through [`Fold::fold_select`]; a rule about one query level
//! overrides it to stop there.

use crate::ast::{Aggregate, Cond, Derived, ExprNode, OrderItem, Select, Window, WindowFunc};

/// A rewrite of the tree, node by node, children first unless the rule
/// decides otherwise.
pub trait Fold {
    /// Rewrites an expression (default: its children).
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        walk_expr(self, e)
    }
    /// Rewrites a condition (default: its children).
    fn fold_cond(&mut self, c: Cond) -> Cond {
        walk_cond(self, c)
    }
    /// Rewrites a nested select (default: every part of it).
    fn fold_select(&mut self, s: Select) -> Select {
        walk_select(self, s)
    }
}

/// Rewrites the value in a box, keeping the allocation (the walk runs
/// once per rule and rendering is on every query's path).
fn in_box<T>(mut b: Box<T>, placeholder: T, rewrite: impl FnOnce(T) -> T) -> Box<T> {
    let v = std::mem::replace(&mut *b, placeholder);
    *b = rewrite(v);
    b
}

fn hole() -> ExprNode {
    ExprNode::Value(crate::value::Value::Null(crate::value::Kind::I64))
}

fn boxed<F: Fold + ?Sized>(f: &mut F, e: Box<ExprNode>) -> Box<ExprNode> {
    in_box(e, hole(), |e| f.fold_expr(e))
}

// A select is large: moving it out and back costs more than a new box.
#[allow(clippy::boxed_local)]
fn boxed_select<F: Fold + ?Sized>(f: &mut F, s: Box<Select>) -> Box<Select> {
    Box::new(f.fold_select(*s))
}

fn boxed_cond<F: Fold + ?Sized>(f: &mut F, c: Box<Cond>) -> Box<Cond> {
    in_box(c, Cond::All(Vec::new()), |c| f.fold_cond(c))
}

fn boxed_aggregate<F: Fold + ?Sized>(f: &mut F, a: Box<Aggregate>) -> Box<Aggregate> {
    let placeholder = Aggregate {
        func: crate::ast::AggFunc::Count,
        arg: None,
        arg_kind: crate::value::Kind::I64,
        kind: crate::value::Kind::I64,
        distinct: false,
        filter: None,
        over: None,
        exact: false,
    };
    in_box(a, placeholder, |a| walk_aggregate(f, a))
}

fn list<F: Fold + ?Sized>(f: &mut F, v: Vec<ExprNode>) -> Vec<ExprNode> {
    v.into_iter().map(|e| f.fold_expr(e)).collect()
}

fn order<F: Fold + ?Sized>(f: &mut F, v: Vec<OrderItem>) -> Vec<OrderItem> {
    v.into_iter()
        .map(|o| OrderItem {
            expr: f.fold_expr(o.expr),
            desc: o.desc,
        })
        .collect()
}

/// Folds the argument and filter of an aggregate.
pub fn walk_aggregate<F: Fold + ?Sized>(f: &mut F, a: Aggregate) -> Aggregate {
    Aggregate {
        arg: a.arg.map(|e| f.fold_expr(e)),
        filter: a.filter.map(|c| f.fold_cond(c)),
        ..a
    }
}

/// Folds the children of an expression.
pub fn walk_expr<F: Fold + ?Sized>(f: &mut F, e: ExprNode) -> ExprNode {
    match e {
        ExprNode::Column(_)
        | ExprNode::Outer { .. }
        | ExprNode::OuterRef { .. }
        | ExprNode::Value(_)
        | ExprNode::Ordinal { .. }
        | ExprNode::AnnotationRef { .. }
        | ExprNode::OuterAnnotation { .. } => e,
        ExprNode::Binary { op, lhs, rhs, kind } => ExprNode::Binary {
            op,
            lhs: boxed(f, lhs),
            rhs: boxed(f, rhs),
            kind,
        },
        ExprNode::Aggregate(a) => ExprNode::Aggregate(boxed_aggregate(f, a)),
        ExprNode::Func { func, args, kind } => ExprNode::Func {
            func,
            args: list(f, args),
            kind,
        },
        ExprNode::Cast { expr, to } => ExprNode::Cast {
            expr: boxed(f, expr),
            to,
        },
        ExprNode::Case {
            whens,
            default,
            kind,
        } => ExprNode::Case {
            whens: whens
                .into_iter()
                .map(|(c, v)| (f.fold_cond(c), f.fold_expr(v)))
                .collect(),
            default: default.map(|d| boxed(f, d)),
            kind,
        },
        ExprNode::Subquery(s) => ExprNode::Subquery(boxed_select(f, s)),
        ExprNode::Window(w) => {
            let w = *w;
            ExprNode::Window(Box::new(Window {
                func: match w.func {
                    WindowFunc::Aggregate(a) => WindowFunc::Aggregate(boxed_aggregate(f, a)),
                    other => other,
                },
                arg: w.arg.map(|e| f.fold_expr(e)),
                partition_by: list(f, w.partition_by),
                order_by: order(f, w.order_by),
                frame: w.frame,
                kind: w.kind,
            }))
        }
    }
}

/// Folds the children of a condition.
pub fn walk_cond<F: Fold + ?Sized>(f: &mut F, c: Cond) -> Cond {
    match c {
        Cond::All(v) => Cond::All(v.into_iter().map(|c| f.fold_cond(c)).collect()),
        Cond::Any(v) => Cond::Any(v.into_iter().map(|c| f.fold_cond(c)).collect()),
        Cond::Not(c) => Cond::Not(boxed_cond(f, c)),
        Cond::Cmp { lhs, op, rhs } => Cond::Cmp {
            lhs: f.fold_expr(lhs),
            op,
            rhs: f.fold_expr(rhs),
        },
        Cond::Like {
            lhs,
            op,
            pattern,
            case_insensitive,
        } => Cond::Like {
            lhs: f.fold_expr(lhs),
            op,
            pattern,
            case_insensitive,
        },
        Cond::In { lhs, items } => Cond::In {
            lhs: f.fold_expr(lhs),
            items: list(f, items),
        },
        Cond::InSelect { lhs, select } => Cond::InSelect {
            lhs: f.fold_expr(lhs),
            select: boxed_select(f, select),
        },
        Cond::Between { lhs, low, high } => Cond::Between {
            lhs: f.fold_expr(lhs),
            low: f.fold_expr(low),
            high: f.fold_expr(high),
        },
        Cond::Exists(s) => Cond::Exists(boxed_select(f, s)),
        Cond::IsNull { lhs, is_null } => Cond::IsNull {
            lhs: f.fold_expr(lhs),
            is_null,
        },
    }
}

/// Folds every part of a select: its derived table, columns, conditions,
/// grouping and ordering.
pub fn walk_select<F: Fold + ?Sized>(f: &mut F, s: Select) -> Select {
    Select {
        source: s.source.map(|d| Derived {
            select: boxed_select(f, d.select),
            alias: d.alias,
        }),
        columns: list(f, s.columns),
        filter: s.filter.into_iter().map(|c| f.fold_cond(c)).collect(),
        order: order(f, s.order),
        group_by: list(f, s.group_by),
        having: s.having.into_iter().map(|c| f.fold_cond(c)).collect(),
        qualify: s.qualify.into_iter().map(|c| f.fold_cond(c)).collect(),
        ..s
    }
}

/// Folds the parts of one query level (columns, conditions, grouping,
/// ordering) with `f`, leaving its derived table alone. Nested subqueries
/// are entered or not as `f.fold_select` decides.
pub fn walk_level<F: Fold + ?Sized>(f: &mut F, mut s: Select) -> Select {
    let source = s.source.take();
    let mut out = walk_select(f, s);
    out.source = source;
    out
}
