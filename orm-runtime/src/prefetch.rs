//! `prefetch`: loading the rows of a multi-valued relation (reverse foreign
//! key or many-to-many) for many parents with one extra query per level,
//! whatever the number of parents (Django's `prefetch_related`).
//!
//! The prefetched rows come back typed, beside each parent:
//! `Author::objects().prefetch(Author::posts.prefetch()).all(&db)` gives
//! `Vec<(Author, Vec<Post>)>`; nested, `(Author, Vec<(Post, Vec<Comment>)>)`.
//! A prefetch takes a custom queryset (filter, order: Django's
//! `Prefetch(queryset=..)`, the tuple position playing `to_attr`) and a
//! per-parent limit (a window function).

use crate::error::Result;
use crate::exec::{self, Executor, RowDecoder, read_value};
use crate::render::select::{Projection, render};
use crate::terminal::QuerySetExt;
use futures::FutureExt;
use futures::future::BoxFuture;
use orm_core::ast::{CmpOp, ColumnRef, Cond, ExprNode, JoinStep, Relation, Window, WindowFunc};
use orm_core::column::{Column, RelatedPath};
use orm_core::expr::IntoExpr;
use orm_core::field::{Deferred, FieldType};
use orm_core::model::{Annotation, Model};
use orm_core::order::IntoOrder;
use orm_core::q::Condition;
use orm_core::queryset::{QuerySet, QuerySetBuilder, order_or_pk};
use orm_core::relation::{ManyToManyRel, Reverse};
use orm_core::row::{DecodeError, RowReader};
use orm_core::select_list::SelectList;
use orm_core::value::{Kind, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::marker::PhantomData;

/// A relation to load for the parents of type `M`, one output per parent.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a relation of `{M}` to prefetch",
    label = "expected a multi-valued relation of `{M}` with `.prefetch()`: `{M}::<related_name>.prefetch()`",
    note = "`prefetch` loads a reverse foreign key or a many-to-many relation; a forward foreign key (one row per row) is loaded with `select_related`, in the same query"
)]
pub trait Prefetch<M: Model>: Send + Sync + 'static {
    /// What each parent gets.
    type Out: Send + 'static;
    /// Loads the outputs for the parents with these primary keys, in order.
    fn load<'a, E: Executor + ?Sized>(
        &'a self,
        db: &'a E,
        keys: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Self::Out>>>;
}

/// What each prefetched row carries: the row itself, or the row with its
/// own prefetched relation.
pub trait Nested<R: Model>: Send + Sync + 'static {
    /// The item per prefetched row.
    type Item: Send + 'static;
    /// Attaches the nested relation to the rows.
    fn attach<'a, E: Executor + ?Sized>(
        &'a self,
        db: &'a E,
        rows: Vec<R>,
    ) -> BoxFuture<'a, Result<Vec<Self::Item>>>;
}

/// No nested prefetch: each item is the row.
#[derive(Debug, Clone, Copy)]
pub struct Plain;

impl<R: Model> Nested<R> for Plain {
    type Item = R;
    fn attach<'a, E: Executor + ?Sized>(
        &'a self,
        _db: &'a E,
        rows: Vec<R>,
    ) -> BoxFuture<'a, Result<Vec<R>>> {
        async move { Ok(rows) }.boxed()
    }
}

/// A nested prefetch: each item is `(row, its prefetched relation)`.
#[derive(Debug, Clone)]
pub struct Then<P>(P);

impl<R: Model, P: Prefetch<R>> Nested<R> for Then<P> {
    type Item = (R, P::Out);
    fn attach<'a, E: Executor + ?Sized>(
        &'a self,
        db: &'a E,
        rows: Vec<R>,
    ) -> BoxFuture<'a, Result<Vec<(R, P::Out)>>> {
        async move {
            let keys: Vec<Value> = rows.iter().map(|r| r.pk().to_value()).collect();
            let outs = self.0.load(db, &keys).await?;
            Ok(rows.into_iter().zip(outs).collect())
        }
        .boxed()
    }
}

