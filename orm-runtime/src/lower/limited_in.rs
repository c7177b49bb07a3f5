//! MySQL refuses `LIMIT` inside `IN (SELECT ..)`, and a subquery reading
//! the table an UPDATE or DELETE writes. A derived table has the same rows
//! and is accepted: `IN (SELECT * FROM (SELECT .. LIMIT ?) AS "limited")`.

use crate::dialect::Dialect;
use orm_core::ast::{Cond, Derived, ExprNode, Select};
use orm_core::fold::{Fold, walk_cond};

/// Rewrites the `IN (SELECT ..)` conditions anywhere in `s` on MySQL.
pub(super) fn apply(s: Select, dialect: Dialect, writing: Option<&'static str>) -> Select {
    if dialect != Dialect::MySql {
        return s;
    }
    orm_core::fold::walk_select(&mut Limited { writing }, s)
}

struct Limited {
    writing: Option<&'static str>,
}

impl Fold for Limited {
    fn fold_cond(&mut self, c: Cond) -> Cond {
        match walk_cond(self, c) {
            Cond::InSelect { lhs, select } => cond(lhs, *select, self.writing),
            c => c,
        }
    }
}

fn cond(lhs: ExprNode, select: Select, writing: Option<&'static str>) -> Cond {
    let limited = select.limit.is_some() || select.offset.is_some();
    if !limited && writing != Some(select.table) {
        return Cond::InSelect {
            lhs,
            select: Box::new(select),
        };
    }
    let mut outer = Select::from_table(select.table);
    outer.source = Some(Derived {
        select: Box::new(select),
        alias: "limited",
    });
    Cond::InSelect {
        lhs,
        select: Box::new(outer),
    }
}
