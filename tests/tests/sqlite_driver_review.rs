//! Adversarial cases for the SQLite driver, its pool, the writers queue
//! and transactions, written by a review that tried to break them (and
//! fixed since): cancellation at every point, lock contention across pools
//! in WAL and rollback-journal mode, long reads, odd input, many tasks on
//! both runtimes. Each case prints what it saw.

use futures::{StreamExt, TryStreamExt};
use orm_runtime::prelude::*;
use orm_tests::models::Publisher;
use orm_tests::sqlite_file::SqliteFile;
use std::time::{Duration, Instant};

fn publisher(name: &str) -> Publisher {
    Publisher {
        id: 0,
        name: name.into(),
        country: None,
    }
}

fn cfg(busy: Duration) -> PoolConfig {
    PoolConfig {
        sqlite: SqliteOptions {
            busy_timeout: busy,
            ..SqliteOptions::default()
        },
        ..PoolConfig::default()
    }
}

async fn open(file: &SqliteFile, cfg: PoolConfig) -> Db {
    Db::connect_with(&file.url(), cfg).await.expect("open")
}

async fn names<E: Executor>(db: &E) -> Vec<String> {
    Publisher::objects()
        .order_by(Publisher::name.asc())
        .all(db)
        .await
        .expect("names")
        .into_iter()
        .map(|p| p.name)
        .collect()
}

const LONG_READ: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
     LIMIT 3000000) SELECT COUNT(*) FROM c";

/// A `Conn::transaction` whose future is dropped while its `BEGIN
/// IMMEDIATE` waits for another pool's lock keeps its place at the head of
/// the pool's writers queue: the pool's next transaction waits the whole
/// busy timeout although nobody holds the lock any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conn_tx_cancelled_in_begin_leaks_writers_turn() {
    let file = SqliteFile::new();
    let a = open(&file, cfg(Duration::from_secs(3))).await;
    a.create_tables(&[Publisher::META]).await.expect("schema");
    let b = open(&file, cfg(Duration::from_secs(3))).await;
    // Pool B holds the write lock for 400 ms.
    let holder = tokio::spawn({
        let b = b.clone();
        async move {
            b.transaction(|tx| async move {
                Publisher::objects().create(&tx, publisher("b")).await?;
                tokio::time::sleep(Duration::from_millis(400)).await;
                Ok::<_, Error>(())
            })
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let conn = a.acquire().await.expect("conn");
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        conn.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("never")).await?;
            Ok::<_, Error>(())
        }),
    )
    .await;
    assert!(cancelled.is_err(), "BEGIN IMMEDIATE should still wait");
    holder.await.expect("join").expect("b commits");
    // Nobody holds the lock now. `conn` is still alive (idle).
    let started = Instant::now();
    let out = a
        .transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("a")).await?;
            Ok::<_, Error>(())
        })
        .await;
    let took = started.elapsed();
    eprintln!("next pool transaction: {out:?} after {took:?}");
    drop(conn);
    assert!(out.is_ok());
    assert!(
        took < Duration::from_millis(1000),
        "the next writer waited {took:?} for a turn nobody uses"
    );
}

/// Same with a transaction cancelled between statements on a `Conn`: the
/// turn (and SQLite's lock) stay taken until the Conn's next statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conn_tx_cancelled_between_statements_holds_lock_until_next_use() {
    let file = SqliteFile::new();
    let a = open(&file, cfg(Duration::from_millis(500))).await;
    a.create_tables(&[Publisher::META]).await.expect("schema");
    let conn = a.acquire().await.expect("conn");
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        conn.transaction(|tx| async move {
            Publisher::objects()
                .create(&tx, publisher("undone"))
                .await?;
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<_, Error>(())
        }),
    )
    .await;
    assert!(cancelled.is_err());
    let started = Instant::now();
    let out = a
        .transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("other")).await?;
            Ok::<_, Error>(())
        })
        .await;
    eprintln!(
        "pool tx while the Conn's cancelled tx is pending: {out:?} after {:?}",
        started.elapsed()
    );
    // The Conn's next statement rolls back.
    assert_eq!(
        names(&conn).await,
        Vec::<String>::new()
            .into_iter()
            .chain(out.is_ok().then(|| "other".to_string()))
            .collect::<Vec<_>>()
    );
}