/// The rows of a relation of `M` to prefetch, from queryset `Q` of `R`.
pub struct PrefetchRelation<M, R, Q, N> {
    relation: Relation,
    queryset: Q,
    per_parent: Option<u64>,
    nested: N,
    _t: PhantomData<fn() -> (M, R)>,
}

impl<M, R, Q: Clone, N: Clone> Clone for PrefetchRelation<M, R, Q, N> {
    fn clone(&self) -> Self {
        PrefetchRelation {
            relation: self.relation,
            queryset: self.queryset.clone(),
            per_parent: self.per_parent,
            nested: self.nested.clone(),
            _t: PhantomData,
        }
    }
}

/// A relation with many related rows per row, which `prefetch` loads: the
/// reverse of a foreign key, or a many-to-many relation.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a multi-valued relation: `prefetch` loads a reverse foreign key or a many-to-many relation",
    label = "not a reverse foreign key or many-to-many relation",
    note = "a forward foreign key (one related row) is loaded with `select_related(..)` on the queryset, in the same query"
)]
pub trait ManyRelation {
    /// The model the relation starts from.
    type Parent: Model;
    /// The related model.
    type Related: Model;
    /// The relation.
    fn many_relation(&self) -> Relation;
}

impl<M: Model, R: Model> ManyRelation for Reverse<M, R> {
    type Parent = M;
    type Related = R;
    fn many_relation(&self) -> Relation {
        self.relation()
    }
}

impl<M: Model, R: Model> ManyRelation for ManyToManyRel<M, R> {
    type Parent = M;
    type Related = R;
    fn many_relation(&self) -> Relation {
        self.relation()
    }
}

/// The prefetch of all rows of a relation `X`.
type PrefetchAll<X> = PrefetchRelation<
    <X as ManyRelation>::Parent,
    <X as ManyRelation>::Related,
    <<X as ManyRelation>::Related as Model>::QuerySet,
    Plain,
>;

/// `.prefetch()` on a relation handle. Columns have the method too, so
/// that `.prefetch()` on a foreign key says why it cannot be prefetched
/// instead of that no such method exists.
pub trait PrefetchExt: Sized {
    /// Prefetches all related rows, in the related model's queryset order.
    fn prefetch(self) -> PrefetchAll<Self>
    where
        Self: ManyRelation,
    {
        PrefetchRelation::all_of(self.many_relation())
    }
}

impl<M, R> PrefetchExt for Reverse<M, R> {}

impl<M, R> PrefetchExt for ManyToManyRel<M, R> {}

impl<M, T> PrefetchExt for Column<M, T> {}

impl<M: Model, R: Model> PrefetchRelation<M, R, R::QuerySet, Plain> {
    /// Every related row of `relation`, in `R`'s queryset order.
    fn all_of(relation: Relation) -> Self {
        let queryset = R::QuerySet::from_queryset(QuerySet::new());
        PrefetchRelation {
            relation,
            queryset,
            per_parent: None,
            nested: Plain,
            _t: PhantomData,
        }
    }
}

impl<M: Model, R: Model, Q, N> PrefetchRelation<M, R, Q, N>
where
    Q: QuerySetBuilder<Model = R, Row = R>,
{
    /// Prefetches the rows of this queryset instead (filtered, ordered):
    /// Django's `Prefetch(queryset=..)`.
    pub fn queryset<Q2: QuerySetBuilder<Model = R, Row = R>>(
        self,
        queryset: Q2,
    ) -> PrefetchRelation<M, R, Q2, N> {
        PrefetchRelation {
            relation: self.relation,
            queryset,
            per_parent: self.per_parent,
            nested: self.nested,
            _t: PhantomData,
        }
    }

    /// At most `n` rows per parent, in the queryset's order (a window
    /// function, still one query).
    pub fn limit_per_parent(mut self, n: u64) -> Self {
        self.per_parent = Some(n);
        self
    }

    /// Prefetches a relation of the prefetched rows too (one more query).
    pub fn nested<P: Prefetch<R>>(self, next: P) -> PrefetchRelation<M, R, Q, Then<P>> {
        PrefetchRelation {
            relation: self.relation,
            queryset: self.queryset,
            per_parent: self.per_parent,
            nested: Then(next),
            _t: PhantomData,
        }
    }
}

