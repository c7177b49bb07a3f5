//! `SELECT DISTINCT` must select its ORDER BY keys; the keys not already
//! selected are appended, and the positional decoder ignores the extra
//! trailing columns.

use super::NAMES;
use orm_core::ast::Select;

/// Appends the missing ordering keys of a DISTINCT select.
pub(super) fn nested(s: &mut Select) {
    if !s.distinct {
        return;
    }
    for o in &s.order {
        if !s.columns.contains(&o.expr) {
            s.columns.push(o.expr.clone());
            if !s.names.is_empty()
                && let Some(name) = NAMES.get(s.names.len())
            {
                s.names.push(name);
            }
        }
    }
}
