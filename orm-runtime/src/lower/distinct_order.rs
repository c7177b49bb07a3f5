//! `SELECT DISTINCT` must select its ORDER BY keys; the keys not already
//! selected are appended, and the positional decoder ignores the extra
//! trailing columns. A selected key computed from a subquery or a bound
//! value is ordered by its position: written twice, its aliases or
//! parameters differ, and PostgreSQL would not see it as selected.

use super::NAMES;
use orm_core::ast::{ExprNode, Select};
use orm_core::value::Kind;

/// Appends the missing ordering keys of a DISTINCT select.
pub(super) fn nested(s: &mut Select) {
    if !s.distinct {
        return;
    }
    for o in &mut s.order {
        if let Some(i) = s.columns.iter().position(|c| *c == o.expr) {
            if super::group_ordinal::computed(&o.expr)
                && let Ok(position) = u32::try_from(i + 1)
            {
                o.expr = ExprNode::Ordinal {
                    position,
                    nullable: o.expr.nullable(),
                    kind: o.expr.kind().unwrap_or(Kind::I64),
                };
            }
        } else {
            s.columns.push(o.expr.clone());
            if !s.names.is_empty()
                && let Some(name) = NAMES.get(s.names.len())
            {
                s.names.push(name);
            }
        }
    }
}
