//! Correlated subqueries: `Model::correlated`, `Subquery`, `Exists`, `in`
//! with a subquery, and the `subquery_count` / `subquery_aggregate` helpers.
//!
//! A subquery's outer query is part of its type: `Playlist::correlated(|p|
//! ..)` builds a subquery of queries over `Playlist` (a
//! `Correlated<Playlist, _>`), and its closure receives `p`, the typed
//! handle of the outer query's columns (`p.id`, `p.name`; Django's
//! `OuterRef("id")`). A handle exists only inside its closure, a subquery
//! used in a query of another model is a compile error, and a reference
//! two levels up is a handle of the enclosing closure: scope is checked at
//! any depth by the compiler.

use crate::aggregate::{Agg, AggSource};
use crate::ast::{AggFunc, Aggregate, ColumnRef, Cond, ExprNode, Func, Relation, Select};
use crate::column::Column;
use crate::expr::{Expr, IntoExpr, Typed};
use crate::field::{FieldType, ForeignKey, Key};
use crate::model::Model;
use crate::q::Q;
use crate::queryset::QuerySetBuilder;
use crate::select_list::SelectItem;
use crate::value::{Kind, Value};
use crate::values::Values;
use std::cell::Cell;
use std::marker::PhantomData;

thread_local! {
    /// How many `correlated` closures are running on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// One running `correlated` closure: its depth is its correlation scope.
/// Subqueries built at the same depth have the same scope, so two copies of
/// one subquery are equal expressions (one GROUP BY key, one selected
/// ordering key); an outer reference resolves to the innermost enclosing
/// subquery of its scope, which is the one its handle was made for: a
/// subquery of the same depth nested inside was built outside the closure,
/// where the handle does not exist.
struct Level(u32);

impl Level {
    fn enter() -> Level {
        Level(DEPTH.with(|d| {
            let depth = d.get() + 1;
            d.set(depth);
            depth
        }))
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(self.0 - 1));
    }
}

/// The outer query of a correlated subquery over model `P`, as seen from
/// inside it. `Model::correlated` passes its closure the model's generated
/// handle (`<Model>Outer`, with one [`OuterRef`] per column and annotation
/// field: `p.id`), which dereferences to this for [`Outer::col`].
pub struct Outer<P> {
    scope: u32,
    _p: PhantomData<fn() -> P>,
}

impl<P> Clone for Outer<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Outer<P> {}

impl<P: Model> Outer<P> {
    /// A column of the outer query reached through a path
    /// (`b.col(Book::publisher.then(Publisher::name))`, joined by the outer
    /// query), through a multi-valued relation
    /// (`p.col(Publisher::books.then(Book::rating))`: the outer query joins
    /// it, one row per related row; nullable), or any column or annotation
    /// handle of the outer model (`p.col(Playlist::id)`, the same as `p.id`).
    pub fn col<C: OuterColumn<P>>(self, column: C) -> OuterPath<P, C::Type> {
        OuterPath {
            node: column.outer_node(self.scope),
            _t: PhantomData,
        }
    }

    /// The handle of a column of `P`'s own table. Used by generated code.
    #[doc(hidden)]
    pub fn __column<T: FieldType>(self, column: Column<P, T>) -> OuterRef<P, T> {
        OuterRef {
            scope: self.scope,
            source: OuterSource::Column(column.name()),
            _t: PhantomData,
        }
    }

    /// The handle of an annotation field of `P`. Used by generated code.
    #[doc(hidden)]
    pub fn __annotation<T: FieldType>(self, a: crate::model::Annotation<P, T>) -> OuterRef<P, T> {
        OuterRef {
            scope: self.scope,
            source: OuterSource::Annotation(a.index()),
            _t: PhantomData,
        }
    }
}

/// A column or annotation field of the outer query over `P`, of type `T`
/// (Django's `OuterRef("field")`): a field of the handle
/// `Model::correlated` gives its closure (`p.id`). `Copy`, so one handle
/// field can be used several times.
///
/// `C` is what it compares with (the type's `FieldType::Compare`), part of
/// the type so a comparison with a value of another type is reported as
/// such.
pub struct OuterRef<P, T: FieldType, C = <T as FieldType>::Compare> {
    scope: u32,
    source: OuterSource,
    _t: crate::Marker<(P, T, C)>,
}

