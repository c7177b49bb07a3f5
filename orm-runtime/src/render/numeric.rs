//! Two rewrites that give numbers one meaning on every backend:
//!
//! - **Aggregates in double precision.** `Avg` of integers is computed over
//!   `CAST(x AS DOUBLE)`: MariaDB otherwise returns a DECIMAL with
//!   `div_precision_increment` (4) extra digits (37.4444 for 337/9) and
//!   PostgreSQL a NUMERIC, where SQLite returns the full double. `StdDev` and
//!   `Variance` of anything but doubles are cast the same way, so PostgreSQL
//!   uses its double precision algorithm (the one SQLite's registered
//!   aggregates reproduce) rather than NUMERIC.
//! - **Casts to integers truncate toward zero** (like Rust's `as`): SQLite's
//!   `CAST(451.5 AS INTEGER)` truncates, PostgreSQL and MySQL/MariaDB round
//!   (to 452), so those two truncate first (`TRUNC`, `TRUNCATE(x, 0)`).

use super::Writer;
use super::select::{cast_type, expr};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{AggFunc, Aggregate, ExprNode};
use orm_core::value::Kind;
use std::borrow::Cow;

/// The aggregate with its argument cast to a double where the backends
/// would otherwise compute in different types.
pub(super) fn in_double_precision(a: &Aggregate) -> Cow<'_, Aggregate> {
    let spread = matches!(
        a.func,
        AggFunc::StdDev | AggFunc::StdDevSample | AggFunc::Variance | AggFunc::VarianceSample
    );
    let cast = match a.func {
        AggFunc::Avg => a.arg_kind.is_integer(),
        _ => spread && a.arg_kind != Kind::F64,
    };
    match &a.arg {
        Some(arg) if cast => Cow::Owned(Aggregate {
            arg: Some(ExprNode::Cast {
                expr: Box::new(arg.clone()),
                to: Kind::F64,
            }),
            arg_kind: Kind::F64,
            ..a.clone()
        }),
        _ => Cow::Borrowed(a),
    }
}

/// Whether `CAST(inner AS to)` must truncate explicitly: a float or decimal
/// cast to an integer, on a backend whose CAST rounds.
pub(super) fn truncates(w: &Writer, inner: &ExprNode, to: Kind) -> bool {
    w.dialect != Dialect::Sqlite
        && to.is_integer()
        && matches!(inner.kind(), Some(Kind::F32 | Kind::F64 | Kind::Decimal))
}

/// `CAST(TRUNC(x) AS ..)` (PostgreSQL), `CAST(TRUNCATE(x, 0) AS ..)` (MySQL).
pub(super) fn truncating_cast(w: &mut Writer, inner: &ExprNode, to: Kind) -> Result<(), Error> {
    let mysql = w.dialect == Dialect::MySql;
    w.raw(if mysql {
        "CAST(TRUNCATE("
    } else {
        "CAST(TRUNC("
    });
    expr(w, inner)?;
    w.raw(if mysql { ", 0) AS " } else { ") AS " });
    cast_type(w, to)?;
    w.raw(")");
    Ok(())
}
