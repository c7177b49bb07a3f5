//! Terminal queryset methods: the only ones that touch the database.
//! Implemented for every queryset type through a blanket impl.

use crate::backend::sink::Rows;
use crate::bulk::BulkCreate;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::exec::{self, CountDecoder, Executor, RowDecoder, Target, TextRowDecoder};
use crate::model_ext::ModelExt;
use crate::render::Statement;
use crate::render::select::{ExplainOptions, Projection, explain, render_owned as render};
use futures::stream::BoxStream;
use orm_core::assign::Assignments;
use orm_core::ast::Select;
use orm_core::column_list::ColumnList;
use orm_core::model::Model;
use orm_core::q::Condition;
use orm_core::queryset::{QuerySet, QuerySetBuilder, order_or_pk};
use orm_core::row::{DecodeError, RowReader};
use std::future::Future;
use std::marker::PhantomData;

/// Decodes the rows of a queryset type `Q` (models, annotated models or
/// values).
pub struct QueryDecoder<Q: QuerySetBuilder> {
    qs: QuerySet<Q::Model>,
    _q: PhantomData<fn() -> Q>,
}

impl<Q: QuerySetBuilder> Clone for QueryDecoder<Q> {
    fn clone(&self) -> Self {
        QueryDecoder {
            qs: self.qs.clone(),
            _q: PhantomData,
        }
    }
}

impl<Q: QuerySetBuilder> QueryDecoder<Q> {
    /// A decoder for the rows of `qs` (which it keeps, for the annotation
    /// fields and related rows each row holds).
    pub fn new(qs: Q) -> Self {
        QueryDecoder {
            qs: qs.into_queryset(),
            _q: PhantomData,
        }
    }
}

impl<Q: QuerySetBuilder> RowDecoder for QueryDecoder<Q> {
    type Output = Q::Row;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<Q::Row, DecodeError> {
        Q::decode_row(&self.qs, r)
    }
}

/// Methods that run a queryset. Each renders one statement and runs it once.
pub trait QuerySetExt: QuerySetBuilder {
    /// The SQL and binds this queryset runs, for `dialect`, without a
    /// database.
    fn to_sql(&self, dialect: Dialect) -> Result<Statement> {
        render(self.as_queryset().statement(), Projection::Columns, dialect)
    }

    /// All matching rows.
    fn all<E: Executor + ?Sized>(
        self,
        db: &E,
    ) -> impl Future<Output = Result<Vec<Self::Row>>> + Send {
        let select = self.as_queryset().statement();
        fetch(db, select, QueryDecoder::new(self))
    }

    /// Exactly one matching row: `Error::NotFound` if none,
    /// `Error::MultipleObjectsReturned` if more.
    fn get<E: Executor + ?Sized>(self, db: &E) -> impl Future<Output = Result<Self::Row>> + Send {
        let mut select = self.as_queryset().statement();
        for_get(&mut select);
        let rows = fetch(db, select, QueryDecoder::new(self));
        async move { exactly_one::<Self::Model, _>(rows.await?) }
    }

    /// The first row in the queryset's order (by primary key if unordered).
    fn first<E: Executor + ?Sized>(
        self,
        db: &E,
    ) -> impl Future<Output = Result<Option<Self::Row>>> + Send {
        let mut select = self.as_queryset().statement();
        for_first::<Self::Model>(&mut select);
        let rows = fetch(db, select, QueryDecoder::new(self));
        async move { Ok(rows.await?.pop()) }
    }

    /// The last row in the queryset's order (by primary key if unordered).
    fn last<E: Executor + ?Sized>(
        self,
        db: &E,
    ) -> impl Future<Output = Result<Option<Self::Row>>> + Send {
        self.reverse().first(db)
    }

    /// The number of rows the queryset returns (`SELECT COUNT(*)`).
    fn count<E: Executor + ?Sized>(self, db: &E) -> impl Future<Output = Result<i64>> + Send {
        let select = self.as_queryset().statement();
        let zero = crate::empty::counts_zero(&select);
        let stmt = (!zero).then(|| render(select, Projection::Count, db.dialect()));
        count_rows(db.target(), stmt)
    }

    /// Whether the queryset returns any row (`SELECT 1 .. LIMIT 1`).
    fn exists<E: Executor + ?Sized>(self, db: &E) -> impl Future<Output = Result<bool>> + Send {
        let mut select = self.as_queryset().statement();
        select.limit = Some(select.limit.map_or(1, |l| l.min(1)));
        if select.limit == Some(0) || select.offset.is_none() {
            select.order.clear();
        }
        let nothing = select.matches_nothing();
        let stmt = (!nothing).then(|| render(select, Projection::One, db.dialect()));
        any_row(db.target(), stmt)
    }

