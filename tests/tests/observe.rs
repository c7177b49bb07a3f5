//! Observing and asserting queries on every backend: capture, assert_num_queries,
//! the N+1 detector, explain, and a check that no execution path bypasses
//! the execution point.

use futures::TryStreamExt;
use orm_runtime::observe::{self, CaptureOptions, NPlusOne, assert_num_queries, capture};
use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, playlists};
use orm_tests::models::*;
use orm_tests::on_all_backends;

fn first_words(queries: &[observe::CapturedQuery]) -> Vec<String> {
    queries
        .iter()
        .map(|q| {
            let w: Vec<&str> = q.sql.split_whitespace().take(2).collect();
            // SQLite starts transactions with BEGIN IMMEDIATE.
            w.join(" ").replace("BEGIN IMMEDIATE", "BEGIN")
        })
        .collect()
}

#[tokio::test]
async fn every_execution_path_is_observed() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let hobbit = shop.books[2].clone();
        let [alice, bob] = [shop.authors[0].clone(), shop.authors[1].clone()];
        let d = db.clone();
        let ((), queries) = capture(async move {
            let db = &d;
            let books = || Book::objects().filter(Book::pages.gt(100));
            books().all(db).await.expect("all");
            books().get(db).await.expect_err("several");
            books().first(db).await.expect("first");
            books().last(db).await.expect("last");
            books().count(db).await.expect("count");
            books().exists(db).await.expect("exists");
            let _: Vec<Book> = books().stream(db).try_collect().await.expect("stream");
            books().values(Book::title).all(db).await.expect("values");
            books()
                .aggregate(Sum(Book::pages))
                .get(db)
                .await
                .expect("aggregate");
            books()
                .explain(db, ExplainOptions::default())
                .await
                .expect("explain");
            let mut p = Publisher::objects()
                .create(
                    db,
                    Publisher {
                        id: 0,
                        name: "New".into(),
                        country: None,
                    },
                )
                .await
                .expect("create");
            p.country = Some("NZ".into());
            p.save(db).await.expect("save");
            p.refresh(db).await.expect("refresh");
            p.delete(db).await.expect("delete");
            let authors = Book::authors.of(&hobbit);
            authors.add(db, [&alice]).await.expect("add"); // select existing + insert
            authors.set(db, [&bob]).await.expect("set"); // select current + delete + select + insert
            authors.remove(db, [&bob]).await.expect("remove");
            authors.clear(db).await.expect("clear");
            authors.all(db).await.expect("related all");
            db.execute_raw("UPDATE books SET chapters = chapters")
                .await
                .expect("raw");
            db.transaction(|tx| async move {
                Publisher::objects().count(&tx).await?;
                let _ = tx
                    .transaction(|_tx2| async move { Err::<(), _>(Error::Usage("undo".into())) })
                    .await;
                Ok::<_, Error>(())
            })
            .await
            .expect("transaction");
        })
        .await;
        let words = first_words(&queries);
        let expected = [
            "SELECT \"t0\".\"id\",", // all
            "SELECT \"t0\".\"id\",", // get
            "SELECT \"t0\".\"id\",", // first
            "SELECT \"t0\".\"id\",", // last
            "SELECT COUNT(*)",
            "SELECT 1",
            "SELECT \"t0\".\"id\",", // stream
            "SELECT \"t0\".\"title\"",
            "SELECT SUM(\"t0\".\"pages\")",
            "EXPLAIN ",
            "INSERT INTO",
            "UPDATE \"publisher\"",
            "SELECT \"t0\".\"id\",", // refresh
            "DELETE FROM",
            "SELECT \"t0\".\"book_id\",", // add: existing pairs
            "INSERT INTO",
            "SELECT \"t0\".\"author_id\"", // set: current
            "DELETE FROM",
            "SELECT \"t0\".\"book_id\",",
            "INSERT INTO",
            "DELETE FROM",           // remove
            "DELETE FROM",           // clear
            "SELECT \"t0\".\"id\",", // related all
            "UPDATE books",
            "BEGIN",
            "SELECT COUNT(*)",
            "SAVEPOINT \"orm_sp_1\"",
            "ROLLBACK TO",
            "RELEASE SAVEPOINT",
            "COMMIT",
        ];
        let normalize = |s: &str| s.replace('`', "\"");
        let got: Vec<String> = words.iter().map(|w| normalize(w)).collect();
        assert_eq!(got.len(), expected.len(), "{got:#?}");
        for (g, e) in got.iter().zip(expected) {
            assert!(
                g.starts_with(e.trim_end()),
                "{g:?} should start with {e:?}\n{got:#?}"
            );
        }
        // get() failed but was recorded, with its rows; every query names its backend.
        assert!(queries.iter().all(|q| q.backend == db.dialect()));
        assert!(queries.iter().all(|q| q.error.is_none()), "{queries:#?}");
        assert_eq!(queries[4].rows, Some(1), "count returns one row");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn failed_statements_are_captured_with_their_error() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let dup = Publisher {
            id: 0,
            name: "Penguin".into(),
            country: None,
        };
        let (res, queries) = capture(Publisher::objects().create(&db, dup)).await;
        let err = res.expect_err("unique violation is returned, not swallowed");
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique));
        assert_eq!(queries.len(), 1);
        assert!(
            queries[0]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("unique")),
            "{:?}",
            queries[0]
        );
        assert_eq!(queries[0].rows, None);
        // Binds are kept, or redacted on request.
        assert_eq!(queries[0].binds.as_ref().map(|b| b.len()), Some(2));
        let (_, redacted) = capture_with_redaction(&db).await;
        assert_eq!(redacted[0].binds, None);
        assert_eq!(redacted[0].bind_count, 1);
        assert!(
            redacted[0].to_string().contains("1 binds (redacted)"),
            "{}",
            redacted[0]
        );
        Ok(())
    })
    .await;
}