#[derive(Clone, Copy)]
enum OuterSource {
    Column(&'static str),
    Annotation(u16),
}

impl<P, T: FieldType, C> Clone for OuterRef<P, T, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, T: FieldType, C> Copy for OuterRef<P, T, C> {}

impl<P: Model, T: FieldType, C> OuterRef<P, T, C> {
    fn node(self) -> ExprNode {
        let table = P::META.table;
        match self.source {
            OuterSource::Column(column) => ExprNode::OuterRef {
                scope: self.scope,
                table,
                column: ColumnRef::local(column, T::NULLABLE, T::COLUMN_TYPE.kind),
            },
            OuterSource::Annotation(index) => ExprNode::OuterAnnotation {
                scope: self.scope,
                table,
                index,
                nullable: T::NULLABLE,
                kind: T::COLUMN_TYPE.kind,
            },
        }
    }

    fn retyped<U: FieldType>(self) -> OuterRef<P, U> {
        OuterRef {
            scope: self.scope,
            source: self.source,
            _t: PhantomData,
        }
    }
}

impl<P: Model, K: Model> OuterRef<P, Key<K>> {
    /// This primary key as its plain value, which compares with any value
    /// of that type, of any model (`Song::id.plain().gt(l.id.plain())`).
    pub fn plain(self) -> OuterRef<P, K::Pk> {
        self.retyped()
    }
}

impl<P: Model, K: Model> OuterRef<P, ForeignKey<K>> {
    /// This foreign key as its plain key value, which compares with any
    /// value of that type, of any model.
    pub fn plain(self) -> OuterRef<P, K::Pk> {
        self.retyped()
    }
}

/// A column of the outer query over `P` through a path, of type `T`
/// ([`Outer::col`]).
pub struct OuterPath<P, T: FieldType, C = <T as FieldType>::Compare> {
    node: ExprNode,
    _t: crate::Marker<(P, T, C)>,
}

impl<P, T: FieldType, C> Clone for OuterPath<P, T, C> {
    fn clone(&self) -> Self {
        OuterPath {
            node: self.node.clone(),
            _t: PhantomData,
        }
    }
}

impl<P, T: FieldType, C> OuterPath<P, T, C> {
    fn retyped<U: FieldType>(self) -> OuterPath<P, U> {
        OuterPath {
            node: self.node,
            _t: PhantomData,
        }
    }
}

impl<P: Model, K: Model> OuterPath<P, Key<K>> {
    /// This primary key as its plain value (see [`OuterRef::plain`]).
    pub fn plain(self) -> OuterPath<P, K::Pk> {
        self.retyped()
    }
}

impl<P: Model, K: Model> OuterPath<P, ForeignKey<K>> {
    /// This foreign key as its plain key value (see [`OuterRef::plain`]).
    pub fn plain(self) -> OuterPath<P, K::Pk> {
        self.retyped()
    }
}

/// What [`Outer::col`] takes: a column of the outer model, possibly
/// through foreign keys (`Book::publisher.then(Publisher::name)`), through
/// a multi-valued relation (`Publisher::books.then(Book::rating)`), or a
/// declared annotation field the outer query fills (`User::total`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a column of `{P}`, the model of the outer query",
    label = "expected a column of `{P}`, such as `{P}::<field>` or a path from it"
)]
pub trait OuterColumn<P> {
    /// The column's type.
    type Type: FieldType;
    /// The reference, as an expression of the subquery.
    fn outer_node(self, scope: u32) -> ExprNode;
}

/// The model a handle is of is the outer query's model.
#[diagnostic::on_unimplemented(
    message = "a column of `{Self}` used as a column of the outer query over `{O}`",
    label = "this is a column of `{Self}`; the outer query is over `{O}`"
)]
pub trait OuterModel<O> {}

impl<M> OuterModel<M> for M {}

impl<P: Model, M: OuterModel<P>, T: FieldType> OuterColumn<P> for Column<M, T> {
    type Type = T;
    fn outer_node(self, scope: u32) -> ExprNode {
        ExprNode::OuterRef {
            scope,
            table: P::META.table,
            column: self.into_ref(),
        }
    }
}

impl<P: Model, M: OuterModel<P>, R, T: FieldType> OuterColumn<P>
    for crate::relation::RelColumn<M, R, T>
{
    type Type = T::Nullable;
    fn outer_node(self, scope: u32) -> ExprNode {
        ExprNode::OuterRef {
            scope,
            table: P::META.table,
            column: self.joined(),
        }
    }
}

