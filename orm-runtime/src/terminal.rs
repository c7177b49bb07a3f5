//! Terminal queryset methods: the only ones that touch the database.
//! Implemented for every queryset type through a blanket impl.

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::exec::{self, CountDecoder, Executor, ModelDecoder};
use crate::model_ext::ModelExt;
use crate::render::Statement;
use crate::render::select::{Projection, render};
use futures::stream::BoxStream;
use orm_core::model::Model;
use orm_core::queryset::{QuerySetBuilder, order_or_pk};
use std::future::Future;

/// Methods that run a queryset. Each renders one statement and runs it once.
pub trait QuerySetExt: QuerySetBuilder {
    /// The SQL and binds this queryset runs, for `dialect`, without a
    /// database.
    ///
    /// ```ignore
    /// let stmt = Song::objects().filter(Song::length.gt(300)).to_sql(Dialect::Postgres)?;
    /// assert_eq!(stmt.sql, r#"SELECT "t0"."id", .. FROM "song" AS "t0" WHERE "t0"."length" > $1"#);
    /// ```
    fn to_sql(&self, dialect: Dialect) -> Result<Statement> {
        render(self.as_queryset().select(), Projection::Columns, dialect)
    }

    /// All matching rows.
    fn all<E: Executor + ?Sized>(
        self,
        db: &E,
    ) -> impl Future<Output = Result<Vec<Self::Model>>> + Send {
        let stmt = self.to_sql(db.dialect());
        async move { exec::fetch(db, &stmt?, &ModelDecoder::new()).await }
    }

    /// Exactly one matching row: `Error::NotFound` if none,
    /// `Error::MultipleObjectsReturned` if more.
    fn get<E: Executor + ?Sized>(self, db: &E) -> impl Future<Output = Result<Self::Model>> + Send {
        let mut select = self.into_queryset().into_select();
        // Two rows are enough to know there is more than one.
        select.limit = Some(select.limit.map_or(2, |l| l.min(2)));
        let stmt = render(&select, Projection::Columns, db.dialect());
        async move {
            let mut rows = exec::fetch(db, &stmt?, &ModelDecoder::<Self::Model>::new()).await?;
            let model = <Self::Model as Model>::META.name;
            match rows.len() {
                0 => Err(Error::NotFound { model }),
                1 => Ok(rows.remove(0)),
                _ => Err(Error::MultipleObjectsReturned { model }),
            }
        }
    }

    /// The first row in the queryset's order (by primary key if unordered).
    fn first<E: Executor + ?Sized>(
        self,
        db: &E,
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send {
        let mut select = self.into_queryset().into_select();
        order_or_pk::<Self::Model>(&mut select);
        select.limit = Some(1);
        let stmt = render(&select, Projection::Columns, db.dialect());
        async move { Ok(exec::fetch(db, &stmt?, &ModelDecoder::new()).await?.pop()) }
    }

    /// The last row in the queryset's order (by primary key if unordered).
    fn last<E: Executor + ?Sized>(
        self,
        db: &E,
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send {
        self.reverse().first(db)
    }

    /// The number of matching rows (`SELECT COUNT(*)`).
    fn count<E: Executor + ?Sized>(self, db: &E) -> impl Future<Output = Result<i64>> + Send {
        let stmt = render(self.as_queryset().select(), Projection::Count, db.dialect());
        async move {
            let rows = exec::fetch(db, &stmt?, &CountDecoder).await?;
            Ok(rows.first().copied().unwrap_or(0))
        }
    }

    /// Whether any row matches (`SELECT 1 .. LIMIT 1`).
    fn exists<E: Executor + ?Sized>(self, db: &E) -> impl Future<Output = Result<bool>> + Send {
        let mut select = self.into_queryset().into_select();
        select.limit = Some(1);
        select.order.clear();
        let stmt = render(&select, Projection::One, db.dialect());
        async move { Ok(!exec::fetch(db, &stmt?, &CountDecoder).await?.is_empty()) }
    }

    /// The matching rows as a stream, decoded one at a time as they arrive,
    /// so memory stays flat however many rows there are.
    fn stream<'a, E: Executor + ?Sized>(self, db: &'a E) -> BoxStream<'a, Result<Self::Model>> {
        match self.to_sql(db.dialect()) {
            Ok(stmt) => exec::stream(db, stmt, ModelDecoder::new()),
            Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
        }
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