/// A pool transaction dropped mid-way (file and memory): the lock and the
/// writers queue are released, nothing is committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_pool_tx_releases_everything() {
    let file = SqliteFile::new();
    for url in [file.url(), "sqlite::memory:".to_string()] {
        let db = Db::connect_with(&url, cfg(Duration::from_secs(3)))
            .await
            .expect("open");
        db.create_tables(&[Publisher::META]).await.expect("schema");
        for i in 0..5 {
            let cancelled = tokio::time::timeout(
                Duration::from_millis(30),
                db.transaction(|tx| async move {
                    Publisher::objects()
                        .create(&tx, publisher(&format!("lost{i}")))
                        .await?;
                    let _ = raw(LONG_READ).fetch::<(i64,), _>(&tx).await?;
                    Ok::<_, Error>(())
                }),
            )
            .await;
            assert!(cancelled.is_err());
        }
        let started = Instant::now();
        db.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("kept")).await?;
            Ok::<_, Error>(())
        })
        .await
        .expect("next transaction");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{url}: {:?}",
            started.elapsed()
        );
        assert_eq!(names(&db).await, vec!["kept"]);
        db.close().await;
    }
}

/// A panic inside a transaction closure: rolled back, queue released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_in_transaction() {
    let file = SqliteFile::new();
    let db = open(&file, cfg(Duration::from_secs(3))).await;
    db.create_tables(&[Publisher::META]).await.expect("schema");
    let db2 = db.clone();
    let panicked = tokio::spawn(async move {
        db2.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("p")).await?;
            if true {
                panic!("boom");
            }
            Ok::<_, Error>(())
        })
        .await
    })
    .await;
    assert!(panicked.is_err());
    let started = Instant::now();
    db.transaction(|tx| async move {
        Publisher::objects().create(&tx, publisher("after")).await?;
        Ok::<_, Error>(())
    })
    .await
    .expect("after panic");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(names(&db).await, vec!["after"]);
}

/// Deferred transaction in WAL mode reads, another pool writes and keeps
/// its lock for a while, then the deferred one writes. SQLite natively
/// fails the deferred write at once (SQLITE_BUSY without calling the busy
/// handler: the reader holds a snapshot); README: "SQLite fails it at
/// once if another connection wrote in between".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_read_then_write_against_held_lock_wal() {
    let file = SqliteFile::new();
    let a = open(&file, cfg(Duration::from_secs(3))).await;
    a.create_tables(&[Publisher::META]).await.expect("schema");
    let b = open(&file, cfg(Duration::from_secs(3))).await;
    let (tx_read, rx_read) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn({
        let b = b.clone();
        async move {
            rx_read.await.ok();
            b.transaction(|tx| async move {
                Publisher::objects().create(&tx, publisher("b")).await?;
                tokio::time::sleep(Duration::from_millis(1500)).await;
                Ok::<_, Error>(())
            })
            .await
        }
    });
    let started = Instant::now();
    let out = a
        .transaction_with(TransactionMode::Deferred, |tx| async move {
            let n = Publisher::objects().count(&tx).await?;
            tx_read.send(()).ok();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let t = Instant::now();
            let r = Publisher::objects().create(&tx, publisher("a")).await;
            eprintln!(
                "deferred write: {:?} after {:?}",
                r.as_ref().map(|_| ()),
                t.elapsed()
            );
            r?;
            Ok::<_, Error>(n)
        })
        .await;
    let took = started.elapsed();
    let w = writer.await.expect("join");
    eprintln!("deferred tx: {out:?} in {took:?}; writer: {w:?}");
    assert!(out.is_err());
    assert!(
        took < Duration::from_millis(800),
        "the deferred write waited for the writer: {took:?}"
    );
}