impl<P: Model, M: OuterModel<P>, T: FieldType> OuterColumn<P> for crate::model::Annotation<M, T> {
    type Type = T;
    fn outer_node(self, scope: u32) -> ExprNode {
        ExprNode::OuterAnnotation {
            scope,
            table: P::META.table,
            index: self.index(),
            nullable: T::NULLABLE,
            kind: T::COLUMN_TYPE.kind,
        }
    }
}

/// An outer column as a typed expression, so functions and transforms take
/// it: `ExtractYear(b.published)`.
impl<M, P: Model, T: FieldType, C> Typed<M> for OuterRef<P, T, C> {
    type Type = T;
    fn into_typed_node(self) -> ExprNode {
        self.node()
    }
}

impl<M, P: Model, T: FieldType, C> IntoExpr<M, C> for OuterRef<P, T, C> {
    type Nullability = T::Nullability;
    fn into_node(self) -> ExprNode {
        self.node()
    }
}

impl<M, P: Model, T: FieldType, C> Typed<M> for OuterPath<P, T, C> {
    type Type = T;
    fn into_typed_node(self) -> ExprNode {
        self.node
    }
}

impl<M, P: Model, T: FieldType, C> IntoExpr<M, C> for OuterPath<P, T, C> {
    type Nullability = T::Nullability;
    fn into_node(self) -> ExprNode {
        self.node
    }
}

/// A queryset correlated with an outer query over `O`: made by
/// `O::correlated(|outer| queryset)`, usable only in queries over `O`
/// (as `Exists(..)`, `subquery_count(..)`, `subquery_aggregate(..)`, or
/// `.subquery()` of a one-column `values()` queryset).
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
/// let longest = Playlist::correlated(|p| {
///     Song::objects()
///         .filter(Song::playlist.eq(p.id))
///         .order_by(Song::length.desc())
///         .values(Song::title)
///         .limit(1)
/// })
/// .subquery();
/// # let sql = Playlist::objects().annotate(longest.clone()).to_sql(Dialect::Postgres)?.sql;
/// # assert!(sql.contains(r#"(SELECT "t1"."title" FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id" ORDER BY "t1"."length" DESC LIMIT $1)"#), "{sql}");
/// let rows: Vec<(Playlist, Option<String>)> =
///     Playlist::objects().annotate(longest).order_by(Playlist::id.asc()).all(&db).await?;
/// let titles: Vec<Option<&str>> = rows.iter().map(|(_, t)| t.as_deref()).collect();
/// assert_eq!(titles, [Some("anthem"), Some("blue"), None]);
/// # Ok(()) }
/// ```
pub struct Correlated<O, S> {
    scope: u32,
    query: S,
    _o: PhantomData<fn() -> O>,
}

impl<O, S: Clone> Clone for Correlated<O, S> {
    fn clone(&self) -> Self {
        Correlated {
            scope: self.scope,
            query: self.query.clone(),
            _o: PhantomData,
        }
    }
}

impl<O, S: std::fmt::Debug> std::fmt::Debug for Correlated<O, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.query.fmt(f)
    }
}

impl<O: Model, S> Correlated<O, S> {
    /// Builds the subquery with the outer query's handle. Used by
    /// `Model::correlated`.
    #[doc(hidden)]
    pub fn build(f: impl FnOnce(O::Outer) -> S) -> Self {
        let level = Level::enter();
        let outer = Outer::<O> {
            scope: level.0,
            _p: PhantomData,
        };
        let query = f(O::Outer::from(outer));
        drop(level);
        Correlated {
            scope: outer.scope,
            query,
            _o: PhantomData,
        }
    }
}

/// A queryset usable as a subquery of queries over `O`: any queryset whose
/// rows do not depend on an outer query, and a [`Correlated`] one made for
/// `O`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a subquery of queries over `{O}`",
    label = "expected a queryset, or `{O}::correlated(|outer| ..)`"
)]
pub trait SubqueryOf<O> {
    /// The model the subquery reads.
    type Model: Model;
    /// The statement, marked with its correlation.
    fn into_select(self) -> Select;
}

impl<O, S: QuerySetBuilder> SubqueryOf<O> for S {
    type Model = S::Model;
    fn into_select(self) -> Select {
        self.into_queryset().into_statement()
    }
}

