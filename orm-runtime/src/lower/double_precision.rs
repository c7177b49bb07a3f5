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

/// Casts the argument of such an aggregate (its parts already lowered),
/// also of one used as a window function.
pub(super) fn node(e: ExprNode) -> ExprNode {
    match e {
        ExprNode::Aggregate(a) => ExprNode::Aggregate(Box::new(cast(*a))),
        ExprNode::Window(mut w) => {
            if let WindowFunc::Aggregate(a) = w.func {
                w.func = WindowFunc::Aggregate(Box::new(cast(*a)));
            }
            ExprNode::Window(w)
        }
        e => e,
    }
}

fn cast(a: Aggregate) -> Aggregate {
    let spread = matches!(
        a.func,
        AggFunc::StdDev | AggFunc::StdDevSample | AggFunc::Variance | AggFunc::VarianceSample
    );
    let wanted = match a.func {
        AggFunc::Avg => a.arg_kind.is_integer(),
        _ => spread && a.arg_kind != Kind::F64,
    };
    match a.arg {
        Some(arg) if wanted => Aggregate {
            arg: Some(ExprNode::Cast {
                expr: Box::new(arg),
                to: Kind::F64,
            }),
            arg_kind: Kind::F64,
            ..a
        },
        arg => Aggregate { arg, ..a },
    }
}