/// Same in rollback-journal mode (wal: false): A (deferred) holds SHARED
/// and wants RESERVED; B (immediate) holds RESERVED and its COMMIT wants
/// EXCLUSIVE. SQLite natively fails A at once (deadlock: no busy handler),
/// so B commits. With async retries for every SQLITE_BUSY, both spin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_deadlock_in_rollback_journal_mode() {
    let file = SqliteFile::new();
    let mut c = cfg(Duration::from_secs(2));
    c.sqlite.wal = false;
    let db = open(&file, c).await;
    db.create_tables(&[Publisher::META]).await.expect("schema");
    let (tx_read, rx_read) = tokio::sync::oneshot::channel::<()>();
    let (tx_wrote, rx_wrote) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            rx_read.await.ok();
            let r = db
                .transaction(|tx| async move {
                    Publisher::objects().create(&tx, publisher("b")).await?;
                    tx_wrote.send(()).ok();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, Error>(())
                })
                .await;
            (r, started.elapsed())
        })
    };
    let reader = db
        .transaction_with(TransactionMode::Deferred, |tx| async move {
            Publisher::objects().count(&tx).await?;
            tx_read.send(()).ok();
            rx_wrote.await.ok();
            tokio::time::sleep(Duration::from_millis(100)).await;
            Publisher::objects().create(&tx, publisher("a")).await?;
            Ok::<_, Error>(())
        })
        .await;
    let reader_took = started.elapsed();
    let (w, writer_took) = writer.await.expect("join");
    eprintln!("reader: {reader:?} at {reader_took:?}; writer: {w:?} at {writer_took:?}");
    eprintln!("rows: {:?}", names(&db).await);
    assert!(
        reader.is_err() && w.is_ok(),
        "SQLite would fail the reader and commit the writer"
    );
    assert!(reader_took < Duration::from_millis(1000));
}

/// A long read (escapes to a thread) inside a write transaction sees the
/// transaction's own uncommitted rows; a pool read beside it does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_read_inside_write_transaction() {
    let file = SqliteFile::new();
    let db = open(&file, cfg(Duration::from_secs(3))).await;
    db.create_tables(&[Publisher::META]).await.expect("schema");
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) \
               SELECT (SELECT COUNT(*) FROM publisher) + 0 * COUNT(*) FROM c";
    let db2 = db.clone();
    db.transaction(|tx| async move {
        for i in 0..10 {
            Publisher::objects()
                .create(&tx, publisher(&format!("p{i}")))
                .await?;
        }
        for _ in 0..2 {
            let inside = raw(sql).fetch::<(i64,), _>(&tx).await?;
            assert_eq!(inside, vec![(10,)]);
            let outside = Publisher::objects().count(&db2).await?;
            assert_eq!(outside, 0);
        }
        Ok::<_, Error>(())
    })
    .await
    .expect("tx");
    assert_eq!(Publisher::objects().count(&db).await.expect("count"), 10);
}

/// A long read whose row does not decode: both on the first (escaped) and
/// the second (remembered) run; the connection stays usable.
#[tokio::test]
async fn long_read_with_decode_error_and_function_error() {
    let db = Db::connect("sqlite::memory:").await.expect("db");
    let text = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) \
                SELECT 'not a number' || COUNT(*) FROM c";
    for round in 0..2 {
        let r = raw(text).fetch::<(i64,), _>(&db).await;
        eprintln!("round {round}: {r:?}");
        assert!(matches!(r, Err(Error::Decode(_))), "{r:?}");
    }
    let exp = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) \
               SELECT exp(1000 + 0 * COUNT(*)) FROM c";
    let inline = raw("SELECT exp(1000)").fetch::<(f64,), _>(&db).await;
    eprintln!("inline exp: {inline:?}");
    for round in 0..2 {
        let r = raw(exp).fetch::<(f64,), _>(&db).await;
        eprintln!("thread exp round {round}: {r:?}");
        assert_eq!(
            std::mem::discriminant(&r.as_ref().map(|_| ()).map_err(std::mem::discriminant)),
            std::mem::discriminant(&inline.as_ref().map(|_| ()).map_err(std::mem::discriminant))
        );
    }
    assert_eq!(
        raw("SELECT 1").fetch::<(i64,), _>(&db).await.expect("ok"),
        vec![(1,)]
    );
}