async fn capture_with_redaction(db: &Db) -> (Result<i64, Error>, Vec<observe::CapturedQuery>) {
    observe::capture_with(
        CaptureOptions { redact_binds: true },
        Publisher::objects()
            .filter(Publisher::name.eq("secret"))
            .count(db),
    )
    .await
}

#[tokio::test]
async fn concurrent_captures_see_only_their_own_queries() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let run = |n: usize, db: Db| async move {
            capture(async move {
                for _ in 0..n {
                    Book::objects().count(&db).await.expect("count");
                    tokio::task::yield_now().await;
                }
            })
            .await
            .1
            .len()
        };
        let (a, b) = tokio::join!(
            tokio::spawn(run(3, db.clone())),
            tokio::spawn(run(5, db.clone()))
        );
        assert_eq!((a.expect("a"), b.expect("b")), (3, 5));
        // Nested captures both see the inner statements.
        let (inner, outer) = capture(async {
            let (_, inner) = capture(Book::objects().count(&db)).await;
            Book::objects().exists(&db).await.expect("exists");
            inner.len()
        })
        .await;
        assert_eq!((inner, outer.len()), (1, 2));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn assert_num_queries_lists_the_statements_when_it_fails() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        assert_num_queries(2, async {
            Book::objects().count(&db).await.expect("count");
            Publisher::objects().count(&db).await.expect("count");
        })
        .await;
        let d = db.clone();
        let failed = tokio::spawn(async move {
            assert_num_queries(1, async {
                Book::objects()
                    .filter(Book::pages.gt(1))
                    .count(&d)
                    .await
                    .expect("count");
                Publisher::objects().count(&d).await.expect("count");
            })
            .await
        })
        .await
        .expect_err("wrong count panics");
        let panic = failed.into_panic();
        let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            msg.starts_with("expected 1 queries, 2 ran:\n  1. SELECT COUNT(*)"),
            "{msg}"
        );
        assert!(msg.contains("  2. SELECT COUNT(*)"), "{msg}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn n_plus_one_detector_flags_the_loop_and_not_collect() {
    on_all_backends(|db| async move {
        let listeners = playlists(&db).await?;
        // The loop: one query per listener for playlists, one per playlist for songs.
        let d = db.clone();
        let (totals, repeated) = observe::n_plus_one(NPlusOne::warn(1), async move {
            let mut totals = Vec::new();
            for l in Listener::objects()
                .order_by(Listener::name.asc())
                .all(&d)
                .await?
            {
                totals.push(l.total_length(&d).await?);
            }
            Ok::<_, Error>(totals)
        })
        .await;
        assert_eq!(totals?, [600, 50, 0]);
        let counts: Vec<usize> = repeated.iter().map(|r| r.count).collect();
        assert_eq!(counts, [3, 3], "{repeated:#?}");
        assert!(
            repeated
                .iter()
                .any(|r| r.sql.contains("FROM \"playlist\"") || r.sql.contains("FROM `playlist`"))
        );

        // collect(): one query, nothing repeated.
        let d = db.clone();
        let (rows, repeated) = observe::n_plus_one(NPlusOne::warn(1), async move {
            Listener::objects().collect().all(&d).await
        })
        .await;
        assert_eq!(rows?.len(), listeners.len());
        assert!(repeated.is_empty());

        // Strict mode fails the statement that repeats too often, without running it.
        let d = db.clone();
        let (out, _) = observe::n_plus_one(NPlusOne::strict(2), async move {
            for l in &listeners {
                Playlist::objects()
                    .filter(Playlist::user.eq(l))
                    .count(&d)
                    .await?;
            }
            Ok::<_, Error>(())
        })
        .await;
        match out {
            Err(Error::NPlusOne { count, sql }) => {
                assert_eq!(count, 3);
                assert!(sql.starts_with("SELECT COUNT(*)"), "{sql}");
            }
            other => panic!("expected an N+1 error, got {other:?}"),
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn explain_shows_the_plan() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let qs = || Book::objects().filter(Book::publisher.then(Publisher::name).eq("Penguin"));
        let plan = qs().explain(&db, ExplainOptions::default()).await?;
        assert!(!plan.is_empty());
        let lower = plan.to_lowercase();
        assert!(lower.contains("books") || lower.contains("t0"), "{plan}");
        match db.dialect() {
            Dialect::Postgres => {
                let analyzed = qs()
                    .explain(
                        &db,
                        ExplainOptions {
                            analyze: true,
                            json: true,
                        },
                    )
                    .await?;
                let json: serde_json::Value =
                    serde_json::from_str(&analyzed).map_err(|e| Error::Usage(e.to_string()))?;
                assert!(json[0]["Plan"]["Actual Rows"].is_number(), "{analyzed}");
            }
            Dialect::MySql => {
                let json: serde_json::Value =
                    serde_json::from_str(&plan).map_err(|e| Error::Usage(e.to_string()))?;
                assert!(json["query_block"].is_object(), "{plan}");
            }
            Dialect::Sqlite => {
                assert!(plan.contains("SCAN") || plan.contains("SEARCH"), "{plan}");
                let err = qs()
                    .explain(
                        &db,
                        ExplainOptions {
                            analyze: true,
                            json: false,
                        },
                    )
                    .await
                    .expect_err("no ANALYZE");
                assert!(matches!(
                    err,
                    Error::Render {
                        dialect: Dialect::Sqlite,
                        ..
                    }
                ));
            }
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn bulk_loading_and_raw_paths_are_observed_too() {
    on_all_backends(|db| async move {
        orm_tests::fixtures::blog(&db, 2).await?;
        let count = |qs: Vec<observe::CapturedQuery>| qs.len();
        let w = || Writer {
            id: 0,
            name: "x".into(),
            post_count: 0,
        };
        let (r, q) =
            capture(Writer::objects().bulk_create(&db, vec![w(), w()], BulkCreate::default()))
                .await;
        let created = r?;
        assert_eq!(first_words(&q), ["BEGIN", "INSERT INTO", "COMMIT"]);
        let (r, q) =
            capture(Writer::objects().bulk_update(&db, &created, Writer::name, None)).await;
        assert_eq!(
            (r?, first_words(&q)),
            (
                2,
                vec![
                    "BEGIN".to_owned(),
                    "UPDATE \"writer\"".replace('"', quote(&db)),
                    "COMMIT".into()
                ]
            )
        );
        let (r, q) = capture(
            Writer::objects()
                .filter(Writer::name.eq("x"))
                .update(&db, Writer::post_count.set(1)),
        )
        .await;
        assert_eq!((r?, count(q)), (2, 1));
        let (r, q) = capture(
            Writer::objects().get_or_create(&db, Writer::name.eq("x9"), || Writer {
                name: "x9".into(),
                ..w()
            }),
        )
        .await;
        assert!(r?.1);
        assert_eq!(
            first_words(&q)[0],
            "SELECT \"t0\".\"id\",".replace('"', quote(&db))
        );
        let (r, q) = capture(Writer::objects().filter(Writer::name.eq("x")).delete(&db)).await;
        assert_eq!((r?, count(q)), (2, 1));
        let (r, q) = capture(Comment::objects().select_related(Comment::post).all(&db)).await;
        assert_eq!((r?.len(), count(q)), (12, 1));
        let (r, q) = capture(
            Writer::objects()
                .prefetch(Writer::posts.prefetch())
                .all(&db),
        )
        .await;
        assert_eq!((r?.len(), count(q)), (3, 2));
        let mut c = Comment::objects().first(&db).await?.expect("comment");
        let (r, q) = capture(async { c.post.fetch(&db).await.map(|p| p.id) }).await;
        assert!(r? > 0);
        assert_eq!(count(q), 1);
        let (r, q) = capture(orm_runtime::raw("SELECT 1").fetch::<(i64,), _>(&db)).await;
        assert_eq!((r?, count(q)), (vec![(1,)], 1));
        let (r, q) = capture(db.analyze(orm_tests::models::ALL)).await;
        r?;
        assert!(count(q) >= orm_tests::models::ALL.len());
        Ok(())
    })
    .await;
}

fn quote(db: &Db) -> &'static str {
    if db.dialect() == Dialect::MySql {
        "`"
    } else {
        "\""
    }
}