    /// The matching rows as a stream, decoded one at a time as they arrive,
    /// so memory stays flat however many rows there are.
    fn stream<'a, E: Executor + ?Sized>(self, db: &'a E) -> BoxStream<'a, Result<Self::Row>> {
        let select = self.as_queryset().statement();
        if let Some(rows) = crate::empty::rows(&select) {
            let rows = crate::empty::decode(rows, &QueryDecoder::new(self));
            return match rows {
                Ok(rows) => Box::pin(futures::stream::iter(rows.into_iter().map(Ok))),
                Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
            };
        }
        match render(select, Projection::Columns, db.dialect()) {
            Ok(stmt) => exec::stream(db, stmt, QueryDecoder::new(self)),
            Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
        }
    }

    /// The database's plan for this queryset: `EXPLAIN QUERY PLAN` on
    /// SQLite (one line per step, indented by nesting), `EXPLAIN` with
    /// optional ANALYZE and JSON on PostgreSQL, `EXPLAIN FORMAT=JSON` on
    /// MySQL/MariaDB.
    fn explain<E: Executor + ?Sized>(
        self,
        db: &E,
        options: ExplainOptions,
    ) -> impl Future<Output = Result<String>> + Send {
        let stmt = explain(&self.as_queryset().statement(), options, db.dialect());
        let dialect = db.dialect();
        async move {
            let rows = exec::fetch(db, &stmt?, &TextRowDecoder).await?;
            Ok(format_plan(dialect, rows))
        }
    }

    /// The matching rows in chunks of `chunk_size` (Django `iterator`):
    /// memory holds one chunk at a time.
    fn iterator<'a, E: Executor + ?Sized>(
        self,
        db: &'a E,
        chunk_size: usize,
    ) -> BoxStream<'a, Result<Vec<Self::Row>>> {
        use futures::StreamExt;
        self.stream(db)
            .chunks(chunk_size.max(1))
            .map(|chunk| chunk.into_iter().collect())
            .boxed()
    }

    /// Inserts many rows atomically, in as few statements as the
    /// backend's bind limit allows, and returns them with their primary
    /// keys set (where the backend returns them: SQLite, PostgreSQL,
    /// MariaDB; not MySQL, and not with `on_conflict`).
    fn bulk_create<E: Executor + ?Sized>(
        self,
        db: &E,
        objs: Vec<Self::Model>,
        options: BulkCreate,
    ) -> impl Future<Output = Result<Vec<Self::Model>>> + Send {
        crate::bulk::bulk_create(db, objs, options)
    }

    /// Writes the chosen columns of many rows, one UPDATE per batch
    /// (`SET col = CASE WHEN pk = .. THEN .. END .. WHERE pk IN (..)`),
    /// atomically. Returns the number of rows updated.
    fn bulk_update<'a, E: Executor + ?Sized, L: ColumnList<Self::Model>>(
        self,
        db: &'a E,
        objs: &'a [Self::Model],
        fields: L,
        batch_size: Option<usize>,
    ) -> impl Future<Output = Result<u64>> + Send + 'a {
        let fields = crate::bulk::column_names(fields);
        async move { crate::bulk::bulk_update(db, objs, fields?, batch_size).await }
    }

    /// Updates every row of the queryset in one statement and returns how
    /// many matched: `.update(&db, Post::views.set(Post::views + 1))`.
    /// An unfiltered queryset must say so with `.all_rows()`.
    fn update<E: Executor + ?Sized>(
        self,
        db: &E,
        set: impl Assignments<Self::Model>,
    ) -> impl Future<Output = Result<u64>> + Send {
        let set = set.into_assignments();
        let qs = self.into_queryset();
        async move { crate::bulk::update(db, &qs, set).await }
    }

    /// Deletes every row of the queryset in one statement and returns how
    /// many were deleted from its table; referencing rows follow their
    /// `on_delete` rules in the database. An unfiltered queryset must say so
    /// with `.all_rows()`.
    fn delete<E: Executor + ?Sized>(self, db: &E) -> impl Future<Output = Result<u64>> + Send {
        let qs = self.into_queryset();
        async move { crate::bulk::delete(db, &qs).await }
    }

    /// The row matching `lookup`, or a new one from `make` (inserted in a
    /// savepoint); `true` if it was created. With a unique constraint on
    /// the looked-up columns it is safe when tasks race: the loser gets the
    /// winner's row.
    fn get_or_create<E: Executor + ?Sized>(
        self,
        db: &E,
        lookup: impl Condition<Self::Model>,
        make: impl FnOnce() -> Self::Model + Send,
    ) -> impl Future<Output = Result<(Self::Model, bool)>> + Send
    where
        Self: QuerySetBuilder<Row = <Self as QuerySetBuilder>::Model>,
    {
        crate::bulk::get_or_create(db, self.filter(lookup), make)
    }

    /// Saves `obj` over the row matching `lookup`, or inserts it; `true`
    /// if it was created. Atomic, and safe when tasks race given a unique
    /// constraint on the looked-up columns.
    fn update_or_create<E: Executor + ?Sized>(
        self,
        db: &E,
        lookup: impl Condition<Self::Model>,
        obj: Self::Model,
    ) -> impl Future<Output = Result<(Self::Model, bool)>> + Send
    where
        Self: QuerySetBuilder<Row = <Self as QuerySetBuilder>::Model>,
        Self::Model: Clone,
    {
        crate::bulk::update_or_create(db, self.filter(lookup), obj)
    }

    /// Inserts `obj` and returns it with its primary key set (Django's
    /// `objects.create`).
    fn create<E: Executor + ?Sized>(
        self,
        db: &E,
        mut obj: Self::Model,
    ) -> impl Future<Output = Result<Self::Model>> + Send {
        async move {
            obj.insert(db).await?;
            Ok(obj)
        }
    }
}

