//! The backends, one folder each: how each connects, binds values, reads
//! rows, and what it can do ([`Capabilities`]). The rest of the runtime
//! runs statements through the one dispatch here (`Pools`, `PooledConn`)
//! and asks a backend's capabilities instead of matching on the dialect.
//!
//! - `sqlite/`: a direct driver on libsqlite3 with its own pool;
//! - `postgres/` and `mysql/`: sqlx's drivers and pools, through the
//!   shared code in `sqlx_driver.rs`;
//! - `convert.rs`: value conversions the row readers share;
//! - `sink.rs`: where a query's rows go, untyped for the code that runs
//!   the query (compiled once) and typed at its end.

pub(crate) mod convert;
pub(crate) mod mysql;
pub(crate) mod postgres;
pub(crate) mod sink;
pub(crate) mod sqlite;
mod sqlx_driver;

use crate::PoolConfig;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::exec::{ExecResult, RowDecoder, Writers};
use crate::render::Statement;
use futures::StreamExt;
use futures::stream::BoxStream;
use sink::Sink;

/// What a backend supports, asked by the code that renders and runs
/// statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// `INSERT .. RETURNING` (SQLite, PostgreSQL, MariaDB; not MySQL).
    pub returning: bool,
    /// The most bound parameters one statement may carry.
    pub max_binds: usize,
    /// A list can be bound as one array parameter (PostgreSQL).
    pub array_binds: bool,
    /// DDL runs inside a transaction and rolls back with it.
    pub transactional_ddl: bool,
    /// `FOR UPDATE OF <table>` (PostgreSQL, MySQL; not MariaDB).
    pub lock_of: bool,
}

impl Capabilities {
    /// The capabilities of a dialect's backend (for MySQL/MariaDB, those
    /// of MariaDB; a connected [`Db`](crate::Db) knows which server it has).
    pub fn of(dialect: Dialect) -> Capabilities {
        match dialect {
            Dialect::Sqlite => sqlite::CAPABILITIES,
            Dialect::Postgres => postgres::CAPABILITIES,
            Dialect::MySql => mysql::CAPABILITIES,
        }
    }
}

/// How parameters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `?` for every parameter.
    Question,
    /// `$1`, `$2`, ..
    Numbered,
}

/// How an auto-increment primary key column is declared after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AutoKey {
    /// This text instead of the column's type.
    Replace(&'static str),
    /// The column's type, then this text.
    Suffix(&'static str),
}

/// How an index key part that is an expression (`lower(title)`) is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpressionKeys {
    /// Written in the index: `CREATE INDEX .. ((LOWER("title")))`.
    Inline,
    /// MariaDB has no functional key parts: the table gets an invisible
    /// virtual generated column holding the expression, and the index is
    /// on that column.
    GeneratedColumn,
}

/// How a backend spells what differs in plain SQL text: identifiers,
/// parameters, string literals, column types. Each backend's is in its
/// folder (`syntax.rs`); the renderer asks it rather than matching on the
/// dialect.
pub(crate) struct Syntax {
    /// The identifier quote (doubled inside a name).
    pub quote: char,
    /// How parameters are written.
    pub placeholders: Placeholders,
    /// A backslash in a string literal escapes (MySQL/MariaDB).
    pub backslash_escapes: bool,
    /// The column type a field's type is stored as.
    pub column_type: fn(orm_core::value::ColumnType) -> String,
    /// How an auto-increment primary key is declared.
    pub auto_key: AutoKey,
    /// What else the backend's lexer reads as a literal or a comment, for
    /// the scan of raw SQL text.
    pub lexical: Lexical,
    /// How an index key part that is an expression is built.
    pub expression_keys: ExpressionKeys,
}

/// The lexical rules, beyond `'..'` strings with `''`, `"`/backquote
/// identifiers and `--`/`/* */` comments, that tell where a `?` or `$1` in
/// raw SQL text is a placeholder and where it is part of a literal or a
/// comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lexical {
    /// `$$..$$` and `$tag$..$tag$` strings (PostgreSQL).
    pub dollar_quotes: bool,
    /// `E'..'` strings, where a backslash escapes (PostgreSQL).
    pub escape_strings: bool,
    /// `/* /* */ */` nests (PostgreSQL).
    pub nested_comments: bool,
    /// `#` starts a comment to the end of the line (MySQL/MariaDB).
    pub hash_comments: bool,
    /// `--` starts a comment only before a space or control character
    /// (MySQL/MariaDB: `1--1` is `1 - -1`).
    pub dash_comment_needs_space: bool,
    /// `".."` is a string literal, not an identifier (MySQL/MariaDB).
    pub double_quoted_strings: bool,
    /// A `--` comment also ends at a carriage return (PostgreSQL).
    pub carriage_return_ends_comments: bool,
    /// `/*! .. */` and `/*M! .. */` hold SQL that is run (MySQL/MariaDB).
    pub executable_comments: bool,
    /// `[..]` is a quoted identifier (SQLite).
    pub bracket_identifiers: bool,
}