/// Text that is not UTF-8, inline and on the stream thread.
#[tokio::test]
async fn non_utf8_text() {
    let db = Db::connect("sqlite::memory:").await.expect("db");
    db.create_tables(&[Publisher::META]).await.expect("schema");
    raw("INSERT INTO publisher (name) VALUES (CAST(x'ff41' AS TEXT))")
        .execute(&db)
        .await
        .expect("insert");
    let inline = Publisher::objects().all(&db).await;
    let streamed: Result<Vec<Publisher>, Error> =
        Publisher::objects().stream(&db).try_collect().await;
    eprintln!("inline: {inline:?}\nstreamed: {streamed:?}");
    assert!(matches!(inline, Err(Error::Decode(_))));
    assert!(matches!(streamed, Err(Error::Decode(_))));
    // String functions over it do not panic.
    let upper = raw("SELECT upper(name) FROM publisher")
        .fetch::<(Vec<u8>,), _>(&db)
        .await;
    eprintln!("upper: {upper:?}");
    assert_eq!(Publisher::objects().count(&db).await.expect("count"), 1);
}

/// Bind counts that do not match, and raw text with two statements.
#[tokio::test]
async fn raw_bind_mismatch_and_multiple_statements() {
    let db = Db::connect("sqlite::memory:").await.expect("db");
    db.create_tables(&[Publisher::META]).await.expect("schema");
    let few = raw("SELECT ? + ?").bind(1i64).fetch::<(i64,), _>(&db).await;
    let many = raw("SELECT ?")
        .bind(1i64)
        .bind(2i64)
        .fetch::<(i64,), _>(&db)
        .await;
    let numbered = raw("SELECT ?1 + ?1")
        .bind(2i64)
        .fetch::<(i64,), _>(&db)
        .await;
    eprintln!("few: {few:?}\nmany: {many:?}\nnumbered: {numbered:?}");
    assert!(matches!(few, Err(Error::Placeholders(_))));
    assert!(matches!(many, Err(Error::Placeholders(_))));
    assert_eq!(numbered.expect("numbered"), vec![(4,)]);
    Publisher::objects()
        .create(&db, publisher("x"))
        .await
        .expect("x");
    let two = raw("DELETE FROM publisher WHERE name = ?; DELETE FROM publisher")
        .bind("nope".to_string())
        .execute(&db)
        .await;
    eprintln!("two statements: {two:?}");
    assert!(two.is_err(), "second statement silently ignored: {two:?}");
    assert_eq!(Publisher::objects().count(&db).await.expect("count"), 1);
    let two_fetch = raw("SELECT 1; DELETE FROM publisher")
        .fetch::<(i64,), _>(&db)
        .await;
    eprintln!("two statements (fetch): {two_fetch:?}");
    assert_eq!(Publisher::objects().count(&db).await.expect("count"), 1);
}

/// Streams: dropped mid-way inside a transaction, then writes, then
/// another full stream; on memory and file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_dropped_in_transaction_then_more() {
    let file = SqliteFile::new();
    for url in [file.url(), "sqlite::memory:".to_string()] {
        let db = Db::connect_with(&url, cfg(Duration::from_secs(3)))
            .await
            .expect("open");
        db.create_tables(&[Publisher::META]).await.expect("schema");
        let rows: Vec<Publisher> = (0..2000).map(|i| publisher(&format!("n{i:05}"))).collect();
        Publisher::objects()
            .bulk_create(&db, rows, BulkCreate::default())
            .await
            .expect("bulk");
        db.transaction(|tx| async move {
            {
                let mut s = Publisher::objects()
                    .order_by(Publisher::id.asc())
                    .stream(&tx);
                for _ in 0..300 {
                    s.next().await.expect("row")?;
                }
            }
            raw("UPDATE publisher SET country = 'x'")
                .execute(&tx)
                .await?;
            let all: Vec<Publisher> = Publisher::objects().stream(&tx).try_collect().await?;
            assert_eq!(all.len(), 2000);
            assert!(all.iter().all(|p| p.country.as_deref() == Some("x")));
            // Dropped right after it started (before its thread ran).
            drop(Publisher::objects().stream(&tx).next().await);
            Publisher::objects().create(&tx, publisher("last")).await?;
            Ok::<_, Error>(())
        })
        .await
        .expect("tx");
        assert_eq!(Publisher::objects().count(&db).await.expect("count"), 2001);
        assert_eq!(
            Publisher::objects()
                .filter(Publisher::country.eq("x"))
                .count(&db)
                .await
                .expect("count"),
            2000
        );
        db.close().await;
    }
}

