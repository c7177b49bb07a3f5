//! Connections: `Db` (a pool), `Conn` (one connection held for a unit of
//! work) and `Tx` (a transaction, nested through savepoints).

use crate::backend::sqlite::options::{SqliteOptions, TransactionMode};
use crate::backend::{Capabilities, PooledConn, Pools};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::exec::{self, Executor, Handle, Pinned, Target};
use crate::render;
use futures::FutureExt;
use orm_core::model::ModelMeta;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

/// Pool settings. The defaults suit a web service; an in-memory SQLite
/// database always uses one connection that is never closed (closing it
/// would drop the database).
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Most connections open at once.
    pub max_connections: u32,
    /// Connections kept open when idle.
    pub min_connections: u32,
    /// How long to wait for a free connection (and to connect) before
    /// failing with `Error::Connection`.
    pub acquire_timeout: Duration,
    /// Close connections idle this long.
    pub idle_timeout: Option<Duration>,
    /// Close connections older than this.
    pub max_lifetime: Option<Duration>,
    /// SQLite only: WAL journal mode, busy timeout and how transactions
    /// start (`BEGIN IMMEDIATE` by default).
    pub sqlite: SqliteOptions,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            sqlite: SqliteOptions::default(),
        }
    }
}

struct DbInner {
    pools: Pools,
    dialect: Dialect,
    /// What the backend (and, for MySQL/MariaDB, the server) supports.
    caps: Capabilities,
    /// How `transaction(..)` starts a transaction (SQLite).
    begin: TransactionMode,
}

/// A database: a connection pool of one backend. Cheap to clone.
///
/// ```
/// # #[tokio::main]
/// # async fn main() -> orm_runtime::Result<()> {
/// let db = orm_runtime::Db::connect("sqlite::memory:").await?;
/// assert_eq!(db.dialect(), orm_runtime::Dialect::Sqlite);
/// let same = db.clone(); // the same pool, and so the same in-memory database
/// same.execute_raw("CREATE TABLE t (x INTEGER)").await?;
/// assert_eq!(db.execute_raw("INSERT INTO t VALUES (1), (2)").await?, 2);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dialect", &self.inner.dialect)
            .finish()
    }
}

impl Db {
    /// Connects with default pool settings. URLs: `sqlite::memory:`,
    /// `sqlite://path?mode=rwc`, `postgres://user@host/db`,
    /// `mysql://user@host/db` (also `mariadb://`). Fails with
    /// `Error::Connection` if the server cannot be reached.
    ///
    /// ```
    /// # use orm_runtime::{Db, Dialect, Error};
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// assert_eq!(db.dialect(), Dialect::Sqlite);
    ///
    /// // A file in a directory that does not exist cannot be opened.
    /// let missing = Db::connect("sqlite:///no/such/directory/app.db").await;
    /// assert!(matches!(missing, Err(Error::Connection(_))));
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Db> {
        Db::connect_with(url, PoolConfig::default()).await
    }

    /// Connects with the given pool settings.
    pub async fn connect_with(url: &str, cfg: PoolConfig) -> Result<Db> {
        let (pools, dialect, caps) = Pools::connect(url, &cfg).await?;
        Ok(Db {
            inner: Arc::new(DbInner {
                pools,
                dialect,
                caps,
                begin: cfg.sqlite.begin,
            }),
        })
    }

    /// A `Db` on a PostgreSQL pool the application already has (it keeps
    /// its own settings; its sqlx statement logging stays as configured).
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// // A lazy pool connects on first use, so this runs without a server.
    /// let pool = sqlx::PgPool::connect_lazy("postgres://postgres@127.0.0.1/test").unwrap();
    /// let db = orm_runtime::Db::from_pg_pool(pool);
    /// assert_eq!(db.dialect(), orm_runtime::Dialect::Postgres);
    /// assert!(db.pg_pool().is_some() && db.mysql_pool().is_none());
    /// # }
    /// ```
    pub fn from_pg_pool(pool: sqlx::PgPool) -> Db {
        let (pools, dialect, caps) = Pools::from_pg(pool);
        Db::from_parts(pools, dialect, caps)
    }

    /// A `Db` on a MySQL/MariaDB pool the application already has; asks
    /// the server which of the two it is.
    pub async fn from_mysql_pool(pool: sqlx::MySqlPool) -> Result<Db> {
        let (pools, dialect, caps) = Pools::from_mysql(pool).await?;
        Ok(Db::from_parts(pools, dialect, caps))
    }