impl<T: QuerySetBuilder> QuerySetExt for T {}

/// The select of `get`: two rows are enough to know there is more than one.
pub(crate) fn for_get(select: &mut Select) {
    select.limit = Some(select.limit.map_or(2, |l| l.min(2)));
}

/// The select of `first`: in the queryset's order (by primary key if
/// unordered), one row.
pub(crate) fn for_first<M: Model>(select: &mut Select) {
    order_or_pk::<M>(select);
    select.limit = Some(select.limit.map_or(1, |l| l.min(1)));
}

/// The one row `get` returns: `Error::NotFound` if none,
/// `Error::MultipleObjectsReturned` if more.
pub(crate) fn exactly_one<M: Model, R>(mut rows: Vec<R>) -> Result<R> {
    let model = M::META.name;
    match rows.len() {
        0 => Err(Error::NotFound { model }),
        1 => Ok(rows.remove(0)),
        _ => Err(Error::MultipleObjectsReturned { model }),
    }
}

/// Runs a select and decodes its rows, or decodes the rows it is known to
/// return without sending it (a queryset that matches nothing). The one
/// future instantiated per row type holds the non-generic run.
fn fetch<E: Executor + ?Sized, D: RowDecoder + 'static>(
    db: &E,
    select: Select,
    decoder: D,
) -> impl Future<Output = Result<Vec<D::Output>>> + Send + '_ {
    let known = crate::empty::rows(&select);
    let stmt = match known {
        Some(_) => None,
        None => Some(render(select, Projection::Columns, db.dialect())),
    };
    let target = db.target();
    async move {
        match (known, stmt) {
            (Some(rows), _) => crate::empty::decode(rows, &decoder),
            (None, Some(stmt)) => {
                let mut rows = Rows::new(decoder, 0);
                exec::fetch_into(target, &stmt?, &mut rows).await?;
                Ok(rows.rows)
            }
            (None, None) => Ok(Vec::new()),
        }
    }
}

/// The count a `SELECT COUNT(*)` returns; 0 without running it if there
/// is none (the queryset is known to match nothing). Not generic, as
/// `any_row`: only the statement is built per queryset type.
async fn count_rows(target: Target<'_>, stmt: Option<Result<Statement>>) -> Result<i64> {
    let Some(stmt) = stmt else {
        return Ok(0);
    };
    let rows = exec::fetch_on(target, &stmt?, &CountDecoder).await?;
    Ok(rows.first().copied().unwrap_or(0))
}

/// Whether a `SELECT 1 .. LIMIT 1` returns a row; `false` without running
/// it if there is none.
async fn any_row(target: Target<'_>, stmt: Option<Result<Statement>>) -> Result<bool> {
    let Some(stmt) = stmt else {
        return Ok(false);
    };
    Ok(!exec::fetch_on(target, &stmt?, &CountDecoder)
        .await?
        .is_empty())
}

/// Plan rows as text. SQLite's rows are (id, parent, notused, detail):
/// each detail is indented under its parent.
fn format_plan(dialect: Dialect, rows: Vec<Vec<Option<String>>>) -> String {
    let cell = |row: &[Option<String>], i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    if dialect != Dialect::Sqlite {
        return rows
            .iter()
            .map(|r| cell(r, 0))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let mut depth: Vec<(String, usize)> = Vec::new();
    let mut lines = Vec::new();
    for r in &rows {
        let (id, parent) = (cell(r, 0), cell(r, 1));
        let d = depth
            .iter()
            .find(|(pid, _)| *pid == parent)
            .map_or(0, |(_, d)| d + 1);
        depth.push((id, d));
        lines.push(format!("{}{}", "  ".repeat(d), cell(r, 3)));
    }
    lines.join("\n")
}