/// A hashable form of a key value.
#[derive(Hash, PartialEq, Eq)]
enum Key {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Other(String),
}

fn key(v: &Value) -> Key {
    match v {
        Value::I16(i) => Key::Int(i64::from(*i)),
        Value::I32(i) => Key::Int(i64::from(*i)),
        Value::I64(i) => Key::Int(*i),
        Value::String(s) => Key::Text(s.clone()),
        Value::Bytes(b) => Key::Bytes(b.clone()),
        Value::Uuid(u) => Key::Bytes(u.as_bytes().to_vec()),
        other => Key::Other(format!("{other:?}")),
    }
}

/// Decodes a prefetched row and the parent key selected after it.
struct Keyed<Q: QuerySetBuilder> {
    qs: QuerySet<Q::Model>,
    kind: Kind,
}

impl<Q: QuerySetBuilder> Clone for Keyed<Q> {
    fn clone(&self) -> Self {
        Keyed {
            qs: self.qs.clone(),
            kind: self.kind,
        }
    }
}

impl<Q: QuerySetBuilder> RowDecoder for Keyed<Q> {
    type Output = (Q::Row, Value);
    fn decode<Rd: RowReader + ?Sized>(&self, r: &mut Rd) -> Result<(Q::Row, Value), DecodeError> {
        let row = Q::decode_row(&self.qs, r)?;
        Ok((row, read_value(r, self.kind)?))
    }
}

impl<M, R, Q, N> Prefetch<M> for PrefetchRelation<M, R, Q, N>
where
    M: Model,
    R: Model + Clone,
    Q: QuerySetBuilder<Model = R, Row = R>,
    N: Nested<R>,
{
    type Out = Vec<N::Item>;

    fn load<'a, E: Executor + ?Sized>(
        &'a self,
        db: &'a E,
        keys: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Self::Out>>> {
        async move {
            let mut per_parent: Vec<Vec<N::Item>> = (0..keys.len()).map(|_| Vec::new()).collect();
            if keys.is_empty() {
                return Ok(per_parent);
            }
            let (key_expr, kind) = parent_key(&self.relation);
            let mut base = self.queryset.as_queryset().statement();
            order_or_pk::<R>(&mut base);
            // A slice of the queryset is per parent (as in Django): rows
            // `offset + 1 ..= offset + limit` of each parent by ROW_NUMBER,
            // and `limit_per_parent` caps what is left.
            let skip = base.offset.take().unwrap_or(0);
            let take = match (base.limit.take(), self.per_parent) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            // PostgreSQL takes the keys as one array parameter; elsewhere keep
            // headroom under the bind limit for the queryset's own parameters.
            let caps = db.capabilities();
            let chunk = if caps.array_binds {
                keys.len()
            } else {
                caps.max_binds.saturating_sub(1024).max(1)
            };
            let decoder = Keyed::<Q> {
                qs: self.queryset.as_queryset().clone(),
                kind,
            };
            let mut children: Vec<(usize, R)> = Vec::new();
            // A key can stand for several parents (a row shared by two parents of a nested level).
            let mut index: HashMap<Key, Vec<usize>> = HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                index.entry(key(k)).or_default().push(i);
            }
            for part in keys.chunks(chunk) {
                let mut s = base.clone();
                s.filter.push(Cond::In {
                    lhs: key_expr.clone(),
                    items: part.iter().cloned().map(ExprNode::Value).collect(),
                });
                s.columns.push(key_expr.clone());
                if skip > 0 || take.is_some() {
                    let row_number = ExprNode::Window(Box::new(Window {
                        func: WindowFunc::RowNumber,
                        arg: None,
                        partition_by: vec![key_expr.clone()],
                        order_by: base.order.clone(),
                        frame: None,
                        kind: Kind::I64,
                    }));
                    let bound = |op, n: u64| Cond::Cmp {
                        lhs: row_number.clone(),
                        op,
                        rhs: ExprNode::Value(Value::I64(i64::try_from(n).unwrap_or(i64::MAX))),
                    };
                    if skip > 0 {
                        s.qualify.push(bound(CmpOp::Gt, skip));
                    }
                    if let Some(n) = take {
                        s.qualify.push(bound(CmpOp::Lte, skip.saturating_add(n)));
                    }
                }
                let stmt = render(&s, Projection::Columns, db.dialect())?;
                for (row, parent) in exec::fetch(db, &stmt, &decoder).await? {
                    if let Some(owners) = index.get(&key(&parent)) {
                        for &i in owners {
                            children.push((i, row.clone()));
                        }
                    }
                }
            }
            let (owners, rows): (Vec<usize>, Vec<R>) = children.into_iter().unzip();
            let items = self.nested.attach(db, rows).await?;
            for (i, item) in owners.into_iter().zip(items) {
                per_parent[i].push(item);
            }
            Ok(per_parent)
        }
        .boxed()
    }
}

