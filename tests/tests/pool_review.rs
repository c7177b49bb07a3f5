//! Adversarial cases for the PostgreSQL/MariaDB stash in front of sqlx's pool,
//! written by a review that tried to break it (and fixed since): close()
//! racing statements, fairness to waiting statements, lifetimes, a
//! connection the server closed while it rested.

use futures::StreamExt;
use orm_runtime::prelude::*;
use orm_tests::models::Publisher;
use orm_tests::{MYSQL_ENV, POSTGRES_ENV, fresh_with};
use std::time::{Duration, Instant};

fn publisher(name: &str) -> Publisher {
    Publisher {
        id: 0,
        name: name.into(),
        country: None,
    }
}

fn servers() -> Vec<(Dialect, String)> {
    let mut out = Vec::new();
    if let Ok(u) = std::env::var(POSTGRES_ENV) {
        out.push((Dialect::Postgres, u));
    }
    if let Ok(u) = std::env::var(MYSQL_ENV) {
        out.push((Dialect::MySql, u));
    }
    out
}

async fn pid<E: Executor>(ex: &E) -> Result<i64, Error> {
    let sql = match ex.dialect() {
        Dialect::Postgres => "SELECT pg_backend_pid()::INT8",
        _ => "SELECT CONNECTION_ID()",
    };
    Ok(raw(sql).fetch::<(i64,), _>(ex).await?[0].0)
}

async fn kill(admin: &Db, pid: i64) {
    match admin.dialect() {
        Dialect::Postgres => {
            let k = raw("SELECT pg_terminate_backend($1::INT4)")
                .bind(pid)
                .fetch::<(bool,), _>(admin)
                .await
                .expect("kill");
            assert!(k[0].0);
        }
        _ => {
            raw("KILL ?").bind(pid).execute(admin).await.expect("kill");
        }
    }
}

/// The server kills an idle (stashed) connection; the next statements.
#[tokio::test]
async fn server_kills_idle_stashed_connection() {
    let mut firsts = Vec::new();
    for (dialect, url) in servers() {
        let admin = Db::connect(&url).await.expect("admin");
        let db = Db::connect(&url).await.expect("db");
        let p = pid(&db).await.expect("pid");
        kill(&admin, p).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut outcomes = Vec::new();
        for _ in 0..4 {
            let r = raw("SELECT 1").fetch::<(i32,), _>(&db).await;
            outcomes.push(match r {
                Ok(_) => "ok".to_string(),
                Err(e) => match &e {
                    Error::Connection(_) => format!("Connection({e})"),
                    Error::Database { .. } => format!("Database({e})"),
                    other => format!("{other:?}"),
                },
            });
        }
        eprintln!("[{dialect}] after killing the idle pooled connection: {outcomes:#?}");
        // The same inside a transaction started right after the kill.
        let p = pid(&db).await.expect("pid");
        kill(&admin, p).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let tx = db
            .transaction(|tx| async move { Publisher::objects().count(&tx).await.map(|_| ()) })
            .await;
        eprintln!("[{dialect}] a transaction on the killed stashed connection: {tx:?}");
        let after = raw("SELECT 1").fetch::<(i32,), _>(&db).await;
        eprintln!("[{dialect}] then: {after:?}");
        db.close().await;
        admin.close().await;
        firsts.push((dialect, outcomes.clone(), after.is_ok()));
    }
    // As documented: a connection reused from the stash is not pinged, so
    // the one statement that meets the server's close fails with a
    // connection error and drops it; every statement after it works.
    for (dialect, outcomes, after_ok) in firsts {
        assert!(
            outcomes[0] == "ok" || outcomes[0].starts_with("Connection("),
            "[{dialect}] {outcomes:?}"
        );
        assert!(
            outcomes[1..].iter().all(|o| o == "ok"),
            "[{dialect}] {outcomes:?}"
        );
        assert!(
            after_ok,
            "[{dialect}] the statement after a failed transaction"
        );
    }
}

