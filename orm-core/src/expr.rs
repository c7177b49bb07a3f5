//! Typed expressions: what can stand on the right of a lookup (a value, a
//! column of the same model, an F expression), checked against the column's
//! type at compile time.

use crate::ast::{BinOp, ExprNode};
use crate::column::Column;
use crate::field::{FieldType, ForeignKey, Key};
use crate::model::Model;
use crate::nullability::{Either, NotNull, Nullability, Of};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use std::marker::PhantomData;
use uuid::Uuid;

/// Something usable where model `M` expects a value of type `K`: a plain
/// value, a column or expression of `M`, or (for foreign keys) a model row.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a `{K}` value in a query on `{M}`",
    label = "expected a `{K}` value, or a column or expression of `{M}` with that type",
    note = "lookups compare a column with a value of the column's own type; columns of other models are reached through foreign-key paths such as `Book::publisher.then(Publisher::name)`"
)]
pub trait IntoExpr<M, K> {
    /// Whether the value can be NULL (`MaybeNull` for a nullable column or
    /// expression, `NotNull` for plain values).
    type Nullability: Nullability;
    /// The untyped expression.
    fn into_node(self) -> ExprNode;
}

macro_rules! value_exprs {
    ($($t:ty),*) => {$(
        impl<M> IntoExpr<M, $t> for $t {
            type Nullability = NotNull;
            fn into_node(self) -> ExprNode {
                ExprNode::Value(FieldType::to_value(&self))
            }
        }
        impl<M> IntoExpr<M, $t> for &$t {
            type Nullability = NotNull;
            fn into_node(self) -> ExprNode {
                ExprNode::Value(FieldType::to_value(self))
            }
        }
    )*};
}

value_exprs!(
    bool,
    i16,
    i32,
    i64,
    f32,
    f64,
    String,
    Vec<u8>,
    Decimal,
    NaiveDate,
    NaiveDateTime,
    DateTime<Utc>,
    NaiveTime,
    TimeDelta,
    Uuid,
    serde_json::Value
);

impl<M> IntoExpr<M, String> for &str {
    type Nullability = NotNull;
    fn into_node(self) -> ExprNode {
        ExprNode::Value(crate::value::Value::String(self.to_owned()))
    }
}

impl<M> IntoExpr<M, Vec<u8>> for &[u8] {
    type Nullability = NotNull;
    fn into_node(self) -> ExprNode {
        ExprNode::Value(crate::value::Value::Bytes(self.to_vec()))
    }
}

impl<M, T: FieldType> IntoExpr<M, T::Compare> for Column<M, T> {
    type Nullability = T::Nullability;
    fn into_node(self) -> ExprNode {
        ExprNode::Column(self.into_ref())
    }
}

impl<M, T: FieldType> IntoExpr<M, T::Compare> for Expr<M, T> {
    type Nullability = T::Nullability;
    fn into_node(self) -> ExprNode {
        self.node
    }
}

impl<M, P: Model> IntoExpr<M, Key<P>> for ForeignKey<P> {
    type Nullability = NotNull;
    fn into_node(self) -> ExprNode {
        ExprNode::Value(self.id().to_value())
    }
}

impl<M, P: Model> IntoExpr<M, Key<P>> for &ForeignKey<P> {
    type Nullability = NotNull;
    fn into_node(self) -> ExprNode {
        ExprNode::Value(self.id().to_value())
    }
}

impl<M, P: Model> IntoExpr<M, Key<P>> for Key<P> {
    type Nullability = NotNull;
    fn into_node(self) -> ExprNode {
        ExprNode::Value(self.get().to_value())
    }
}

impl<M, P: Model> IntoExpr<M, Key<P>> for &Key<P> {
    type Nullability = NotNull;
    fn into_node(self) -> ExprNode {
        ExprNode::Value(self.get().to_value())
    }
}

/// A plain key value where a key of `P` is expected, as Django takes
/// `publisher=3`: the value has no model, so it is trusted to be one of
/// `P`'s keys. Only for `P` whose primary key has exactly this type, and
/// only for integer and UUID keys: a string literal stays a text value (so
/// `Case::when(q, "long")` still infers `String`); a text key takes
/// `Key::new(..)`, a row or a `ForeignKey`.
macro_rules! raw_keys {
    ($($t:ty),*) => {$(
        impl<M, P: Model<Pk = $t>> IntoExpr<M, Key<P>> for $t {
            type Nullability = NotNull;
            fn into_node(self) -> ExprNode {
                ExprNode::Value(FieldType::to_value(&self))
            }
        }
        impl<M, P: Model<Pk = $t>> IntoExpr<M, Key<P>> for &$t {
            type Nullability = NotNull;
            fn into_node(self) -> ExprNode {
                ExprNode::Value(FieldType::to_value(self))
            }
        }
    )*};
}

raw_keys!(i16, i32, i64, Uuid);

/// A typed expression over model `M` producing values of type `T`.
pub struct Expr<M, T> {
    pub(crate) node: ExprNode,
    _t: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Expr<M, T> {
    fn clone(&self) -> Self {
        Expr {
            node: self.node.clone(),
            _t: PhantomData,
        }
    }
}

impl<M, T> std::fmt::Debug for Expr<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.fmt(f)
    }
}