/// The expression giving, for each prefetched row, its parent's key.
fn parent_key(relation: &Relation) -> (ExprNode, Kind) {
    match *relation {
        Relation::Reverse {
            fk_column, pk_kind, ..
        } => (
            ExprNode::Column(ColumnRef::local(fk_column, false, pk_kind)),
            pk_kind,
        ),
        Relation::ManyToMany {
            through,
            source_column,
            target_column,
            target_pk,
            pk_kind,
            ..
        } => {
            // Join the link table from the related rows: one row per (parent, related) link.
            let step = JoinStep {
                fk_column: target_pk,
                table: through,
                pk_column: target_column,
                nullable: false,
                meta: None,
                many: true,
                join: 0,
            };
            let col = ColumnRef {
                path: Cow::Owned(vec![step]),
                column: source_column,
                nullable: false,
                kind: pk_kind,
            };
            (ExprNode::Column(col), pk_kind)
        }
    }
}

impl<M: Model, A: Prefetch<M>, B: Prefetch<M>> Prefetch<M> for (A, B) {
    type Out = (A::Out, B::Out);
    fn load<'a, E: Executor + ?Sized>(
        &'a self,
        db: &'a E,
        keys: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Self::Out>>> {
        async move {
            let a = self.0.load(db, keys).await?;
            let b = self.1.load(db, keys).await?;
            Ok(a.into_iter().zip(b).collect())
        }
        .boxed()
    }
}

/// A queryset with relations to prefetch: the queryset `Q` and the prefetch
/// list `P`. The queryset's chainable methods (`filter`, `order_by`,
/// `slice`, ..) work on it before or after `.prefetch(..)`, and
/// [`Prefetching::apply`] runs any other method returning the queryset
/// (your own `impl <Model>QuerySet` methods). `all`, `get`, `first` and
/// `last` return each row with its prefetched rows; `count` and `exists`
/// run the queryset alone.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Writer {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 50)] pub name: String,
/// # }
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Post {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(related_name = "posts")] pub author: ForeignKey<Writer>,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Writer::META, Post::META]).await?;
/// # for name in ["w1", "w2", "w3", "x"] {
/// #     let w = Writer::objects().create(&db, Writer { id: 0, name: name.into() }).await?;
/// #     Post::objects().create(&db, Post { id: 0, author: (&w).into() }).await?;
/// # }
/// // SELECT .. FROM "writer" WHERE .. ORDER BY "name" LIMIT 2, then one query for the posts
/// let rows: Vec<(Writer, Vec<Post>)> = orm_runtime::observe::assert_num_queries(2, Writer::objects()
///     .prefetch(Writer::posts.prefetch())
///     .filter(Writer::name.startswith("w"))
///     .order_by(Writer::name.asc())
///     .slice(0..2)
///     .all(&db)).await?;
/// let names: Vec<(&str, usize)> = rows.iter().map(|(w, posts)| (w.name.as_str(), posts.len())).collect();
/// assert_eq!(names, [("w1", 1), ("w2", 1)]);
/// # Ok(()) }
/// ```
#[must_use = "a queryset does nothing until a terminal method such as `all` is awaited"]
pub struct Prefetching<Q, P> {
    queryset: Q,
    prefetch: P,
}

