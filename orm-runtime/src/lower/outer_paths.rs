//! An `OuterRef` through a foreign-key path
//! (`OuterRef(Book::publisher.then(Publisher::name))`) refers to a column of
//! a table the enclosing query joins for it: each query level joins the
//! paths its subqueries' outer references reach from its rows, and the
//! writer refers to that join's alias.

use orm_core::ast::{ExprNode, Select};
use orm_core::visit::{Visit, walk_expr, walk_level};

/// Records on one query level the paths its subqueries' `OuterRef`s reach.
pub(super) fn apply(s: &mut Select) {
    let mut found = Reach {
        table: s.table,
        depth: 0,
        shadowed: Vec::new(),
        paths: Vec::new(),
    };
    walk_level(&mut found, s);
    for p in found.paths {
        if !s.joins.contains(&p) {
            s.joins.push(p);
        }
    }
}

/// Walks the subqueries below one level. `depth` counts the selects
/// entered; `shadowed[d]` says whether a select between the level and
/// depth `d` is over the same table (an `OuterRef` there resolves to it).
struct Reach {
    table: &'static str,
    depth: usize,
    shadowed: Vec<bool>,
    paths: Vec<Vec<orm_core::ast::JoinStep>>,
}

impl Visit for Reach {
    fn visit_expr(&mut self, e: &ExprNode) {
        if let ExprNode::OuterRef { table, column } = e
            && self.depth > 0
            && *table == self.table
            && !column.path.is_empty()
            && !self.shadowed.iter().take(self.depth - 1).any(|s| *s)
            && !self.paths.iter().any(|p| p.as_slice() == &column.path[..])
        {
            self.paths.push(column.path.to_vec());
        }
        walk_expr(self, e);
    }
    fn visit_select(&mut self, s: &Select) {
        self.depth += 1;
        self.shadowed.push(s.table == self.table);
        orm_core::visit::walk_select(self, s);
        self.shadowed.pop();
        self.depth -= 1;
    }
}
