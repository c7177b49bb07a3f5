//! `count()` of a query whose rows are not its table's rows (DISTINCT,
//! sliced, grouped, or filtered on windows) counts the rows of a derived
//! table: `SELECT COUNT(*) FROM (<query>) AS "sub"`. The ordering is kept
//! only where it decides which rows a slice takes.

use crate::render::select::Projection;
use orm_core::ast::{Derived, Select};

/// Wraps the select when `projection` counts rows that need it.
pub(super) fn apply(mut s: Select, projection: Projection) -> (Select, Projection) {
    // `aggregate()` gives one row whatever it reads.
    let one_row = s.group_by.is_empty()
        && !s.columns.is_empty()
        && s.columns.iter().all(orm_core::ast::ExprNode::has_aggregate);
    if projection == Projection::One && one_row {
        s.limit = None;
        let mut outer = Select::from_table(s.table);
        outer.limit = Some(1);
        outer.source = Some(Derived {
            select: Box::new(s),
            alias: "sub",
        });
        return (outer, Projection::One);
    }
    let wrap = one_row
        || s.distinct
        || s.limit.is_some()
        || s.offset.is_some()
        || !s.group_by.is_empty()
        || !s.qualify.is_empty();
    if projection != Projection::Count || !wrap {
        return (s, projection);
    }
    if s.limit.is_none() && s.offset.is_none() {
        s.order.clear();
    }
    let mut outer = Select::from_table(s.table);
    outer.source = Some(Derived {
        select: Box::new(s),
        alias: "sub",
    });
    (outer, Projection::Count)
}
