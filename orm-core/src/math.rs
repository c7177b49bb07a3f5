//! Math functions with Django's result types, giving the same values on
//! every backend: `Abs`, `Ceil`, `Floor`, `Round`/`RoundTo`, `Mod`, `Power`,
//! `Sqrt`, `Ln`, `Exp`, and `Random` for random ordering (Django's
//! `order_by('?')`).
//!
//! Result types: `Abs`, `Ceil`, `Floor`, `Round` and `Mod` keep the
//! argument's type; `Sqrt`, `Ln`, `Exp` and `Power` give `f64` for integers
//! and floats and `Decimal` for decimals (computed in double precision).
//! NULL in gives NULL out. `Sqrt` of a negative number, `Ln` of zero or a
//! negative number and `Power` of a negative base to a non-integer exponent
//! are NULL on every backend (PostgreSQL would raise an error), so their
//! results are always `Option`s.

use crate::ast::{ExprNode, Func, MathFunc, OrderItem};
use crate::expr::{Expr, IntoExpr, Numeric, Typed};
use crate::field::FieldType;
use crate::nullability::{Either, Of};
use crate::order::IntoOrder;
use crate::value::Kind;

type Cmp<A, M> = <<A as Typed<M>>::Type as FieldType>::Compare;
type NullOf<A, M> = <<A as Typed<M>>::Type as FieldType>::Nullability;
/// `A`'s comparison type, nullable when `A` or an operand of nullability `N` is.
type EitherNull<A, N, M> = Of<Either<NullOf<A, M>, N>, Cmp<A, M>>;
/// The argument's own type (its comparison type, nullable if it is).
type Same<A, M> = Of<NullOf<A, M>, Cmp<A, M>>;
/// `f64`, or `Decimal` for decimals, with the argument's nullability.
type Real<A, M> = Of<NullOf<A, M>, <Cmp<A, M> as Numeric>::Real>;
/// `f64`, or `Decimal` for decimals, always nullable.
type PartialReal<A, M> = Option<<Cmp<A, M> as Numeric>::Real>;

fn math<M, T: FieldType>(f: MathFunc, args: Vec<ExprNode>) -> Expr<M, T> {
    Expr::from_node(ExprNode::Func {
        func: Func::Math(f),
        args,
        kind: T::COLUMN_TYPE.kind,
    })
}

/// `ABS(x)`, of the argument's type.
#[allow(non_snake_case)]
pub fn Abs<M, A: Typed<M>>(a: A) -> Expr<M, Same<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Abs, vec![a.into_typed_node()])
}

/// The smallest integer not below `x` (`CEIL`), of the argument's type.
#[allow(non_snake_case)]
pub fn Ceil<M, A: Typed<M>>(a: A) -> Expr<M, Same<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Ceil, vec![a.into_typed_node()])
}

/// The largest integer not above `x` (`FLOOR`), of the argument's type.
#[allow(non_snake_case)]
pub fn Floor<M, A: Typed<M>>(a: A) -> Expr<M, Same<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Floor, vec![a.into_typed_node()])
}

/// `x` rounded to an integer, half away from zero (2.5 gives 3, -2.5 gives
/// -3) on every backend, of the argument's type.
#[allow(non_snake_case)]
pub fn Round<M, A: Typed<M>>(a: A) -> Expr<M, Same<A, M>>
where
    Cmp<A, M>: Numeric,
{
    RoundTo(a, 0)
}