/// Two streams at once on a transaction, and a statement on the
/// transaction while its stream lives: does it hang? (same lease path on
/// every backend; here only SQLite).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_while_stream_lives_in_transaction() {
    let db = Db::connect("sqlite::memory:").await.expect("db");
    db.create_tables(&[Publisher::META]).await.expect("schema");
    for i in 0..10 {
        Publisher::objects()
            .create(&db, publisher(&format!("p{i}")))
            .await
            .expect("p");
    }
    let out = tokio::time::timeout(
        Duration::from_secs(3),
        db.transaction(|tx| async move {
            let mut s = Publisher::objects().stream(&tx);
            let first = s.next().await.expect("row")?;
            let n = Publisher::objects().count(&tx).await?;
            Ok::<_, Error>((first.name, n))
        }),
    )
    .await;
    eprintln!("statement while a stream lives in a transaction: {out:?}");
}

/// Cancel long reads at many points, then the pool is healthy and close()
/// returns; statements after close fail.
#[tokio::test(flavor = "current_thread")]
async fn cancelled_long_reads_then_close_current_thread() {
    let file = SqliteFile::new();
    let db = open(&file, cfg(Duration::from_secs(3))).await;
    db.create_tables(&[Publisher::META]).await.expect("schema");
    for i in 0..40u64 {
        let r = tokio::time::timeout(
            Duration::from_millis(1 + (i * 7) % 90),
            raw(LONG_READ).fetch::<(i64,), _>(&db),
        )
        .await;
        assert!(r.is_err(), "{i}: {r:?}");
    }
    let t = Instant::now();
    assert_eq!(Publisher::objects().count(&db).await.expect("count"), 0);
    eprintln!("count after cancels: {:?}", t.elapsed());
    let s = Publisher::objects().stream(&db);
    drop(s);
    tokio::time::timeout(Duration::from_secs(2), db.close())
        .await
        .expect("close returns");
    let after = Publisher::objects().count(&db).await;
    assert!(matches!(after, Err(Error::Connection(_))), "{after:?}");
}

/// close() while a stream is being read: no hang; the stream either ends
/// or goes on; later statements fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_while_streaming() {
    let file = SqliteFile::new();
    for url in [file.url(), "sqlite::memory:".to_string()] {
        let db = Db::connect_with(&url, cfg(Duration::from_secs(3)))
            .await
            .expect("open");
        db.create_tables(&[Publisher::META]).await.expect("schema");
        let rows: Vec<Publisher> = (0..3000).map(|i| publisher(&format!("n{i:05}"))).collect();
        Publisher::objects()
            .bulk_create(&db, rows, BulkCreate::default())
            .await
            .expect("bulk");
        let mut s = Publisher::objects().stream(&db);
        let mut n = 0;
        while n < 10 {
            s.next().await.expect("row").expect("ok");
            n += 1;
        }
        tokio::time::timeout(Duration::from_secs(2), db.close())
            .await
            .expect("close");
        let rest = tokio::time::timeout(Duration::from_secs(5), async {
            let mut more = 0;
            while let Some(r) = s.next().await {
                r?;
                more += 1;
            }
            Ok::<_, Error>(more)
        })
        .await
        .expect("stream ends");
        eprintln!("{url}: after close, the stream gave {rest:?} more rows");
        drop(s);
        assert!(Publisher::objects().count(&db).await.is_err());
    }
}

/// Pool exhaustion with one connection and a short acquire timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_exhaustion() {
    let file = SqliteFile::new();
    let c = PoolConfig {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(200),
        ..PoolConfig::default()
    };
    for url in [file.url(), "sqlite::memory:".to_string()] {
        let db = Db::connect_with(&url, c.clone()).await.expect("open");
        db.create_tables(&[Publisher::META]).await.expect("schema");
        let conn = db.acquire().await.expect("conn");
        let t = Instant::now();
        let r = Publisher::objects().count(&db).await;
        eprintln!("{url}: while held: {r:?} after {:?}", t.elapsed());
        assert!(matches!(r, Err(Error::Connection(_))));
        let nested = db
            .transaction(|tx| async move { Publisher::objects().count(&tx).await })
            .await;
        assert!(nested.is_err());
        drop(conn);
        let db2 = db.clone();
        let beside_tx = db
            .transaction(|tx| async move {
                let inner = Publisher::objects().count(&db2).await;
                eprintln!("pool statement inside a transaction: {inner:?}");
                Publisher::objects().count(&tx).await
            })
            .await;
        assert!(beside_tx.is_ok());
        assert_eq!(Publisher::objects().count(&db).await.expect("count"), 0);
        // A stream holds the only connection; a fetch beside it times out.
        Publisher::objects()
            .create(&db, publisher("a"))
            .await
            .expect("a");
        let mut s = Publisher::objects().stream(&db);
        s.next().await.expect("row").expect("ok");
        let beside = Publisher::objects().count(&db).await;
        assert!(matches!(beside, Err(Error::Connection(_))));
        drop(s);
        assert_eq!(Publisher::objects().count(&db).await.expect("count"), 1);
        db.close().await;
    }
}

