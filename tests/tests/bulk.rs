//! Bulk writes, queryset update/delete, get_or_create/update_or_create and
//! raw SQL on every backend.

use chrono::NaiveDate;
use orm_runtime::observe::capture;
use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, dec, playlists};
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};

fn song(playlist: i64, i: usize) -> Song {
    Song {
        id: 0,
        playlist: ForeignKey::new(playlist),
        title: format!("s{i}"),
        length: (i % 400) as i32,
    }
}

#[tokio::test]
async fn bulk_create_100k_rows_in_few_statements() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        let pl = Playlist::objects()
            .filter(Playlist::name.eq("b1"))
            .get(&db)
            .await?;
        let rows: Vec<Song> = (0..100_000).map(|i| song(pl.id, i)).collect();
        let (created, queries) =
            capture(Song::objects().bulk_create(&db, rows, BulkCreate::default())).await;
        let created = created?;
        assert_eq!(created.len(), 100_000);
        assert_eq!(
            Song::objects()
                .filter(Song::playlist.eq(&pl))
                .count(&db)
                .await?,
            100_001
        );
        // Three values a row: as many rows per INSERT as the bind limit allows.
        let per_insert = orm_runtime::max_binds(db.dialect()) / 3;
        let inserts = queries
            .iter()
            .filter(|q| q.sql.starts_with("INSERT"))
            .count();
        assert_eq!(
            inserts,
            100_000usize.div_ceil(per_insert),
            "{}",
            queries.len()
        );
        assert!(
            queries.first().is_some_and(|q| q.sql.starts_with("BEGIN"))
                && queries.last().is_some_and(|q| q.sql == "COMMIT")
        );
        if db.supports_returning() {
            let ids: std::collections::BTreeSet<i64> = created.iter().map(|s| s.id).collect();
            assert_eq!(ids.len(), 100_000, "every row got its own key");
            let last = Song::objects()
                .filter(Song::id.eq(created[99_999].id))
                .get(&db)
                .await?;
            assert_eq!(last.title, "s99999");
        }
        // batch_size caps rows per statement.
        let small: Vec<Song> = (0..10).map(|i| song(pl.id, i)).collect();
        let (res, queries) = capture(Song::objects().bulk_create(
            &db,
            small,
            BulkCreate {
                batch_size: Some(4),
                ..Default::default()
            },
        ))
        .await;
        res?;
        assert_eq!(
            queries
                .iter()
                .filter(|q| q.sql.starts_with("INSERT"))
                .count(),
            3
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_failing_row_rolls_back_the_whole_bulk_create() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let mut rows: Vec<Publisher> = (0..1000)
            .map(|i| Publisher {
                id: 0,
                name: format!("p{i}"),
                country: None,
            })
            .collect();
        rows[700].name = "p3".into(); // duplicate of row 3, in a later statement than row 3
        let err = Publisher::objects()
            .bulk_create(
                &db,
                rows,
                BulkCreate {
                    batch_size: Some(100),
                    ..Default::default()
                },
            )
            .await
            .expect_err("duplicate name");
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
        assert_eq!(
            Publisher::objects().count(&db).await?,
            0,
            "nothing left behind"
        );

        // Inside a transaction the bulk insert is a savepoint: the transaction goes on.
        db.transaction(|tx| async move {
            Publisher::objects()
                .create(
                    &tx,
                    Publisher {
                        id: 0,
                        name: "kept".into(),
                        country: None,
                    },
                )
                .await?;
            let dup = vec![Publisher {
                id: 0,
                name: "kept".into(),
                country: None,
            }];
            assert!(
                Publisher::objects()
                    .bulk_create(&tx, dup, BulkCreate::default())
                    .await
                    .is_err()
            );
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(Publisher::objects().count(&db).await?, 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn conflicts_are_ignored_or_upserted() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let p = |name: &str, country: &str| Publisher {
            id: 0,
            name: name.into(),
            country: Some(country.into()),
        };
        Publisher::objects()
            .bulk_create(&db, vec![p("a", "UK"), p("b", "US")], BulkCreate::default())
            .await?;
        let ignore = BulkCreate {
            on_conflict: Some(OnConflict::Ignore),
            ..Default::default()
        };
        Publisher::objects()
            .bulk_create(&db, vec![p("a", "FR"), p("c", "DE")], ignore)
            .await?;
        let rows: Vec<(String, Option<String>)> = Publisher::objects()
            .values((Publisher::name, Publisher::country))
            .order_by(Publisher::name.asc())
            .all(&db)
            .await?;
        let rows: Vec<(&str, Option<&str>)> = rows
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [("a", Some("UK")), ("b", Some("US")), ("c", Some("DE"))]
        );

        let upsert = BulkCreate {
            on_conflict: Some(conflict_update(Publisher::name, Publisher::country)?),
            ..Default::default()
        };
        Publisher::objects()
            .bulk_create(&db, vec![p("a", "FR"), p("d", "IT")], upsert)
            .await?;
        let countries: Vec<Option<String>> = Publisher::objects()
            .values(Publisher::country)
            .order_by(Publisher::name.asc())
            .all(&db)
            .await?;
        assert_eq!(
            countries,
            [
                Some("FR".into()),
                Some("US".into()),
                Some("DE".into()),
                Some("IT".into())
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn bulk_update_and_queryset_update_and_delete() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let mut books = shop.books.clone();
        for b in &mut books[..3] {
            b.pages += 1000;
            b.title = format!("{} (2nd ed.)", b.title);
        }
        let (n, queries) = capture(Book::objects().bulk_update(
            &db,
            &books[..3],
            (Book::pages, Book::title),
            Some(2),
        ))
        .await;
        assert_eq!(n?, 3);
        assert_eq!(
            queries
                .iter()
                .filter(|q| q.sql.starts_with("UPDATE"))
                .count(),
            2,
            "one UPDATE per batch"
        );
        let pages: Vec<i32> = Book::objects()
            .values(Book::pages)
            .order_by(Book::id.asc())
            .all(&db)
            .await?;
        assert_eq!(pages, [1456, 1738, 1310, 120, 200]);
        assert!(
            Book::objects()
                .filter(Book::title.eq("The Hobbit (2nd ed.)"))
                .exists(&db)
                .await?
        );

        // update() with an F expression, filtered across a join (pk IN subquery).
        let oreilly = Book::objects().filter(Book::publisher.then(Publisher::name).eq("O'Reilly"));
        assert_eq!(
            oreilly
                .clone()
                .update(&db, Book::chapters.set(Book::chapters + 1))
                .await?,
            2
        );
        let chapters: Vec<i32> = oreilly
            .values(Book::chapters)
            .order_by(Book::id.asc())
            .all(&db)
            .await?;
        assert_eq!(chapters, [12, 22]);
        let n = Book::objects()
            .filter(Book::pages.lt(250))
            .update(&db, (Book::rating.set(0.0), Book::price.set(dec("1.00"))))
            .await?;
        assert_eq!(n, 2);

        // Unfiltered writes must say so.
        let err = Book::objects()
            .update(&db, Book::chapters.set(1))
            .await
            .expect_err("no filter");
        assert!(
            matches!(&err, Error::Usage(m) if m.contains("all_rows")),
            "{err}"
        );
        assert_eq!(
            Book::objects()
                .all_rows()
                .update(&db, Book::chapters.set(1))
                .await?,
            5
        );

        // delete() returns the rows deleted from its table; the database applies on_delete.
        assert_eq!(
            Book::objects()
                .filter(Book::publisher.then(Publisher::country).isnull(true))
                .delete(&db)
                .await?,
            1
        );
        assert!(Book::objects().delete(&db).await.is_err());
        assert_eq!(
            Publisher::objects()
                .filter(Publisher::name.eq("Penguin"))
                .delete(&db)
                .await?,
            1
        );
        assert_eq!(
            Book::objects().count(&db).await?,
            2,
            "Penguin's books cascaded"
        );
        assert_eq!(Book::objects().all_rows().delete(&db).await?, 2);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn get_or_create_and_update_or_create_are_safe_when_tasks_race() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let make = || Publisher {
            id: 0,
            name: "Race".into(),
            country: None,
        };
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                Publisher::objects()
                    .get_or_create(&db, Publisher::name.eq("Race"), make)
                    .await
            }));
        }
        let mut created = 0;
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            let (p, c) = t.await.expect("task")?;
            created += usize::from(c);
            ids.insert(p.id);
        }
        assert_eq!((created, ids.len()), (1, 1));
        assert_eq!(Publisher::objects().count(&db).await?, 1);

        let (p, c) = Publisher::objects()
            .update_or_create(
                &db,
                Publisher::name.eq("Race"),
                Publisher {
                    id: 0,
                    name: "Race".into(),
                    country: Some("NL".into()),
                },
            )
            .await?;
        assert!(!c);
        assert_eq!(p.id, *ids.iter().next().unwrap_or(&0));
        let (q, c) = Publisher::objects()
            .update_or_create(
                &db,
                Publisher::name.eq("New"),
                Publisher {
                    id: 0,
                    name: "New".into(),
                    country: None,
                },
            )
            .await?;
        assert!(c && q.id != p.id);
        let countries: Vec<Option<String>> = Publisher::objects()
            .values(Publisher::country)
            .order_by(Publisher::id.asc())
            .all(&db)
            .await?;
        assert_eq!(countries, [Some("NL".into()), None]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn raw_sql_with_bound_parameters() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let ph = |n: usize| {
            if db.dialect() == Dialect::Postgres {
                format!("${n}")
            } else {
                "?".into()
            }
        };
        let rows: Vec<(String, i32)> = orm_runtime::raw(format!(
            "SELECT title, pages FROM books WHERE pages > {} AND title <> {} ORDER BY pages DESC",
            ph(1),
            ph(2)
        ))
        .bind(300i32)
        .bind("The Hobbit".to_owned())
        .fetch(&db)
        .await?;
        assert_eq!(
            rows,
            [
                ("Programming Rust".into(), 738),
                ("Rust in Action".into(), 456)
            ]
        );

        let models: Vec<Publisher> = orm_runtime::raw(format!(
            "SELECT id, name, country FROM publisher WHERE name = {}",
            ph(1)
        ))
        .bind("O'Reilly; DROP TABLE books; --".to_owned())
        .fetch_models(&db)
        .await?;
        assert!(models.is_empty());
        let (n, queries) = capture(
            orm_runtime::raw(format!(
                "UPDATE books SET chapters = {} WHERE pages < {}",
                ph(1),
                ph(2)
            ))
            .bind(99i32)
            .bind(250i32)
            .execute(&db),
        )
        .await;
        assert_eq!(n?, 2);
        assert_eq!(queries.len(), 1, "raw SQL goes through the execution point");
        let day = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
        let same: Vec<(i64,)> = orm_runtime::raw(format!(
            "SELECT COUNT(*) FROM books WHERE chapters = {}",
            ph(1)
        ))
        .bind(99i32)
        .fetch(&db)
        .await?;
        assert_eq!(same, [(2,)]);
        assert_eq!(
            Book::objects()
                .filter(Book::published.eq(day))
                .count(&db)
                .await?,
            1
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn update_and_delete_respect_window_filters() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let rank = BookQuerySet::rank_in_publisher;
        let best = || {
            Book::objects()
                .filter(Book::pages.gt(0))
                .filter(rank().lte(1))
        };
        assert_eq!(best().count(&db).await?, 3);
        assert_eq!(best().update(&db, Book::chapters.set(0)).await?, 3);
        assert_eq!(
            Book::objects()
                .filter(Book::chapters.eq(0))
                .count(&db)
                .await?,
            3
        );
        assert_eq!(best().delete(&db).await?, 3);
        assert_eq!(
            Book::objects().count(&db).await?,
            2,
            "only the three best books are gone"
        );
        let grouped = Book::objects()
            .values(Book::publisher)
            .annotate(CountAll())
            .delete(&db)
            .await;
        assert!(matches!(grouped, Err(Error::Usage(_))), "{grouped:?}");
        Ok(())
    })
    .await;
}
