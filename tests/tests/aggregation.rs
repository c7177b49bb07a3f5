//! Aggregation and annotation on every backend, with exact values: the task
//! tracker and playlists reference scenarios, relation aggregates that do
//! not inflate each other, conditional aggregates, HAVING, exact decimals
//! and the expression functions.

use chrono::NaiveDate;
use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, dec, playlists, task_tracker};
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};

#[tokio::test]
async fn task_tracker_totals_and_groups() {
    on_all_backends(|db| async move {
        let (alex, john) = task_tracker(&db).await?;
        let in_progress = || Task::status.eq(Status::InProgress);

        let totals = Task::objects()
            .aggregate((
                CountAll(),
                Count(Task::id).filter(in_progress()),
                Sum(Task::hours),
                Avg(Task::hours),
                Min(Task::hours),
                Max(Task::hours),
            ))
            .get(&db)
            .await?;
        assert_eq!(totals, (5, 2, Some(14), Some(2.8), Some(0), Some(5)));
        assert_eq!(
            Task::objects().aggregate(Sum(Task::hours)).get(&db).await?,
            Some(14)
        );

        // Tasks per status: values().annotate() groups by exactly the chosen column.
        let per_status: Vec<(Status, i64)> = Task::objects()
            .values(Task::status)
            .annotate(CountAll())
            .order_by(Task::status.asc())
            .all(&db)
            .await?;
        assert_eq!(
            per_status,
            [
                (Status::NotStarted, 1),
                (Status::InProgress, 2),
                (Status::Deploy, 1),
                (Status::Done, 1)
            ]
        );

        // Hours per user, grouping by the foreign key (its key value is selected).
        let per_user: Vec<(i64, Option<i64>, i64)> = Task::objects()
            .values(Task::user)
            .annotate(Sum(Task::hours))
            .annotate(Count(Task::id).filter(in_progress()))
            .order_by(Task::user.asc())
            .all(&db)
            .await?;
        assert_eq!(per_user, [(alex.id, Some(6), 1), (john.id, Some(8), 1)]);

        // The same through the reverse relation, on the users themselves.
        let users: Vec<(TaskUser, (i64, Option<i64>, i64))> = TaskUser::objects()
            .annotate((
                Count(TaskUser::tasks),
                Sum(TaskUser::tasks.then(Task::hours)),
                Count(TaskUser::tasks).filter(Task::status.eq(Status::InProgress)),
            ))
            .order_by(TaskUser::name.asc())
            .all(&db)
            .await?;
        let summary: Vec<(&str, (i64, Option<i64>, i64))> =
            users.iter().map(|(u, a)| (u.name.as_str(), *a)).collect();
        assert_eq!(
            summary,
            [("alex", (2, Some(6), 1)), ("john", (3, Some(8), 1))]
        );

        // Conditional aggregation with Case/When: hours of in-progress tasks.
        let in_progress_hours = Task::objects()
            .aggregate(Sum(Case::when(in_progress(), Task::hours).otherwise(0)))
            .get(&db)
            .await?;
        assert_eq!(in_progress_hours, Some(9));

        // A flat list of the per-user sums.
        let sums: Vec<Option<i64>> = Task::objects()
            .values(Task::user)
            .values_list(Sum(Task::hours))
            .order_by(Task::user.asc())
            .all(&db)
            .await?;
        assert_eq!(sums, [Some(6), Some(8)]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn filtering_and_ordering_on_annotations() {
    on_all_backends(|db| async move {
        task_tracker(&db).await?;
        // HAVING on a grouped query.
        let busy: Vec<(i64, Option<i64>)> = Task::objects()
            .values(Task::user)
            .annotate(Sum(Task::hours))
            .filter(Sum(Task::hours).gt(7))
            .all(&db)
            .await?;
        assert_eq!(busy.len(), 1);
        assert_eq!(busy[0].1, Some(8));

        // A relation aggregate in WHERE and ORDER BY.
        let many: Vec<String> = TaskUser::objects()
            .annotate(Count(TaskUser::tasks))
            .filter(Count(TaskUser::tasks).gt(2))
            .all(&db)
            .await?
            .into_iter()
            .map(|(u, _)| u.name)
            .collect();
        assert_eq!(many, ["john"]);
        let by_hours: Vec<String> = TaskUser::objects()
            .order_by(Sum(TaskUser::tasks.then(Task::hours)).desc())
            .all(&db)
            .await?
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(by_hours, ["john", "alex"]);

        // Grouped rows are counted as groups.
        assert_eq!(
            Task::objects()
                .values(Task::status)
                .annotate(CountAll())
                .count(&db)
                .await?,
            4
        );
        assert_eq!(
            Task::objects()
                .values(Task::priority)
                .distinct()
                .count(&db)
                .await?,
            3
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn empty_tables_aggregate_to_none_and_zero() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let out = Task::objects()
            .aggregate((
                CountAll(),
                Sum(Task::hours),
                Avg(Task::hours),
                Max(Task::hours),
                Sum(Task::id),
            ))
            .get(&db)
            .await?;
        assert_eq!(out, (0, None, None, None, None));
        assert_eq!(
            Book::objects().aggregate(Sum(Book::price)).get(&db).await?,
            None
        );
        assert_eq!(
            Task::objects()
                .values(Task::status)
                .annotate(CountAll())
                .all(&db)
                .await?,
            []
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn aggregates_over_two_relations_do_not_inflate_each_other() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let [alice, bob, carol, dave] = [0, 1, 2, 3].map(|i| shop.authors[i].clone());
        Author::friends
            .of(&alice)
            .add(&db, [&bob, &carol, &dave])
            .await?;
        // Alice: 3 friends and 1 mentee (Bob); Bob: 1 friend (Alice), 1 mentee (dave).
        let rows: Vec<(String, (i64, i64))> = Author::objects()
            .annotate((Count(Author::friends), Count(Author::mentees)))
            .order_by(Author::name.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|(a, c)| (a.name, c))
            .collect();
        assert_eq!(
            rows,
            [
                ("Alice".to_owned(), (3, 1)),
                ("Bob".to_owned(), (1, 1)),
                ("Carol".to_owned(), (1, 0)),
                ("dave".to_owned(), (1, 0))
            ]
        );

        // Publishers with their number of books and page totals.
        let pubs: Vec<(String, (i64, Option<i64>))> = Publisher::objects()
            .annotate((
                Count(Publisher::books),
                Sum(Publisher::books.then(Book::pages)),
            ))
            .order_by(Publisher::name.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|(p, c)| (p.name, c))
            .collect();
        assert_eq!(
            pubs,
            [
                ("O'Reilly".to_owned(), (2, Some(1194))),
                ("Penguin".to_owned(), (2, Some(510))),
                ("Small Press".to_owned(), (1, Some(120)))
            ]
        );

        // Books with the average age of their authors (many-to-many).
        Book::authors
            .of(&shop.books[0])
            .add(&db, [&alice, &dave])
            .await?; // 40, 28
        Book::authors.of(&shop.books[1]).add(&db, [&carol]).await?; // 50
        let ages: Vec<(String, Option<f64>)> = Book::objects()
            .annotate(Avg(Book::authors.then(Author::age)))
            .order_by(Book::id.asc())
            .limit(3)
            .all(&db)
            .await?
            .into_iter()
            .map(|(b, a)| (b.title, a))
            .collect();
        assert_eq!(
            ages,
            [
                ("Rust in Action".to_owned(), Some(34.0)),
                ("Programming Rust".to_owned(), Some(50.0)),
                ("The Hobbit".to_owned(), None)
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn decimal_aggregates_keep_every_digit() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let (sum, avg, min, max) = Book::objects()
            .aggregate((
                Sum(Book::price),
                Avg(Book::price),
                Min(Book::price),
                Max(Book::price),
            ))
            .get(&db)
            .await?;
        assert_eq!(sum, Some(dec("120.47")));
        assert_eq!(avg.map(|a| a.round_dp(3)), Some(dec("24.094")));
        assert_eq!(min, Some(dec("5.00")));
        assert_eq!(max, Some(dec("49.99")));
        // Ordering and comparisons of decimals are numeric on every backend.
        let cheap = Book::objects()
            .filter(Book::price.lt(dec("10")))
            .order_by(Book::price.desc())
            .all(&db)
            .await?;
        assert_eq!(
            cheap.iter().map(|b| b.price).collect::<Vec<_>>(),
            [dec("9.99"), dec("5.00")]
        );

        // Sums a float would round: 0.1 + 0.2 and 20 significant digits.
        create_types(&db).await?;
        let (small, big) = AllTypes::objects()
            .aggregate((Sum(AllTypes::o_amount), Sum(AllTypes::amount)))
            .get(&db)
            .await?;
        assert_eq!(small, Some(dec("0.3")));
        assert_eq!(big, Some(dec("2469135780.0246913578")));
        Ok(())
    })
    .await;
}

async fn create_types(db: &Db) -> Result<(), Error> {
    let template = AllTypes::objects().first(db).await?;
    assert!(template.is_none(), "fresh table");
    for (i, small) in ["0.1", "0.2"].iter().enumerate() {
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
        let row = AllTypes {
            id: 0,
            small: 0,
            int: 0,
            big: 0,
            float: 0.0,
            double: 0.0,
            flag: false,
            text: String::new(),
            code: format!("c{i}"),
            bytes: Vec::new(),
            amount: dec("1234567890.0123456789"),
            day,
            at: day.and_hms_opt(0, 0, 0).unwrap_or_default(),
            instant: day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            uid: uuid::Uuid::from_u128(i as u128),
            doc: serde_json::json!({}),
            status: Status::Done,
            priority: Priority::Low,
            o_small: None,
            o_int: None,
            o_big: None,
            o_float: None,
            o_double: None,
            o_flag: None,
            o_text: None,
            o_bytes: None,
            o_amount: Some(dec(small)),
            o_day: None,
            o_at: None,
            o_instant: None,
            o_uid: None,
            o_doc: None,
            o_status: None,
            o_priority: None,
        };
        AllTypes::objects().create(db, row).await?;
    }
    Ok(())
}

orm_runtime::sql_function!(
    /// `ABS(x)` of an integer.
    fn Abs(x: i32) -> i32 = "ABS";
);

#[tokio::test]
async fn expressions_and_functions() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        // Integer division truncates on every backend (DIV on MySQL).
        let per_chapter: Vec<(String, i32)> = Book::objects()
            .values((Book::title, Book::pages / Book::chapters))
            .order_by(Book::id.asc())
            .all(&db)
            .await?;
        let per: Vec<i32> = per_chapter.iter().map(|r| r.1).collect();
        assert_eq!(per, [41, 35, 16, 10, 8]);

        let row = Book::objects()
            .filter(Book::title.eq("The Hobbit"))
            .values((
                Lower(Book::title),
                Upper(Book::title),
                Length(Book::title),
                Concat(Book::title, "!"),
                Substr(Book::title, 5, 6),
                ExtractYear(Book::published),
                ExtractMonth(Book::published),
                ExtractDay(Book::published),
            ))
            .get(&db)
            .await?;
        assert_eq!(
            row,
            (
                "the hobbit".to_owned(),
                "THE HOBBIT".to_owned(),
                10,
                "The Hobbit!".to_owned(),
                "Hobbit".to_owned(),
                1937,
                9,
                21
            )
        );

        let row = Book::objects()
            .filter(Book::title.eq("The Hobbit"))
            .values((
                TruncMonth(Book::published),
                TruncYear(Book::published),
                Greatest(Book::pages, 400),
                Least(Book::pages, 400),
                NullIf(Book::chapters, 19),
                Abs(Book::chapters - 30),
                Book::pages.cast::<f64>() / 4.0,
                Value::<Book, i64>(7),
            ))
            .get(&db)
            .await?;
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(
            row,
            (
                d(1937, 9, 1),
                d(1937, 1, 1),
                400,
                310,
                None,
                Some(11),
                77.5,
                7
            )
        );

        // Coalesce over a nullable column and over an empty aggregate.
        let countries: Vec<String> = Publisher::objects()
            .values(Coalesce((Publisher::country, "??")))
            .order_by(Publisher::id.asc())
            .all(&db)
            .await?;
        assert_eq!(countries, ["UK", "US", "??"]);
        let none = Book::objects()
            .filter(Book::pages.gt(10_000))
            .aggregate(Coalesce((Sum(Book::pages), 0)))
            .get(&db)
            .await?;
        assert_eq!(none, 0);
        // Concat treats NULL as empty text, as Django does.
        let labels: Vec<String> = Publisher::objects()
            .values(Concat(Publisher::country, "-"))
            .order_by(Publisher::id.asc())
            .all(&db)
            .await?;
        assert_eq!(labels, ["UK-", "US-", "-"]);
        // Case with several branches and no default.
        let sizes: Vec<Option<String>> = Book::objects()
            .values(
                Case::when(Book::pages.gt(500), "long")
                    .and_when(Book::pages.gt(250), "medium")
                    .end(),
            )
            .order_by(Book::id.asc())
            .all(&db)
            .await?;
        let sizes: Vec<Option<&str>> = sizes.iter().map(|s| s.as_deref()).collect();
        assert_eq!(
            sizes,
            [Some("medium"), Some("long"), Some("medium"), None, None]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn standard_deviation_on_every_backend() {
    on_all_backends(|db| async move {
        task_tracker(&db).await?;
        let (sd, var) = Task::objects()
            .aggregate((StdDev(Task::hours), Variance(Task::hours)))
            .get(&db)
            .await?;
        // hours 4, 2, 0, 3, 5: mean 2.8, population variance 2.96 (SQLite
        // has the functions registered on each connection).
        assert!((var.unwrap_or_default() - 2.96).abs() < 1e-12, "{var:?}");
        assert_eq!(sd, var.map(f64::sqrt));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn playlists_totals() {
    on_all_backends(|db| async move {
        let listeners = playlists(&db).await?;
        assert_eq!(
            Song::objects()
                .aggregate(Sum(Song::length))
                .get(&db)
                .await?,
            Some(650)
        );
        let per_playlist: Vec<(i64, Option<i64>)> = Song::objects()
            .values(Song::playlist)
            .annotate(Sum(Song::length))
            .order_by(Song::playlist.asc())
            .all(&db)
            .await?;
        let sums: Vec<Option<i64>> = per_playlist.iter().map(|r| r.1).collect();
        assert_eq!(sums, [Some(300), Some(300), Some(50)]);
        let flat: Vec<Option<i64>> = Song::objects()
            .values(Song::playlist)
            .values_list(Sum(Song::length))
            .order_by(Song::playlist.asc())
            .all(&db)
            .await?;
        assert_eq!(flat, sums);

        // A declared annotation field filled through a two-level relation sum.
        let with_totals = Listener::objects()
            .annotate_into(
                Listener::playlists_total_length,
                Sum(Listener::playlists.then(Playlist::id)),
            )
            .order_by(Listener::name.asc())
            .all(&db)
            .await?;
        assert_eq!(with_totals.len(), listeners.len());
        assert!(
            with_totals[2].playlists_total_length.is_none(),
            "cid has no playlists"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn decimal_aggregates_inside_expressions_compare_numbers() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        // 49.99 is the largest price; as text "9.99" would win.
        let max = Book::objects()
            .aggregate(Coalesce((Max(Book::price), rust_decimal::Decimal::ZERO)))
            .get(&db)
            .await?;
        assert_eq!(max, dec("49.99"));
        let by_price: Vec<String> = Book::objects()
            .order_by(Book::price.desc())
            .limit(2)
            .all(&db)
            .await?
            .into_iter()
            .map(|b| b.title)
            .collect();
        assert_eq!(by_price, ["Programming Rust", "Rust in Action"]);
        Ok(())
    })
    .await;
}
