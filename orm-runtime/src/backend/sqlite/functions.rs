//! Functions the bundled SQLite lacks, registered on every connection
//! (as Django does for its SQLite backend), so that math and statistics
//! give the same results as on PostgreSQL and MySQL/MariaDB:
//!
//! - `sqrt`, `ln`, `exp`, `power`, `floor`, `ceil`, `trunc`: SQLite's math
//!   functions, which the bundled build leaves out
//!   (`SQLITE_ENABLE_MATH_FUNCTIONS`). Integers stay integers for
//!   `floor`/`ceil`/`trunc`; `sqrt` of a negative number and `ln` of zero or
//!   a negative number are NULL, as on MySQL/MariaDB (the renderer makes
//!   PostgreSQL agree); a result beyond the double range is an error, as on
//!   the other two. `floor`/`ceil`/`trunc` are registered rather than
//!   rewritten with `CAST(x AS INTEGER)`, which is exact only inside the
//!   64-bit integer range; these are exact for every double.
//! - `decimal_abs`, `decimal_floor`, `decimal_ceil`, `decimal_round`,
//!   `decimal_mod`: exact arithmetic on the decimal text SQLite stores
//!   `Decimal` columns as, with rust_decimal, so `Round(price, 2)` rounds
//!   the decimal and not its nearest double.
//! - `stddev_pop`, `stddev_samp`, `var_pop`, `var_samp`: aggregates (also
//!   usable as window functions) computed as PostgreSQL computes them in
//!   double precision (the Youngs-Cramer update of its `float8_accum`).
//!
//! Every function gives NULL for a NULL argument. They are registered
//! through rusqlite's safe function API.

use rusqlite::functions::{Aggregate, Context, FunctionFlags, WindowAggregate};
use rusqlite::types::{Value as Sql, ValueRef};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::VecDeque;

/// Registers every function on a new connection.
pub(crate) fn register(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for (name, n_args, f) in SCALARS {
        let f = *f;
        conn.create_scalar_function(*name, *n_args, flags, move |ctx| {
            let args: Vec<Arg> = (0..ctx.len()).map(|i| Arg::from(ctx.get_raw(i))).collect();
            f(&args).into_sql()
        })?;
    }
    for (name, spread) in SPREADS {
        conn.create_window_function(*name, 1, flags, Statistic(*spread))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- values

/// One argument, as SQLite holds it.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Null,
    Int(i64),
    Real(f64),
    /// Text (decimals are stored as text) and SQLite's reading of it as a
    /// number.
    Text(String, f64),
}

/// A function's result.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Error(String),
}

impl From<ValueRef<'_>> for Arg {
    fn from(v: ValueRef<'_>) -> Arg {
        match v {
            ValueRef::Null => Arg::Null,
            ValueRef::Integer(i) => Arg::Int(i),
            ValueRef::Real(x) => Arg::Real(x),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                let text = String::from_utf8_lossy(t).into_owned();
                let number = leading_number(&text);
                Arg::Text(text, number)
            }
        }
    }
}

/// SQLite's reading of text as a number: the longest leading part that is
/// a number (after white space), or 0.
fn leading_number(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut end = 0;
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    if end < b.len() && (b[end] == b'+' || b[end] == b'-') {
        end += 1;
    }
    let int_end = digits(end);
    let mut stop = int_end;
    if stop < b.len() && b[stop] == b'.' {
        stop = digits(stop + 1);
    }
    if stop > end && (int_end > end || stop > int_end + 1) {
        end = stop;
        if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
            let mut e = end + 1;
            if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
                e += 1;
            }
            let e_end = digits(e);
            if e_end > e {
                end = e_end;
            }
        }
        t[..end].parse().unwrap_or(0.0)
    } else {
        0.0
    }
}

impl Out {
    /// The result as rusqlite returns it to SQLite.
    fn into_sql(self) -> rusqlite::Result<Sql> {
        match self {
            Out::Null => Ok(Sql::Null),
            Out::Int(i) => Ok(Sql::Integer(i)),
            Out::Real(x) => Ok(Sql::Real(x)),
            Out::Text(s) => Ok(Sql::Text(s)),
            Out::Error(message) => Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(message),
            )),
        }
    }
}

