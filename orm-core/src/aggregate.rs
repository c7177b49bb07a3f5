//! Aggregates: `Count`, `Sum`, `Avg`, `Min`, `Max`, `StdDev`, `Variance`
//! (and their `Sample` forms), each with an optional `filter` and
//! `distinct`, over a column of the queryset's model or over a multi-valued
//! relation (`Publisher::books`).
//!
//! Result types follow Django: `Count` is `i64`; `Sum` of integers is
//! `Option<i64>` (NULL over no rows), of floats `Option<f64>`, of decimals
//! `Option<Decimal>`; `Avg` of integers or floats is `Option<f64>` (the full
//! double on every backend), of decimals `Option<Decimal>`; `Min`/`Max` keep
//! the column's type (made nullable). `.output::<U>()` requests another type
//! with a CAST.
//!
//! `Sum` and `Avg` of a `TimeDelta` column are `Option<TimeDelta>`, computed
//! on the stored microseconds; `Avg` is the integer quotient of the sum by
//! the count, truncated toward zero, on every backend (Django leaves the
//! rounding to each database).

use crate::ast::{AggFunc, Aggregate, ExprNode, Relation};
use crate::column::Column;
use crate::expr::{Expr, IntoExpr, Typed};
use crate::field::FieldType;
use crate::q::Condition;
use crate::relation::{ManyToManyRel, RelColumn, Reverse};
use crate::value::Kind;
use rust_decimal::Decimal;
use std::marker::PhantomData;

/// An aggregate over rows of model `M` producing `T`. `R` is the model its
/// `filter` conditions are about: `M` itself, or the related model when the
/// aggregate runs over a relation.
pub struct Agg<M, T, R = M> {
    agg: Aggregate,
    _t: crate::Marker<(M, T, R)>,
}

impl<M, T, R> Clone for Agg<M, T, R> {
    fn clone(&self) -> Self {
        Agg {
            agg: self.agg.clone(),
            _t: PhantomData,
        }
    }
}

impl<M, T, R> std::fmt::Debug for Agg<M, T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.agg.fmt(f)
    }
}

impl<M, T: FieldType, R> Agg<M, T, R> {
    fn new(func: AggFunc, over: Option<Relation>, arg: Option<ExprNode>, arg_kind: Kind) -> Self {
        Agg {
            agg: Aggregate {
                func,
                arg,
                arg_kind,
                kind: T::COLUMN_TYPE.kind,
                distinct: false,
                filter: None,
                over,
                exact: false,
            },
            _t: PhantomData,
        }
    }

    /// Aggregates only rows matching the condition: `FILTER (WHERE ..)` on
    /// PostgreSQL and SQLite, `CASE WHEN .. END` inside the aggregate on
    /// MySQL/MariaDB, with the same result.
    pub fn filter(mut self, q: impl Condition<R>) -> Self {
        let cond = q.into_cond();
        self.agg.filter = Some(match self.agg.filter.take() {
            Some(prev) => crate::ast::Cond::All(vec![prev, cond]),
            None => cond,
        });
        self
    }

    /// Aggregates distinct values only (`COUNT(DISTINCT x)`).
    pub fn distinct(mut self) -> Self {
        self.agg.distinct = true;
        self
    }

    /// The result as another type, through `CAST`.
    pub fn output<U: FieldType>(self) -> Expr<M, U> {
        Expr::from_node(ExprNode::Cast {
            expr: Box::new(ExprNode::Aggregate(Box::new(self.agg))),
            to: U::COLUMN_TYPE.kind,
        })
    }

    /// As a plain typed expression.
    pub fn expr(self) -> Expr<M, T> {
        Expr::from_node(ExprNode::Aggregate(Box::new(self.agg)))
    }
}

impl<M, T: FieldType, R> Typed<M> for Agg<M, T, R> {
    type Type = T;
    fn into_typed_node(self) -> ExprNode {
        ExprNode::Aggregate(Box::new(self.agg))
    }
}

impl<M, T: FieldType, R> IntoExpr<M, T::Compare> for Agg<M, T, R> {
    type Nullability = T::Nullability;
    fn into_node(self) -> ExprNode {
        ExprNode::Aggregate(Box::new(self.agg))
    }
}

