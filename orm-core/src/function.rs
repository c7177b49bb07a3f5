//! Scalar expressions: `Case`/`When`, `Coalesce`, `Cast`, `Greatest`/`Least`,
//! text functions (`Lower`, `Upper`, `Length`, `Concat`, `Substr`),
//! `NullIf`, date parts and truncation, and `sql_function!` for declaring
//! your own typed SQL function.

use crate::ast::{Cond, DatePart, ExprNode, Func};
use crate::expr::{Expr, IntoExpr, Typed};
use crate::field::FieldType;
use crate::lookup::TextField;
use crate::nullability::{Both, Either, Nullability, Of};
use crate::q::Condition;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::marker::PhantomData;

fn func<M, T: FieldType>(func: Func, args: Vec<ExprNode>) -> Expr<M, T> {
    Expr::from_node(ExprNode::Func {
        func,
        args,
        kind: T::COLUMN_TYPE.kind,
    })
}

/// Calls a SQL function by name; used by `sql_function!`. The renderer
/// accepts only plain identifiers as names.
pub fn call<M, T: FieldType>(name: &'static str, args: Vec<ExprNode>) -> Expr<M, T> {
    func(Func::Custom(name), args)
}

/// Declares a typed SQL function usable in any queryset expression.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Song {
/// #     #[orm(primary_key)] pub id: i64,
/// #     pub length: i32,
/// # }
/// orm_runtime::sql_function!(
///     /// `SIGN(x)` of an integer.
///     pub fn Sign(x: i32) -> i32 = "SIGN";
/// );
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Song::META]).await?;
/// # for length in [100, 300, 180] {
/// #     Song::objects().create(&db, Song { id: 0, length }).await?;
/// # }
/// // SIGN(("t0"."length" - $1))
/// let signs: Vec<Option<i32>> =
///     Song::objects().values(Sign(Song::length - 180)).order_by(Song::id.asc()).all(&db).await?;
/// # let sql = Song::objects().values(Sign(Song::length - 180)).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.contains(r#"SIGN(("t0"."length" - $1))"#), "{sql}");
/// assert_eq!(signs, [Some(-1), Some(1), Some(0)]);
/// # Ok(()) }
/// ```
///
/// The generated `Sign(Song::length)` has type `Expr<Song, Option<i32>>`
/// (SQL functions return NULL for NULL input). The name is sent as written,
/// so the function must exist on every backend the application uses
/// (`SIGN` does on SQLite, PostgreSQL and MySQL/MariaDB).
#[macro_export]
macro_rules! sql_function {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $out:ty = $sql:literal;) => {
        $(#[$meta])*
        #[allow(non_snake_case)]
        $vis fn $name<M>($($arg: impl $crate::expr::IntoExpr<M, $ty>),*) -> $crate::expr::Expr<M, ::core::option::Option<$out>> {
            $crate::function::call::<M, ::core::option::Option<$out>>(
                $sql,
                ::std::vec![$($crate::expr::IntoExpr::into_node($arg)),*],
            )
        }
    };
}

