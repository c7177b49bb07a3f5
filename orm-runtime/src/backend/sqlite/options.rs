//! SQLite settings for many connections on one database file: WAL journal
//! mode, a busy timeout, and how transactions start (`BEGIN IMMEDIATE` by
//! default), so that concurrent writers wait their turn instead of failing
//! with `database is locked`.

use std::time::Duration;

/// How a transaction opened by `transaction(..)` starts on SQLite.
/// PostgreSQL and MySQL/MariaDB always run a plain `BEGIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionMode {
    /// `BEGIN IMMEDIATE`: takes the write lock at the start, waiting up to
    /// the busy timeout for it. A transaction that reads and then writes
    /// cannot fail half-way because another connection wrote in between
    /// (SQLite does not wait in that case: it fails at once with
    /// `database is locked`). Transactions run one at a time; reads outside
    /// transactions go on beside them (in WAL mode).
    #[default]
    Immediate,
    /// `BEGIN` (`DEFERRED`): takes no lock until the first read or write.
    /// Read-only transactions run beside each other and beside a writer,
    /// but one that reads and then writes fails with `database is locked`
    /// if another connection wrote in between.
    Deferred,
}

/// SQLite settings; see [`PoolConfig::sqlite`](crate::PoolConfig::sqlite).
///
/// ```
/// # #[tokio::main]
/// # async fn main() -> orm_runtime::Result<()> {
/// use orm_runtime::{Db, PoolConfig, SqliteOptions, TransactionMode, raw};
/// let cfg = PoolConfig {
///     sqlite: SqliteOptions { begin: TransactionMode::Deferred, ..SqliteOptions::default() },
///     ..PoolConfig::default()
/// };
/// # let dir = std::env::temp_dir().join(format!("orm-doc-sqlite-options-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let file = dir.join("app.db");
/// let db = Db::connect_with(&format!("sqlite://{}?mode=rwc", file.display()), cfg).await?;
/// let (mode,): (String,) = raw("PRAGMA journal_mode").fetch(&db).await?.remove(0);
/// assert_eq!(mode, "wal"); // `wal: true` by default
/// // Transactions start deferred: a plain BEGIN.
/// let (n, queries) = orm_runtime::observe::capture(db.transaction(|tx| async move {
///     raw("SELECT COUNT(*) FROM sqlite_master").fetch::<(i64,), _>(&tx).await
/// }))
/// .await;
/// assert_eq!(n?, [(0,)]);
/// assert_eq!(queries[0].sql, "BEGIN");
/// # db.close().await;
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Put a file database in WAL journal mode when connecting (it stays
    /// in WAL mode: the setting is stored in the file). Readers then never
    /// block the writer nor wait for it. Default `true`; `false` leaves the
    /// file's journal mode as it is. In-memory databases have no WAL.
    pub wal: bool,
    /// How long a statement waits for a lock another connection holds
    /// before failing with `database is locked`. Default 5 seconds.
    pub busy_timeout: Duration,
    /// How `transaction(..)` starts a transaction. Default
    /// [`TransactionMode::Immediate`]; `transaction_with` chooses per call.
    pub begin: TransactionMode,
    /// How long a read runs on the calling thread before it is moved to a
    /// blocking thread (see the driver's docs in the README). Statements
    /// run on the calling thread because a thread handoff costs more than
    /// most SQLite statements; a read still running after this long is
    /// interrupted and run again on a thread, where dropping its future
    /// stops it, and the connection runs it (with the same values) on a
    /// thread from then on. Default 50 ms. Writes always run on the
    /// calling thread.
    pub inline_budget: Duration,
    /// Prepared statements kept per connection. Default 128.
    pub statement_cache: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            wal: true,
            busy_timeout: Duration::from_secs(5),
            begin: TransactionMode::Immediate,
            inline_budget: Duration::from_millis(50),
            statement_cache: 128,
        }
    }
}