/// Sibling savepoints run concurrently on one transaction (Tx is Clone and
/// Send): both are named orm_sp_1, so one's rollback undoes the other's work
/// and the failed one's work is committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sibling_savepoints() {
    let mut seen = Vec::new();
    for dialect in Dialect::ALL {
        let Some(t) = orm_tests::fresh(dialect).await else {
            continue;
        };
        let db = t.db.clone();
        db.create_tables(&[Publisher::META]).await.expect("schema");
        let outer = db
            .transaction(|tx| async move {
                let a = tx.transaction(|t| async move {
                    Publisher::objects().create(&t, publisher("a1")).await?;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Publisher::objects().create(&t, publisher("a2")).await?;
                    Err::<(), Error>(Error::Usage("a fails".into()))
                });
                let b = tx.transaction(|t| async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Publisher::objects().create(&t, publisher("b")).await?;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok::<(), Error>(())
                });
                let (ra, rb) = tokio::join!(a, b);
                eprintln!("[{}] a: {ra:?} b: {rb:?}", tx.dialect());
                assert!(matches!(rb, Err(Error::Usage(_))), "{rb:?}");
                Ok::<_, Error>(())
            })
            .await;
        let got = names(&db).await;
        eprintln!("[{dialect}] outer: {outer:?}, committed: {got:?}");
        seen.push((dialect, got));
        t.cleanup().await;
    }
    // A second nested transaction beside a running one is refused with a
    // typed error (it would share the first's savepoint); nothing of the
    // failed level is committed, on every backend.
    for (dialect, got) in seen {
        assert!(got.is_empty(), "[{dialect}] {got:?}");
    }
}

