//! Test support: the models the suites share, and `on_all_backends`, which
//! runs a test body once per configured backend, each in a fresh schema
//! (PostgreSQL) or database (MariaDB/MySQL) that is dropped afterwards.
//!
//! SQLite (in memory) always runs. PostgreSQL runs when
//! `ORM_TEST_POSTGRES_URL` is set, MariaDB/MySQL when `ORM_TEST_MYSQL_URL`
//! is set. Under `CI=true` both must be set and reachable, otherwise the
//! test fails; outside CI a missing URL prints that the backend was skipped.

pub mod fixtures;
pub mod logs;
pub mod models;
pub mod sqlite_file;

use futures::FutureExt;
use orm_runtime::{Db, Dialect, Error, PoolConfig};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "ORM_TEST_POSTGRES_URL";
/// The environment variable naming the MariaDB/MySQL server for tests.
pub const MYSQL_ENV: &str = "ORM_TEST_MYSQL_URL";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn unique_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "orm_t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos % 100_000
    )
}

/// A fresh, empty database on one backend, and how to drop it.
pub struct TestDb {
    /// The connection to use.
    pub db: Db,
    admin: Option<(Db, String)>,
}

impl TestDb {
    /// Drops the schema or database created for the test.
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some((admin, sql)) = self.admin {
            if let Err(e) = admin.execute_raw(&sql).await {
                eprintln!("cleanup failed ({sql}): {e}");
            }
            admin.close().await;
        }
    }
}

/// Connects to a fresh database of `dialect`, or `None` if that backend is
/// not configured (outside CI).
pub async fn fresh(dialect: Dialect) -> Option<TestDb> {
    fresh_with(dialect, PoolConfig::default()).await
}

/// [`fresh`], with the test's connection pool built from `cfg`.
pub async fn fresh_with(dialect: Dialect, cfg: PoolConfig) -> Option<TestDb> {
    match dialect {
        Dialect::Sqlite => Some(TestDb {
            db: connect_with("sqlite::memory:", cfg).await,
            admin: None,
        }),
        Dialect::Postgres => {
            let url = configured(POSTGRES_ENV, dialect)?;
            let admin = connect(&url).await;
            let schema = unique_name();
            exec_admin(&admin, &format!("CREATE SCHEMA \"{schema}\"")).await;
            let sep = if url.contains('?') { '&' } else { '?' };
            let db = connect_with(
                &format!("{url}{sep}options=-c%20search_path%3D{schema}"),
                cfg,
            )
            .await;
            Some(TestDb {
                db,
                admin: Some((admin, format!("DROP SCHEMA \"{schema}\" CASCADE"))),
            })
        }
        Dialect::MySql => {
            let url = configured(MYSQL_ENV, dialect)?;
            let admin = connect(&url).await;
            let name = unique_name();
            exec_admin(
                &admin,
                &format!(
                    "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
                ),
            )
            .await;
            let base = match url.rfind('/') {
                Some(i) if i > "mysql://".len() => &url[..i],
                _ => url.trim_end_matches('/'),
            };
            let db = connect_with(&format!("{base}/{name}"), cfg).await;
            Some(TestDb {
                db,
                admin: Some((admin, format!("DROP DATABASE `{name}`"))),
            })
        }
    }
}

fn configured(var: &str, dialect: Dialect) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if in_ci() => {
            panic!("CI=true but {var} is not set: {dialect} tests cannot be skipped in CI")
        }
        _ => {
            eprintln!("skipped {dialect}: set {var} to run this test on it");
            None
        }
    }
}

async fn connect(url: &str) -> Db {
    connect_with(url, PoolConfig::default()).await
}

async fn connect_with(url: &str, cfg: PoolConfig) -> Db {
    match Db::connect_with(url, cfg).await {
        Ok(db) => db,
        Err(e) => panic!("cannot connect to {url}: {e}"),
    }
}

async fn exec_admin(db: &Db, sql: &str) {
    if let Err(e) = db.execute_raw(sql).await {
        panic!("{sql}: {e}");
    }
}

/// Runs `body` once on each configured backend, each with a fresh
/// database. An `Err` or a panic fails the test, naming the backend.
pub async fn on_all_backends<F, Fut>(body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    for dialect in Dialect::ALL {
        let Some(test_db) = fresh(dialect).await else {
            continue;
        };
        let outcome = AssertUnwindSafe(body(test_db.db.clone()))
            .catch_unwind()
            .await;
        test_db.cleanup().await;
        report(dialect, outcome);
    }
}

/// Fails the test if a backend's run returned an error or panicked.
fn report(dialect: Dialect, outcome: std::thread::Result<Result<(), Error>>) {
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("[{dialect}] test returned an error: {e}\n{e:?}"),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("[{dialect}] {msg}");
        }
    }
}

/// Creates the tables of the shared models.
pub async fn create_schema(db: &Db) -> Result<(), Error> {
    db.create_tables(models::ALL).await
}