/// Django's `Case(When(..), default=..)`: the value of the first matching
/// condition.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
/// # pub enum Status { NotStarted = 0, InProgress = 1, Done = 2 }
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Task {
/// #     #[orm(primary_key)] pub id: i64,
/// #     pub status: Status,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Task::META]).await?;
/// # for status in [Status::InProgress, Status::Done, Status::NotStarted, Status::InProgress] {
/// #     Task::objects().create(&db, Task { id: 0, status }).await?;
/// # }
/// // CASE WHEN "t0"."status" = $1 THEN $2 ELSE $3 END
/// // A bare integer is also a key, so the first branch names its type.
/// let busy = || Case::when(Task::status.eq(Status::InProgress), Value(1i64)).otherwise(0i64);
/// # let sql = Task::objects().values(busy()).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.contains(r#"CASE WHEN "t0"."status" = $1 THEN $2 ELSE $3 END"#), "{sql}");
/// let flags: Vec<i64> = Task::objects().values(busy()).order_by(Task::id.asc()).all(&db).await?;
/// assert_eq!(flags, [1, 0, 0, 1]);
/// assert_eq!(Task::objects().aggregate(Sum(busy())).get(&db).await?, Some(2));
///
/// // Several branches, and NULL when none matches.
/// let label = Case::when(Task::status.eq(Status::Done), "done")
///     .and_when(Task::status.eq(Status::InProgress), "busy")
///     .end();
/// let labels: Vec<Option<String>> = Task::objects().values(label).order_by(Task::id.asc()).all(&db).await?;
/// assert_eq!(labels, [Some("busy".into()), Some("done".into()), None, Some("busy".into())]);
/// # Ok(()) }
/// ```
pub struct Case<M, V> {
    whens: Vec<(Cond, ExprNode)>,
    _t: PhantomData<fn() -> (M, V)>,
}

impl<M, V: FieldType> Case<M, V> {
    /// The first branch; its value fixes the result type. A bare integer
    /// fits a key as well as an integer column, so write
    /// `Value(1i64)` (or `Case::<_, i64>::when`) for a plain number.
    pub fn when(q: impl Condition<M>, then: impl IntoExpr<M, V>) -> Self {
        Case {
            whens: vec![(q.into_cond(), then.into_node())],
            _t: PhantomData,
        }
    }

    /// Another branch, tried after the previous ones.
    #[allow(clippy::should_implement_trait)]
    pub fn and_when(mut self, q: impl Condition<M>, then: impl IntoExpr<M, V>) -> Self {
        self.whens.push((q.into_cond(), then.into_node()));
        self
    }

    /// The value when no branch matches.
    pub fn otherwise(self, default: impl IntoExpr<M, V>) -> Expr<M, V> {
        Expr::from_node(ExprNode::Case {
            whens: self.whens,
            default: Some(Box::new(default.into_node())),
            kind: V::COLUMN_TYPE.kind,
        })
    }

    /// NULL when no branch matches.
    pub fn end(self) -> Expr<M, Option<V>> {
        Expr::from_node(ExprNode::Case {
            whens: self.whens,
            default: None,
            kind: V::COLUMN_TYPE.kind,
        })
    }
}

/// `COALESCE(a, b, ..)`: the first argument that is not NULL. Takes a
/// tuple of two to eight arguments of one type; the first is a column or
/// expression, the others may also be plain values. The result is
/// non-nullable when any argument is (as Django's `Coalesce`):
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Publisher {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 50)] pub country: Option<String>,
/// #     #[orm(max_length = 50)] pub city: Option<String>,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Publisher::META]).await?;
/// # for (country, city) in [(Some("UK"), Some("London")), (None, Some("Paris")), (None, None)] {
/// #     let (country, city) = (country.map(String::from), city.map(String::from));
/// #     Publisher::objects().create(&db, Publisher { id: 0, country, city }).await?;
/// # }
/// // COALESCE("t0"."country", "t0"."city", $1): an Expr<Publisher, String>
/// let place: Vec<String> = Publisher::objects()
///     .values(Coalesce((Publisher::country, Publisher::city, "??")))
///     .order_by(Publisher::id.asc())
///     .all(&db)
///     .await?;
/// assert_eq!(place, ["UK", "Paris", "??"]);
/// # let sql = Publisher::objects().values(Coalesce((Publisher::country, Publisher::city, "??"))).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.contains(r#"COALESCE("t0"."country", "t0"."city", $1)"#), "{sql}");
///
/// // COALESCE("t0"."country", "t0"."city"): an Expr<Publisher, Option<String>>
/// let maybe: Vec<Option<String>> = Publisher::objects()
///     .values(Coalesce((Publisher::country, Publisher::city)))
///     .order_by(Publisher::id.asc())
///     .all(&db)
///     .await?;
/// assert_eq!(maybe, [Some("UK".into()), Some("Paris".into()), None]);
/// # let sql = Publisher::objects().values(Coalesce((Publisher::country, Publisher::city))).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.contains(r#"COALESCE("t0"."country", "t0"."city") FROM"#), "{sql}");
/// # Ok(()) }
/// ```
#[allow(non_snake_case)]
pub fn Coalesce<M, L: CoalesceArgs<M>>(
    args: L,
) -> Expr<M, Of<L::Nullability, <L as CoalesceArgs<M>>::Compare>> {
    func(Func::Coalesce, args.into_nodes())
}

/// The arguments of [`Coalesce`]: a tuple of two to eight expressions of one
/// comparison type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of Coalesce arguments of `{M}`",
    label = "expected a tuple of two to eight arguments: a column or expression of `{M}` first, then columns, expressions or values of the same type"
)]
pub trait CoalesceArgs<M> {
    /// The arguments' comparison type.
    type Compare: FieldType;
    /// `MaybeNull` only when every argument is.
    type Nullability: Nullability;
    /// The untyped arguments, in order.
    fn into_nodes(self) -> Vec<ExprNode>;
}

type Cmp<A, M> = <<A as Typed<M>>::Type as FieldType>::Compare;
type NullOf<A, M> = <<A as Typed<M>>::Type as FieldType>::Nullability;
/// `A`'s comparison type, nullable when `A` or an operand of nullability `N` is.
type EitherNull<A, N, M> = Of<Either<NullOf<A, M>, N>, Cmp<A, M>>;

macro_rules! coalesce_args {
    ($($b:ident)+) => {
        impl<M, A: Typed<M>, $($b: IntoExpr<M, Cmp<A, M>>),+> CoalesceArgs<M> for (A, $($b),+)
        where
            Cmp<A, M>: FieldType,
        {
            type Compare = Cmp<A, M>;
            type Nullability = coalesce_args!(@both NullOf<A, M>; $($b)+);
            #[allow(non_snake_case)]
            fn into_nodes(self) -> Vec<ExprNode> {
                let (a, $($b),+) = self;
                vec![a.into_typed_node(), $($b.into_node()),+]
            }
        }
    };
    (@both $acc:ty; $b:ident $($rest:ident)*) => {
        coalesce_args!(@both Both<$acc, $b::Nullability>; $($rest)*)
    };
    (@both $acc:ty;) => { $acc };
}

