//! Django's aggregation results for every queryset shape, on every backend,
//! with exact values: per-row `annotate()`, grouped `values()` over a
//! relation (the join's pairs), `aggregate()` over sliced, distinct and
//! grouped querysets, ordering cleared, relation aggregates in
//! `aggregate()`, HAVING without `annotate()`, ordering keys joining the
//! GROUP BY, computed group keys, and plain values next to aggregates.

use orm_runtime::prelude::*;
use orm_tests::fixtures::{Bookshop, bookshop, bookshop_with_authors, playlists};
use orm_tests::models::*;
use orm_tests::on_all_backends;

async fn shop(db: &Db) -> Result<Bookshop, Error> {
    bookshop_with_authors(db).await
}

#[tokio::test]
async fn annotate_with_an_aggregate_gives_one_row_per_object() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        // Django: annotate(Sum('length')) groups by the song: its own length.
        let rows: Vec<(Song, Option<i64>)> = Song::objects()
            .annotate(Sum(Song::length))
            .order_by(Song::id.asc())
            .all(&db)
            .await?;
        let got: Vec<(i32, Option<i64>)> = rows.iter().map(|(s, t)| (s.length, *t)).collect();
        assert_eq!(
            got,
            [
                (100, Some(100)),
                (200, Some(200)),
                (300, Some(300)),
                (50, Some(50))
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn annotate_with_an_aggregate_over_a_forward_path_gives_one_row_per_object() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        // An aggregate over a forward foreign-key path: one publisher per book.
        let rows: Vec<(Book, (i64, Option<String>))> = Book::objects()
            .annotate((
                Count(Book::publisher.then(Publisher::country)),
                Max(Book::publisher.then(Publisher::name)),
            ))
            .order_by(Book::id.asc())
            .all(&db)
            .await?;
        let got: Vec<(&str, i64, Option<&str>)> = rows
            .iter()
            .map(|(b, (n, name))| (b.title.as_str(), *n, name.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("Rust in Action", 1, Some("O'Reilly")),
                ("Programming Rust", 1, Some("O'Reilly")),
                ("The Hobbit", 1, Some("Penguin")),
                ("100% Pure_Luck", 0, Some("Small Press")),
                ("the hobbit companion", 1, Some("Penguin")),
            ]
        );
        assert_eq!(shop.books.len(), 5);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn grouped_values_over_a_relation_count_the_pairs() {
    on_all_backends(|db| async move {
        let shop = shop(&db).await?;
        let [penguin, oreilly, small] = [0, 1, 2].map(|i| shop.publishers[i].id);
        // Django joins the authors and groups by publisher: the count is of
        // (book, author) pairs and the mean is over those pairs.
        let rows: Vec<(i64, i64, Option<f64>)> = Book::objects()
            .values(Book::publisher)
            .annotate(Count(Book::authors))
            .annotate(Avg(Book::authors.then(Author::age)))
            .order_by(Book::publisher.asc())
            .all(&db)
            .await?;
        let mut expected = vec![
            (penguin, 4, Some(153.0 / 4.0)),
            (oreilly, 3, Some(125.0 / 3.0)),
            (small, 0, None),
        ];
        expected.sort_by_key(|r| r.0);
        assert_eq!(rows.len(), 3);
        for (got, want) in rows.iter().zip(&expected) {
            assert_eq!((got.0, got.1), (want.0, want.1));
            match (got.2, want.2) {
                (Some(g), Some(w)) => assert_eq!(g, w),
                (g, w) => assert_eq!(g, w),
            }
        }

        // A filter on the related rows applies to the pairs.
        let older: Vec<(i64, i64)> = Book::objects()
            .values(Book::publisher)
            .annotate(Count(Book::authors).filter(Author::age.gte(40)))
            .order_by(Book::publisher.asc())
            .all(&db)
            .await?;
        let mut want = vec![(penguin, 2), (oreilly, 2), (small, 0)];
        want.sort();
        assert_eq!(older, want);

        // Two different relations in one grouped query would inflate each
        // other: refused with an error naming the shape.
        let err = Author::objects()
            .values(Author::age)
            .annotate(Count(Author::mentees))
            .annotate(Count(Author::friends))
            .all(&db)
            .await
            .expect_err("two relations in one grouped query");
        assert!(
            matches!(&err, Error::Render { feature, .. } if feature.contains("two different multi-valued relations")),
            "{err:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn aggregate_runs_over_exactly_the_rows_the_queryset_returns() {
    on_all_backends(|db| async move {
        shop(&db).await?;
        // Sliced: the three longest books (738, 456, 310).
        let top3 = Book::objects()
            .order_by(Book::pages.desc())
            .slice(0..3)
            .aggregate((Sum(Book::pages), CountAll(), Min(Book::pages)))
            .get(&db)
            .await?;
        assert_eq!(top3, (Some(1504), 3, Some(310)));
        // An offset too: the 2nd and 3rd.
        let mid = Book::objects()
            .order_by(Book::pages.desc())
            .slice(1..3)
            .aggregate(Sum(Book::pages))
            .get(&db)
            .await?;
        assert_eq!(mid, Some(766));

        // Distinct: three distinct publishers among five books.
        let publishers = Book::objects()
            .values(Book::publisher)
            .distinct()
            .aggregate(CountAll())
            .get(&db)
            .await?;
        assert_eq!(publishers, 3);

        // Grouped: the largest number of books of one publisher, and how
        // many groups there are.
        let per_publisher = Book::objects()
            .values(Book::publisher)
            .annotate(CountAll())
            .aggregate((Max(CountAll().expr()), Sum(CountAll().expr())))
            .get(&db)
            .await?;
        assert_eq!(per_publisher, (Some(2), Some(5)));

        // A grouped queryset filtered on its aggregate (HAVING).
        let busy = Book::objects()
            .values(Book::publisher)
            .annotate(CountAll())
            .filter(CountAll().gte(2))
            .aggregate(CountAll())
            .get(&db)
            .await?;
        assert_eq!(busy, 2);

        // Ordering is ignored by aggregate() (PostgreSQL refused it).
        let total = Book::objects()
            .order_by(Book::title.asc())
            .aggregate(Sum(Book::pages))
            .get(&db)
            .await?;
        assert_eq!(total, Some(1824));
        let first = Book::objects()
            .order_by(Book::title.desc())
            .aggregate(Max(Book::pages))
            .first(&db)
            .await?;
        assert_eq!(first, Some(Some(738)));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn aggregate_over_a_relation_aggregates_the_related_rows() {
    on_all_backends(|db| async move {
        shop(&db).await?;
        // Alice's friends Bob (35) and Carol (50); Bob's and Carol's friend
        // Alice (40): four (author, friend) pairs.
        let avg = Author::objects()
            .aggregate(Avg(Author::friends.then(Author::age)))
            .get(&db)
            .await?;
        assert_eq!(avg, Some(41.25));

        // Next to plain aggregates, each keeps its own rows.
        let both = Author::objects()
            .aggregate((
                Avg(Author::friends.then(Author::age)),
                Count(Author::id),
                Count(Author::friends),
                Sum(Author::age),
            ))
            .get(&db)
            .await?;
        assert_eq!(both, (Some(41.25), 4, 4, Some(153)));

        // Over a filtered queryset: only Bob's and Carol's friends (Alice twice).
        let of_some = Author::objects()
            .filter(Author::age.gte(35))
            .exclude(Author::name.eq("Alice"))
            .aggregate((
                Avg(Author::friends.then(Author::age)),
                Count(Author::mentees),
            ))
            .get(&db)
            .await?;
        assert_eq!(of_some, (Some(40.0), 1));

        // Over a slice: the two youngest authors (dave 28, Bob 35): Bob's
        // one friend.
        let young = Author::objects()
            .order_by(Author::age.asc())
            .slice(0..2)
            .aggregate(Count(Author::friends))
            .get(&db)
            .await?;
        assert_eq!(young, 1);

        // Over a reverse foreign key: the books of O'Reilly and Penguin.
        let pages = Publisher::objects()
            .filter(Publisher::country.isnull(false))
            .aggregate(Sum(Publisher::books.then(Book::pages)))
            .get(&db)
            .await?;
        assert_eq!(pages, Some(1704));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_condition_on_an_aggregate_without_annotate_groups_by_the_row() {
    on_all_backends(|db| async move {
        shop(&db).await?;
        // Each book is its own group: Sum(pages) is its page count.
        let qs = Book::objects()
            .filter(Sum(Book::pages).gt(300))
            .order_by(Book::pages.asc());
        let titles: Vec<String> = qs
            .clone()
            .all(&db)
            .await?
            .into_iter()
            .map(|b| b.title)
            .collect();
        assert_eq!(titles, ["The Hobbit", "Rust in Action", "Programming Rust"]);
        assert_eq!(qs.clone().count(&db).await?, 3);
        assert!(qs.exists(&db).await?);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn ordering_keys_join_the_group_by() {
    on_all_backends(|db| async move {
        let shop = shop(&db).await?;
        let p = |i: usize| shop.publishers[i].id;
        // Django: values('publisher').annotate(..).order_by('title') groups
        // by publisher and title, one row per book here.
        let rows: Vec<(i64, i64)> = Book::objects()
            .values(Book::publisher)
            .annotate(CountAll())
            .order_by(Book::title.asc())
            .all(&db)
            .await?;
        assert_eq!(
            rows,
            [(p(2), 1), (p(1), 1), (p(1), 1), (p(0), 1), (p(0), 1)]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn computed_group_keys_mean_the_same_everywhere() {
    on_all_backends(|db| async move {
        shop(&db).await?;
        // Grouped by an expression holding a bound value (pages / 300).
        let by_size: Vec<(i32, i64)> = Book::objects()
            .values(Book::pages / 300)
            .annotate(CountAll())
            .order_by((Book::pages / 300).asc())
            .all(&db)
            .await?;
        assert_eq!(by_size, [(0, 2), (1, 2), (2, 1)]);

        // Grouped by a CASE with bound values.
        let long = || Case::when(Book::pages.gt(300), "long").otherwise("short");
        let by_length: Vec<(String, Option<i64>)> = Book::objects()
            .values(long())
            .annotate(Sum(Book::pages))
            .order_by(long().asc())
            .all(&db)
            .await?;
        assert_eq!(
            by_length,
            [
                ("long".to_owned(), Some(1504)),
                ("short".to_owned(), Some(320))
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn plain_values_next_to_an_aggregate_are_grouped() {
    on_all_backends(|db| async move {
        let shop = shop(&db).await?;
        let rows: Vec<(i64, Option<i64>, String)> = Book::objects()
            .values(Book::publisher)
            .annotate(Sum(Book::pages))
            .annotate(Book::publisher.then(Publisher::name))
            .order_by(Book::publisher.asc())
            .all(&db)
            .await?;
        let mut want = vec![
            (shop.publishers[0].id, Some(510), "Penguin".to_owned()),
            (shop.publishers[1].id, Some(1194), "O'Reilly".to_owned()),
            (shop.publishers[2].id, Some(120), "Small Press".to_owned()),
        ];
        want.sort_by_key(|r| r.0);
        assert_eq!(rows, want);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn declared_annotations_are_referred_to_by_their_field() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        let total = Listener::playlists_total_length;
        // ann: 100 + 200 + 300, bob: 50, cid: no playlists (NULL).
        let qs = Listener::objects().collect();
        let long: Vec<(String, Option<i64>)> = qs
            .clone()
            .filter(total.gt(100))
            .order_by(total.desc())
            .all(&db)
            .await?
            .into_iter()
            .map(|l| (l.name, l.playlists_total_length))
            .collect();
        assert_eq!(long, [("ann".to_owned(), Some(600))]);

        let ranked: Vec<(String, Option<i64>)> = qs
            .clone()
            .values((Listener::name, total.expr()))
            .order_by(total.asc())
            .all(&db)
            .await?;
        assert_eq!(
            ranked,
            [
                ("cid".to_owned(), None),
                ("bob".to_owned(), Some(50)),
                ("ann".to_owned(), Some(600))
            ]
        );

        // Aggregating an annotation aggregates the per-row values.
        let stats = qs
            .clone()
            .aggregate((Sum(total.expr()), Max(total.expr()), Count(total.expr())))
            .get(&db)
            .await?;
        assert_eq!(stats, (Some(650), Some(600), 2));

        // A relation aggregate filled into the field, then averaged per
        // listener: (2 + 1 + 0) / 3 playlists.
        let per_listener = Listener::objects()
            .annotate_into(total, Count(Listener::playlists))
            .aggregate(Avg(total.expr()))
            .get(&db)
            .await?;
        assert_eq!(per_listener, Some(1.0));

        // Used before it is filled: a typed error, before any query runs.
        let err = Listener::objects()
            .filter(total.gt(1))
            .all(&db)
            .await
            .expect_err("unfilled annotation");
        assert!(matches!(err, Error::Render { .. }), "{err:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn review_findings_stay_fixed() {
    on_all_backends(|db| async move {
        let shop = shop(&db).await?;
        let [penguin, oreilly] = [0, 1].map(|i| shop.publishers[i].id);
        // A condition on a joined relation aggregate is a condition on the group.
        let qs = Book::objects()
            .values(Book::publisher)
            .annotate(Count(Book::authors))
            .filter(Count(Book::authors).gte(3))
            .order_by(Book::publisher.asc());
        let mut want = vec![(penguin, 4), (oreilly, 3)];
        want.sort();
        assert_eq!(qs.clone().all(&db).await?, want);
        assert_eq!(qs.clone().count(&db).await?, 2);
        assert!(qs.exists(&db).await?);

        // aggregate() over grouped values with a relation aggregate.
        let stats = Book::objects()
            .values(Book::publisher)
            .annotate(Count(Book::authors))
            .aggregate((
                Max(Count(Book::authors).expr()),
                Sum(Count(Book::authors).expr()),
            ))
            .get(&db)
            .await?;
        assert_eq!(stats, (Some(4), Some(7)));

        // A window annotation aggregated: ranks within publisher 1,2 | 1,2 | 1.
        let ranks = Book::objects()
            .annotate(BookQuerySet::rank_in_publisher())
            .aggregate((
                Max(BookQuerySet::rank_in_publisher()),
                Sum(BookQuerySet::rank_in_publisher()),
            ))
            .get(&db)
            .await?;
        assert_eq!(ranks, (Some(2), Some(7)));

        // A slice of rows loaded with their publishers, and a count alone.
        let wide = Book::objects()
            .select_related(Book::publisher)
            .order_by(Book::pages.desc())
            .slice(0..3)
            .aggregate((Sum(Book::pages), Max(Book::publisher.then(Publisher::name))))
            .get(&db)
            .await?;
        assert_eq!(wide, (Some(1504), Some("Penguin".to_owned())));
        let three = Book::objects()
            .order_by(Book::pages.desc())
            .slice(0..3)
            .aggregate(CountAll())
            .get(&db)
            .await?;
        assert_eq!(three, 3);

        // count() and exists() of an aggregate() queryset: its one row.
        assert_eq!(
            Book::objects()
                .aggregate(Sum(Book::pages))
                .count(&db)
                .await?,
            1
        );
        assert!(
            Book::objects()
                .filter(Book::pages.gt(100_000))
                .aggregate(Sum(Book::pages))
                .exists(&db)
                .await?
        );

        // A computed ordering key that is not selected, in a grouped query.
        let p = |i: usize| shop.publishers[i].id;
        let by_pages: Vec<(i64, i64)> = Book::objects()
            .values(Book::publisher)
            .annotate(CountAll())
            .order_by((Book::pages / 100).asc())
            .all(&db)
            .await?;
        assert_eq!(
            by_pages,
            [(p(2), 1), (p(0), 1), (p(0), 1), (p(1), 1), (p(1), 1)]
        );
        // HAVING on a computed group key.
        let sizes: Vec<(i32, i64)> = Book::objects()
            .values(Book::pages / 300)
            .annotate(CountAll())
            .filter(CountAll().gt(1).or((Book::pages / 300).eq(2)))
            .order_by((Book::pages / 300).asc())
            .all(&db)
            .await?;
        assert_eq!(sizes, [(0, 2), (1, 2), (2, 1)]);
        let small: Vec<(i32, i64)> = Book::objects()
            .values(Book::pages / 300)
            .annotate(CountAll())
            .filter((Book::pages / 300).lt(2))
            .filter(CountAll().gte(2))
            .order_by((Book::pages / 300).desc())
            .all(&db)
            .await?;
        assert_eq!(small, [(1, 2), (0, 2)]);

        // A filter after aggregate() filters the aggregated rows, relation
        // aggregates included: Alice (2 friends) and Carol (1).
        let n = Author::objects()
            .aggregate((Count(Author::friends), CountAll()))
            .filter(Author::age.gt(38))
            .get(&db)
            .await?;
        assert_eq!(n, (3, 2));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn relation_aggregates_in_writes_read_the_written_row() {
    on_all_backends(|db| async move {
        orm_tests::fixtures::blog(&db, 3).await?;
        let counts: Vec<i64> = Writer::objects()
            .order_by(Writer::id.asc())
            .annotate(Count(Writer::posts))
            .all(&db)
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        let updated = Writer::objects()
            .all_rows()
            .update(
                &db,
                Writer::post_count.set(Count(Writer::posts).expr().cast::<i32>()),
            )
            .await?;
        assert_eq!(updated, counts.len() as u64);
        let stored: Vec<i64> = Writer::objects()
            .order_by(Writer::id.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|w| i64::from(w.post_count))
            .collect();
        assert_eq!(stored, counts);
        // A delete filtered on a relation aggregate deletes exactly the
        // rows it names.
        let max = counts.iter().copied().max().unwrap_or(0);
        let expected = counts.iter().filter(|&&c| c >= max).count() as u64;
        let deleted = Writer::objects()
            .filter(Count(Writer::posts).gte(max))
            .delete(&db)
            .await?;
        assert_eq!(deleted, expected);
        Ok(())
    })
    .await;
}