impl<Q: Clone, P: Clone> Clone for Prefetching<Q, P> {
    fn clone(&self) -> Self {
        Prefetching {
            queryset: self.queryset.clone(),
            prefetch: self.prefetch.clone(),
        }
    }
}

impl<Q: std::fmt::Debug, P> std::fmt::Debug for Prefetching<Q, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetching")
            .field("queryset", &self.queryset)
            .finish_non_exhaustive()
    }
}

/// A chainable method of the queryset, run on the queryset inside.
macro_rules! forward {
    ($(
        $(#[$doc:meta])*
        fn $name:ident $(<$($g:ident: $b:path),*>)? ($($arg:ident: $ty:ty),*);
    )*) => {$(
        $(#[$doc])*
        pub fn $name $(<$($g: $b),*>)? (self, $($arg: $ty),*) -> Self {
            self.apply(|q| q.$name($($arg),*))
        }
    )*};
}

impl<Q, P> Prefetching<Q, P>
where
    Q: QuerySetBuilder<Row = <Q as QuerySetBuilder>::Model>,
    P: Prefetch<Q::Model>,
{
    /// Runs `f` on the queryset and keeps the prefetch list: for your own
    /// queryset methods, `.apply(PostQuerySet::published)` or
    /// `.apply(|q| q.published())`.
    pub fn apply(self, f: impl FnOnce(Q) -> Q) -> Self {
        Prefetching {
            queryset: f(self.queryset),
            prefetch: self.prefetch,
        }
    }

    forward! {
        /// [`QuerySetBuilder::filter`].
        fn filter(q: impl Condition<Q::Model>);
        /// [`QuerySetBuilder::exclude`].
        fn exclude(q: impl Condition<Q::Model>);
        /// [`QuerySetBuilder::order_by`].
        fn order_by(order: impl IntoOrder<Q::Model>);
        /// [`QuerySetBuilder::distinct`].
        fn distinct();
        /// [`QuerySetBuilder::limit`].
        fn limit(n: u64);
        /// [`QuerySetBuilder::offset`].
        fn offset(n: u64);
        /// [`QuerySetBuilder::slice`].
        fn slice(range: std::ops::Range<u64>);
        /// [`QuerySetBuilder::reverse`].
        fn reverse();
        /// [`QuerySetBuilder::none`].
        fn none();
        /// [`QuerySetBuilder::select_related`].
        fn select_related(rel: impl RelatedPath<Q::Model>);
        /// [`QuerySetBuilder::only`].
        fn only<L: SelectList<Q::Model>>(columns: L);
    }

    /// [`QuerySetBuilder::defer`].
    pub fn defer<T: FieldType>(self, column: Column<Q::Model, Deferred<T>>) -> Self {
        self.apply(|q| q.defer(column))
    }

    /// [`QuerySetBuilder::annotate_into`].
    pub fn annotate_into<T: FieldType>(
        self,
        field: Annotation<Q::Model, T>,
        value: impl IntoExpr<Q::Model, T::Compare>,
    ) -> Self {
        self.apply(|q| q.annotate_into(field, value))
    }

    /// Prefetches one more relation: its rows come after the others',
    /// `(row, (earlier, this))`, as with `prefetch((earlier, this))`.
    pub fn prefetch<P2: Prefetch<Q::Model>>(self, next: P2) -> Prefetching<Q, (P, P2)> {
        Prefetching {
            queryset: self.queryset,
            prefetch: (self.prefetch, next),
        }
    }

    /// The queryset without the prefetch list.
    pub fn into_queryset(self) -> Q {
        self.queryset
    }

    /// The SQL of the main query (each prefetched level runs one more).
    pub fn to_sql(&self, dialect: crate::Dialect) -> Result<crate::Statement> {
        self.queryset.to_sql(dialect)
    }

    /// The rows, each with its prefetched relation: one query for the rows
    /// and one per prefetched level.
    pub async fn all<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<(Q::Model, P::Out)>> {
        let rows = self.queryset.all(db).await?;
        attach(&self.prefetch, db, rows).await
    }

    /// Exactly one row (`Error::NotFound` if none,
    /// `Error::MultipleObjectsReturned` if more), with its prefetched rows.
    pub async fn get<E: Executor + ?Sized>(self, db: &E) -> Result<(Q::Model, P::Out)> {
        let row = self.queryset.get(db).await?;
        let mut one = attach(&self.prefetch, db, vec![row]).await?;
        Ok(one.remove(0))
    }

    /// The first row in the queryset's order (by primary key if
    /// unordered), with its prefetched rows; no prefetch query without a
    /// row.
    pub async fn first<E: Executor + ?Sized>(self, db: &E) -> Result<Option<(Q::Model, P::Out)>> {
        let row = self.queryset.first(db).await?;
        Ok(attach(&self.prefetch, db, row.into_iter().collect())
            .await?
            .pop())
    }

    /// The last row in the queryset's order (by primary key if unordered),
    /// with its prefetched rows.
    pub async fn last<E: Executor + ?Sized>(self, db: &E) -> Result<Option<(Q::Model, P::Out)>> {
        self.reverse().first(db).await
    }

    /// The number of rows (the prefetch list plays no part).
    pub async fn count<E: Executor + ?Sized>(self, db: &E) -> Result<i64> {
        self.queryset.count(db).await
    }

    /// Whether there is any row (the prefetch list plays no part).
    pub async fn exists<E: Executor + ?Sized>(self, db: &E) -> Result<bool> {
        self.queryset.exists(db).await
    }
}

/// The rows with their prefetched relation; no query for no rows.
async fn attach<M: Model, P: Prefetch<M>, E: Executor + ?Sized>(
    prefetch: &P,
    db: &E,
    rows: Vec<M>,
) -> Result<Vec<(M, P::Out)>> {
    let keys: Vec<Value> = rows.iter().map(|r| r.pk().to_value()).collect();
    let outs = prefetch.load(db, &keys).await?;
    Ok(rows.into_iter().zip(outs).collect())
}

/// `.prefetch(..)` on model querysets.
pub trait PrefetchQuerySet: QuerySetBuilder<Row = <Self as QuerySetBuilder>::Model> {
    /// Loads a relation (or a tuple of two) of every row with one query per
    /// level (Django `prefetch_related`). The queryset's methods still
    /// chain after it.
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # use orm_runtime::observe::assert_num_queries;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Writer {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(max_length = 50)] pub name: String,
    /// # }
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Post {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(related_name = "posts")] pub author: ForeignKey<Writer>,
    /// #     #[orm(max_length = 100)] pub title: String,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Writer::META, Post::META]).await?;
    /// # let ann = Writer::objects().create(&db, Writer { id: 0, name: "ann".into() }).await?;
    /// # Writer::objects().create(&db, Writer { id: 0, name: "bob".into() }).await?;
    /// # for title in ["first", "second"] {
    /// #     Post::objects().create(&db, Post { id: 0, author: (&ann).into(), title: title.into() }).await?;
    /// # }
    /// // Two queries: the writers, then the posts of all of them.
    /// let rows: Vec<(Writer, Vec<Post>)> = assert_num_queries(2, Writer::objects()
    ///     .order_by(Writer::name.asc())
    ///     .prefetch(Writer::posts.prefetch().queryset(Post::objects().order_by(Post::id.desc())))
    ///     .all(&db))
    ///     .await?;
    /// let titles: Vec<(&str, Vec<&str>)> = rows
    ///     .iter()
    ///     .map(|(w, posts)| (w.name.as_str(), posts.iter().map(|p| p.title.as_str()).collect()))
    ///     .collect();
    /// assert_eq!(titles, [("ann", vec!["second", "first"]), ("bob", vec![])]);
    /// # Ok(()) }
    /// ```
    fn prefetch<P: Prefetch<Self::Model>>(self, prefetch: P) -> Prefetching<Self, P> {
        Prefetching {
            queryset: self,
            prefetch,
        }
    }
}

impl<Q: QuerySetBuilder<Row = <Q as QuerySetBuilder>::Model>> PrefetchQuerySet for Q {}
