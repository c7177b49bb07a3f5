//! The SQLite driver's execution model: statements run on the calling
//! thread, a long read moves to a blocking thread, and waiting for another
//! connection's lock never blocks the runtime; its URLs; its busy timeout.
//! Each test runs on tokio's single-threaded test runtime, where anything
//! that blocked the thread would stop every other task, including the
//! ticker that measures it.

use orm_runtime::prelude::*;
use orm_tests::models::Publisher;
use orm_tests::sqlite_file::SqliteFile;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Counts 5 ms ticks until dropped.
fn ticker() -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let ticks = Arc::new(AtomicU64::new(0));
    let counted = ticks.clone();
    let handle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (ticks, handle)
}

fn publisher(name: &str) -> Publisher {
    Publisher {
        id: 0,
        name: name.into(),
        country: None,
    }
}

/// `holder` writes a row and keeps its write lock for `hold`, while
/// `waiter`, 50 ms in, tries to write one too: the holder's outcome, the
/// waiter's and how long the waiter waited.
async fn contend(
    holder: &Db,
    waiter: &Db,
    hold: Duration,
) -> (Result<(), Error>, Result<Publisher, Error>, Duration) {
    let holding = holder.transaction(|tx| async move {
        Publisher::objects().create(&tx, publisher("first")).await?;
        tokio::time::sleep(hold).await;
        Ok::<_, Error>(())
    });
    let waiting = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let created = Publisher::objects()
            .create(waiter, publisher("second"))
            .await;
        (created, started.elapsed())
    };
    let (held, (created, waited)) = tokio::join!(holding, waiting);
    (held, created, waited)
}

/// A read computing for about a second before its one row.
const LONG_READ: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
     LIMIT 4000000) SELECT COUNT(*) FROM c";

#[tokio::test]
async fn a_long_read_runs_off_the_calling_thread() {
    let db = Db::connect("sqlite::memory:").await.expect("sqlite");
    for round in 0..2 {
        let (ticks, handle) = ticker();
        let started = Instant::now();
        let rows = raw(LONG_READ).fetch::<(i64,), _>(&db).await.expect("count");
        let took = started.elapsed();
        handle.abort();
        assert_eq!(rows, vec![(4_000_000,)]);
        let ticked = ticks.load(Ordering::SeqCst);
        eprintln!("round {round}: {took:?}, {ticked} ticks of 5 ms");
        // The calling thread was held for the inline budget (50 ms) at most
        // on the first round and not at all on the second, so the ticker ran
        // for most of the statement.
        let free = took.saturating_sub(Duration::from_millis(60));
        assert!(
            u128::from(ticked) * 5 * 3 >= free.as_millis(),
            "round {round}: {ticked} ticks in {took:?}: the runtime was blocked"
        );
    }
}

#[tokio::test]
async fn reads_give_the_same_rows_on_the_calling_thread_and_off_it() {
    // With a budget of zero every read that reaches the progress check
    // moves to a thread; results are the same either way.
    for budget in [Duration::ZERO, Duration::from_millis(50)] {
        let cfg = PoolConfig {
            sqlite: SqliteOptions {
                inline_budget: budget,
                ..SqliteOptions::default()
            },
            ..PoolConfig::default()
        };
        let db = Db::connect_with("sqlite::memory:", cfg)
            .await
            .expect("sqlite");
        db.create_tables(&[Publisher::META]).await.expect("tables");
        for name in ["a", "b", "c"] {
            Publisher::objects()
                .create(&db, publisher(name))
                .await
                .expect("create");
        }
        let names: Vec<String> = Publisher::objects()
            .order_by(Publisher::name.desc())
            .all(&db)
            .await
            .expect("all")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["c", "b", "a"], "budget {budget:?}");
        let rows = raw(LONG_READ).fetch::<(i64,), _>(&db).await.expect("count");
        assert_eq!(rows, vec![(4_000_000,)], "budget {budget:?}");
    }
}

#[tokio::test]
async fn waiting_for_another_connections_lock_does_not_block_the_runtime() {
    let file = SqliteFile::new();
    let holder = Db::connect(&file.url()).await.expect("open");
    holder
        .create_tables(&[Publisher::META])
        .await
        .expect("tables");
    // A second pool on the same file: its writes wait for the first's lock.
    let waiter = Db::connect(&file.url()).await.expect("open");
    let (ticks, handle) = ticker();
    let (held, created, waited) = contend(&holder, &waiter, Duration::from_millis(300)).await;
    handle.abort();
    held.expect("the holder commits");
    created.expect("the waiter writes once the lock is free");
    let ticked = ticks.load(Ordering::SeqCst);
    eprintln!("waited {waited:?} for the lock; {ticked} ticks of 5 ms");
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    // The holder could only finish because waiting did not hold the thread.
    assert!(ticked >= 20, "{ticked} ticks: the runtime was blocked");
    let count = Publisher::objects().count(&waiter).await.expect("count");
    assert_eq!(count, 2);
}

#[tokio::test]
async fn a_lock_held_past_the_busy_timeout_fails_with_database_is_locked() {
    let file = SqliteFile::new();
    let holder = Db::connect(&file.url()).await.expect("open");
    holder
        .create_tables(&[Publisher::META])
        .await
        .expect("tables");
    let cfg = PoolConfig {
        sqlite: SqliteOptions {
            busy_timeout: Duration::from_millis(200),
            ..SqliteOptions::default()
        },
        ..PoolConfig::default()
    };
    let impatient = Db::connect_with(&file.url(), cfg).await.expect("open");
    let (held, out, waited) = contend(&holder, &impatient, Duration::from_millis(1500)).await;
    held.expect("the holder commits");
    let err = out.expect_err("the lock is held past the busy timeout");
    assert!(err.to_string().contains("database is locked"), "{err}");
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_millis(1200),
        "gave up after {waited:?}"
    );
    assert_eq!(Publisher::objects().count(&holder).await.expect("count"), 1);
}

#[tokio::test]
async fn sqlite_urls_open_files_read_only_or_refuse_unknown_parameters() {
    let file = SqliteFile::new();
    // mode=rw (the default) does not create a missing file.
    let missing = file.url().replace("?mode=rwc", "");
    let err = Db::connect(&missing).await.expect_err("no such file");
    assert!(matches!(err, Error::Connection(_)), "{err:?}");

    let db = Db::connect(&file.url()).await.expect("created");
    db.create_tables(&[Publisher::META]).await.expect("tables");
    Publisher::objects()
        .create(&db, publisher("kept"))
        .await
        .expect("create");

    let read_only = Db::connect(&file.url().replace("mode=rwc", "mode=ro"))
        .await
        .expect("open read-only");
    assert_eq!(
        Publisher::objects().count(&read_only).await.expect("count"),
        1
    );
    let err = Publisher::objects()
        .create(&read_only, publisher("refused"))
        .await
        .expect_err("read-only");
    assert!(err.to_string().contains("readonly"), "{err}");

    let err = Db::connect(&file.url().replace("mode=rwc", "cache=shared"))
        .await
        .expect_err("unknown parameter");
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    assert_eq!(Publisher::objects().count(&db).await.expect("count"), 1);
}
