//! Locking reads: `select_for_update()` (Django's `select_for_update`),
//! with `nowait()`, `skip_locked()` and `of_self()`. A locked queryset runs
//! only inside a transaction: its terminal methods take a [`Tx`], so
//! running one on a `Db` or `Conn` is a compile error, and `nowait` with
//! `skip_locked` (Django's `ValueError`) is one too.
//!
//! PostgreSQL writes `FOR UPDATE [OF "t0"] [NOWAIT | SKIP LOCKED]`,
//! MySQL/MariaDB `FOR UPDATE [NOWAIT | SKIP LOCKED]` (MariaDB has no `OF`:
//! `of_self` is an `Error::Render` there, as Django refuses it). SQLite has
//! no row locks and writes no clause: the transaction's write lock (taken
//! at `BEGIN IMMEDIATE`, the default) already keeps every other writer out
//! until it ends, so the rows read cannot change under it; `nowait` and
//! `skip_locked` change nothing there.

use crate::backend::Capabilities;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::exec::{self, Executor};
use crate::render::select::{Projection, select_into};
use crate::render::{Statement, Writer};
use crate::terminal::{QueryDecoder, exactly_one, for_first, for_get};
use crate::{Tx, lower};
use orm_core::ast::Select;
use orm_core::queryset::QuerySetBuilder;
use std::marker::PhantomData;

/// What a locking read does when a row is locked by another transaction.
pub trait WaitMode {
    #[doc(hidden)]
    const CLAUSE: &'static str;
}

/// Waits until the row is free (the default).
pub struct Block;
/// Fails at once with a database error ([`Error::lock_not_available`]).
pub struct NoWait;
/// Leaves locked rows out of the result.
pub struct SkipLocked;

impl WaitMode for Block {
    const CLAUSE: &'static str = "";
}
impl WaitMode for NoWait {
    const CLAUSE: &'static str = " NOWAIT";
}
impl WaitMode for SkipLocked {
    const CLAUSE: &'static str = " SKIP LOCKED";
}

/// A queryset whose rows are locked for the rest of the transaction that
/// reads them (`SELECT .. FOR UPDATE`). Made by
/// [`LockingExt::select_for_update`].
pub struct ForUpdate<Q, W = Block> {
    qs: Q,
    of_self: bool,
    _w: PhantomData<fn() -> W>,
}

impl<Q: Clone, W> Clone for ForUpdate<Q, W> {
    fn clone(&self) -> Self {
        ForUpdate {
            qs: self.qs.clone(),
            of_self: self.of_self,
            _w: PhantomData,
        }
    }
}

/// `select_for_update()` on every queryset type.
pub trait LockingExt: QuerySetBuilder {
    /// Locks the rows this queryset reads until the transaction ends
    /// (Django's `select_for_update()`); run it with a [`Tx`].
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Account {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     pub balance: i64,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Account::META]).await?;
    /// # let a = Account::objects().create(&db, Account { id: 0, balance: 100 }).await?;
    /// // SELECT .. FROM "account" AS "t0" WHERE "t0"."id" = $1 LIMIT $2 FOR UPDATE
    /// let balance = db.transaction(|tx| async move {
    ///     let mut account = Account::objects()
    ///         .filter(Account::id.eq(a.id))
    ///         .select_for_update()
    ///         .get(&tx)
    ///         .await?;
    ///     account.balance -= 30;
    ///     account.save(&tx).await?;
    ///     Ok::<_, Error>(account.balance)
    /// }).await?;
    /// assert_eq!(balance, 70);
    /// # let sql = Account::objects().select_for_update().skip_locked().to_sql(Dialect::Postgres)?.sql;
    /// # assert!(sql.ends_with(" FOR UPDATE SKIP LOCKED"), "{sql}");
    /// # Ok(()) }
    /// ```
    fn select_for_update(self) -> ForUpdate<Self> {
        ForUpdate {
            qs: self,
            of_self: false,
            _w: PhantomData,
        }
    }
}

impl<Q: QuerySetBuilder> LockingExt for Q {}

impl<Q> ForUpdate<Q, Block> {
    /// Fails at once when a row is locked by another transaction, instead
    /// of waiting (`NOWAIT`).
    pub fn nowait(self) -> ForUpdate<Q, NoWait> {
        self.waiting()
    }