    fn from_parts(pools: Pools, dialect: Dialect, caps: Capabilities) -> Db {
        Db {
            inner: Arc::new(DbInner {
                pools,
                dialect,
                caps,
                begin: TransactionMode::default(),
            }),
        }
    }

    /// The sqlx pool underneath, on PostgreSQL (SQLite runs on the ORM's
    /// own driver and has none).
    pub fn pg_pool(&self) -> Option<&sqlx::PgPool> {
        self.inner.pools.pg()
    }

    /// The sqlx pool underneath, on MySQL/MariaDB.
    pub fn mysql_pool(&self) -> Option<&sqlx::MySqlPool> {
        self.inner.pools.mysql()
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    /// Closes every connection; later statements fail with
    /// `Error::Connection`.
    pub async fn close(&self) {
        self.inner.pools.close().await;
    }

    /// Takes one connection from the pool for a unit of work: its
    /// statements skip the pool (on PostgreSQL and MySQL/MariaDB a pool
    /// round trip per statement costs about as much as a small query).
    pub async fn acquire(&self) -> Result<Conn> {
        let conn = self.acquire_pooled().await?;
        Ok(Conn {
            pinned: Arc::new(self.pin(conn)),
        })
    }

    fn pin(&self, conn: PooledConn) -> Pinned {
        Pinned::new(
            conn,
            self.dialect(),
            self.inner.caps,
            self.inner.begin,
            self.inner.pools.writers(),
        )
    }

    async fn acquire_pooled(&self) -> Result<PooledConn> {
        self.inner.pools.acquire().await
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back
    /// when it returns `Err` or panics (the panic then continues). On
    /// SQLite it starts as [`SqliteOptions::begin`] says (`BEGIN IMMEDIATE`
    /// by default).
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Song {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(max_length = 100, unique)] pub title: String,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Song::META]).await?;
    /// let song = |title: &str| Song { id: 0, title: title.into() };
    /// // Committed: the closure returned Ok.
    /// let id = db.transaction(|tx| async move {
    ///     let s = Song::objects().create(&tx, song("intro")).await?;
    ///     Ok::<_, Error>(s.id)
    /// }).await?;
    ///
    /// // Rolled back: the second insert breaks the unique title, so the
    /// // first one is undone too.
    /// let failed = db.transaction(|tx| async move {
    ///     Song::objects().create(&tx, song("outro")).await?;
    ///     Song::objects().create(&tx, song("intro")).await
    /// }).await;
    /// assert_eq!(failed.unwrap_err().constraint_kind(), Some(ConstraintKind::Unique));
    /// let ids: Vec<i64> = Song::objects().values(Song::id).all(&db).await?;
    /// assert_eq!(ids, [id]);
    /// # Ok(()) }
    /// ```
    pub async fn transaction<T, E, F, Fut>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        self.transaction_with(self.inner.begin, f).await
    }

    /// [`transaction`](Db::transaction), starting in `mode` on SQLite
    /// (for example [`TransactionMode::Deferred`] for a read-only
    /// transaction that should not wait for writers).
    pub async fn transaction_with<T, E, F, Fut>(&self, mode: TransactionMode, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let conn = self.acquire_pooled().await?;
        let pinned = Arc::new(self.pin(conn));
        let out = run_transaction(&pinned, 0, mode, f).await;
        // Give the connection back to the pool, even if `Tx` clones leaked.
        pinned.conn.lock().await.take();
        out
    }

    /// Creates the tables of `models` in the order given (referenced models
    /// first), then the join tables of their many-to-many relations.
    pub async fn create_tables(&self, models: &[&ModelMeta]) -> Result<()> {
        for sql in render::ddl::create_tables(models, self.dialect()) {
            exec::execute_raw(self, &sql).await?;
        }
        Ok(())
    }

    /// Drops the tables of `models` and their join tables, if they exist,
    /// in dependency order whatever the order given (join tables first,
    /// then each table before the tables it references).
    pub async fn drop_tables(&self, models: &[&ModelMeta]) -> Result<()> {
        for sql in render::ddl::drop_tables(models, self.dialect()) {
            exec::execute_raw(self, &sql).await?;
        }
        Ok(())
    }

    /// Refreshes the planner statistics of the tables of `models`, as after
    /// a bulk load (PostgreSQL plans badly without them until autovacuum
    /// runs).
    pub async fn analyze(&self, models: &[&ModelMeta]) -> Result<()> {
        for sql in render::ddl::analyze(models, self.dialect()) {
            if self.dialect() == Dialect::MySql {
                // ANALYZE TABLE answers with a result set of status rows.
                let stmt = render::Statement {
                    dialect: Dialect::MySql,
                    sql,
                    binds: Vec::new(),
                };
                exec::fetch(self, &stmt, &exec::TextRowDecoder).await?;
            } else {
                exec::execute_raw(self, &sql).await?;
            }
        }
        Ok(())
    }

    /// Runs SQL text with no parameters (administration, DDL). Never pass
    /// text containing user input: values belong in bound parameters.
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(exec::execute_raw(self, sql).await?.rows_affected)
    }
}

