//! `on_all_backends_with_sqlite_file`: the suite harness, except that SQLite
//! runs on a database file in a fresh temporary directory (removed
//! afterwards) rather than in memory, so that several connections share it
//! and contend for its locks as in production.

use crate::{Dialect, TestDb, fresh_with, report, unique_name};
use futures::FutureExt;
use orm_runtime::{Db, Error, PoolConfig};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

/// A temporary directory holding one SQLite database file; removed on drop.
pub struct SqliteFile {
    dir: PathBuf,
}

impl SqliteFile {
    /// Creates an empty temporary directory for a database file.
    pub fn new() -> SqliteFile {
        let dir = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        SqliteFile { dir }
    }

    /// The URL of the database file (created on first connect).
    pub fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.dir.join("test.db").display())
    }
}

impl Default for SqliteFile {
    fn default() -> Self {
        SqliteFile::new()
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `body` once per configured backend, each with a fresh database and
/// a pool built from `cfg`; SQLite runs on a temporary file. An `Err` or a
/// panic fails the test, naming the backend.
pub async fn on_all_backends_with_sqlite_file<F, Fut>(cfg: PoolConfig, body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    for dialect in Dialect::ALL {
        let file = SqliteFile::new();
        let test_db = if dialect == Dialect::Sqlite {
            let db = Db::connect_with(&file.url(), cfg.clone())
                .await
                .unwrap_or_else(|e| panic!("cannot open {}: {e}", file.url()));
            TestDb { db, admin: None }
        } else {
            let Some(t) = fresh_with(dialect, cfg.clone()).await else {
                continue;
            };
            t
        };
        let outcome = AssertUnwindSafe(body(test_db.db.clone()))
            .catch_unwind()
            .await;
        test_db.cleanup().await;
        drop(file);
        report(dialect, outcome);
    }
}
