//! Querysets on every backend: lookups, Q, exclude, foreign-key paths,
//! F expressions, ordering, slicing and the terminal methods.

use chrono::NaiveDate;
use futures::TryStreamExt;
use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, dec, sorted, titles};
use orm_tests::models::*;
use orm_tests::on_all_backends;

async fn t(qs: BookQuerySet, db: &Db) -> Result<Vec<String>, Error> {
    Ok(titles(&qs.all(db).await?))
}

#[tokio::test]
async fn text_lookups_mean_the_same_on_every_backend() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let b = || Book::objects();
        assert_eq!(
            t(b().filter(Book::title.eq("The Hobbit")), &db).await?,
            sorted(&["The Hobbit"])
        );
        assert_eq!(
            t(b().filter(Book::title.iexact("THE HOBBIT")), &db).await?,
            sorted(&["The Hobbit"])
        );
        // contains is case-sensitive everywhere (SQLite's LIKE is not, so GLOB is used).
        assert_eq!(
            t(b().filter(Book::title.contains("Hobbit")), &db).await?,
            sorted(&["The Hobbit"])
        );
        assert_eq!(
            t(b().filter(Book::title.icontains("hobbit")), &db).await?,
            sorted(&["The Hobbit", "the hobbit companion"])
        );
        assert_eq!(
            t(b().filter(Book::title.startswith("The")), &db).await?,
            sorted(&["The Hobbit"])
        );
        assert_eq!(
            t(b().filter(Book::title.istartswith("the")), &db).await?,
            sorted(&["The Hobbit", "the hobbit companion"])
        );
        assert_eq!(
            t(b().filter(Book::title.endswith("Rust")), &db).await?,
            sorted(&["Programming Rust"])
        );
        assert_eq!(
            t(b().filter(Book::title.endswith("rust")), &db).await?,
            Vec::<String>::new()
        );
        assert_eq!(
            t(b().filter(Book::title.iendswith("RUST")), &db).await?,
            sorted(&["Programming Rust"])
        );
        // Wildcard characters in the searched text match only themselves.
        assert_eq!(
            t(b().filter(Book::title.contains("%")), &db).await?,
            sorted(&["100% Pure_Luck"])
        );
        assert_eq!(
            t(b().filter(Book::title.contains("e_L")), &db).await?,
            sorted(&["100% Pure_Luck"])
        );
        assert_eq!(
            t(b().filter(Book::title.contains("n_A")), &db).await?,
            Vec::<String>::new()
        );
        assert_eq!(
            t(b().filter(Book::title.icontains("100% PURE")), &db).await?,
            sorted(&["100% Pure_Luck"])
        );
        assert_eq!(
            t(b().filter(Book::title.contains("*")), &db).await?,
            Vec::<String>::new()
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn comparison_in_range_and_null_lookups() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let b = || Book::objects();
        assert_eq!(
            t(b().filter(Book::pages.gt(456)), &db).await?,
            sorted(&["Programming Rust"])
        );
        assert_eq!(
            t(b().filter(Book::pages.gte(456)), &db).await?,
            sorted(&["Programming Rust", "Rust in Action"])
        );
        assert_eq!(
            t(b().filter(Book::pages.lt(200)), &db).await?,
            sorted(&["100% Pure_Luck"])
        );
        assert_eq!(
            t(b().filter(Book::pages.lte(200)), &db).await?,
            sorted(&["100% Pure_Luck", "the hobbit companion"])
        );
        assert_eq!(
            b().filter(Book::title.ne("The Hobbit")).count(&db).await?,
            4
        );
        let ids = [shop.books[0].id, shop.books[2].id];
        assert_eq!(
            t(b().filter(Book::id.is_in(ids)), &db).await?,
            sorted(&["Rust in Action", "The Hobbit"])
        );
        assert_eq!(
            b().filter(Book::id.is_in(Vec::<i64>::new()))
                .count(&db)
                .await?,
            0
        );
        assert_eq!(
            b().exclude(Book::id.is_in(Vec::<i64>::new()))
                .count(&db)
                .await?,
            5
        );
        assert_eq!(
            t(b().filter(Book::pages.range(200, 456)), &db).await?,
            sorted(&["Rust in Action", "The Hobbit", "the hobbit companion"])
        );
        assert_eq!(
            t(b().filter(Book::price.eq(dec("9.99"))), &db).await?,
            sorted(&["The Hobbit"])
        );
        assert_eq!(
            t(b().filter(Book::price.eq(dec("5"))), &db).await?,
            sorted(&["100% Pure_Luck"])
        );
        let y2k = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        assert_eq!(
            t(b().filter(Book::published.gt(y2k)), &db).await?,
            sorted(&["100% Pure_Luck", "Programming Rust", "Rust in Action"])
        );
        assert_eq!(
            t(b().filter(Book::rating.gte(4.7)), &db).await?,
            sorted(&["Programming Rust", "The Hobbit"])
        );

        let no_country: Vec<String> = Publisher::objects()
            .filter(Publisher::country.isnull(true))
            .all(&db)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(no_country, vec!["Small Press".to_owned()]);
        assert_eq!(
            Publisher::objects()
                .filter(Publisher::country.isnull(false))
                .count(&db)
                .await?,
            2
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn q_objects_and_exclude_follow_django_null_semantics() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let penguin = &shop.publishers[0];
        let q =
            (Book::pages.gt(700) | Book::title.startswith("The")) & !Book::publisher.eq(penguin);
        assert_eq!(
            t(Book::objects().filter(q), &db).await?,
            sorted(&["Programming Rust"])
        );
        let q = Book::pages
            .gt(700)
            .or(Book::title.startswith("The"))
            .and(Book::rating.gt(4.75));
        assert_eq!(
            t(Book::objects().filter(q), &db).await?,
            sorted(&["The Hobbit"])
        );
        let q = Book::pages.lt(300).not();
        assert_eq!(
            t(Book::objects().filter(q), &db).await?,
            sorted(&["Programming Rust", "Rust in Action", "The Hobbit"])
        );

        // exclude keeps rows whose compared column is NULL, as Django does.
        let names = |ps: Vec<Publisher>| {
            let mut v: Vec<String> = ps.into_iter().map(|p| p.name).collect();
            v.sort();
            v
        };
        let kept = Publisher::objects()
            .exclude(Publisher::country.eq("US"))
            .all(&db)
            .await?;
        assert_eq!(names(kept), sorted(&["Penguin", "Small Press"]));
        let kept = Publisher::objects()
            .filter(!Publisher::country.eq("US"))
            .all(&db)
            .await?;
        assert_eq!(names(kept), sorted(&["Penguin", "Small Press"]));
        // `ne` is SQL's `<>`: NULL is neither equal nor unequal.
        let kept = Publisher::objects()
            .filter(Publisher::country.ne("US"))
            .all(&db)
            .await?;
        assert_eq!(names(kept), sorted(&["Penguin"]));
        // Double negation is the filter itself.
        let kept = Publisher::objects()
            .exclude(!Publisher::country.eq("US"))
            .all(&db)
            .await?;
        assert_eq!(names(kept), sorted(&["O'Reilly"]));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn lookups_across_foreign_keys_become_joins() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let by_publisher =
            Book::objects().filter(Book::publisher.then(Publisher::name).eq("O'Reilly"));
        assert_eq!(
            t(by_publisher, &db).await?,
            sorted(&["Programming Rust", "Rust in Action"])
        );
        let uk = Book::objects().filter(Book::publisher.then(Publisher::country).eq("UK"));
        assert_eq!(
            t(uk, &db).await?,
            sorted(&["The Hobbit", "the hobbit companion"])
        );
        let unknown = Book::objects().filter(Book::publisher.then(Publisher::country).isnull(true));
        assert_eq!(t(unknown, &db).await?, sorted(&["100% Pure_Luck"]));

        // Nullable foreign keys are LEFT JOINs, one and two levels deep.
        let mentored_by_alice: Vec<String> = Author::objects()
            .filter(Author::mentor.then(Author::name).eq("Alice"))
            .all(&db)
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(mentored_by_alice, vec!["Bob".to_owned()]);
        let grand: Vec<String> = Author::objects()
            .filter(
                Author::mentor
                    .then(Author::mentor)
                    .then(Author::name)
                    .eq("Alice"),
            )
            .all(&db)
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(grand, vec!["dave".to_owned()]);
        let no_mentor = Author::objects()
            .filter(Author::mentor.then(Author::name).isnull(true))
            .count(&db)
            .await?;
        assert_eq!(no_mentor, 2);

        // Ordering across a path: by publisher name, then title descending.
        let ordered: Vec<String> = Book::objects()
            .order_by((
                Book::publisher.then(Publisher::name).asc(),
                Book::title.desc(),
            ))
            .all(&db)
            .await?
            .into_iter()
            .map(|b| b.title)
            .collect();
        assert_eq!(
            ordered,
            [
                "Rust in Action",
                "Programming Rust",
                "the hobbit companion",
                "The Hobbit",
                "100% Pure_Luck"
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn f_expressions_compare_columns() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        // More than 30 pages per chapter.
        let dense = Book::objects().filter(Book::pages.gt(Book::chapters * 30));
        assert_eq!(
            t(dense, &db).await?,
            sorted(&["Programming Rust", "Rust in Action"])
        );
        let same = Book::objects().filter(Book::pages.gt(F(Book::chapters) + 400));
        assert_eq!(
            t(same, &db).await?,
            sorted(&["Programming Rust", "Rust in Action"])
        );
        assert_eq!(
            Book::objects()
                .filter(Book::pages.lt(Book::chapters))
                .count(&db)
                .await?,
            0
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn ordering_nulls_distinct_and_slicing() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let countries = |ps: Vec<Publisher>| ps.into_iter().map(|p| p.country).collect::<Vec<_>>();
        // NULL sorts first ascending and last descending on every backend.
        let asc = Publisher::objects()
            .order_by(Publisher::country.asc())
            .all(&db)
            .await?;
        assert_eq!(
            countries(asc),
            vec![None, Some("UK".into()), Some("US".into())]
        );
        let desc = Publisher::objects()
            .order_by(Publisher::country.desc())
            .all(&db)
            .await?;
        assert_eq!(
            countries(desc),
            vec![Some("US".into()), Some("UK".into()), None]
        );

        let by_id = || Book::objects().order_by(Book::id.asc());
        let list = |v: Vec<Book>| v.into_iter().map(|b| b.title).collect::<Vec<_>>();
        assert_eq!(
            list(by_id().limit(2).all(&db).await?),
            ["Rust in Action", "Programming Rust"]
        );
        assert_eq!(
            list(by_id().offset(3).all(&db).await?),
            ["100% Pure_Luck", "the hobbit companion"]
        );
        assert_eq!(
            list(by_id().slice(1..3).all(&db).await?),
            ["Programming Rust", "The Hobbit"]
        );
        assert_eq!(by_id().slice(1..3).count(&db).await?, 2);
        assert_eq!(by_id().offset(4).count(&db).await?, 1);
        assert_eq!(Book::objects().distinct().count(&db).await?, 5);
        let distinct = Book::objects()
            .filter(Book::pages.gt(300))
            .distinct()
            .order_by(Book::title.asc())
            .all(&db)
            .await?;
        assert_eq!(
            list(distinct),
            ["Programming Rust", "Rust in Action", "The Hobbit"]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn terminal_methods() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let hobbit = Book::objects()
            .filter(Book::title.eq("The Hobbit"))
            .get(&db)
            .await?;
        assert_eq!(hobbit, shop.books[2]);
        assert_eq!(hobbit.price, dec("9.99"));
        assert_eq!(hobbit.publisher.id(), &shop.publishers[0].id);

        let missing = Book::objects()
            .filter(Book::title.eq("Dune"))
            .get(&db)
            .await;
        assert!(
            matches!(missing, Err(Error::NotFound { model: "Book" })),
            "{missing:?}"
        );
        let many = Book::objects().filter(Book::pages.gt(100)).get(&db).await;
        assert!(
            matches!(many, Err(Error::MultipleObjectsReturned { model: "Book" })),
            "{many:?}"
        );

        assert_eq!(
            Book::objects().first(&db).await?.map(|b| b.title),
            Some("Rust in Action".into())
        );
        assert_eq!(
            Book::objects().last(&db).await?.map(|b| b.title),
            Some("the hobbit companion".into())
        );
        let by_pages = Book::objects().order_by(Book::pages.desc());
        assert_eq!(
            by_pages.clone().first(&db).await?.map(|b| b.pages),
            Some(738)
        );
        assert_eq!(by_pages.last(&db).await?.map(|b| b.pages), Some(120));
        assert_eq!(
            Book::objects()
                .filter(Book::pages.gt(1000))
                .first(&db)
                .await?,
            None
        );

        assert_eq!(Book::objects().count(&db).await?, 5);
        assert!(
            Book::objects()
                .filter(Book::title.startswith("Rust"))
                .exists(&db)
                .await?
        );
        assert!(
            !Book::objects()
                .filter(Book::title.startswith("Dune"))
                .exists(&db)
                .await?
        );

        let streamed: Vec<Book> = Book::objects()
            .order_by(Book::id.asc())
            .stream(&db)
            .try_collect()
            .await?;
        assert_eq!(streamed, shop.books);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn querysets_are_lazy_and_reusable() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let long = Book::objects().filter(Book::pages.gt(300));
        // Building and cloning run nothing; each terminal call runs its own statement.
        let longest = long.clone().order_by(Book::pages.desc());
        assert_eq!(long.clone().count(&db).await?, 3);
        Book::objects()
            .create(
                &db,
                Book {
                    id: 0,
                    title: "Dune".into(),
                    publisher: ForeignKey::new(1),
                    pages: 896,
                    chapters: 48,
                    rating: 4.6,
                    price: dec("12.00"),
                    published: NaiveDate::from_ymd_opt(1965, 8, 1).unwrap_or_default(),
                    authors: ManyToMany::default(),
                },
            )
            .await?;
        assert_eq!(long.count(&db).await?, 4);
        assert_eq!(
            longest.first(&db).await?.map(|b| b.title),
            Some("Dune".into())
        );
        Ok(())
    })
    .await;
}