impl Executor for Db {
    fn handle(&self) -> Handle<'_> {
        Handle::Db(self)
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.caps
    }
    fn dialect(&self) -> Dialect {
        self.inner.dialect
    }
    fn target(&self) -> Target<'_> {
        Target::Pool(&self.inner.pools)
    }
}

/// Marks a transaction level as cancelled if its future is dropped before
/// the level ends; the connection rolls it back before its next statement.
struct CancelGuard<'a> {
    pinned: &'a Pinned,
    depth: i64,
    armed: bool,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let depth = self.depth;
            let _ = self.pinned.pending_rollback.fetch_update(
                Ordering::SeqCst,
                Ordering::SeqCst,
                |p| (p < 0 || depth < p).then_some(depth),
            );
        }
    }
}

async fn run_transaction<T, E, F, Fut>(
    pinned: &Arc<Pinned>,
    depth: u32,
    mode: TransactionMode,
    f: F,
) -> Result<T, E>
where
    F: FnOnce(Tx) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<Error>,
{
    let dialect = pinned.dialect;
    let level = i64::from(depth);
    // One level at a time: a nested transaction opens on its parent, and
    // a second one beside it (two `tx.transaction(..)` futures joined)
    // would share its savepoint and its fate.
    if depth > 0
        && pinned
            .depth
            .compare_exchange(level - 1, level, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        // A level cancelled mid-way is still at its depth until the next
        // statement rolls it back (before this one's SAVEPOINT).
        && pinned.pending_rollback.load(Ordering::SeqCst) < 0
    {
        return Err(Error::Usage(
            "a nested transaction is already running on this transaction; run nested transactions one after another".into(),
        )
        .into());
    }
    // Wait in the pool's queue of writers (SQLite), in order. The turn is
    // kept here until the transaction has begun, so a future dropped while
    // waiting for BEGIN gives it up.
    let mut turn = None;
    if depth == 0
        && mode == TransactionMode::Immediate
        && let Some(writers) = &pinned.writers
    {
        turn = writers.turn().await;
    }
    let begun = exec::execute_raw_pinned(
        pinned,
        &render::transaction::begin_with(dialect, depth, mode),
    )
    .await;
    if let Err(e) = begun {
        if depth > 0 {
            pinned.depth.store(level - 1, Ordering::SeqCst);
        }
        return Err(e.into());
    }
    if depth == 0 {
        pinned.open_tx.store(true, Ordering::SeqCst);
        *pinned
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = turn;
    }
    pinned.depth.store(level, Ordering::SeqCst);
    let mut guard = CancelGuard {
        pinned,
        depth: level,
        armed: true,
    };
    let live = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let tx = Tx {
        pinned: pinned.clone(),
        depth,
        live: live.clone(),
    };
    let outcome = AssertUnwindSafe(f(tx)).catch_unwind().await;
    live.store(false, Ordering::SeqCst);
    // This level's statements are over: undo (or commit) it, then the
    // enclosing level runs again.
    let leave = || {
        if pinned.failed_depth.load(Ordering::SeqCst) >= level {
            pinned.failed_depth.store(-1, Ordering::SeqCst);
        }
        pinned.depth.store((level - 1).max(0), Ordering::SeqCst);
        if depth == 0 {
            pinned.open_tx.store(false, Ordering::SeqCst);
            pinned.end_writing();
        }
    };
    let rollback = || async {
        if let Err(e) =
            exec::execute_raw_pinned(pinned, &render::transaction::rollback(dialect, depth)).await
        {
            tracing::error!(target: "orm::query", error = %e, "rollback failed");
        }
        if depth > 0 {
            // The savepoint survives ROLLBACK TO; release it to pop it.
            let _ = exec::execute_raw_pinned(pinned, &render::transaction::commit(dialect, depth))
                .await;
        }
        leave();
    };
    let result = match outcome {
        // A statement of this level failed and its error was handled: as in
        // Django the level is rolled back, not committed (PostgreSQL would
        // refuse to commit it anyway).
        Ok(Ok(_)) if pinned.failed_depth.load(Ordering::SeqCst) == level => {
            rollback().await;
            Err(Error::RolledBack(
                "its error was handled but the work cannot be committed; run the failing statement in a nested transaction to go on after it".into(),
            )
            .into())
        }
        Ok(Ok(v)) => {
            match exec::execute_raw_pinned(pinned, &render::transaction::commit(dialect, depth))
                .await
            {
                Ok(_) => {
                    leave();
                    Ok(v)
                }
                Err(e) => {
                    rollback().await;
                    Err(e.into())
                }
            }
        }
        Ok(Err(e)) => {
            rollback().await;
            Err(e)
        }
        Err(panic) => {
            rollback().await;
            guard.armed = false;
            std::panic::resume_unwind(panic)
        }
    };
    guard.armed = false;
    result
}

/// A transaction. Cheap to clone; every clone runs on the transaction's
/// connection. Statements run after the transaction finished fail with
/// `Error::Usage`.
#[derive(Clone)]
pub struct Tx {
    pinned: Arc<Pinned>,
    depth: u32,
    /// This level has not ended: statements through a clone kept past its
    /// end are refused.
    live: Arc<std::sync::atomic::AtomicBool>,
}

impl Tx {
    /// A nested transaction (a savepoint): its `Err` or panic rolls back
    /// only what it did.
    pub async fn transaction<T, E, F, Fut>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        run_transaction(&self.pinned, self.depth + 1, self.pinned.begin, f).await
    }

    /// Nesting depth: 0 for the outer transaction.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Runs SQL text with no parameters inside the transaction.
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(exec::execute_raw(self, sql).await?.rows_affected)
    }
}