/// `x` rounded half away from zero to `places` decimal places (negative:
/// to tens, hundreds, ...), of the argument's type. Decimals are rounded
/// exactly; floats as `round(x · 10^places) / 10^places` with the same
/// double operations on every backend (so 2.675, stored as 2.67499..,
/// gives 2.68: 2.675 · 100 is 267.5 in double precision).
///
/// ```
/// # use orm_runtime::prelude::*;
/// # use rust_decimal::Decimal;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Book {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_digits = 8, decimal_places = 2)] pub price: Decimal,
/// #     pub rating: f64,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Book::META]).await?;
/// # for (price, rating) in [(Decimal::new(245, 2), 2.675), (Decimal::new(-1245, 2), 7.5)] {
/// #     Book::objects().create(&db, Book { id: 0, price, rating }).await?;
/// # }
/// // ROUND("t0"."price", $1) on PostgreSQL and MySQL, DECIMAL_ROUND(..) on SQLite
/// let prices: Vec<Decimal> =
///     Book::objects().values(RoundTo(Book::price, 1)).order_by(Book::id.asc()).all(&db).await?;
/// assert_eq!(prices, [Decimal::new(25, 1), Decimal::new(-125, 1)]); // 2.45 -> 2.5, -12.45 -> -12.5
/// # let calls = [
/// #     (Dialect::Postgres, r#"ROUND("t0"."price", $1)"#),
/// #     (Dialect::MySql, "ROUND(`t0`.`price`, ?)"),
/// #     (Dialect::Sqlite, "DECIMAL_ROUND("),
/// # ];
/// # for (dialect, call) in calls {
/// #     let sql = Book::objects().values(RoundTo(Book::price, 1)).to_sql(dialect)?.sql;
/// #     assert!(sql.contains(call), "{sql}");
/// # }
///
/// let ratings: Vec<f64> =
///     Book::objects().values(RoundTo(Book::rating, 2)).order_by(Book::id.asc()).all(&db).await?;
/// assert_eq!(ratings, [2.68, 7.5]);
/// let tens: Vec<f64> = Book::objects().values(RoundTo(Book::rating, -1)).order_by(Book::id.asc()).all(&db).await?;
/// assert_eq!(tens, [0.0, 10.0]);
/// # Ok(()) }
/// ```
#[allow(non_snake_case)]
pub fn RoundTo<M, A: Typed<M>>(a: A, places: i32) -> Expr<M, Same<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Round(places), vec![a.into_typed_node()])
}

/// The remainder of `a / b` with the sign of `a` (`MOD`), of the
/// arguments' type: exact for integers and decimals, `a - trunc(a / b) · b`
/// in double precision for floats. A zero divisor behaves like division by
/// zero.
#[allow(non_snake_case)]
pub fn Mod<M, A: Typed<M>, B: IntoExpr<M, Cmp<A, M>>>(
    a: A,
    b: B,
) -> Expr<M, EitherNull<A, B::Nullability, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Mod, vec![a.into_typed_node(), b.into_node()])
}

/// `a` raised to the power `b`, in double precision: `f64`, or `Decimal` for
/// decimals. NULL for a negative base with a non-integer exponent.
#[allow(non_snake_case)]
pub fn Power<M, A: Typed<M>, B: IntoExpr<M, Cmp<A, M>>>(a: A, b: B) -> Expr<M, PartialReal<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Power, vec![a.into_typed_node(), b.into_node()])
}

/// The square root, in double precision: `f64`, or `Decimal` for decimals.
/// NULL for a negative argument, on every backend.
#[allow(non_snake_case)]
pub fn Sqrt<M, A: Typed<M>>(a: A) -> Expr<M, PartialReal<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Sqrt, vec![a.into_typed_node()])
}

/// The natural logarithm, in double precision: `f64`, or `Decimal` for
/// decimals. NULL for zero or a negative argument, on every backend.
#[allow(non_snake_case)]
pub fn Ln<M, A: Typed<M>>(a: A) -> Expr<M, PartialReal<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Ln, vec![a.into_typed_node()])
}

/// e raised to the argument, in double precision: `f64`, or `Decimal` for
/// decimals. A result beyond the double range is an error on every backend.
#[allow(non_snake_case)]
pub fn Exp<M, A: Typed<M>>(a: A) -> Expr<M, Real<A, M>>
where
    Cmp<A, M>: Numeric,
{
    math(MathFunc::Exp, vec![a.into_typed_node()])
}

/// Random order (Django's `order_by('?')`): `order_by(Random)`, also inside
/// a tuple of keys. `RANDOM()` on SQLite and PostgreSQL, `RAND()` on
/// MySQL/MariaDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Random;

impl<M> IntoOrder<M> for Random {
    fn into_items(self) -> Vec<OrderItem> {
        vec![OrderItem {
            expr: ExprNode::Func {
                func: Func::Math(MathFunc::Random),
                args: Vec::new(),
                kind: Kind::F64,
            },
            desc: false,
        }]
    }
}