/// The outer query a subquery was made for is the query it is used in.
#[diagnostic::on_unimplemented(
    message = "a subquery correlated with `{Self}` used in a query over `{O}`",
    label = "made by `{Self}::correlated`; only a query over `{Self}` can use it"
)]
pub trait CorrelatedWith<O> {}

impl<M> CorrelatedWith<M> for M {}

impl<O, P: CorrelatedWith<O>, S: QuerySetBuilder> SubqueryOf<O> for Correlated<P, S> {
    type Model = S::Model;
    fn into_select(self) -> Select {
        let mut select = self.query.into_queryset().into_statement();
        select.correlated = Some(self.scope);
        select
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

/// `.subquery()` of a one-column `values()` queryset (in the prelude). A
/// trait, so selecting two columns is an error naming the mistake.
pub trait ValuesSubquery<M: Model, L: crate::select_list::SelectList<M>> {
    /// This one-column queryset as a scalar subquery of queries over `O`
    /// (one made by `O::correlated(|outer| ..)` refers to the outer rows).
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
    /// let total: Subquery<Playlist, Option<i64>> = Playlist::correlated(|p| {
    ///     Song::objects()
    ///         .filter(Song::playlist.eq(p.id))
    ///         .values(Song::playlist)
    ///         .values_list(Sum(Song::length))
    /// })
    /// .subquery();
    /// # let sql = Playlist::objects().filter(total.clone().gt(100)).to_sql(Dialect::Postgres)?.sql;
    /// # assert!(sql.contains(r#"(SELECT SUM("t1"."length") FROM "song" AS "t1" WHERE "t1"."playlist_id" = "t0"."id")"#), "{sql}");
    /// // Usable wherever an expression of a playlist query is: here a filter.
    /// let long: Vec<String> =
    ///     Playlist::objects().filter(total.gt(100)).values(Playlist::name).all(&db).await?;
    /// assert_eq!(long, ["rock"]);
    /// # Ok(()) }
    /// ```
    fn subquery<O>(self) -> Subquery<O, <L::Field as FieldType>::Nullable>
    where
        L: SelectItem<M>;
}

impl<M: Model, L: crate::select_list::SelectList<M> + 'static> ValuesSubquery<M, L>
    for Values<M, L>
{
    fn subquery<O>(self) -> Subquery<O, <L::Field as FieldType>::Nullable>
    where
        L: SelectItem<M>,
    {
        Subquery::new(self.into_queryset().into_statement())
    }
}

/// `.subquery()` of a one-column correlated `values()` queryset (in the
/// prelude): a scalar subquery of queries over `O` (see
/// [`ValuesSubquery::subquery`]).
pub trait CorrelatedSubquery<O, M: Model, L: crate::select_list::SelectList<M>> {
    /// The scalar subquery.
    fn subquery(self) -> Subquery<O, <L::Field as FieldType>::Nullable>
    where
        L: SelectItem<M>;
}

impl<O: Model, M: Model, L: crate::select_list::SelectList<M> + 'static> CorrelatedSubquery<O, M, L>
    for Correlated<O, Values<M, L>>
{
    fn subquery(self) -> Subquery<O, <L::Field as FieldType>::Nullable>
    where
        L: SelectItem<M>,
    {
        Subquery::new(SubqueryOf::<O>::into_select(self))
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
/// let has_tasks = || Exists(User::correlated(|u| Task::objects().filter(Task::user.eq(u.id))));
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
pub fn Exists<O, S: SubqueryOf<O>>(qs: S) -> Q<O> {
    let mut select = qs.into_select();
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

/// The number of rows of `qs` (usually made by `O::correlated`), as an
/// expression of queries over `O`: `COALESCE((SELECT COUNT(*) ..), 0)`.
pub fn subquery_count<O, S: SubqueryOf<O>>(qs: S) -> Expr<O, i64> {
    let mut select = qs.into_select();
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

/// An aggregate of the rows of `qs` (usually made by `O::correlated`), as
/// an expression of queries over `O`; `None` when there are no rows (wrap it
/// in `Coalesce` for a default).
pub fn subquery_aggregate<O, S: SubqueryOf<O>, T: FieldType, R>(
    qs: S,
    aggregate: Agg<S::Model, T, R>,
) -> Expr<O, T> {
    let mut select = qs.into_select();
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
