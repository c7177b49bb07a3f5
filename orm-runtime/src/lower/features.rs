//! What a statement contains, found in one read-only walk, so that the
//! rules that cannot apply to it are not run at all (rendering is on every
//! query's path).

use orm_core::ast::{Cond, ExprNode, Select};
use orm_core::visit::{Visit, walk_cond, walk_expr, walk_select};

/// The node kinds the rules look for, anywhere in a statement.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Features {
    /// A derived table (`aggregate()`).
    pub source: bool,
    /// An aggregate (also as a window function), a GROUP BY or a HAVING.
    pub grouped: bool,
    /// A HAVING.
    pub having: bool,
    /// A GROUP BY key computed from a value or a subquery.
    pub computed_key: bool,
    /// An aggregate over a relation.
    pub relation_aggregate: bool,
    /// A negation (`exclude()`, `!q`).
    pub negation: bool,
    /// A window filter.
    pub qualify: bool,
    /// `SELECT DISTINCT`.
    pub distinct: bool,
    /// An `OuterRef` through a path.
    pub outer_path: bool,
    /// A subquery (scalar, `EXISTS` or `IN`).
    pub subquery: bool,
}

impl Features {
    /// The features of `s`.
    pub(super) fn of(s: &Select) -> Self {
        let mut f = Features::default();
        f.select(s);
        walk_select(&mut f, s);
        f
    }

    fn select(&mut self, s: &Select) {
        self.source |= s.source.is_some();
        self.grouped |= !s.group_by.is_empty() || !s.having.is_empty();
        self.having |= !s.having.is_empty();
        self.computed_key |= s.group_by.iter().any(super::group_ordinal::computed);
        self.qualify |= !s.qualify.is_empty();
        self.distinct |= s.distinct;
    }

    /// Whether a rule about one query level has anything to do.
    pub(super) fn level_rules(&self) -> bool {
        self.negation
            || self.relation_aggregate
            || self.having
            || self.qualify
            || self.distinct
            || self.outer_path
    }

    /// Whether the statement nests selects (subqueries or derived tables),
    /// so that a rule about one level must visit more than the top one.
    pub(super) fn nested(&self) -> bool {
        self.source || self.subquery
    }
}

impl Visit for Features {
    fn visit_expr(&mut self, e: &ExprNode) {
        match e {
            ExprNode::Aggregate(a) => {
                self.grouped = true;
                self.relation_aggregate |= a.over.is_some();
            }
            ExprNode::OuterRef { column, .. } => self.outer_path |= !column.path.is_empty(),
            ExprNode::Subquery(_) => self.subquery = true,
            // An aggregate used as a window function: the node rules apply.
            ExprNode::Window(w) => {
                self.grouped |= matches!(w.func, orm_core::ast::WindowFunc::Aggregate(_));
            }
            _ => {}
        }
        walk_expr(self, e);
    }
    fn visit_cond(&mut self, c: &Cond) {
        match c {
            Cond::Not(_) => self.negation = true,
            Cond::Exists(_) | Cond::InSelect { .. } => self.subquery = true,
            _ => {}
        }
        walk_cond(self, c);
    }
    fn visit_select(&mut self, s: &Select) {
        self.select(s);
        walk_select(self, s);
    }
}