impl Syntax {
    /// The syntax of a dialect.
    pub(crate) fn of(dialect: Dialect) -> &'static Syntax {
        match dialect {
            Dialect::Sqlite => &sqlite::syntax::SYNTAX,
            Dialect::Postgres => &postgres::syntax::SYNTAX,
            Dialect::MySql => &mysql::syntax::SYNTAX,
        }
    }
}

/// A connection pool of one backend.
#[doc(hidden)]
pub enum Pools {
    Sqlite(sqlite::Pool),
    Postgres(sqlx_driver::Stashed<sqlx::Postgres>),
    MySql(sqlx_driver::Stashed<sqlx::MySql>),
}

/// One connection taken from a pool.
#[doc(hidden)]
pub enum PooledConn {
    Sqlite(sqlite::Pooled),
    Postgres(sqlx_driver::PooledConnection<sqlx::Postgres>),
    MySql(sqlx_driver::PooledConnection<sqlx::MySql>),
}

impl Pools {
    /// Connects to the database a URL names.
    pub(crate) async fn connect(
        url: &str,
        cfg: &PoolConfig,
    ) -> Result<(Pools, Dialect, Capabilities)> {
        if url.starts_with("sqlite:") {
            let pool = sqlite::Pool::connect(url, cfg).await?;
            Ok((Pools::Sqlite(pool), Dialect::Sqlite, sqlite::CAPABILITIES))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = postgres::connect(url, cfg).await?;
            Ok((
                Pools::Postgres(sqlx_driver::Stashed::new(pool, cfg)),
                Dialect::Postgres,
                postgres::CAPABILITIES,
            ))
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            let (pool, caps) = mysql::connect(url, cfg).await?;
            Ok((
                Pools::MySql(sqlx_driver::Stashed::new(pool, cfg)),
                Dialect::MySql,
                caps,
            ))
        } else {
            Err(Error::Usage(format!(
                "unsupported database URL {url:?}: expected sqlite:, postgres:// or mysql://"
            )))
        }
    }

    /// Wraps a sqlx pool an application already has.
    pub(crate) fn from_pg(pool: sqlx::PgPool) -> (Pools, Dialect, Capabilities) {
        let cfg = borrowed_config(pool.options());
        (
            Pools::Postgres(sqlx_driver::Stashed::new(pool, &cfg)),
            Dialect::Postgres,
            postgres::CAPABILITIES,
        )
    }

    /// Wraps a sqlx pool an application already has, asking the server
    /// whether it is MariaDB or MySQL.
    pub(crate) async fn from_mysql(
        pool: sqlx::MySqlPool,
    ) -> Result<(Pools, Dialect, Capabilities)> {
        let caps = mysql::capabilities(&pool).await?;
        let cfg = borrowed_config(pool.options());
        Ok((
            Pools::MySql(sqlx_driver::Stashed::new(pool, &cfg)),
            Dialect::MySql,
            caps,
        ))
    }

    /// The sqlx pool underneath, on PostgreSQL.
    pub(crate) fn pg(&self) -> Option<&sqlx::PgPool> {
        match self {
            Pools::Postgres(p) => Some(&p.pool),
            _ => None,
        }
    }

    /// The sqlx pool underneath, on MySQL/MariaDB.
    pub(crate) fn mysql(&self) -> Option<&sqlx::MySqlPool> {
        match self {
            Pools::MySql(p) => Some(&p.pool),
            _ => None,
        }
    }

    /// Takes a connection from the pool: at once if one is free (no
    /// await), else after waiting (boxed: the waiting futures are large,
    /// and every statement's future would carry them).
    pub(crate) async fn acquire(&self) -> Result<PooledConn> {
        let free = match self {
            Pools::Sqlite(p) => p.try_acquire()?.map(PooledConn::Sqlite),
            Pools::Postgres(p) => p.try_acquire().map(PooledConn::Postgres),
            Pools::MySql(p) => p.try_acquire().map(PooledConn::MySql),
        };
        match free {
            Some(c) => Ok(c),
            None => Box::pin(self.wait()).await,
        }
    }

    async fn wait(&self) -> Result<PooledConn> {
        Ok(match self {
            Pools::Sqlite(p) => PooledConn::Sqlite(p.acquire().await?),
            Pools::Postgres(p) => PooledConn::Postgres(p.acquire().await?),
            Pools::MySql(p) => PooledConn::MySql(p.acquire().await?),
        })
    }

    /// The queue write transactions wait in (SQLite), if any.
    pub(crate) fn writers(&self) -> Option<crate::exec::Writers> {
        match self {
            Pools::Sqlite(p) => Some(p.writers()),
            _ => None,
        }
    }