impl Arg {
    /// The value as a double, as SQLite converts it.
    fn real(&self) -> Option<f64> {
        match self {
            Arg::Null => None,
            Arg::Int(i) => Some(*i as f64),
            Arg::Real(x) | Arg::Text(_, x) => Some(*x),
        }
    }

    /// The value as an exact decimal: text is parsed, a double converted
    /// the way rows are decoded.
    fn decimal(&self) -> Result<Option<Decimal>, String> {
        match self {
            Arg::Null => Ok(None),
            Arg::Int(i) => Ok(Some(Decimal::from(*i))),
            Arg::Real(x) => Decimal::try_from(*x).map(Some).map_err(|e| e.to_string()),
            Arg::Text(s, _) => s
                .trim()
                .parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(s.trim()))
                .map(Some)
                .map_err(|e| format!("{s:?} is not a decimal: {e}")),
        }
    }
}

fn real_out(x: f64) -> Out {
    if x.is_nan() {
        Out::Null
    } else if x.is_infinite() {
        Out::Error("value out of range: overflow".into())
    } else {
        Out::Real(x)
    }
}

fn decimal_out(d: Option<Decimal>) -> Out {
    match d {
        Some(d) => Out::Text(d.normalize().to_string()),
        None => Out::Error("decimal value out of range".into()),
    }
}

// ---------------------------------------------------------------- scalar functions

type Scalar = fn(&[Arg]) -> Out;

/// Name, number of arguments, implementation.
const SCALARS: &[(&str, i32, Scalar)] = &[
    ("sqrt", 1, |a| {
        unary_real(a, |x| (x >= 0.0).then(|| x.sqrt()))
    }),
    ("ln", 1, |a| unary_real(a, |x| (x > 0.0).then(|| x.ln()))),
    ("exp", 1, |a| unary_real(a, |x| Some(x.exp()))),
    ("power", 2, power),
    ("floor", 1, |a| integral(a, f64::floor)),
    ("ceil", 1, |a| integral(a, f64::ceil)),
    ("trunc", 1, |a| integral(a, f64::trunc)),
    ("decimal_abs", 1, |a| unary_decimal(a, |d| Some(d.abs()))),
    ("decimal_floor", 1, |a| {
        unary_decimal(a, |d| Some(d.floor()))
    }),
    ("decimal_ceil", 1, |a| unary_decimal(a, |d| Some(d.ceil()))),
    ("decimal_round", 2, decimal_round),
    ("decimal_mod", 2, decimal_mod),
];

/// A double function of one argument; `None` (outside the domain) is NULL.
fn unary_real(args: &[Arg], f: impl Fn(f64) -> Option<f64>) -> Out {
    match args.first().and_then(Arg::real) {
        None => Out::Null,
        Some(x) => f(x).map_or(Out::Null, real_out),
    }
}

fn power(args: &[Arg]) -> Out {
    match (
        args.first().and_then(Arg::real),
        args.get(1).and_then(Arg::real),
    ) {
        // A negative base with a non-integer exponent is NaN: NULL.
        (Some(x), Some(y)) => real_out(x.powf(y)),
        _ => Out::Null,
    }
}

/// `floor`, `ceil`, `trunc`: integers (and integer text) are returned as
/// they are, doubles rounded with `f`.
fn integral(args: &[Arg], f: fn(f64) -> f64) -> Out {
    match args.first() {
        None | Some(Arg::Null) => Out::Null,
        Some(Arg::Int(i)) => Out::Int(*i),
        Some(Arg::Text(s, x)) => match s.trim().parse::<i64>() {
            Ok(i) => Out::Int(i),
            Err(_) => real_out(f(*x)),
        },
        Some(Arg::Real(x)) => real_out(f(*x)),
    }
}

fn unary_decimal(args: &[Arg], f: impl Fn(Decimal) -> Option<Decimal>) -> Out {
    match args.first().map(Arg::decimal) {
        None | Some(Ok(None)) => Out::Null,
        Some(Ok(Some(d))) => decimal_out(f(d)),
        Some(Err(e)) => Out::Error(e),
    }
}

