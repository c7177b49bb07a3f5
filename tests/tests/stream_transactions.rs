//! Streams inside transactions keep the same bookkeeping as `fetch` and
//! `execute` (they share one statement path): a failing streamed statement
//! marks its level failed, a level cancelled before a stream is rolled back
//! before the stream runs, and a stream dropped half-way inside a
//! savepoint leaves the transaction usable.

use futures::{StreamExt, TryStreamExt};
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

async fn names<E: Executor>(db: &E) -> Result<Vec<String>, Error> {
    Ok(Publisher::objects()
        .order_by(Publisher::name.asc())
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect())
}

#[tokio::test]
async fn a_failing_stream_marks_the_transaction_failed() {
    on_all_backends(|db| async move {
        // Only the publisher table: streaming books fails in the database.
        db.create_tables(&[Publisher::META]).await?;
        let out = db
            .transaction(|tx| async move {
                Publisher::objects().create(&tx, publisher("lost")).await?;
                let streamed: Result<Vec<Book>, Error> =
                    Book::objects().stream(&tx).try_collect().await;
                assert!(
                    matches!(streamed, Err(Error::Database { .. })),
                    "{streamed:?}"
                );
                Ok::<_, Error>(())
            })
            .await;
        assert!(matches!(out, Err(Error::RolledBack(_))), "{out:?}");
        assert!(names(&db).await?.is_empty());

        // In a savepoint the failure is contained, as on the fetch path.
        db.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("kept")).await?;
            let inner = tx
                .transaction(|tx2| async move {
                    Publisher::objects()
                        .create(&tx2, publisher("undone"))
                        .await?;
                    Book::objects()
                        .stream(&tx2)
                        .try_collect::<Vec<Book>>()
                        .await
                })
                .await;
            assert!(matches!(inner, Err(Error::Database { .. })), "{inner:?}");
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(names(&db).await?, ["kept"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_stream_first_rolls_back_a_cancelled_savepoint() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        db.transaction(|tx| async move {
            Publisher::objects().create(&tx, publisher("real")).await?;
            let cancelled = tokio::time::timeout(
                Duration::from_millis(200),
                tx.transaction(|tx2| async move {
                    Publisher::objects()
                        .create(&tx2, publisher("ghost"))
                        .await?;
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    Ok::<_, Error>(())
                }),
            )
            .await;
            assert!(cancelled.is_err(), "timed out");
            // The stream is the first statement after the cancelled savepoint.
            let seen: Vec<String> = Publisher::objects()
                .order_by(Publisher::name.asc())
                .stream(&tx)
                .map_ok(|p| p.name)
                .try_collect()
                .await?;
            assert_eq!(seen, ["real"]);
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(names(&db).await?, ["real"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_stream_dropped_half_way_inside_a_savepoint_leaves_the_transaction_usable() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let many: Vec<Publisher> = (0..2_000).map(|i| publisher(&format!("p{i:04}"))).collect();
        Publisher::objects()
            .bulk_create(&db, many, BulkCreate::default())
            .await?;
        db.transaction(|tx| async move {
            tx.transaction(|tx2| async move {
                let mut rows = Publisher::objects()
                    .order_by(Publisher::name.asc())
                    .stream(&tx2);
                let first = rows.next().await.expect("a row")?;
                assert_eq!(first.name, "p0000");
                drop(rows);
                // The connection reads the rest of the reply and goes on.
                Publisher::objects()
                    .create(&tx2, publisher("after"))
                    .await?;
                assert_eq!(Publisher::objects().count(&tx2).await?, 2_001);
                Ok::<_, Error>(())
            })
            .await?;
            // Dropped half-way, then the savepoint cancelled: rolled back first.
            let cancelled = tokio::time::timeout(
                Duration::from_millis(200),
                tx.transaction(|tx2| async move {
                    Publisher::objects()
                        .create(&tx2, publisher("ghost"))
                        .await?;
                    let mut rows = Publisher::objects().stream(&tx2);
                    rows.next().await.expect("a row")?;
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    Ok::<_, Error>(())
                }),
            )
            .await;
            assert!(cancelled.is_err(), "timed out");
            assert_eq!(Publisher::objects().count(&tx).await?, 2_001);
            Ok::<_, Error>(())
        })
        .await?;
        let all = names(&db).await?;
        assert_eq!(all.len(), 2_001);
        assert!(all.contains(&"after".to_owned()));
        assert!(!all.contains(&"ghost".to_owned()));
        Ok(())
    })
    .await;
}
