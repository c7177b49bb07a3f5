//! Correlated subqueries: `OuterRef`, `Subquery`, `Exists`, `in` with a
//! subquery, and the `subquery_count` / `subquery_aggregate` helpers.
//!
//! A subquery's outer model is part of its type (`Subquery<Playlist, T>`):
//! using it in a query of another model is a compile error. `OuterRef`
//! refers to the nearest enclosing query over its model, at any depth (the
//! grand-parent too); one that no enclosing query provides is reported
//! when the SQL is rendered, naming the model.

use crate::aggregate::{Agg, AggSource};
use crate::ast::{AggFunc, Aggregate, Cond, ExprNode, Func, Relation, Select};
use crate::column::Column;
use crate::expr::{Expr, IntoExpr, Typed};
use crate::field::FieldType;
use crate::model::Model;
use crate::q::Q;
use crate::queryset::QuerySetBuilder;
use crate::select_list::SelectItem;
use crate::value::{Kind, Value};
use crate::values::Values;

/// A column of the enclosing query over model `P` (Django's `OuterRef`).
pub struct OuterRef<P, T> {
    node: ExprNode,
    _t: crate::Marker<(P, T)>,
}

/// What `OuterRef` can refer to: a column of the outer model, possibly
/// through foreign keys (`Book::publisher.then(Publisher::name)`), through
/// a multi-valued relation (`Publisher::books.then(Book::rating)`, which
/// the outer query joins, one row per related row; nullable), or a
/// declared annotation field the outer query fills (`User::total`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a column an `OuterRef` can refer to",
    label = "expected a column of the outer model, such as `Model::field` or a path from it"
)]
pub trait OuterColumn {
    /// The outer model.
    type Model;
    /// The column's type.
    type Type: FieldType;
    /// The reference, as an expression of the subquery.
    fn outer_node(self) -> ExprNode;
}

impl<P: Model, T: FieldType> OuterColumn for Column<P, T> {
    type Model = P;
    type Type = T;
    fn outer_node(self) -> ExprNode {
        ExprNode::OuterRef {
            table: P::META.table,
            column: self.into_ref(),
        }
    }
}

impl<P: Model, R, T: FieldType> OuterColumn for crate::relation::RelColumn<P, R, T> {
    type Model = P;
    type Type = T::Nullable;
    fn outer_node(self) -> ExprNode {
        ExprNode::OuterRef {
            table: P::META.table,
            column: self.joined(),
        }
    }
}

impl<P: Model, T: FieldType> OuterColumn for crate::model::Annotation<P, T> {
    type Model = P;
    type Type = T;
    fn outer_node(self) -> ExprNode {
        ExprNode::OuterAnnotation {
            table: P::META.table,
            index: self.index(),
            nullable: T::NULLABLE,
            kind: T::COLUMN_TYPE.kind,
        }
    }
}

/// Refers to `column` of the nearest enclosing query over its model.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Playlist {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 100)] pub name: String,
/// # }
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Song {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(related_name = "songs")] pub playlist: ForeignKey<Playlist>,
/// #     #[orm(max_length = 100)] pub title: String,
/// #     pub length: i32,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Playlist::META, Song::META]).await?;
/// # let rock = Playlist::objects().create(&db, Playlist { id: 0, name: "rock".into() }).await?;
/// # let jazz = Playlist::objects().create(&db, Playlist { id: 0, name: "jazz".into() }).await?;
/// # Playlist::objects().create(&db, Playlist { id: 0, name: "empty".into() }).await?;
/// # for (p, title, length) in [(&rock, "anthem", 200), (&rock, "ballad", 100), (&jazz, "blue", 50)] {
/// #     Song::objects().create(&db, Song { id: 0, playlist: p.into(), title: title.into(), length }).await?;
/// # }
/// // Each playlist with the title of its longest song:
/// // (SELECT "t1"."title" FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id"
/// //   ORDER BY "t1"."length" DESC LIMIT $1)
/// let longest = Song::objects()
///     .filter(Song::playlist.eq(OuterRef(Playlist::id)))
///     .order_by(Song::length.desc())
///     .values(Song::title)
///     .limit(1)
///     .subquery();
/// # let sql = Playlist::objects().annotate(longest.clone()).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.contains(r#"(SELECT "t1"."title" FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id" ORDER BY "t1"."length" DESC LIMIT $1)"#), "{sql}");
/// let rows: Vec<(Playlist, Option<String>)> =
///     Playlist::objects().annotate(longest).order_by(Playlist::id.asc()).all(&db).await?;
/// let titles: Vec<Option<&str>> = rows.iter().map(|(_, t)| t.as_deref()).collect();
/// assert_eq!(titles, [Some("anthem"), Some("blue"), None]);
/// # Ok(()) }
/// ```
#[allow(non_snake_case)]
pub fn OuterRef<C: OuterColumn>(column: C) -> OuterRef<C::Model, C::Type> {
    OuterRef {
        node: column.outer_node(),
        _t: std::marker::PhantomData,
    }
}