/// What an aggregate can run over: a column or expression of the model, a
/// column of a related model (`Publisher::books.then(Book::pages)`), or, for
/// `Count`, a relation itself (`Publisher::books`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be aggregated in a query on `{M}`",
    label = "expected a column or expression of `{M}`, or a relation of `{M}` such as `{M}::<related_name>`"
)]
pub trait AggSource<M> {
    /// The model `filter` conditions are about.
    type Related;
    /// The aggregated values' type.
    type Value: FieldType;
    /// The relation to aggregate over, and the argument.
    fn into_parts(self) -> (Option<Relation>, Option<ExprNode>);
}

impl<M, T: FieldType> AggSource<M> for Column<M, T> {
    type Related = M;
    type Value = T;
    fn into_parts(self) -> (Option<Relation>, Option<ExprNode>) {
        (None, Some(ExprNode::Column(self.into_ref())))
    }
}

impl<M, T: FieldType> AggSource<M> for Expr<M, T> {
    type Related = M;
    type Value = T;
    fn into_parts(self) -> (Option<Relation>, Option<ExprNode>) {
        (None, Some(self.node))
    }
}

impl<M, R, T: FieldType> AggSource<M> for RelColumn<M, R, T> {
    type Related = R;
    type Value = T;
    fn into_parts(self) -> (Option<Relation>, Option<ExprNode>) {
        let (rel, col) = self.into_parts();
        (Some(rel), Some(ExprNode::Column(col)))
    }
}

impl<M, R> AggSource<M> for Reverse<M, R> {
    type Related = R;
    type Value = i64;
    fn into_parts(self) -> (Option<Relation>, Option<ExprNode>) {
        (Some(self.relation()), None)
    }
}

impl<M: crate::model::Model, R: crate::model::Model> AggSource<M> for ManyToManyRel<M, R> {
    type Related = R;
    type Value = i64;
    fn into_parts(self) -> (Option<Relation>, Option<ExprNode>) {
        (Some(self.relation()), None)
    }
}

/// Types that can be summed and averaged, with Django's result types:
/// numbers, and durations (whose sum and average are durations).
#[diagnostic::on_unimplemented(
    message = "`{Self}` values cannot be summed or averaged",
    label = "Sum and Avg need an integer, float, Decimal or TimeDelta column"
)]
pub trait Summable {
    /// Result of `Sum`.
    type Sum: FieldType;
    /// Result of `Avg`.
    type Avg: FieldType;
}

macro_rules! summable {
    ($($t:ty => $sum:ty, $avg:ty;)*) => {$(
        impl Summable for $t {
            type Sum = $sum;
            type Avg = $avg;
        }
    )*};
}

summable! {
    i16 => Option<i64>, Option<f64>;
    i32 => Option<i64>, Option<f64>;
    i64 => Option<i64>, Option<f64>;
    f32 => Option<f64>, Option<f64>;
    f64 => Option<f64>, Option<f64>;
    Decimal => Option<Decimal>, Option<Decimal>;
    chrono::TimeDelta => Option<chrono::TimeDelta>, Option<chrono::TimeDelta>;
}

/// A key sums and averages as its plain value (`Sum(Book::id)`), as it did
/// before keys carried their model.
impl<T: crate::model::Model> Summable for crate::field::Key<T>
where
    T::Pk: Summable,
{
    type Sum = <T::Pk as Summable>::Sum;
    type Avg = <T::Pk as Summable>::Avg;
}

/// Numeric types whose spread (`StdDev`, `Variance`) is a float.
#[diagnostic::on_unimplemented(
    message = "`{Self}` values have no standard deviation or variance",
    label = "StdDev and Variance need an integer, float or Decimal column"
)]
pub trait Spread {}
impl Spread for i16 {}
impl Spread for i32 {}
impl Spread for i64 {}
impl Spread for f32 {}
impl Spread for f64 {}
impl Spread for Decimal {}
impl<T: crate::model::Model> Spread for crate::field::Key<T> where T::Pk: Spread {}

type Compare<S, M> = <<S as AggSource<M>>::Value as FieldType>::Compare;

