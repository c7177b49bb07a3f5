//! Functions the bundled SQLite lacks, registered on every connection of a
//! SQLite pool (as Django does for its SQLite backend), so that math and
//! statistics give the same results as on PostgreSQL and MySQL/MariaDB:
//!
//! - `sqrt`, `ln`, `exp`, `power`, `floor`, `ceil`, `trunc`: SQLite's math
//!   functions, which the build sqlx uses leaves out
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
//! Every function gives NULL for a NULL argument.
//
// Why unsafe code: sqlx has no safe way to add functions to a SQLite
// connection; SQLite's C API (`sqlite3_create_function_v2`,
// `sqlite3_create_window_function`) on the handle sqlx lends out
// (`lock_handle`) is the only one, and is what sqlx itself does for REGEXP
// (sqlx-sqlite's regexp.rs). The unsafe part is kept to reading arguments,
// writing results and keeping aggregate state; the functions themselves are
// safe Rust over `Arg` and `Out`.
#![allow(unsafe_code)]

use libsqlite3_sys as ffi;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Registers every function on a new connection (the pool's
/// `after_connect` hook).
pub(crate) async fn register(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let fail = |name: &[u8], rc: c_int| {
        let name = String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name)).into_owned();
        sqlx::Error::Configuration(
            format!("cannot register SQLite function {name}: code {rc}").into(),
        )
    };
    for (i, (name, n_args, _)) in SCALARS.iter().enumerate() {
        // SAFETY: `db` is the open connection sqlx lends while `handle`
        // lives; the name is NUL-terminated; the user data is an index into
        // SCALARS, read back by `scalar`.
        let rc = unsafe {
            ffi::sqlite3_create_function_v2(
                db,
                name.as_ptr().cast(),
                *n_args,
                ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
                i as *mut c_void,
                Some(scalar),
                None,
                None,
                None,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(fail(name, rc));
        }
    }
    for (i, (name, _)) in SPREADS.iter().enumerate() {
        // SAFETY: as above; the user data is an index into SPREADS.
        let rc = unsafe {
            ffi::sqlite3_create_window_function(
                db,
                name.as_ptr().cast(),
                1,
                ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
                i as *mut c_void,
                Some(spread_step),
                Some(spread_final),
                Some(spread_value),
                Some(spread_inverse),
                None,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(fail(name, rc));
        }
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

/// Name (NUL-terminated), number of arguments, implementation.
const SCALARS: &[(&[u8], c_int, Scalar)] = &[
    (b"sqrt\0", 1, |a| {
        unary_real(a, |x| (x >= 0.0).then(|| x.sqrt()))
    }),
    (b"ln\0", 1, |a| unary_real(a, |x| (x > 0.0).then(|| x.ln()))),
    (b"exp\0", 1, |a| unary_real(a, |x| Some(x.exp()))),
    (b"power\0", 2, power),
    (b"floor\0", 1, |a| integral(a, f64::floor)),
    (b"ceil\0", 1, |a| integral(a, f64::ceil)),
    (b"trunc\0", 1, |a| integral(a, f64::trunc)),
    (b"decimal_abs\0", 1, |a| unary_decimal(a, |d| Some(d.abs()))),
    (b"decimal_floor\0", 1, |a| {
        unary_decimal(a, |d| Some(d.floor()))
    }),
    (b"decimal_ceil\0", 1, |a| {
        unary_decimal(a, |d| Some(d.ceil()))
    }),
    (b"decimal_round\0", 2, decimal_round),
    (b"decimal_mod\0", 2, decimal_mod),
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

const SPREADS: &[(&[u8], Spread)] = &[
    (b"stddev_pop\0", Spread::StdDevPop),
    (b"stddev_samp\0", Spread::StdDevSamp),
    (b"var_pop\0", Spread::VarPop),
    (b"var_samp\0", Spread::VarSamp),
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

// ---------------------------------------------------------------- the C side

/// Runs `f`, turning a panic into an SQL error instead of unwinding into C.
fn guarded(f: impl FnOnce() -> Out) -> Out {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Out::Error("internal error in an ORM SQLite function".into()))
}

/// Reads one argument.
///
/// SAFETY: `v` must be a valid argument of the running call.
unsafe fn read_arg(v: *mut ffi::sqlite3_value) -> Arg {
    // SAFETY: guaranteed by the caller; the text is copied before the value
    // is read again as a number.
    unsafe {
        match ffi::sqlite3_value_type(v) {
            ffi::SQLITE_NULL => Arg::Null,
            ffi::SQLITE_INTEGER => Arg::Int(ffi::sqlite3_value_int64(v)),
            ffi::SQLITE_FLOAT => Arg::Real(ffi::sqlite3_value_double(v)),
            _ => {
                let p = ffi::sqlite3_value_text(v);
                let n = usize::try_from(ffi::sqlite3_value_bytes(v)).unwrap_or(0);
                let text = if p.is_null() {
                    String::new()
                } else {
                    String::from_utf8_lossy(std::slice::from_raw_parts(p, n)).into_owned()
                };
                Arg::Text(text, ffi::sqlite3_value_double(v))
            }
        }
    }
}

/// Reads the arguments of a call.
///
/// SAFETY: `argv` must point to `argc` valid arguments.
unsafe fn read_args(argc: c_int, argv: *mut *mut ffi::sqlite3_value) -> Vec<Arg> {
    let n = usize::try_from(argc).unwrap_or(0);
    if argv.is_null() {
        return Vec::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe {
        std::slice::from_raw_parts(argv, n)
            .iter()
            .map(|v| read_arg(*v))
            .collect()
    }
}

/// Sets the result of a call.
///
/// SAFETY: `ctx` must be the context of the running call.
unsafe fn write_out(ctx: *mut ffi::sqlite3_context, out: Out) {
    // SAFETY: guaranteed by the caller; SQLite copies text it is given with
    // SQLITE_TRANSIENT, and error messages in every case.
    unsafe {
        match out {
            Out::Null => ffi::sqlite3_result_null(ctx),
            Out::Int(i) => ffi::sqlite3_result_int64(ctx, i),
            Out::Real(x) => ffi::sqlite3_result_double(ctx, x),
            Out::Text(s) => match c_int::try_from(s.len()) {
                Ok(n) => {
                    ffi::sqlite3_result_text(ctx, s.as_ptr().cast(), n, ffi::SQLITE_TRANSIENT())
                }
                Err(_) => ffi::sqlite3_result_error_toobig(ctx),
            },
            Out::Error(msg) => {
                let n = c_int::try_from(msg.len()).unwrap_or(c_int::MAX);
                ffi::sqlite3_result_error(ctx, msg.as_ptr().cast(), n);
            }
        }
    }
}

/// The entry point of every scalar function; the user data says which.
unsafe extern "C" fn scalar(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls this with the call's context and arguments.
    unsafe {
        let index = ffi::sqlite3_user_data(ctx) as usize;
        let args = read_args(argc, argv);
        let out = match SCALARS.get(index) {
            Some((_, _, f)) => guarded(|| f(&args)),
            None => Out::Error("unknown ORM SQLite function".into()),
        };
        write_out(ctx, out);
    }
}

/// The statistic an aggregate call computes.
///
/// SAFETY: `ctx` must be the context of a running aggregate call.
unsafe fn spread_of(ctx: *mut ffi::sqlite3_context) -> Spread {
    // SAFETY: guaranteed by the caller.
    let index = unsafe { ffi::sqlite3_user_data(ctx) } as usize;
    SPREADS.get(index).map_or(Spread::VarPop, |(_, s)| *s)
}

/// The frame of this aggregate call, created on first use when `create`.
///
/// SAFETY: `ctx` must be the context of a running aggregate call. SQLite
/// keeps one zeroed pointer-sized slot per call, holding the boxed frame
/// from the first step until `spread_final` frees it.
unsafe fn frame<'a>(ctx: *mut ffi::sqlite3_context, create: bool) -> Option<&'a mut Frame> {
    let size = if create {
        std::mem::size_of::<*mut Frame>() as c_int
    } else {
        0
    };
    // SAFETY: guaranteed by the caller.
    unsafe {
        let slot = ffi::sqlite3_aggregate_context(ctx, size).cast::<*mut Frame>();
        if slot.is_null() {
            return None;
        }
        if (*slot).is_null() {
            if !create {
                return None;
            }
            *slot = Box::into_raw(Box::<Frame>::default());
        }
        Some(&mut **slot)
    }
}

unsafe extern "C" fn spread_step(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls this with the call's context and arguments.
    unsafe {
        if let Some(x) = read_args(argc, argv).first().and_then(Arg::real) {
            match frame(ctx, true) {
                Some(f) => f.push(x),
                None => ffi::sqlite3_result_error_nomem(ctx),
            }
        }
    }
}

unsafe extern "C" fn spread_inverse(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls this with the arguments of the row leaving the
    // frame; NULLs were never added, so they are not removed.
    unsafe {
        if read_args(argc, argv).first().and_then(Arg::real).is_some()
            && let Some(f) = frame(ctx, false)
        {
            f.pop();
        }
    }
}

unsafe extern "C" fn spread_value(ctx: *mut ffi::sqlite3_context) {
    // SAFETY: SQLite calls this with the call's context.
    unsafe {
        let spread = spread_of(ctx);
        let out = frame(ctx, false)
            .and_then(|f| f.result(spread))
            .map_or(Out::Null, Out::Real);
        write_out(ctx, out);
    }
}

unsafe extern "C" fn spread_final(ctx: *mut ffi::sqlite3_context) {
    // SAFETY: SQLite calls this once per call, last; the frame is freed
    // here and the slot cleared.
    unsafe {
        let spread = spread_of(ctx);
        let slot = ffi::sqlite3_aggregate_context(ctx, 0).cast::<*mut Frame>();
        let mut out = Out::Null;
        if !slot.is_null() && !(*slot).is_null() {
            let mut f = Box::from_raw(*slot);
            *slot = std::ptr::null_mut();
            out = f.result(spread).map_or(Out::Null, Out::Real);
        }
        write_out(ctx, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Arg]) -> Out {
        let f = SCALARS
            .iter()
            .find(|(n, _, _)| n.strip_suffix(b"\0") == Some(name.as_bytes()))
            .map(|(_, _, f)| *f)
            .expect("registered");
        f(args)
    }

    fn text(s: &str) -> Arg {
        Arg::Text(s.into(), s.parse().unwrap_or(0.0))
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