/// An outer column as a typed expression, so functions and transforms take
/// it: `ExtractYear(OuterRef(Book::published))`.
impl<M, P: Model, T: FieldType> Typed<M> for OuterRef<P, T> {
    type Type = T;
    fn into_typed_node(self) -> ExprNode {
        self.node
    }
}

impl<M, P: Model, T: FieldType> IntoExpr<M, T::Compare> for OuterRef<P, T> {
    type Nullability = T::Nullability;
    fn into_node(self) -> ExprNode {
        self.node
    }
}

/// A scalar subquery usable in queries of model `O`, producing `T` (NULL
/// when it returns no row, so `T` is nullable).
pub struct Subquery<O, T> {
    select: Select,
    _t: crate::Marker<(O, T)>,
}

impl<O, T> Clone for Subquery<O, T> {
    fn clone(&self) -> Self {
        Subquery {
            select: self.select.clone(),
            _t: std::marker::PhantomData,
        }
    }
}

impl<O, T> std::fmt::Debug for Subquery<O, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.select.fmt(f)
    }
}

impl<O, T: FieldType> Subquery<O, T> {
    fn new(select: Select) -> Self {
        Subquery {
            select,
            _t: std::marker::PhantomData,
        }
    }
}

impl<M: Model, L: SelectItem<M> + crate::select_list::SelectList<M> + 'static> Values<M, L> {
    /// This one-column queryset as a scalar subquery of queries over `O`.
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Playlist {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(max_length = 100)] pub name: String,
    /// # }
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Song {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(related_name = "songs")] pub playlist: ForeignKey<Playlist>,
    /// #     #[orm(max_length = 100)] pub title: String,
    /// #     pub length: i32,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Playlist::META, Song::META]).await?;
    /// # let rock = Playlist::objects().create(&db, Playlist { id: 0, name: "rock".into() }).await?;
    /// # let jazz = Playlist::objects().create(&db, Playlist { id: 0, name: "jazz".into() }).await?;
    /// # Playlist::objects().create(&db, Playlist { id: 0, name: "empty".into() }).await?;
    /// # for (p, title, length) in [(&rock, "anthem", 200), (&rock, "ballad", 100), (&jazz, "blue", 50)] {
    /// #     Song::objects().create(&db, Song { id: 0, playlist: p.into(), title: title.into(), length }).await?;
    /// # }
    /// // (SELECT SUM("t1"."length") FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id")
    /// // (one group per outer row, so no GROUP BY is written)
    /// let total: Subquery<Playlist, Option<i64>> = Song::objects()
    ///     .filter(Song::playlist.eq(OuterRef(Playlist::id)))
    ///     .values(Song::playlist)
    ///     .values_list(Sum(Song::length))
    ///     .subquery();
    /// # let sql = Playlist::objects().filter(total.clone().gt(100)).to_sql(Dialect::Postgres)?.sql;
    /// # assert!(sql.contains(r#"(SELECT SUM("t1"."length") FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id")"#), "{sql}");
    /// // Usable wherever an expression of a playlist query is: here a filter.
    /// let long: Vec<String> =
    ///     Playlist::objects().filter(total.gt(100)).values(Playlist::name).all(&db).await?;
    /// assert_eq!(long, ["rock"]);
    /// # Ok(()) }
    /// ```
    pub fn subquery<O>(self) -> Subquery<O, <L::Field as FieldType>::Nullable> {
        Subquery::new(self.into_queryset().into_statement())
    }
}

impl<O, T: FieldType> Typed<O> for Subquery<O, T> {
    type Type = T;
    fn into_typed_node(self) -> ExprNode {
        ExprNode::Subquery(Box::new(self.select))
    }
}

impl<O, T: FieldType> IntoExpr<O, T::Compare> for Subquery<O, T> {
    type Nullability = T::Nullability;
    fn into_node(self) -> ExprNode {
        ExprNode::Subquery(Box::new(self.select))
    }
}

impl<O, T: FieldType> AggSource<O> for Subquery<O, T> {
    type Related = O;
    type Value = T;
    fn into_parts(self) -> (Option<Relation>, Option<ExprNode>) {
        (None, Some(ExprNode::Subquery(Box::new(self.select))))
    }
}

impl<O, T: FieldType> crate::order::Sortable<O> for Subquery<O, T> {
    fn order_expr(self) -> ExprNode {
        ExprNode::Subquery(Box::new(self.select))
    }
}

impl<O, T: FieldType> crate::lookup::Lookups<O, T> for Subquery<O, T> {
    fn lhs(self) -> ExprNode {
        ExprNode::Subquery(Box::new(self.select))
    }
}