fn parts<M, S: AggSource<M>>(s: S) -> (Option<Relation>, Option<ExprNode>, Kind) {
    let (rel, arg) = s.into_parts();
    (rel, arg, <S::Value as FieldType>::COLUMN_TYPE.kind)
}

/// `COUNT(x)`: the number of non-NULL values, or of related rows when given
/// a relation (`Count(Publisher::books)`).
#[allow(non_snake_case)]
pub fn Count<M, S: AggSource<M>>(source: S) -> Agg<M, i64, S::Related> {
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::Count, rel, arg, kind)
}

/// `COUNT(*)`: the number of rows.
#[allow(non_snake_case)]
pub fn CountAll<M>() -> Agg<M, i64, M> {
    Agg::new(AggFunc::Count, None, None, Kind::I64)
}

/// `SUM(x)`.
#[allow(non_snake_case)]
pub fn Sum<M, S: AggSource<M>>(source: S) -> Agg<M, <Compare<S, M> as Summable>::Sum, S::Related>
where
    Compare<S, M>: Summable,
{
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::Sum, rel, arg, kind)
}

/// `AVG(x)`. Of a `TimeDelta` column it is the sum divided by the count in
/// whole microseconds, truncated toward zero (`-1.5µs` gives `-1µs`), the
/// same on every backend: `SUM(x) / COUNT(x)` on SQLite,
/// `DIV(SUM(x), COUNT(x))` on PostgreSQL, `SUM(x) DIV COUNT(x)` on MySQL.
#[allow(non_snake_case)]
pub fn Avg<M, S: AggSource<M>>(source: S) -> Agg<M, <Compare<S, M> as Summable>::Avg, S::Related>
where
    Compare<S, M>: Summable,
{
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::Avg, rel, arg, kind)
}

/// The type of `Min`/`Max`: the values' type made nullable; of a key (a
/// primary or foreign key column), the plain key value, as `values()`
/// gives it.
type MinMax<S, M> = <<<S as AggSource<M>>::Value as FieldType>::Selected as FieldType>::Nullable;

/// `MIN(x)`, of the column's type.
#[allow(non_snake_case)]
pub fn Min<M, S: AggSource<M>>(source: S) -> Agg<M, MinMax<S, M>, S::Related> {
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::Min, rel, arg, kind)
}

/// `MAX(x)`, of the column's type.
#[allow(non_snake_case)]
pub fn Max<M, S: AggSource<M>>(source: S) -> Agg<M, MinMax<S, M>, S::Related> {
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::Max, rel, arg, kind)
}

/// Population standard deviation (`STDDEV_POP`), in double precision, on
/// every backend (SQLite gets it registered on each connection, computed as
/// PostgreSQL does). NULL over no rows.
#[allow(non_snake_case)]
pub fn StdDev<M, S: AggSource<M>>(source: S) -> Agg<M, Option<f64>, S::Related>
where
    Compare<S, M>: Spread,
{
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::StdDev, rel, arg, kind)
}

/// Sample standard deviation (`STDDEV_SAMP`, Django's `sample=True`):
/// divides by n - 1, so NULL over fewer than two rows.
#[allow(non_snake_case)]
pub fn StdDevSample<M, S: AggSource<M>>(source: S) -> Agg<M, Option<f64>, S::Related>
where
    Compare<S, M>: Summable,
{
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::StdDevSample, rel, arg, kind)
}

/// Population variance (`VAR_POP`), in double precision, on every backend.
/// NULL over no rows.
#[allow(non_snake_case)]
pub fn Variance<M, S: AggSource<M>>(source: S) -> Agg<M, Option<f64>, S::Related>
where
    Compare<S, M>: Spread,
{
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::Variance, rel, arg, kind)
}

/// Sample variance (`VAR_SAMP`, Django's `sample=True`): divides by n - 1,
/// so NULL over fewer than two rows.
#[allow(non_snake_case)]
pub fn VarianceSample<M, S: AggSource<M>>(source: S) -> Agg<M, Option<f64>, S::Related>
where
    Compare<S, M>: Summable,
{
    let (rel, arg, kind) = parts(source);
    Agg::new(AggFunc::VarianceSample, rel, arg, kind)
}