/// max_lifetime is honoured although connections are reused from the
/// stash without going back through sqlx's pool.
#[tokio::test]
async fn max_lifetime_with_stash() {
    let mut seen = Vec::new();
    for (dialect, url) in servers() {
        let db = Db::connect_with(
            &url,
            PoolConfig {
                max_lifetime: Some(Duration::from_secs(1)),
                max_connections: 2,
                ..PoolConfig::default()
            },
        )
        .await
        .expect("db");
        let first = pid(&db).await.expect("pid");
        let started = Instant::now();
        let mut last = first;
        while started.elapsed() < Duration::from_secs(3) {
            last = pid(&db).await.expect("pid");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("[{dialect}] pid at start {first}, after 3 s with max_lifetime 1 s: {last}");
        db.close().await;
        seen.push((dialect, first, last));
    }
    for (dialect, first, last) in seen {
        assert_ne!(
            first, last,
            "[{dialect}] a 3 s old connection is still used (max_lifetime 1 s)"
        );
    }
}

/// Many tasks over a small pool: no acquire timeouts, exact results.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stash_under_concurrency_small_pool() {
    for dialect in [Dialect::Postgres, Dialect::MySql] {
        let Some(t) = fresh_with(
            dialect,
            PoolConfig {
                max_connections: 2,
                acquire_timeout: Duration::from_secs(3),
                ..PoolConfig::default()
            },
        )
        .await
        else {
            continue;
        };
        let db = t.db.clone();
        db.create_tables(&[Publisher::META]).await.expect("schema");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for k in 0..48 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut errors = Vec::new();
                for i in 0..40 {
                    let r = match i % 5 {
                        0 => {
                            db.transaction(|tx| async move {
                                Publisher::objects()
                                    .create(&tx, publisher(&format!("{k}-{i}")))
                                    .await
                                    .map(|_| ())
                            })
                            .await
                        }
                        1 => {
                            let mut s = Publisher::objects().stream(&db);
                            let _ = s.next().await;
                            Ok(())
                        }
                        2 => tokio::time::timeout(
                            Duration::from_millis(1),
                            Publisher::objects().count(&db),
                        )
                        .await
                        .map(|_| ())
                        .or(Ok(())),
                        _ => Publisher::objects().count(&db).await.map(|_| ()),
                    };
                    if let Err(e) = r {
                        errors.push(e.to_string());
                    }
                }
                errors
            }));
        }
        let mut errors = Vec::new();
        for t in tasks {
            errors.extend(
                tokio::time::timeout(Duration::from_secs(120), t)
                    .await
                    .expect("no hang")
                    .expect("join"),
            );
        }
        let n = Publisher::objects().count(&db).await.expect("count");
        eprintln!(
            "[{dialect}] {:?}, {} errors {:?}, rows {n}",
            started.elapsed(),
            errors.len(),
            errors.iter().take(3).collect::<Vec<_>>()
        );
        let closing = tokio::time::timeout(Duration::from_secs(10), t.cleanup()).await;
        assert!(closing.is_ok(), "[{dialect}] cleanup/close hung");
        assert!(errors.is_empty());
        assert_eq!(n, 48 * 8);
    }
}

/// close() while statements run on many tasks: returns, repeatedly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_races_running_statements() {
    for (dialect, url) in servers() {
        for round in 0..15 {
            let db = Db::connect_with(
                &url,
                PoolConfig {
                    max_connections: 4,
                    ..PoolConfig::default()
                },
            )
            .await
            .expect("db");
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    while raw("SELECT 1").fetch::<(i32,), _>(&db).await.is_ok() {}
                }));
            }
            tokio::time::sleep(Duration::from_millis(30 + round * 7)).await;
            let closed = tokio::time::timeout(Duration::from_secs(5), db.close()).await;
            assert!(closed.is_ok(), "[{dialect}] round {round}: close() hung");
            for t in tasks {
                tokio::time::timeout(Duration::from_secs(5), t)
                    .await
                    .expect("task ends")
                    .expect("join");
            }
        }
    }
}