/// `EXISTS (subquery)` as a condition on queries over `O`; `!Exists(..)` is
/// `NOT EXISTS`. In `annotate` it gives a `bool`.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct User {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 50)] pub name: String,
/// # }
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Task {
/// #     #[orm(primary_key)] pub id: i64,
/// #     pub user: ForeignKey<User>,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[User::META, Task::META]).await?;
/// # let ann = User::objects().create(&db, User { id: 0, name: "ann".into() }).await?;
/// # User::objects().create(&db, User { id: 0, name: "bob".into() }).await?;
/// # Task::objects().create(&db, Task { id: 0, user: (&ann).into() }).await?;
/// // WHERE EXISTS (SELECT 1 FROM "task" AS "t1" WHERE "t1"."user_id" = "t0"."id")
/// let has_tasks = || Exists(Task::objects().filter(Task::user.eq(OuterRef(User::id))));
/// # let sql = User::objects().filter(has_tasks()).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.ends_with(r#"WHERE EXISTS (SELECT 1 FROM "task" AS "t1" WHERE "t1"."user_id" = "t0"."id")"#), "{sql}");
/// let busy: Vec<String> = User::objects().filter(has_tasks()).values(User::name).all(&db).await?;
/// assert_eq!(busy, ["ann"]);
/// let idle: Vec<String> = User::objects().filter(!has_tasks()).values(User::name).all(&db).await?;
/// assert_eq!(idle, ["bob"]);
/// // As a value: each user with whether they have a task.
/// let flags: Vec<bool> = User::objects().values(has_tasks()).order_by(User::name.asc()).all(&db).await?;
/// assert_eq!(flags, [true, false]);
/// # Ok(()) }
/// ```
#[allow(non_snake_case)]
pub fn Exists<O, S: QuerySetBuilder>(qs: S) -> Q<O> {
    let mut select = qs.into_queryset().into_statement();
    select.order.clear();
    Q::from_cond(Cond::Exists(Box::new(select)))
}

/// A condition as a `bool` value (`CASE WHEN cond THEN TRUE ELSE FALSE END`).
impl<M> SelectItem<M> for Q<M> {
    type Out = bool;
    type Field = bool;
    fn item_node(self) -> ExprNode {
        bool_value(self)
    }
}

/// A condition where a `bool` value goes: `annotate_into(Model::has_x,
/// Exists(..))` fills an `Option<bool>` annotation field, `.set(q)` stores
/// whether `q` holds. Never NULL: a condition that is unknown is false.
impl<M> IntoExpr<M, bool> for Q<M> {
    type Nullability = crate::nullability::NotNull;
    fn into_node(self) -> ExprNode {
        bool_value(self)
    }
}

fn bool_value<M>(q: Q<M>) -> ExprNode {
    ExprNode::Case {
        whens: vec![(q.into_cond(), ExprNode::Value(Value::Bool(true)))],
        default: Some(Box::new(ExprNode::Value(Value::Bool(false)))),
        kind: Kind::Bool,
    }
}

impl<M> crate::select_list::SelectList<M> for Q<M> {
    type Row = bool;
    fn push_nodes(self, out: &mut Vec<ExprNode>) {
        out.push(self.item_node());
    }
    fn decode<R: crate::row::RowReader + ?Sized>(
        r: &mut R,
    ) -> Result<bool, crate::row::DecodeError> {
        bool::decode(r).map_err(|message| crate::row::DecodeError {
            model: "selected values",
            column: "0",
            expected: "bool",
            message,
        })
    }
}

/// The number of rows of `qs` (usually correlated with `OuterRef`), as an
/// expression of queries over `O`: `COALESCE((SELECT COUNT(*) ..), 0)`.
pub fn subquery_count<O, S: QuerySetBuilder>(qs: S) -> Expr<O, i64> {
    let mut select = qs.into_queryset().into_statement();
    select.order.clear();
    select.columns = vec![ExprNode::Aggregate(Box::new(Aggregate {
        func: AggFunc::Count,
        arg: None,
        arg_kind: Kind::I64,
        kind: Kind::I64,
        distinct: false,
        filter: None,
        over: None,
        exact: false,
    }))];
    Expr::from_node(ExprNode::Func {
        func: Func::Coalesce,
        args: vec![
            ExprNode::Subquery(Box::new(select)),
            ExprNode::Value(Value::I64(0)),
        ],
        kind: Kind::I64,
    })
}

/// An aggregate of the rows of `qs` (usually correlated with `OuterRef`),
/// as an expression of queries over `O`; `None` when there are no rows
/// (wrap it in `Coalesce` for a default).
pub fn subquery_aggregate<O, S: QuerySetBuilder, T: FieldType, R>(
    qs: S,
    aggregate: Agg<S::Model, T, R>,
) -> Expr<O, T> {
    let mut select = qs.into_queryset().into_statement();
    select.order.clear();
    select.group_by.clear();
    select.columns = vec![aggregate.into_typed_node()];
    Expr::from_node(ExprNode::Subquery(Box::new(select)))
}

impl<M, T: FieldType> Column<M, T> {
    /// `IN (SELECT ..)` of a one-column `values()` queryset whose values
    /// compare with this column. On MySQL/MariaDB, which refuse LIMIT inside
    /// `IN`, a sliced subquery is wrapped in a derived table.
    pub fn in_query<R: Model, L>(self, query: Values<R, L>) -> Q<M>
    where
        L: SelectItem<R> + crate::select_list::SelectList<R> + 'static,
        L::Field: FieldType<Compare = T::Compare>,
    {
        Q::from_cond(Cond::InSelect {
            lhs: ExprNode::Column(self.into_ref()),
            select: Box::new(query.into_queryset().into_statement()),
        })
    }
}
