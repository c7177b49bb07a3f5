//! Math functions per dialect (`Abs`, `Ceil`, `Floor`, `Round`, `Mod`,
//! `Power`, `Sqrt`, `Ln`, `Exp`, `Random`), written so that the three
//! backends return the same values.
//!
//! The choices, per function:
//! - `Floor`/`Ceil`/`Round` of an integer (to zero or more places) is the
//!   integer itself: exact, and keeps PostgreSQL from turning it into a
//!   double. `Round` to negative places is exact integer arithmetic.
//! - `Round` of a float is `trunc(y) + sign(y)` when `|y - trunc(y)| >= 0.5`
//!   (`y = x · 10^places`), the same double operations on every backend:
//!   half away from zero, where PostgreSQL's `round(double)` and MariaDB's
//!   `ROUND` round half to even. Of a decimal it is the database's exact
//!   `ROUND` (half away from zero on both servers), `decimal_round` on
//!   SQLite.
//! - `Mod` of floats is `a - trunc(a / b) · b` in double precision everywhere
//!   (PostgreSQL has no `mod(double)`); of integers `%`; of decimals the
//!   exact `MOD`, `decimal_mod` on SQLite.
//! - `Sqrt`, `Ln`, `Exp`, `Power` are computed in double precision (decimals
//!   are cast on PostgreSQL, which would otherwise compute in NUMERIC with
//!   its own precision). Outside the domain the result is NULL everywhere:
//!   `sqrt`/`ln` of a negative number are NULL on MariaDB and SQLite, and a
//!   `CASE` gives NULL on PostgreSQL, which raises an error; a negative base
//!   to a fractional power gets the `CASE` on both servers (MariaDB raises
//!   "out of range" there).
//! - Functions SQLite lacks (`sqrt`, `ln`, `exp`, `power`, `floor`, `ceil`,
//!   `trunc`, the `decimal_*` ones) are registered on each SQLite connection
//!   (`backend/sqlite/functions.rs`).

use super::Writer;
use super::expr::{call, expr};
use crate::dialect::Dialect;
use crate::error::Error;
use orm_core::ast::{ExprNode, MathFunc};
use orm_core::value::{Kind, Value};

/// How a numeric kind is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Integer,
    Float,
    Decimal,
}

fn unsupported(w: &Writer, feature: String) -> Error {
    Error::Render {
        dialect: w.dialect,
        feature,
    }
}

/// Writes math function `f` of `list`, whose result has kind `kind`.
pub(super) fn function(
    w: &mut Writer,
    f: MathFunc,
    list: &[ExprNode],
    kind: Kind,
) -> Result<(), Error> {
    if f == MathFunc::Random {
        w.raw(if w.dialect == Dialect::MySql {
            "RAND()"
        } else {
            "RANDOM()"
        });
        return Ok(());
    }
    let (Some(a), rest) = (list.first(), list.get(1..).unwrap_or(&[])) else {
        return Err(unsupported(w, format!("{f:?} without an argument")));
    };
    let arg_kind = a.kind().unwrap_or(kind);
    let class = match arg_kind {
        Kind::I16 | Kind::I32 | Kind::I64 => Class::Integer,
        Kind::F32 | Kind::F64 => Class::Float,
        Kind::Decimal => Class::Decimal,
        k => return Err(unsupported(w, format!("{f:?} of {k:?}"))),
    };
    let b = rest.first();
    let second =
        |w: &Writer| b.ok_or_else(|| unsupported(w, format!("{f:?} without its second argument")));
    let d = w.dialect;
    let sqlite_decimal = d == Dialect::Sqlite && class == Class::Decimal;
    match f {
        MathFunc::Abs if sqlite_decimal => call(w, "DECIMAL_ABS", list),
        MathFunc::Abs => call(w, "ABS", list),
        MathFunc::Floor | MathFunc::Ceil | MathFunc::Round(0..) if class == Class::Integer => {
            expr(w, a)
        }
        MathFunc::Floor if sqlite_decimal => call(w, "DECIMAL_FLOOR", list),
        MathFunc::Ceil if sqlite_decimal => call(w, "DECIMAL_CEIL", list),
        MathFunc::Floor => call(w, "FLOOR", list),
        MathFunc::Ceil => call(w, "CEIL", list),
        MathFunc::Round(places) => match class {
            Class::Integer => round_integer(w, a, places),
            Class::Float => round_float(w, a, arg_kind, places),
            Class::Decimal => {
                w.raw(if sqlite_decimal {
                    "DECIMAL_ROUND("
                } else {
                    "ROUND("
                });
                expr(w, a)?;
                w.raw(", ");
                w.bind(Value::I32(places));
                w.raw(")");
                Ok(())
            }
        },
        MathFunc::Mod => {
            let b = second(w)?;
            match class {
                Class::Integer => {
                    w.raw("(");
                    expr(w, a)?;
                    w.raw(" % ");
                    expr(w, b)?;
                    w.raw(")");
                    Ok(())
                }
                Class::Float => {
                    w.raw("(");
                    double(w, a, arg_kind)?;
                    w.raw(" - ");
                    trunc(w, |w| {
                        w.raw("(");
                        double(w, a, arg_kind)?;
                        w.raw(" / ");
                        double(w, b, arg_kind)?;
                        w.raw(")");
                        Ok(())
                    })?;
                    w.raw(" * ");
                    double(w, b, arg_kind)?;
                    w.raw(")");
                    Ok(())
                }
                Class::Decimal if sqlite_decimal => call(w, "DECIMAL_MOD", list),
                Class::Decimal => call(w, "MOD", list),
            }
        }
        MathFunc::Power => {
            let b = second(w)?;
            // A negative base to a non-integer power: NULL (as SQLite's NaN
            // gives), not the error PostgreSQL and MariaDB raise.
            let guard = d != Dialect::Sqlite && class != Class::Integer;
            if guard {
                w.raw("CASE WHEN ");
                expr(w, a)?;
                w.raw(" < 0 AND ");
                expr(w, b)?;
                w.raw(" <> ");
                trunc(w, |w| expr(w, b))?;
                w.raw(" THEN NULL ELSE ");
            }
            w.raw("POWER(");
            double(w, a, arg_kind)?;
            w.raw(", ");
            double(w, b, arg_kind)?;
            w.raw(")");
            if guard {
                w.raw(" END");
            }
            Ok(())
        }
        MathFunc::Sqrt | MathFunc::Ln | MathFunc::Exp => {
            let (name, below) = match f {
                MathFunc::Sqrt => ("SQRT(", Some(" < 0")),
                MathFunc::Ln => ("LN(", Some(" <= 0")),
                _ => ("EXP(", None),
            };
            // Outside the domain: NULL, as MySQL/MariaDB and SQLite give.
            let guard = below.filter(|_| d == Dialect::Postgres);
            if let Some(test) = guard {
                w.raw("CASE WHEN ");
                expr(w, a)?;
                w.raw(test);
                w.raw(" THEN NULL ELSE ");
            }
            w.raw(name);
            double(w, a, arg_kind)?;
            w.raw(")");
            if guard.is_some() {
                w.raw(" END");
            }
            Ok(())
        }
        MathFunc::Random => Ok(()),
    }
}