    /// Gives back a connection whose statement ended; `healthy`: it ended
    /// without a connection error.
    pub(crate) fn release(&self, conn: PooledConn, healthy: bool) {
        match (self, conn) {
            (Pools::Postgres(p), PooledConn::Postgres(c)) => p.release(c, healthy),
            (Pools::MySql(p), PooledConn::MySql(c)) => p.release(c, healthy),
            // SQLite's pool takes its connections back when they drop.
            (_, conn) => drop(conn),
        }
    }

    /// Closes every connection.
    pub(crate) async fn close(&self) {
        match self {
            Pools::Sqlite(p) => p.close(),
            Pools::Postgres(p) => p.close().await,
            Pools::MySql(p) => p.close().await,
        }
    }
}

/// The ORM's view of a pool's settings (for the stash in front of it).
fn borrowed_config<DB: sqlx::Database>(o: &sqlx::pool::PoolOptions<DB>) -> PoolConfig {
    PoolConfig {
        acquire_timeout: o.get_acquire_timeout(),
        idle_timeout: o.get_idle_timeout(),
        max_lifetime: o.get_max_lifetime(),
        ..PoolConfig::default()
    }
}

impl PooledConn {
    /// Runs a query and decodes its rows into `rows` as they arrive.
    ///
    /// The server backends' futures are boxed: sqlx's are several
    /// kilobytes, and every future awaiting this one would otherwise carry
    /// (and move) them, SQLite's small inline path included.
    pub(crate) async fn fetch(
        &mut self,
        stmt: &Statement,
        rows: &mut dyn Sink,
        writers: Option<&Writers>,
    ) -> Result<()> {
        match self {
            PooledConn::Sqlite(c) => c.fetch(stmt, rows, writers).await,
            PooledConn::Postgres(c) => Box::pin(sqlx_driver::fetch(&mut *c.conn, stmt, rows)).await,
            PooledConn::MySql(c) => Box::pin(sqlx_driver::fetch(&mut *c.conn, stmt, rows)).await,
        }
    }

    /// Runs a statement that returns no rows.
    pub(crate) async fn execute(
        &mut self,
        stmt: &Statement,
        writers: Option<&Writers>,
    ) -> Result<ExecResult> {
        match self {
            PooledConn::Sqlite(c) => c.execute(stmt, writers).await,
            PooledConn::Postgres(c) => Box::pin(sqlx_driver::execute(&mut *c.conn, stmt)).await,
            PooledConn::MySql(c) => Box::pin(sqlx_driver::execute(&mut *c.conn, stmt)).await,
        }
    }

    /// Runs SQL text without parameters through the simple (unprepared)
    /// protocol: DDL and transaction control.
    pub(crate) async fn execute_raw(
        &mut self,
        sql: &str,
        writers: Option<&Writers>,
    ) -> Result<ExecResult> {
        match self {
            PooledConn::Sqlite(c) => c.execute_raw(sql, writers).await,
            PooledConn::Postgres(c) => Box::pin(sqlx_driver::execute_raw(&mut *c.conn, sql)).await,
            PooledConn::MySql(c) => Box::pin(sqlx_driver::execute_raw(&mut *c.conn, sql)).await,
        }
    }

    /// The decoded rows of a query, as a stream.
    pub(crate) fn stream<'a, D: RowDecoder>(
        &'a mut self,
        stmt: &'a Statement,
        d: &'a D,
    ) -> BoxStream<'a, Result<D::Output>> {
        match self {
            PooledConn::Sqlite(c) => {
                let mut feed = c.feed(stmt, &sink::Rows::new(d.clone(), 0));
                Box::pin(async_stream::try_stream! {
                    while let Some(batch) = feed.next_batch().await {
                        for row in sink::Rows::<D>::take(batch?) {
                            yield row;
                        }
                    }
                })
            }
            PooledConn::Postgres(c) => sqlx_driver::stream(&mut *c.conn, stmt, d),
            PooledConn::MySql(c) => sqlx_driver::stream(&mut *c.conn, stmt, d),
        }
        .boxed()
    }

    /// A connection left in the middle of a statement: closed without
    /// waiting for the server (its place in the pool freed), or, on SQLite,
    /// kept: a statement there ends when its future is dropped.
    pub(crate) fn discard(self) -> Option<PooledConn> {
        match self {
            PooledConn::Sqlite(c) => Some(PooledConn::Sqlite(c)),
            // Dropping the detached connection closes its socket.
            PooledConn::Postgres(c) => {
                drop(c.conn.detach());
                None
            }
            PooledConn::MySql(c) => {
                drop(c.conn.detach());
                None
            }
        }
    }

    /// Whether a stream dropped between rows may leave this connection to
    /// be reused as it is (SQLite: its statement stops with its reader).
    pub(crate) fn survives_dropped_stream(&self) -> bool {
        matches!(self, PooledConn::Sqlite(_))
    }

    /// Closes the connection instead of returning it to the pool.
    pub(crate) fn close_on_drop(&mut self) {
        match self {
            PooledConn::Sqlite(_) => {}
            PooledConn::Postgres(c) => c.close_on_drop(),
            PooledConn::MySql(c) => c.close_on_drop(),
        }
    }
}