coalesce_args!(B);
coalesce_args!(B C);
coalesce_args!(B C D);
coalesce_args!(B C D E);
coalesce_args!(B C D E G);
coalesce_args!(B C D E G H);
coalesce_args!(B C D E G H I);

/// The larger of two values; NULL if either is NULL, on every backend.
#[allow(non_snake_case)]
pub fn Greatest<M, A: Typed<M>, B: IntoExpr<M, Cmp<A, M>>>(
    a: A,
    b: B,
) -> Expr<M, EitherNull<A, B::Nullability, M>>
where
    Cmp<A, M>: FieldType,
{
    func(Func::Greatest, vec![a.into_typed_node(), b.into_node()])
}

/// The smaller of two values; NULL if either is NULL, on every backend.
#[allow(non_snake_case)]
pub fn Least<M, A: Typed<M>, B: IntoExpr<M, Cmp<A, M>>>(
    a: A,
    b: B,
) -> Expr<M, EitherNull<A, B::Nullability, M>>
where
    Cmp<A, M>: FieldType,
{
    func(Func::Least, vec![a.into_typed_node(), b.into_node()])
}

/// `NULLIF(a, b)`: NULL when `a` equals `b`, else `a`.
#[allow(non_snake_case)]
pub fn NullIf<M, A: Typed<M>>(
    a: A,
    b: impl IntoExpr<M, <A::Type as FieldType>::Compare>,
) -> Expr<M, <A::Type as FieldType>::Nullable> {
    func(Func::NullIf, vec![a.into_typed_node(), b.into_node()])
}

/// Lower-case text.
#[allow(non_snake_case)]
pub fn Lower<M, A: Typed<M>>(a: A) -> Expr<M, A::Type>
where
    A::Type: TextField,
{
    func(Func::Lower, vec![a.into_typed_node()])
}

/// Upper-case text.
#[allow(non_snake_case)]
pub fn Upper<M, A: Typed<M>>(a: A) -> Expr<M, A::Type>
where
    A::Type: TextField,
{
    func(Func::Upper, vec![a.into_typed_node()])
}

/// Length of text in characters (`CHAR_LENGTH` on MySQL).
#[allow(non_snake_case)]
pub fn Length<M, A: Typed<M>>(a: A) -> Expr<M, <A::Type as TextField>::Length>
where
    A::Type: TextField,
{
    func(Func::Length, vec![a.into_typed_node()])
}

/// Concatenation of two texts; a NULL counts as empty text (as in Django).
#[allow(non_snake_case)]
pub fn Concat<M, A: Typed<M>>(a: A, b: impl IntoExpr<M, String>) -> Expr<M, String>
where
    A::Type: TextField,
{
    func(Func::Concat, vec![a.into_typed_node(), b.into_node()])
}

/// `length` characters of text starting at the 1-based `position`.
#[allow(non_snake_case)]
pub fn Substr<M, A: Typed<M>>(a: A, position: i32, length: i32) -> Expr<M, A::Type>
where
    A::Type: TextField,
{
    func(
        Func::Substr,
        vec![
            a.into_typed_node(),
            ExprNode::Value(crate::value::Value::I32(position)),
            ExprNode::Value(crate::value::Value::I32(length)),
        ],
    )
}

/// Date and time types, whose parts can be extracted.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a date or time",
    label = "date parts and truncation need a NaiveDate, NaiveDateTime or DateTime<Utc> column"
)]
pub trait Temporal: FieldType {
    /// The type of an extracted part (`i32`, nullable if `Self` is).
    type Part: FieldType;
}
impl Temporal for NaiveDate {
    type Part = i32;
}
impl Temporal for NaiveDateTime {
    type Part = i32;
}
impl Temporal for DateTime<Utc> {
    type Part = i32;
}
impl<T: Temporal> Temporal for Option<T> {
    type Part = Option<i32>;
}

macro_rules! date_functions {
    ($($extract:ident $trunc:ident $part:ident $what:literal;)*) => {$(
        #[doc = concat!("The ", $what, " of a date or time, as an integer.")]
        #[allow(non_snake_case)]
        pub fn $extract<M, A: Typed<M>>(a: A) -> Expr<M, <A::Type as Temporal>::Part>
        where
            A::Type: Temporal,
        {
            func(Func::Extract(DatePart::$part), vec![a.into_typed_node()])
        }

        #[doc = concat!("A date or time truncated to the start of its ", $what, ".")]
        #[allow(non_snake_case)]
        pub fn $trunc<M, A: Typed<M>>(a: A) -> Expr<M, A::Type>
        where
            A::Type: Temporal,
        {
            func(Func::Trunc(DatePart::$part), vec![a.into_typed_node()])
        }
    )*};
}

date_functions! {
    ExtractYear TruncYear Year "year";
    ExtractMonth TruncMonth Month "month";
    ExtractDay TruncDay Day "day";
}