/// `decimal_round(x, places)`: half away from zero, exactly; negative
/// places round to tens, hundreds, ...
fn decimal_round(args: &[Arg]) -> Out {
    let places = match args.get(1) {
        Some(Arg::Int(p)) => *p,
        Some(Arg::Null) | None => return Out::Null,
        Some(other) => {
            return Out::Error(format!("decimal_round: places {other:?} is not an integer"));
        }
    };
    unary_decimal(args, |d| {
        let away = RoundingStrategy::MidpointAwayFromZero;
        if places >= 0 {
            Some(d.round_dp_with_strategy(u32::try_from(places).ok()?, away))
        } else {
            let unit = Decimal::from(10u64.checked_pow(u32::try_from(-places).ok()?)?);
            d.checked_div(unit)?
                .round_dp_with_strategy(0, away)
                .checked_mul(unit)
        }
    })
}

/// `decimal_mod(a, b)`: the exact remainder with the sign of `a`; NULL for
/// a zero divisor, as SQLite's `%`.
fn decimal_mod(args: &[Arg]) -> Out {
    let (a, b) = match (
        args.first().map(Arg::decimal),
        args.get(1).map(Arg::decimal),
    ) {
        (Some(Ok(Some(a))), Some(Ok(Some(b)))) => (a, b),
        (Some(Err(e)), _) | (_, Some(Err(e))) => return Out::Error(e),
        _ => return Out::Null,
    };
    if b.is_zero() {
        return Out::Null;
    }
    decimal_out(a.checked_rem(b))
}

// ---------------------------------------------------------------- aggregates

/// Which statistic an aggregate computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spread {
    StdDevPop,
    StdDevSamp,
    VarPop,
    VarSamp,
}

const SPREADS: &[(&str, Spread)] = &[
    ("stddev_pop", Spread::StdDevPop),
    ("stddev_samp", Spread::StdDevSamp),
    ("var_pop", Spread::VarPop),
    ("var_samp", Spread::VarSamp),
];

/// PostgreSQL's transition state for double precision variance: the count,
/// the sum and the sum of squared differences from the mean.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Accum {
    n: f64,
    sx: f64,
    sxx: f64,
}

impl Accum {
    /// One value, as PostgreSQL's `float8_accum` adds it (Youngs-Cramer).
    fn add(&mut self, x: f64) {
        let previous = self.n;
        self.n += 1.0;
        self.sx += x;
        if previous > 0.0 {
            let tmp = x * self.n - self.sx;
            self.sxx += tmp * tmp / (self.n * previous);
            if self.sx.is_infinite() || self.sxx.is_infinite() {
                self.sxx = f64::NAN;
            }
        } else if !x.is_finite() {
            self.sxx = f64::NAN;
        }
    }

    /// The statistic, as PostgreSQL's `float8_var_pop` and friends compute
    /// it: NULL over no rows, and for the sample forms over one row.
    fn result(&self, spread: Spread) -> Option<f64> {
        let sample = matches!(spread, Spread::StdDevSamp | Spread::VarSamp);
        let divisor = if sample { self.n - 1.0 } else { self.n };
        if divisor <= 0.0 {
            return None;
        }
        let variance = self.sxx / divisor;
        Some(match spread {
            Spread::StdDevPop | Spread::StdDevSamp => variance.sqrt(),
            Spread::VarPop | Spread::VarSamp => variance,
        })
    }
}

/// The values of the current group or window frame. The running state is
/// exact for them until a value leaves the frame; it is then recomputed
/// from the remaining values, in order, as PostgreSQL restarts its
/// aggregate for a moved frame.
#[derive(Debug, Default)]
struct Frame {
    values: VecDeque<f64>,
    accum: Accum,
    stale: bool,
}

impl Frame {
    fn push(&mut self, x: f64) {
        self.values.push_back(x);
        if !self.stale {
            self.accum.add(x);
        }
    }

    fn pop(&mut self) {
        self.values.pop_front();
        self.stale = true;
    }

