//! MySQL refuses `LIMIT` inside `IN (SELECT ..)`, and a subquery reading
//! the table an UPDATE or DELETE writes. A derived table has the same rows
//! and is accepted: `IN (SELECT * FROM (SELECT .. LIMIT ?) AS "limited")`.

use orm_core::ast::{Cond, Derived, ExprNode, Select};

/// Rewrites an `IN (SELECT ..)` condition (its parts already lowered);
/// MySQL only.
pub(super) fn node(c: Cond, writing: Option<&'static str>) -> Cond {
    match c {
        Cond::InSelect { lhs, select } => cond(lhs, *select, writing),
        c => c,
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