/// close() while a `Conn` is held or a stream is alive: SQLite returns at
/// once; does PostgreSQL/MariaDB?
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_with_held_connection_or_stream() {
    for dialect in Dialect::ALL {
        let Some(t) = orm_tests::fresh(dialect).await else {
            continue;
        };
        let db = t.db.clone();
        db.create_tables(&[Publisher::META]).await.expect("schema");
        for i in 0..20 {
            Publisher::objects()
                .create(&db, publisher(&format!("p{i}")))
                .await
                .expect("p");
        }
        let mut s = Publisher::objects().stream(&db);
        s.next().await.expect("row").expect("ok");
        let started = Instant::now();
        let closed = tokio::time::timeout(Duration::from_secs(2), db.close()).await;
        eprintln!(
            "[{dialect}] close() with a live stream: {} after {:?}",
            if closed.is_ok() {
                "returned"
            } else {
                "still waiting"
            },
            started.elapsed()
        );
        drop(s);
        t.cleanup().await;

        let Some(t) = orm_tests::fresh(dialect).await else {
            continue;
        };
        let db = t.db.clone();
        let conn = db.acquire().await.expect("conn");
        let started = Instant::now();
        let closed = tokio::time::timeout(Duration::from_secs(2), db.close()).await;
        eprintln!(
            "[{dialect}] close() with a held Conn: {} after {:?}",
            if closed.is_ok() {
                "returned"
            } else {
                "still waiting"
            },
            started.elapsed()
        );
        let on_conn = raw("SELECT 1").fetch::<(i64,), _>(&conn).await;
        eprintln!("[{dialect}] statement on the held Conn after close: {on_conn:?}");
        drop(conn);
        t.cleanup().await;
    }
}

/// A task looping statements on a one-connection pool, and another task
/// wanting one statement: with sqlx's (FIFO) pool the second gets a turn
/// soon; with the stash the looping task takes its own connection back
/// from the stash before the woken waiter runs.
#[tokio::test(flavor = "current_thread")]
async fn stash_starves_waiters() {
    let mut all = vec![(Dialect::Sqlite, String::new())];
    all.extend(servers());
    let mut seen = Vec::new();
    for (dialect, url) in all {
        let file = orm_tests::sqlite_file::SqliteFile::new();
        let url = if dialect == Dialect::Sqlite {
            file.url()
        } else {
            url
        };
        let db = Db::connect_with(
            &url,
            PoolConfig {
                max_connections: 1,
                acquire_timeout: Duration::from_secs(1),
                ..PoolConfig::default()
            },
        )
        .await
        .expect("db");
        raw("SELECT 1").fetch::<(i32,), _>(&db).await.expect("warm");
        let hot = {
            let db = db.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let mut n = 0u64;
                while started.elapsed() < Duration::from_secs(3) {
                    raw("SELECT 1").fetch::<(i32,), _>(&db).await.expect("hot");
                    n += 1;
                }
                n
            })
        };
        tokio::task::yield_now().await;
        let started = Instant::now();
        let r = raw("SELECT 2").fetch::<(i32,), _>(&db).await;
        let waited = started.elapsed();
        let n = hot.await.expect("join");
        eprintln!(
            "[{dialect}] waiter: {r:?} after {waited:?} (acquire_timeout 1 s); hot loop ran {n} statements"
        );
        seen.push((dialect, waited));
        db.close().await;
    }
    for (dialect, waited) in seen {
        assert!(
            waited < Duration::from_millis(500),
            "[{dialect}] waited {waited:?}"
        );
    }
}

/// close() racing the release of the last statements' connections (no
/// statement afterwards to take a connection stashed after close began).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_races_last_release() {
    for (dialect, url) in servers() {
        let mut hung = 0;
        for round in 0..150u64 {
            let db = Db::connect_with(
                &url,
                PoolConfig {
                    max_connections: 8,
                    ..PoolConfig::default()
                },
            )
            .await
            .expect("db");
            let mut tasks = Vec::new();
            for _ in 0..6 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    let _ = raw("SELECT 1").fetch::<(i32,), _>(&db).await;
                    let _ = raw("SELECT 1").fetch::<(i32,), _>(&db).await;
                }));
            }
            let spin = Instant::now();
            while spin.elapsed() < Duration::from_micros(200 + round % 30 * 100) {}
            let closed = tokio::time::timeout(Duration::from_secs(3), db.close()).await;
            if closed.is_err() {
                hung += 1;
                for t in tasks.drain(..) {
                    let _ = t.await;
                }
                // A statement after close: does it find a stashed connection?
                let after = raw("SELECT 1").fetch::<(i32,), _>(&db).await;
                let again = tokio::time::timeout(Duration::from_secs(3), db.close()).await;
                eprintln!(
                    "[{dialect}] round {round}: close() hung; a statement after close: {after:?}; close() then {}",
                    if again.is_ok() {
                        "returned"
                    } else {
                        "still hung"
                    }
                );
            }
            for t in tasks {
                let _ = t.await;
            }
        }
        eprintln!("[{dialect}] close() hung {hung} of 150 times");
        assert_eq!(hung, 0);
    }
}
