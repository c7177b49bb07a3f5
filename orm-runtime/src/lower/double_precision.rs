//! Aggregates that the backends would compute in different types run in
//! double precision everywhere. `Avg` of integers is computed over
//! `CAST(x AS DOUBLE)`: MariaDB otherwise returns a DECIMAL with
//! `div_precision_increment` (4) extra digits (37.4444 for 337/9) and
//! PostgreSQL a NUMERIC, where SQLite returns the full double. `StdDev` and
//! `Variance` of anything but doubles are cast the same way, so PostgreSQL
//! uses its double precision algorithm (the one SQLite's registered
//! aggregates reproduce) rather than NUMERIC.

use orm_core::ast::{AggFunc, Aggregate, ExprNode, Select, WindowFunc};
use orm_core::fold::{Fold, walk_aggregate, walk_select};
use orm_core::value::Kind;

/// Casts the arguments of such aggregates anywhere in `s`.
pub(super) fn apply(s: Select) -> Select {
    walk_select(&mut Double, s)
}

struct Double;

impl Fold for Double {
    fn fold_expr(&mut self, e: ExprNode) -> ExprNode {
        match e {
            ExprNode::Aggregate(a) => ExprNode::Aggregate(Box::new(cast(walk_aggregate(self, *a)))),
            e => match orm_core::fold::walk_expr(self, e) {
                // An aggregate used as a window function.
                ExprNode::Window(mut w) => {
                    if let WindowFunc::Aggregate(a) = w.func {
                        w.func = WindowFunc::Aggregate(Box::new(cast(*a)));
                    }
                    ExprNode::Window(w)
                }
                e => e,
            },
        }
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