/// An operand computed in double precision: cast on PostgreSQL unless it is
/// a double already (a REAL, an integer or a NUMERIC would be computed in
/// its own type there); the others compute math on doubles anyway.
fn double(w: &mut Writer, e: &ExprNode, kind: Kind) -> Result<(), Error> {
    if w.dialect == Dialect::Postgres && kind != Kind::F64 {
        w.raw("CAST(");
        expr(w, e)?;
        w.raw(" AS DOUBLE PRECISION)");
        Ok(())
    } else {
        expr(w, e)
    }
}

/// Truncation toward zero of a double (`TRUNCATE(x, 0)` on MySQL).
fn trunc(w: &mut Writer, inner: impl Fn(&mut Writer) -> Result<(), Error>) -> Result<(), Error> {
    w.raw(if w.dialect == Dialect::MySql {
        "TRUNCATE("
    } else {
        "TRUNC("
    });
    inner(w)?;
    w.raw(if w.dialect == Dialect::MySql {
        ", 0)"
    } else {
        ")"
    });
    Ok(())
}

/// A float rounded half away from zero to `places`, as the same double
/// operations on every backend: `y = x · 10^places`,
/// `trunc(y) + (|y - trunc(y)| >= 0.5 ? sign(y) : 0)`, divided back.
fn round_float(w: &mut Writer, x: &ExprNode, kind: Kind, places: i32) -> Result<(), Error> {
    if places.unsigned_abs() > 22 {
        // 10^22 is the largest power of ten a double holds exactly.
        return Err(unsupported(
            w,
            format!("Round of a float to {places} places"),
        ));
    }
    let scale = 10f64.powi(places.abs());
    let y = |w: &mut Writer| -> Result<(), Error> {
        if places == 0 {
            return double(w, x, kind);
        }
        w.raw("(");
        double(w, x, kind)?;
        w.raw(if places > 0 { " * " } else { " / " });
        w.bind(Value::F64(scale));
        w.raw(")");
        Ok(())
    };
    if places != 0 {
        w.raw("(");
    }
    w.raw("(");
    trunc(w, y)?;
    w.raw(" + CASE WHEN ABS(");
    y(w)?;
    w.raw(" - ");
    trunc(w, y)?;
    w.raw(") >= 0.5 THEN SIGN(");
    y(w)?;
    w.raw(") ELSE 0 END)");
    if places != 0 {
        w.raw(if places > 0 { " / " } else { " * " });
        w.bind(Value::F64(scale));
        w.raw(")");
    }
    Ok(())
}

/// An integer rounded half away from zero to tens, hundreds, ...
/// (`places < 0`), exactly: `x - x % u`, moved one unit `u` away from zero
/// when the remainder is at least half of it (`%` keeps the sign of `x` on
/// every backend).
fn round_integer(w: &mut Writer, x: &ExprNode, places: i32) -> Result<(), Error> {
    let unit = u32::try_from(-i64::from(places))
        .ok()
        .and_then(|p| 10i64.checked_pow(p));
    let Some(unit) = unit else {
        return Err(unsupported(
            w,
            format!("Round of an integer to {places} places"),
        ));
    };
    let rem = |w: &mut Writer| -> Result<(), Error> {
        w.raw("(");
        expr(w, x)?;
        w.raw(" % ");
        w.bind(Value::I64(unit));
        w.raw(")");
        Ok(())
    };
    w.raw("(");
    expr(w, x)?;
    w.raw(" - ");
    rem(w)?;
    w.raw(" + CASE WHEN ");
    rem(w)?;
    w.raw(" * 2 >= ");
    w.bind(Value::I64(unit));
    w.raw(" THEN ");
    w.bind(Value::I64(unit));
    w.raw(" WHEN ");
    rem(w)?;
    w.raw(" * 2 <= ");
    w.bind(Value::I64(-unit));
    w.raw(" THEN ");
    w.bind(Value::I64(-unit));
    w.raw(" ELSE 0 END)");
    Ok(())
}
