//! Faults: queries cancelled mid-way (the pool stays healthy and `close()`
//! returns), and connections killed from a second connection during a
//! transaction and during a 50,000-row `bulk_create` (nothing committed, a
//! typed error, the `Db` usable afterwards).
//!
//! SQLite has no server that can kill a connection: the kill tests run on
//! PostgreSQL (`pg_terminate_backend`) and MariaDB/MySQL (`KILL`).

use orm_runtime::prelude::*;
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};
use std::time::{Duration, Instant};

fn publisher(name: &str) -> Publisher {
    Publisher {
        id: 0,
        name: name.into(),
        country: None,
    }
}

/// Slow queries returning `i64` rows: one that computes for a second
/// before its first row (none on SQLite, which has no sleep), and one that
/// streams rows slowly, so that a cancel lands while the driver reads a
/// reply (the drivers read a fast reply without yielding, so a timeout
/// could not interrupt it). SQLite's driver abandons a statement at its
/// next row once nobody waits for it.
fn slow_queries(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Sqlite => &["WITH RECURSIVE c(x) AS \
            (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000) SELECT x FROM c"],
        Dialect::Postgres => &[
            "SELECT 1::INT8 FROM pg_sleep(1)",
            "SELECT x::INT8 FROM generate_series(1, 1000000) AS x WHERE pg_sleep(0.001) IS NOT NULL",
        ],
        // MariaDB's sequence engine streams its rows.
        Dialect::MySql => &[
            "SELECT SLEEP(1)",
            "SELECT seq FROM seq_1_to_1000000 WHERE SLEEP(0.001) = 0",
        ],
    }
}

/// The server's id of the connection `ex` runs on.
async fn backend_pid<E: Executor>(ex: &E) -> Result<i64, Error> {
    let sql = match ex.dialect() {
        Dialect::Postgres => "SELECT pg_backend_pid()::INT8",
        _ => "SELECT CONNECTION_ID()",
    };
    Ok(raw(sql).fetch::<(i64,), _>(ex).await?[0].0)
}

/// Kills connection `pid` from another connection of `db`.
async fn kill(db: &Db, pid: i64) -> Result<(), Error> {
    match db.dialect() {
        Dialect::Postgres => {
            let killed = raw("SELECT pg_terminate_backend($1::INT4)")
                .bind(pid)
                .fetch::<(bool,), _>(db)
                .await?;
            assert!(killed[0].0, "pg_terminate_backend({pid})");
        }
        _ => {
            raw("KILL ?").bind(pid).execute(db).await?;
        }
    }
    Ok(())
}

/// Whether connection `pid` is running an INSERT now.
async fn inserting(db: &Db, pid: i64) -> Result<bool, Error> {
    let sql = match db.dialect() {
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE pid = $1::INT4 AND state = 'active' AND query LIKE 'INSERT%'"
        }
        _ => {
            "SELECT COUNT(*) FROM information_schema.processlist WHERE id = ? AND info LIKE 'INSERT%'"
        }
    };
    Ok(raw(sql).bind(pid).fetch::<(i64,), _>(db).await?[0].0 > 0)
}

/// What a statement on a killed connection reports, on every backend.
fn is_connection_lost(e: &Error) -> bool {
    matches!(e, Error::Connection(_))
}

#[tokio::test]
async fn cancelled_queries_leave_the_pool_healthy_and_close_returns() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let queries = slow_queries(db.dialect());
        for i in 0..30 {
            let sql = queries[i % queries.len()];
            let cancelled =
                tokio::time::timeout(Duration::from_millis(50), raw(sql).fetch::<(i64,), _>(&db))
                    .await;
            assert!(
                cancelled.is_err(),
                "query {i} was not cancelled: {cancelled:?}"
            );
        }
        let started = Instant::now();
        let count = tokio::time::timeout(Duration::from_secs(5), Publisher::objects().count(&db))
            .await
            .expect("the next query gets a connection")?;
        assert_eq!(count, 0);
        let query_took = started.elapsed();
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(5), db.close())
            .await
            .expect("close() returns");
        eprintln!(
            "[{}] after 30 cancelled queries: next query {query_took:?}, close() {:?}",
            db.dialect(),
            started.elapsed()
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_statement_cancelled_inside_a_transaction_commits_nothing_half_done() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let sql = *slow_queries(db.dialect()).last().expect("a query");
        let out = db
            .transaction(|tx| async move {
                Publisher::objects().create(&tx, publisher("first")).await?;
                let cancelled = tokio::time::timeout(
                    Duration::from_millis(50),
                    raw(sql).fetch::<(i64,), _>(&tx),
                )
                .await;
                assert!(cancelled.is_err());
                Publisher::objects()
                    .create(&tx, publisher("second"))
                    .await?;
                Ok::<_, Error>(())
            })
            .await;
        let names: Vec<String> = Publisher::objects()
            .order_by(Publisher::name.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        if db.dialect() == Dialect::Sqlite {
            // SQLite abandons the statement and keeps the connection: the
            // transaction goes on.
            out?;
            assert_eq!(names, ["first", "second"]);
        } else {
            // The connection was closed mid-statement; the server rolled the
            // transaction back.
            assert!(matches!(out, Err(Error::Connection(_))), "{out:?}");
            assert!(names.is_empty(), "{names:?}");
        }
        tokio::time::timeout(Duration::from_secs(5), db.close())
            .await
            .expect("close() returns");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_connection_killed_during_a_transaction_commits_nothing() {
    on_all_backends(|db| async move {
        if db.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        create_schema(&db).await?;
        let killer = db.clone();
        let out = db
            .transaction(|tx| async move {
                Publisher::objects()
                    .create(&tx, publisher("before"))
                    .await?;
                let pid = backend_pid(&tx).await?;
                kill(&killer, pid).await?;
                Publisher::objects().create(&tx, publisher("after")).await?;
                Ok::<_, Error>(())
            })
            .await;
        let err = out.expect_err("the connection was killed");
        assert!(is_connection_lost(&err), "{err:?}");
        eprintln!("[{}] killed in a transaction: {err:?}", db.dialect());
        // Nothing committed, and the pool replaces the dead connection.
        assert_eq!(Publisher::objects().count(&db).await?, 0);
        Publisher::objects().create(&db, publisher("later")).await?;
        assert_eq!(Publisher::objects().count(&db).await?, 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_connection_killed_during_a_bulk_create_commits_nothing() {
    on_all_backends(|db| async move {
        if db.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        create_schema(&db).await?;
        let conn = db.acquire().await?;
        let pid = backend_pid(&conn).await?;
        let watcher = db.clone();
        let killed = tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if inserting(&watcher, pid).await? {
                    kill(&watcher, pid).await?;
                    return Ok::<_, Error>(true);
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Ok(false)
        });
        let rows: Vec<Publisher> = (0..50_000).map(|i| publisher(&format!("p{i}"))).collect();
        let started = Instant::now();
        let out = Publisher::objects()
            .bulk_create(&conn, rows, BulkCreate::default())
            .await;
        assert!(killed.await.expect("watcher")?, "the INSERT was never seen");
        let err = out.expect_err("the connection was killed");
        assert!(is_connection_lost(&err), "{err:?}");
        eprintln!(
            "[{}] killed in bulk_create after {:?}: {err:?}",
            db.dialect(),
            started.elapsed()
        );
        drop(conn);
        assert_eq!(Publisher::objects().count(&db).await?, 0);
        Publisher::objects().create(&db, publisher("later")).await?;
        assert_eq!(Publisher::objects().count(&db).await?, 1);
        Ok(())
    })
    .await;
}
