//! Many tasks writing one database at once: read-then-write transactions
//! and autocommit updates on a shared SQLite file (WAL, busy timeout,
//! `BEGIN IMMEDIATE`), PostgreSQL and MariaDB end with exact counts and no
//! errors.
//!
//! The size defaults to 100 tasks × 20 transactions and 100 autocommit
//! updates each, to fit the CI time budget; `ORM_TEST_CONCURRENCY=100x1000`
//! runs the full 100 tasks × 1,000 operations of each kind.

use orm_runtime::prelude::*;
use orm_tests::sqlite_file::on_all_backends_with_sqlite_file;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A shared counter every task increments.
#[derive(Model, Debug, Clone)]
pub struct Tally {
    #[orm(primary_key)]
    pub id: i64,
    pub hits: i64,
}

/// One row per read-then-write transaction: what the task read first.
#[derive(Model, Debug, Clone)]
pub struct Visit {
    #[orm(primary_key)]
    pub id: i64,
    pub task: i64,
    pub seen: i64,
}

/// (tasks, transactions per task, autocommit updates per task).
fn size() -> (i64, i64, i64) {
    if let Ok(spec) = std::env::var("ORM_TEST_CONCURRENCY")
        && let Some((tasks, ops)) = spec.split_once('x')
        && let (Ok(tasks), Ok(ops)) = (tasks.parse(), ops.parse())
    {
        return (tasks, ops, ops);
    }
    (100, 20, 100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_read_then_write_transactions_lose_nothing() {
    on_all_backends_with_sqlite_file(PoolConfig::default(), |db| async move {
        db.create_tables(&[Tally::META, Visit::META]).await?;
        let txs = Tally::objects().create(&db, Tally { id: 0, hits: 0 }).await?;
        let auto = Tally::objects().create(&db, Tally { id: 0, hits: 0 }).await?;
        let (tasks, ops, updates) = size();
        let failures = Arc::new(AtomicU64::new(0));
        let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
        let started = Instant::now();
        let mut handles = Vec::new();
        for task in 0..tasks {
            let (db, failures, first_error) = (db.clone(), failures.clone(), first_error.clone());
            handles.push(tokio::spawn(async move {
                let fail = |e: Error| {
                    failures.fetch_add(1, Ordering::SeqCst);
                    first_error.lock().unwrap().get_or_insert(e.to_string());
                };
                for _ in 0..ops {
                    let out = db
                        .transaction(|tx| async move {
                            let seen = Tally::objects()
                                .filter(Tally::id.eq(txs.id))
                                .get(&tx)
                                .await?
                                .hits;
                            Visit::objects()
                                .create(&tx, Visit { id: 0, task, seen })
                                .await?;
                            Tally::objects()
                                .filter(Tally::id.eq(txs.id))
                                .update(&tx, Tally::hits.set(Tally::hits + 1))
                                .await?;
                            Ok::<_, Error>(())
                        })
                        .await;
                    if let Err(e) = out {
                        fail(e);
                    }
                }
                for _ in 0..updates {
                    let out = Tally::objects()
                        .filter(Tally::id.eq(auto.id))
                        .update(&db, Tally::hits.set(Tally::hits + 1))
                        .await;
                    if let Err(e) = out {
                        fail(e);
                    }
                }
            }));
        }
        for h in handles {
            h.await.expect("task panicked");
        }
        let elapsed = started.elapsed();
        let failed = failures.load(Ordering::SeqCst);
        eprintln!(
            "[{}] {tasks} tasks × ({ops} transactions + {updates} updates): {failed} failed in {elapsed:?}",
            db.dialect()
        );
        assert_eq!(
            failed,
            0,
            "first error: {:?}",
            first_error.lock().unwrap().clone()
        );
        let db = &db;
        let hits = |id| async move {
            Ok::<_, Error>(Tally::objects().filter(Tally::id.eq(id)).get(db).await?.hits)
        };
        assert_eq!(hits(txs.id).await?, tasks * ops);
        assert_eq!(hits(auto.id).await?, tasks * updates);
        assert_eq!(Visit::objects().count(db).await?, tasks * ops);
        Ok(())
    })
    .await;
}