/// Many concurrent tasks on a file: transactions, autocommit writes,
/// streams and long reads, on a current_thread runtime.
#[tokio::test(flavor = "current_thread")]
async fn many_tasks_current_thread() {
    many_tasks().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_multi_thread() {
    many_tasks().await;
}

async fn many_tasks() {
    let file = SqliteFile::new();
    let c = PoolConfig {
        max_connections: 4,
        sqlite: SqliteOptions {
            busy_timeout: Duration::from_secs(10),
            inline_budget: Duration::from_millis(1),
            ..SqliteOptions::default()
        },
        ..PoolConfig::default()
    };
    let db = open(&file, c).await;
    db.create_tables(&[Publisher::META]).await.expect("schema");
    raw("CREATE TABLE counter (n INTEGER NOT NULL)")
        .execute(&db)
        .await
        .expect("t");
    raw("INSERT INTO counter VALUES (0)")
        .execute(&db)
        .await
        .expect("0");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..40 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            for i in 0..15 {
                let r = match (t + i) % 4 {
                    0 => {
                        db.transaction(|tx| async move {
                            let n =
                                raw("SELECT n FROM counter").fetch::<(i64,), _>(&tx).await?[0].0;
                            raw("UPDATE counter SET n = ?")
                                .bind(n + 1)
                                .execute(&tx)
                                .await?;
                            Ok::<_, Error>(())
                        })
                        .await
                    }
                    1 => raw("UPDATE counter SET n = n + 1")
                        .execute(&db)
                        .await
                        .map(|_| ()),
                    2 => {
                        let rows: Result<Vec<Publisher>, Error> =
                            Publisher::objects().stream(&db).try_collect().await;
                        raw("UPDATE counter SET n = n + 1")
                            .execute(&db)
                            .await
                            .map(|_| ())
                            .and(rows.map(|_| ()))
                    }
                    _ => {
                        db.transaction(|tx| async move {
                            let _: Vec<Publisher> =
                                Publisher::objects().stream(&tx).try_collect().await?;
                            Publisher::objects()
                                .create(&tx, publisher(&format!("t{t}-{i}")))
                                .await?;
                            raw("UPDATE counter SET n = n + 1").execute(&tx).await?;
                            Ok::<_, Error>(())
                        })
                        .await
                    }
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
    let n = raw("SELECT n FROM counter")
        .fetch::<(i64,), _>(&db)
        .await
        .expect("n")[0]
        .0;
    eprintln!(
        "{} ops in {:?}, {} errors {:?}, counter {n}",
        40 * 15,
        started.elapsed(),
        errors.len(),
        errors.iter().take(3).collect::<Vec<_>>()
    );
    assert!(errors.is_empty());
    assert_eq!(n, 600);
}

/// Inline statements never return Pending, so a task running many of them
/// never yields: on a current_thread runtime no other task (timers
/// included) runs meanwhile, and a `timeout` around the loop cannot fire.
#[tokio::test(flavor = "current_thread")]
async fn inline_statements_never_yield() {
    let db = Db::connect("sqlite::memory:").await.expect("db");
    db.create_tables(&[Publisher::META]).await.expect("schema");
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let t2 = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            t2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    tokio::task::yield_now().await;
    let started = Instant::now();
    let db2 = db.clone();
    let out = tokio::time::timeout(Duration::from_millis(100), async move {
        for i in 0..20_000 {
            Publisher::objects()
                .create(&db2, publisher(&format!("p{i}")))
                .await?;
        }
        Ok::<_, Error>(())
    })
    .await;
    let took = started.elapsed();
    let ticked = ticks.load(std::sync::atomic::Ordering::SeqCst);
    ticker.abort();
    let n = Publisher::objects().count(&db).await.expect("count");
    eprintln!(
        "timeout(100ms, 20k inserts): {} after {took:?}; {n} rows; ticker ticked {ticked} times (5 ms)",
        if out.is_ok() {
            "completed"
        } else {
            "timed out"
        }
    );
    assert!(
        out.is_err(),
        "the timeout never fired: the loop ran {took:?}"
    );
}

/// A read-only URL on a file not in WAL mode, with the default `wal: true`.
#[tokio::test]
async fn read_only_url_on_non_wal_file() {
    let file = SqliteFile::new();
    let mut c = PoolConfig::default();
    c.sqlite.wal = false;
    let rw = Db::connect_with(&file.url(), c).await.expect("rw");
    rw.create_tables(&[Publisher::META]).await.expect("schema");
    Publisher::objects()
        .create(&rw, publisher("x"))
        .await
        .expect("x");
    rw.close().await;
    let ro_url = file.url().replace("mode=rwc", "mode=ro");
    let ro = Db::connect(&ro_url).await;
    eprintln!(
        "read-only open with wal: true: {:?}",
        ro.as_ref().map(|_| ())
    );
    let ro = ro.expect("a read-only URL opens");
    assert_eq!(Publisher::objects().count(&ro).await.expect("count"), 1);
    let w = Publisher::objects().create(&ro, publisher("y")).await;
    eprintln!("write on read-only: {w:?}");
}

/// `db.transaction` inside `db.transaction` (same pool, file): fails with
/// database is locked after the patience + busy timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_transaction_inside_pool_transaction() {
    let file = SqliteFile::new();
    let db = open(&file, cfg(Duration::from_millis(500))).await;
    db.create_tables(&[Publisher::META]).await.expect("schema");
    let db2 = db.clone();
    let started = Instant::now();
    let out = db
        .transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("outer")).await?;
            let t = Instant::now();
            let inner = db2
                .transaction(|t2| async move {
                    Publisher::objects().create(&t2, publisher("inner")).await
                })
                .await;
            eprintln!(
                "inner pool transaction: {:?} after {:?}",
                inner.as_ref().map(|_| ()),
                t.elapsed()
            );
            Ok::<_, Error>(())
        })
        .await;
    eprintln!(
        "outer: {out:?} in {:?}; rows {:?}",
        started.elapsed(),
        names(&db).await
    );
}