impl Executor for Tx {
    fn handle(&self) -> Handle<'_> {
        Handle::Tx(self)
    }
    fn dialect(&self) -> Dialect {
        self.pinned.dialect
    }
    fn target(&self) -> Target<'_> {
        Target::Level(&self.pinned, &self.live)
    }
}

/// One connection held for a unit of work (see [`Db::acquire`]). Returned
/// to the pool when the last clone is dropped.
#[derive(Clone)]
pub struct Conn {
    pinned: Arc<Pinned>,
}

impl Conn {
    /// Runs `f` in a transaction on this connection (started as
    /// [`SqliteOptions::begin`] says on SQLite).
    pub async fn transaction<T, E, F, Fut>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        run_transaction(&self.pinned, 0, self.pinned.begin, f).await
    }

    /// [`transaction`](Conn::transaction), starting in `mode` on SQLite.
    pub async fn transaction_with<T, E, F, Fut>(&self, mode: TransactionMode, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        run_transaction(&self.pinned, 0, mode, f).await
    }

    /// Runs SQL text with no parameters on this connection.
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(exec::execute_raw(self, sql).await?.rows_affected)
    }
}

impl Executor for Conn {
    fn handle(&self) -> Handle<'_> {
        Handle::Conn(self)
    }
    fn dialect(&self) -> Dialect {
        self.pinned.dialect
    }
    fn target(&self) -> Target<'_> {
        Target::Pinned(&self.pinned)
    }
}

/// Runs `f` atomically on the executor's connection: in a new transaction
/// on a pool or an acquired connection, in a savepoint inside a transaction.
pub(crate) async fn atomic<E, T, F, Fut>(ex: &E, f: F) -> Result<T>
where
    E: Executor + ?Sized,
    F: FnOnce(Tx) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    match ex.handle() {
        Handle::Db(db) => db.transaction(f).await,
        Handle::Tx(tx) => tx.transaction(f).await,
        Handle::Conn(c) => c.transaction(f).await,
        Handle::Pinned => Err(Error::Usage(
            "no transaction can be opened on this executor".into(),
        )),
    }
}