impl<M, T> Expr<M, T> {
    /// Wraps an untyped node. The caller vouches for the type.
    pub fn from_node(node: ExprNode) -> Self {
        Expr {
            node,
            _t: PhantomData,
        }
    }

    /// The untyped node.
    pub fn node(&self) -> &ExprNode {
        &self.node
    }
}

/// Django's `F()`: refers to a column's value in the database, so it can be
/// compared with another column or used in arithmetic.
///
/// `F(Song::length)` is the same as `Song::length`; it exists for readers used
/// to Django.
#[allow(non_snake_case)]
pub fn F<M, T: FieldType>(column: Column<M, T>) -> Expr<M, T> {
    Expr::from_node(ExprNode::Column(column.into_ref()))
}

/// Numeric types that support `+ - * /` in the database.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a numeric type",
    label = "arithmetic needs integer, float or Decimal columns"
)]
pub trait Numeric: FieldType {
    /// The type of `Sqrt`, `Ln`, `Exp` and `Power` of these values (as in
    /// Django): `f64` for integers and floats, `Decimal` for decimals.
    type Real: FieldType;
}
impl Numeric for i16 {
    type Real = f64;
}
impl Numeric for i32 {
    type Real = f64;
}
impl Numeric for i64 {
    type Real = f64;
}
impl Numeric for f32 {
    type Real = f64;
}
impl Numeric for f64 {
    type Real = f64;
}
impl Numeric for Decimal {
    type Real = Decimal;
}
/// Arithmetic on a key computes on its plain value.
impl<T: Model> Numeric for Key<T>
where
    T::Pk: Numeric,
{
    type Real = <T::Pk as Numeric>::Real;
}

/// The type of `lhs op rhs` for an operand of type `T` and one of
/// nullability `N`: `T`'s comparison type, made an `Option` when either
/// operand can be NULL (`f64 + Option<f64>` is `Option<f64>`). Arithmetic
/// on a key gives its plain value (`Book::id + 1` is an `i64`, no longer a
/// key of `Book`).
pub type ArithOutput<T, N> = Of<
    Either<<T as FieldType>::Nullability, N>,
    <<T as FieldType>::Compare as FieldType>::Selected,
>;

/// Types that support `+` and `-` in the database: the numeric types, and
/// durations (`TimeDelta ± TimeDelta`, computed on the stored microseconds).
#[diagnostic::on_unimplemented(
    message = "`{Self}` values cannot be added or subtracted",
    label = "`+` and `-` need integer, float, Decimal or TimeDelta columns"
)]
pub trait Additive: FieldType {}
impl Additive for i16 {}
impl Additive for i32 {}
impl Additive for i64 {}
impl Additive for f32 {}
impl Additive for f64 {}
impl Additive for Decimal {}
impl Additive for TimeDelta {}
impl<T: Model> Additive for Key<T> where T::Pk: Additive {}

macro_rules! arith {
    ($($bound:ident: $tr:ident $method:ident $op:ident),*) => {$(
        impl<M, T, R> std::ops::$tr<R> for Expr<M, T>
        where
            T: FieldType,
            T::Compare: $bound,
            R: IntoExpr<M, T::Compare>,
        {
            type Output = Expr<M, ArithOutput<T, R::Nullability>>;
            fn $method(self, rhs: R) -> Self::Output {
                Expr::from_node(ExprNode::Binary {
                    op: BinOp::$op,
                    lhs: Box::new(self.node),
                    rhs: Box::new(rhs.into_node()),
                    kind: T::COLUMN_TYPE.kind,
                })
            }
        }
        impl<M, T, R> std::ops::$tr<R> for Column<M, T>
        where
            T: FieldType,
            T::Compare: $bound,
            R: IntoExpr<M, T::Compare>,
        {
            type Output = Expr<M, ArithOutput<T, R::Nullability>>;
            fn $method(self, rhs: R) -> Self::Output {
                F(self).$method(rhs)
            }
        }
    )*};
}

arith!(
    Additive: Add add Add,
    Additive: Sub sub Sub,
    Numeric: Mul mul Mul,
    Numeric: Div div Div
);

/// A typed expression of model `M` whose values have type `Self::Type`:
/// columns, expressions and aggregates. Functions such as `Coalesce` or
/// `Lower` take any `Typed` argument of a fitting type.
pub trait Typed<M> {
    /// The value type.
    type Type: FieldType;
    /// The untyped expression.
    fn into_typed_node(self) -> ExprNode;

    /// The value converted to another type with `CAST`:
    /// `Song::length.cast::<f64>()`.
    fn cast<U: FieldType>(self) -> Expr<M, U>
    where
        Self: Sized,
    {
        Expr::from_node(ExprNode::Cast {
            expr: Box::new(self.into_typed_node()),
            to: U::COLUMN_TYPE.kind,
        })
    }
}

impl<M, T: FieldType> Typed<M> for Column<M, T> {
    type Type = T;
    fn into_typed_node(self) -> ExprNode {
        ExprNode::Column(self.into_ref())
    }
}

impl<M, T: FieldType> Typed<M> for Expr<M, T> {
    type Type = T;
    fn into_typed_node(self) -> ExprNode {
        self.node
    }
}

/// Django's `Value()`: a constant as a typed expression.
#[allow(non_snake_case)]
pub fn Value<M, T: FieldType>(v: T) -> Expr<M, T> {
    Expr::from_node(ExprNode::Value(v.to_value()))
}
