//! Aggregates that the backends would compute in different types run in
//! double precision everywhere. `Avg` of integers is computed over
//! `CAST(x AS DOUBLE)`: MariaDB otherwise returns a DECIMAL with
//! `div_precision_increment` (4) extra digits (37.4444 for 337/9) and
//! PostgreSQL a NUMERIC, where SQLite returns the full double. `StdDev` and
//! `Variance` of anything but doubles are cast the same way, so PostgreSQL
//! uses its double precision algorithm (the one SQLite's registered
//! aggregates reproduce) rather than NUMERIC.

use orm_core::ast::{AggFunc, Aggregate, ExprNode, WindowFunc};
use orm_core::value::Kind;
use orm_core::visit_mut::take_expr;

/// Casts the argument of such an aggregate (its parts already lowered),
/// also of one used as a window function.
pub(super) fn node(e: &mut ExprNode) {
    match e {
        ExprNode::Aggregate(a) => cast(a),
        ExprNode::Window(w) => {
            if let WindowFunc::Aggregate(a) = &mut w.func {
                cast(a);
            }
        }
        _ => {}
    }
}

fn cast(a: &mut Aggregate) {
    let spread = matches!(
        a.func,
        AggFunc::StdDev | AggFunc::StdDevSample | AggFunc::Variance | AggFunc::VarianceSample
    );
    let wanted = match a.func {
        AggFunc::Avg => a.arg_kind.is_integer(),
        _ => spread && a.arg_kind != Kind::F64,
    };
    if wanted && let Some(arg) = &mut a.arg {
        *arg = ExprNode::Cast {
            expr: Box::new(take_expr(arg)),
            to: Kind::F64,
        };
        a.arg_kind = Kind::F64;
    }
}
