//! Transactions on every backend: commit on Ok, rollback on Err and on
//! panic, nested savepoints, and use after the end.

use orm_runtime::prelude::*;
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};
use std::time::Duration;

fn publisher(name: &str) -> Publisher {
    Publisher {
        id: 0,
        name: name.into(),
        country: None,
    }
}

async fn names(db: &Db) -> Result<Vec<String>, Error> {
    Ok(Publisher::objects()
        .order_by(Publisher::name.asc())
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect())
}

#[tokio::test]
async fn commit_rollback_and_panic() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let id = db
            .transaction(|tx| async move {
                let p = Publisher::objects().create(&tx, publisher("kept")).await?;
                // Reads inside the transaction see its writes.
                assert_eq!(Publisher::objects().count(&tx).await?, 1);
                Ok::<_, Error>(p.id)
            })
            .await?;
        assert!(id > 0);

        #[derive(Debug)]
        enum AppError {
            Orm(Error),
            Refused,
        }
        impl From<Error> for AppError {
            fn from(e: Error) -> Self {
                AppError::Orm(e)
            }
        }
        let out: Result<(), AppError> = db
            .transaction(|tx| async move {
                Publisher::objects()
                    .create(&tx, publisher("dropped"))
                    .await?;
                Err(AppError::Refused)
            })
            .await;
        assert!(matches!(out, Err(AppError::Refused)));
        if let Err(AppError::Orm(e)) = out {
            panic!("unexpected {e}");
        }
        assert_eq!(names(&db).await?, ["kept"]);

        let db2 = db.clone();
        let panicked = tokio::spawn(async move {
            db2.transaction(|tx| async move {
                Publisher::objects()
                    .create(&tx, publisher("panicked"))
                    .await?;
                panic!("boom");
                #[allow(unreachable_code)]
                Ok::<_, Error>(())
            })
            .await
        })
        .await;
        assert!(panicked.expect_err("the panic propagates").is_panic());
        assert_eq!(names(&db).await?, ["kept"]);
        // The pool is still usable after a panic.
        assert_eq!(Publisher::objects().count(&db).await?, 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn nested_transactions_use_savepoints() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        db.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("outer")).await?;
            let inner: Result<(), Error> = tx
                .transaction(|tx2| async move {
                    assert_eq!(tx2.depth(), 1);
                    Publisher::objects()
                        .create(&tx2, publisher("inner-undone"))
                        .await?;
                    Publisher::objects()
                        .create(&tx2, publisher("outer"))
                        .await?; // unique violation
                    Ok(())
                })
                .await;
            assert_eq!(
                inner.expect_err("duplicate").constraint_kind(),
                Some(ConstraintKind::Unique)
            );
            tx.transaction(|tx2| async move {
                Publisher::objects()
                    .create(&tx2, publisher("inner-kept"))
                    .await?;
                tx2.transaction(|tx3| async move {
                    Publisher::objects()
                        .create(&tx3, publisher("deepest"))
                        .await?;
                    Ok::<_, Error>(())
                })
                .await
            })
            .await?;
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(names(&db).await?, ["deepest", "inner-kept", "outer"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_finished_transaction_refuses_statements() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let leaked = db
            .transaction(|tx| async move { Ok::<_, Error>(tx.clone()) })
            .await?;
        let err = Publisher::objects()
            .count(&leaked)
            .await
            .expect_err("finished");
        assert!(matches!(err, Error::Usage(_)), "{err:?}");

        // An acquired connection runs statements and transactions.
        let conn = db.acquire().await?;
        Publisher::objects()
            .create(&conn, publisher("via conn"))
            .await?;
        conn.transaction(|tx| async move {
            Publisher::objects()
                .create(&tx, publisher("conn tx"))
                .await?;
            Ok::<_, Error>(())
        })
        .await?;
        drop(conn);
        assert_eq!(names(&db).await?, ["conn tx", "via conn"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn closed_pools_and_unreachable_servers_return_errors() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        db.close().await;
        let err = Publisher::objects()
            .count(&db)
            .await
            .expect_err("closed pool");
        assert!(matches!(err, Error::Connection(_)), "{err:?}");
        Ok(())
    })
    .await;
    for url in [
        "postgres://postgres@127.0.0.1:1/test",
        "mysql://root@127.0.0.1:1/test",
    ] {
        let started = std::time::Instant::now();
        let res = tokio::time::timeout(Duration::from_secs(20), Db::connect(url))
            .await
            .expect("no hang");
        let err = res.expect_err("nothing listens on port 1");
        assert!(matches!(err, Error::Connection(_)), "{err:?}");
        assert!(
            err.to_string().to_lowercase().contains("refused"),
            "the driver's message is kept: {err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
    let err = Db::connect("oracle://x").await.expect_err("unsupported");
    assert!(matches!(err, Error::Usage(_)));
}

#[tokio::test]
async fn a_handled_error_rolls_the_transaction_back_on_every_backend() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        Publisher::objects().create(&db, publisher("taken")).await?;
        let out = db
            .transaction(|tx| async move {
                Publisher::objects()
                    .create(&tx, publisher("new one"))
                    .await?;
                // The error is handled, but the transaction cannot be committed (Django's rule;
                // PostgreSQL would silently roll back the COMMIT).
                let _ = Publisher::objects().create(&tx, publisher("taken")).await;
                Ok::<_, Error>(())
            })
            .await;
        assert!(matches!(out, Err(Error::RolledBack(_))), "{out:?}");
        assert_eq!(names(&db).await?, ["taken"]);
        // In a nested transaction the failure is contained and the outer one commits.
        db.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("kept")).await?;
            let inner = tx
                .transaction(|tx2| async move {
                    Publisher::objects().create(&tx2, publisher("taken")).await
                })
                .await;
            assert!(inner.is_err());
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(names(&db).await?, ["kept", "taken"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_transaction_is_rolled_back_and_loses_nothing_else() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        // Cancelled on an acquired connection: the next use rolls it back first.
        let conn = db.acquire().await?;
        let c2 = conn.clone();
        let cancelled = tokio::time::timeout(
            Duration::from_millis(200),
            c2.transaction(|tx| async move {
                Publisher::objects().create(&tx, publisher("ghost")).await?;
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok::<_, Error>(())
            }),
        )
        .await;
        assert!(cancelled.is_err(), "timed out");
        conn.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("real")).await?;
            Ok::<_, Error>(())
        })
        .await?;
        drop((conn, c2));
        assert_eq!(names(&db).await?, ["real"]);

        // Cancelled on the pool: rolled back before the connection is reused, and an
        // in-memory SQLite database survives.
        let cancelled = tokio::time::timeout(
            Duration::from_millis(200),
            db.transaction(|tx| async move {
                Publisher::objects()
                    .create(&tx, publisher("ghost 2"))
                    .await?;
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok::<_, Error>(())
            }),
        )
        .await;
        assert!(cancelled.is_err());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(names(&db).await?, ["real"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_transaction_kept_past_its_end_is_refused() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        // The transaction of an acquired connection.
        let conn = db.acquire().await?;
        let kept = conn
            .transaction(|tx| async move { Ok::<_, Error>(tx) })
            .await?;
        let err = Publisher::objects()
            .count(&kept)
            .await
            .expect_err("the transaction ended");
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
        // A savepoint, inside a transaction that goes on (on the same
        // connection: an in-memory SQLite database has only one).
        let counted = conn
            .transaction(|tx| async move {
                let savepoint = tx.transaction(|t| async move { Ok::<_, Error>(t) }).await?;
                let err = Publisher::objects()
                    .count(&savepoint)
                    .await
                    .expect_err("the savepoint ended");
                assert!(matches!(err, Error::Usage(_)), "{err:?}");
                Publisher::objects().count(&tx).await
            })
            .await?;
        assert_eq!(counted, 0);
        // The connection itself still works.
        assert_eq!(Publisher::objects().count(&conn).await?, 0);
        Ok(())
    })
    .await;
}