    /// Leaves out the rows another transaction has locked (`SKIP LOCKED`):
    /// the queue-worker pattern.
    pub fn skip_locked(self) -> ForUpdate<Q, SkipLocked> {
        self.waiting()
    }

    fn waiting<W>(self) -> ForUpdate<Q, W> {
        ForUpdate {
            qs: self.qs,
            of_self: self.of_self,
            _w: PhantomData,
        }
    }
}

impl<Q: QuerySetBuilder, W: WaitMode> ForUpdate<Q, W> {
    /// Locks only the queryset's own model's rows, not those of the
    /// tables `select_related` joins (Django's `of=("self",)`; PostgreSQL
    /// `FOR UPDATE OF`). Not on MariaDB, which has no `OF`.
    pub fn of_self(mut self) -> Self {
        self.of_self = true;
        self
    }

    /// The SQL this runs, for `dialect`.
    pub fn to_sql(&self, dialect: Dialect) -> Result<Statement> {
        self.statement(dialect, Capabilities::of(dialect), |_| {})
    }

    /// The locking statement; `shape` makes it `get`'s or `first`'s.
    fn statement(
        &self,
        dialect: Dialect,
        caps: Capabilities,
        shape: fn(&mut Select),
    ) -> Result<Statement> {
        let mut select = self.qs.as_queryset().statement();
        shape(&mut select);
        let (select, projection) = lower::select(select, Projection::Columns, dialect)?;
        let refuse = |feature: &str| Error::Render {
            dialect,
            feature: feature.to_owned(),
        };
        // Rows of a DISTINCT, grouped, aggregated or windowed result are not
        // rows of the table: PostgreSQL refuses to lock them, and so does
        // every backend here, before anything is sent.
        let computed = |e: &orm_core::ast::ExprNode| {
            e.any_node(&|n| {
                matches!(
                    n,
                    orm_core::ast::ExprNode::Aggregate(_) | orm_core::ast::ExprNode::Window(_)
                )
            })
        };
        if select.distinct
            || !select.group_by.is_empty()
            || select.source.is_some()
            || select.columns.iter().any(computed)
        {
            return Err(refuse(
                "select_for_update() of a DISTINCT, grouped, aggregated or window query (lock the rows with a plain queryset)",
            ));
        }
        let mut w = Writer::new(dialect);
        select_into(&mut w, &select, projection)?;
        if dialect == Dialect::Sqlite {
            return Ok(w.finish());
        }
        // PostgreSQL cannot lock the NULL side of a LEFT JOIN (a nullable
        // `select_related`); `of_self` locks the model's own rows only.
        if dialect == Dialect::Postgres && !self.of_self && w.sql.contains(" LEFT JOIN ") {
            return Err(refuse(
                "select_for_update() through a LEFT JOIN (a nullable select_related) on PostgreSQL: add .of_self()",
            ));
        }
        w.raw(" FOR UPDATE");
        if self.of_self {
            if !caps.lock_of {
                return Err(refuse(
                    "select_for_update().of_self() (FOR UPDATE OF) on MariaDB",
                ));
            }
            w.raw(" OF ");
            w.ident("t0");
        }
        w.raw(W::CLAUSE);
        Ok(w.finish())
    }

    async fn run(self, tx: &Tx, shape: fn(&mut Select)) -> Result<Vec<Q::Row>> {
        let stmt = self.statement(tx.dialect(), tx.capabilities(), shape)?;
        let decoder = QueryDecoder::new(self.qs);
        exec::fetch(tx, &stmt, &decoder).await
    }

    /// All matching rows, locked.
    pub async fn all(self, tx: &Tx) -> Result<Vec<Q::Row>> {
        self.run(tx, |_| {}).await
    }

    /// Exactly one matching row, locked: `Error::NotFound` if none,
    /// `Error::MultipleObjectsReturned` if more.
    pub async fn get(self, tx: &Tx) -> Result<Q::Row> {
        exactly_one::<Q::Model, _>(self.run(tx, for_get).await?)
    }

    /// The first row in the queryset's order (by primary key if
    /// unordered), locked.
    pub async fn first(self, tx: &Tx) -> Result<Option<Q::Row>> {
        Ok(self.run(tx, for_first::<Q::Model>).await?.pop())
    }
}
