//! MySQL refuses `LIMIT` inside `IN (SELECT ..)`, and a subquery reading
//! the table an UPDATE or DELETE writes. A derived table has the same rows
//! and is accepted: `IN (SELECT * FROM (SELECT .. LIMIT ?) AS "limited")`.

use orm_core::ast::{Cond, Derived, Select};

/// Rewrites an `IN (SELECT ..)` condition (its parts already lowered);
/// MySQL only.
pub(super) fn node(c: &mut Cond, writing: Option<&'static str>) {
    let Cond::InSelect { select, .. } = c else {
        return;
    };
    let limited = select.limit.is_some() || select.offset.is_some();
    if !limited && writing != Some(select.table) {
        return;
    }
    let outer = Select::from_table(select.table);
    let inner = std::mem::replace(&mut **select, outer);
    select.source = Some(Derived {
        select: Box::new(inner),
        alias: "limited",
    });
}
