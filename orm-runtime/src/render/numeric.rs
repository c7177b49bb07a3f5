//! The spelling of a cast to an integer, which truncates toward zero on
//! every backend (like Rust's `as`): SQLite's
//!   `CAST(451.5 AS INTEGER)` truncates, PostgreSQL and MySQL/MariaDB round
//!   (to 452), so those two truncate first (`TRUNC`, `TRUNCATE(x, 0)`).

use super::Writer;
use super::expr::{cast_type, expr};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::ExprNode;
use orm_core::value::Kind;

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
