//! An outer reference through a foreign-key path
//! (`outer.col(Book::publisher.then(Publisher::name))`) refers to a column
//! of a table the enclosing query joins for it: each query level joins the
//! paths its subqueries' outer references reach from its rows, and the
//! writer refers to that join's alias.

use orm_core::ast::{ExprNode, JoinStep, Select};
use orm_core::visit::{Correlations, Visit, walk_expr, walk_select};

/// Records on one query level the paths its subqueries' outer references
/// reach: those whose scope binds to this level, at any depth below it.
pub(super) fn apply(s: &mut Select) {
    let scopes = Correlations::of_level(s);
    if scopes.is_empty() {
        return;
    }
    let mut found = Reach {
        scopes,
        paths: Vec::new(),
    };
    orm_core::visit::walk_level(&mut found, s);
    for p in found.paths {
        if !s.joins.contains(&p) {
            s.joins.push(p);
        }
    }
}

struct Reach {
    scopes: Vec<u32>,
    paths: Vec<Vec<JoinStep>>,
}

impl Visit for Reach {
    fn visit_expr(&mut self, e: &ExprNode) {
        if let ExprNode::OuterRef { scope, column, .. } = e
            && self.scopes.contains(scope)
            && !column.path.is_empty()
            && !self.paths.iter().any(|p| p.as_slice() == &column.path[..])
        {
            self.paths.push(column.path.to_vec());
        }
        walk_expr(self, e);
    }
    fn visit_select(&mut self, s: &Select) {
        walk_select(self, s);
    }
}