    fn result(&mut self, spread: Spread) -> Option<f64> {
        if self.stale {
            let mut accum = Accum::default();
            for x in &self.values {
                accum.add(*x);
            }
            self.accum = accum;
            self.stale = false;
        }
        self.accum.result(spread)
    }
}

// ---------------------------------------------------------------- registration

/// An aggregate and window function computing one statistic over a frame.
struct Statistic(Spread);

fn real_arg(ctx: &Context<'_>) -> Option<f64> {
    (!ctx.is_empty())
        .then(|| Arg::from(ctx.get_raw(0)))
        .and_then(|a| a.real())
}

impl Aggregate<Frame, Sql> for Statistic {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Frame> {
        Ok(Frame::default())
    }
    fn step(&self, ctx: &mut Context<'_>, frame: &mut Frame) -> rusqlite::Result<()> {
        if let Some(x) = real_arg(ctx) {
            frame.push(x);
        }
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, frame: Option<Frame>) -> rusqlite::Result<Sql> {
        Ok(frame
            .and_then(|mut f| f.result(self.0))
            .map_or(Sql::Null, Sql::Real))
    }
}

impl WindowAggregate<Frame, Sql> for Statistic {
    fn value(&self, frame: Option<&mut Frame>) -> rusqlite::Result<Sql> {
        Ok(frame
            .and_then(|f| f.result(self.0))
            .map_or(Sql::Null, Sql::Real))
    }
    /// The row leaving the frame; NULLs were never added, so they are not
    /// removed.
    fn inverse(&self, ctx: &mut Context<'_>, frame: &mut Frame) -> rusqlite::Result<()> {
        if real_arg(ctx).is_some() {
            frame.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Arg]) -> Out {
        let f = SCALARS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, f)| *f)
            .expect("registered");
        f(args)
    }

    fn text(s: &str) -> Arg {
        Arg::Text(s.into(), s.parse().unwrap_or(0.0))
    }

    #[test]
    fn text_reads_as_its_leading_number_as_sqlite_does() {
        assert_eq!(leading_number("12.5"), 12.5);
        assert_eq!(leading_number("  -3e2x"), -300.0);
        assert_eq!(leading_number("7abc"), 7.0);
        assert_eq!(leading_number(".5"), 0.5);
        assert_eq!(leading_number("1e"), 1.0);
        assert_eq!(leading_number("abc"), 0.0);
        assert_eq!(leading_number("-"), 0.0);
        assert_eq!(leading_number("."), 0.0);
    }

    #[test]
    fn domain_errors_are_null_and_overflow_is_an_error() {
        assert_eq!(call("sqrt", &[Arg::Real(-1.0)]), Out::Null);
        assert_eq!(call("sqrt", &[Arg::Int(16)]), Out::Real(4.0));
        assert_eq!(call("ln", &[Arg::Int(0)]), Out::Null);
        assert_eq!(call("power", &[Arg::Real(-8.0), Arg::Real(0.5)]), Out::Null);
        assert!(matches!(call("exp", &[Arg::Int(1000)]), Out::Error(_)));
        assert_eq!(call("sqrt", &[Arg::Null]), Out::Null);
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(
            call("decimal_round", &[text("2.675"), Arg::Int(2)]),
            Out::Text("2.68".into())
        );
        assert_eq!(
            call("decimal_round", &[text("-15"), Arg::Int(-1)]),
            Out::Text("-20".into())
        );
        assert_eq!(
            call("decimal_floor", &[text("-451.5")]),
            Out::Text("-452".into())
        );
        assert_eq!(
            call("decimal_mod", &[text("0.3"), text("0.1")]),
            Out::Text("0".into())
        );
        assert_eq!(call("decimal_mod", &[text("1"), text("0")]), Out::Null);
    }

    #[test]
    fn variance_follows_postgres() {
        let mut f = Frame::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            f.push(x);
        }
        assert_eq!(f.result(Spread::VarPop), Some(4.0));
        assert_eq!(f.result(Spread::StdDevPop), Some(2.0));
        f.pop();
        assert_eq!(f.result(Spread::VarPop).map(|v| v > 0.0), Some(true));
        assert_eq!(Frame::default().result(Spread::VarSamp), None);
    }
}
