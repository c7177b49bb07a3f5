//! Correlated subqueries, Exists, `in` with a subquery and window functions
//! on every backend, with exact values.

use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, playlists, task_tracker};
use orm_tests::models::*;
use orm_tests::on_all_backends;

fn names<T>(rows: &[(Listener, T)]) -> Vec<&str> {
    rows.iter().map(|(l, _)| l.name.as_str()).collect()
}

#[tokio::test]
async fn collect_annotates_totals_with_nested_subqueries() {
    on_all_backends(|db| async move {
        let listeners = playlists(&db).await?;
        let collected = Listener::objects()
            .collect()
            .order_by(Listener::name.asc())
            .all(&db)
            .await?;
        let totals: Vec<(&str, Option<i64>)> = collected
            .iter()
            .map(|l| (l.name.as_str(), l.playlists_total_length))
            .collect();
        assert_eq!(
            totals,
            [("ann", Some(600)), ("bob", Some(50)), ("cid", None)]
        );

        // The model method agrees, with and without the annotation.
        for (loaded, plain) in collected.iter().zip(&listeners) {
            assert_eq!(
                loaded.total_length(&db).await?,
                plain.total_length(&db).await?
            );
        }
        assert_eq!(listeners[0].total_length(&db).await?, 600);

        // A subquery in filter and order_by.
        let long: Vec<String> = Playlist::objects()
            .filter(PlaylistQuerySet::songs_total_length().gt(250))
            .order_by((
                PlaylistQuerySet::songs_total_length().desc(),
                Playlist::name.asc(),
            ))
            .all(&db)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(long, ["a1", "a2"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn subquery_ordering_and_taking_the_first_row() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        // The title of each playlist's longest song.
        let longest: Subquery<Playlist, Option<String>> = Playlist::correlated(|p| {
            Song::objects()
                .filter(Song::playlist.eq(p.id))
                .order_by(Song::length.desc())
                .values(Song::title)
                .limit(1)
        })
        .subquery();
        let rows: Vec<(String, Option<String>)> = Playlist::objects()
            .values((Playlist::name, longest))
            .order_by(Playlist::name.asc())
            .all(&db)
            .await?;
        let rows: Vec<(&str, Option<&str>)> = rows
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("a1", Some("a1-1")),
                ("a2", Some("a2-0")),
                ("b1", Some("b1-0"))
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn exists_in_query_and_helpers() {
    on_all_backends(|db| async move {
        let listeners = playlists(&db).await?;
        let has_playlist = || {
            Exists(Listener::correlated(|l| {
                Playlist::objects().filter(Playlist::user.eq(l.id))
            }))
        };
        let with: Vec<String> = Listener::objects()
            .filter(has_playlist())
            .order_by(Listener::name.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(with, ["ann", "bob"]);
        let without: Vec<String> = Listener::objects()
            .filter(!has_playlist())
            .all(&db)
            .await?
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(without, ["cid"]);
        let flags = Listener::objects()
            .annotate(has_playlist())
            .order_by(Listener::name.asc())
            .all(&db)
            .await?;
        assert_eq!(
            flags.iter().map(|(_, f)| *f).collect::<Vec<_>>(),
            [true, true, false]
        );

        // IN (SELECT ..), and with LIMIT (a derived table on MySQL/MariaDB).
        let ann_playlists = Playlist::objects()
            .filter(Playlist::user.eq(&listeners[0]))
            .values(Playlist::id);
        assert_eq!(
            Song::objects()
                .filter(Song::playlist.in_query(ann_playlists))
                .count(&db)
                .await?,
            3
        );
        let first_playlist = Playlist::objects()
            .order_by(Playlist::id.asc())
            .values(Playlist::id)
            .limit(1);
        assert_eq!(
            Song::objects()
                .filter(Song::playlist.in_query(first_playlist))
                .count(&db)
                .await?,
            2
        );

        // Helpers: a count defaulting to 0 and an aggregate that is None when empty.
        let rows = Listener::objects()
            .annotate((
                subquery_count(Listener::correlated(|l| {
                    Playlist::objects().filter(Playlist::user.eq(l.id))
                })),
                subquery_aggregate(
                    Listener::correlated(|l| {
                        Song::objects().filter(Song::playlist.then(Playlist::user).eq(l.id))
                    }),
                    Sum(Song::length),
                ),
            ))
            .order_by(Listener::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(&rows), ["ann", "bob", "cid"]);
        assert_eq!(
            rows.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            [(2, Some(600)), (1, Some(50)), (0, None)]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn outer_ref_to_the_grand_parent_query() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        // Playlists of each listener holding a song whose id exceeds the listener's id:
        // the song subquery refers to the listener query two levels up
        // (`l`, the handle of the enclosing closure).
        let rows = Listener::objects()
            .annotate(subquery_count(Listener::correlated(|l| {
                Playlist::objects()
                    .filter(Playlist::user.eq(l.id))
                    .filter(Exists(Playlist::correlated(|p| {
                        Song::objects()
                            .filter(Song::playlist.eq(p.id))
                            .filter(Song::id.plain().gt(l.id.plain()))
                    })))
            })))
            .order_by(Listener::name.asc())
            .all(&db)
            .await?;
        assert_eq!(rows.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [2, 1, 0]);

        // A handle kept past its closure refers to no enclosing query: an
        // error naming the column when the SQL is built.
        let mut kept = None;
        let _ = Playlist::correlated(|p| {
            kept = Some(p.id);
            Song::objects()
        });
        let orphan = Song::objects().filter(Song::playlist.eq(kept.expect("set")));
        let err = orphan
            .to_sql(db.dialect())
            .expect_err("no enclosing playlist query");
        assert!(
            err.to_string()
                .contains("outer reference to \"playlist\".\"id\" outside the subquery"),
            "{err}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn subqueries_over_the_model_of_their_outer_query() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        // Each playlist with the number of its listener's *other* playlists
        // holding a song longer than 250: a playlist subquery of a playlist
        // query, and in it a song subquery referring to its own playlist
        // one level up (`mine`) and to the outer playlist two levels up
        // (`top`). Resolved by model, `top.id` would be `mine.id`.
        let rows: Vec<(String, i64)> = Playlist::objects()
            .values((
                Playlist::name,
                subquery_count(Playlist::correlated(|top| {
                    Playlist::objects()
                        .filter(Playlist::user.eq(top.user))
                        .filter(Exists(Playlist::correlated(|mine| {
                            Song::objects()
                                .filter(Song::playlist.eq(mine.id))
                                .exclude(Song::playlist.eq(top.id))
                                .filter(Song::length.gt(250))
                        })))
                })),
            ))
            .order_by(Playlist::name.asc())
            .all(&db)
            .await?;
        let rows: Vec<(&str, i64)> = rows.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        // a1 (ann): a2 has a 300 song; a2 (ann): a1's longest is 200; b1: none.
        assert_eq!(rows, [("a1", 1), ("a2", 0), ("b1", 0)]);

        // The same shape with a one-column values() subquery: the outer
        // playlist's song count next to its listener's total.
        let own = || {
            Playlist::correlated(|p| {
                Song::objects()
                    .filter(Song::playlist.eq(p.id))
                    .values(Song::playlist)
                    .values_list(Count(Song::id))
            })
            .subquery()
        };
        let rows: Vec<(String, Option<i64>, Option<i64>)> = Playlist::objects()
            .values((
                Playlist::name,
                own(),
                Playlist::correlated(|top| {
                    Playlist::objects()
                        .filter(Playlist::user.eq(top.user))
                        .values(Playlist::user)
                        .values_list(Sum(own()))
                })
                .subquery(),
            ))
            .order_by(Playlist::name.asc())
            .all(&db)
            .await?;
        let rows: Vec<(&str, Option<i64>, Option<i64>)> =
            rows.iter().map(|(n, a, b)| (n.as_str(), *a, *b)).collect();
        assert_eq!(
            rows,
            [
                ("a1", Some(2), Some(3)),
                ("a2", Some(1), Some(3)),
                ("b1", Some(1), Some(1))
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_subquery_with_several_rows_is_the_databases_error() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        let ids: Subquery<Listener, Option<Key<Playlist>>> = Listener::correlated(|l| {
            Playlist::objects()
                .filter(Playlist::user.eq(l.id))
                .values(Playlist::id)
        })
        .subquery();
        let err = Listener::objects()
            .values((Listener::name, ids))
            .all(&db)
            .await
            .expect_err("ann has two playlists");
        assert!(matches!(err, Error::Database { .. }), "{err:?}");
        let text = err.to_string().to_lowercase();
        assert!(
            text.contains("more than one row") || text.contains("more than 1 row"),
            "{text}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn top_books_per_publisher_by_rating() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let rank = BookQuerySet::rank_in_publisher;
        let top: Vec<String> = Book::objects()
            .filter(rank().lte(1))
            .order_by(Book::title.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|b| b.title)
            .collect();
        assert_eq!(top, ["100% Pure_Luck", "Programming Rust", "The Hobbit"]);
        assert_eq!(Book::objects().filter(rank().lte(2)).count(&db).await?, 5);
        let second: Vec<(String, i64)> = Book::objects()
            .values((Book::title, rank()))
            .filter(rank().eq(2))
            .order_by(Book::title.desc())
            .all(&db)
            .await?;
        assert_eq!(
            second,
            [
                ("the hobbit companion".to_owned(), 2),
                ("Rust in Action".to_owned(), 2)
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn window_functions_and_frames() {
    on_all_backends(|db| async move {
        task_tracker(&db).await?;
        // Tasks by hours: T5 0, T2 2, T6 3, T1 4, T7 5.
        let by_hours = || Window::new().order_by(Task::hours.asc());
        let rows: Vec<(
            String,
            i64,
            f64,
            i64,
            Option<i32>,
            Option<i32>,
            Option<i32>,
            Option<i64>,
        )> = Task::objects()
            .values((
                Task::title,
                RowNumber().over(by_hours()),
                PercentRank().over(by_hours()),
                Ntile(2).over(by_hours()),
                Lag(Task::hours, 1).over(by_hours()),
                Lead(Task::hours, 1).over(by_hours()),
                FirstValue(Task::hours).over(by_hours()),
                Sum(Task::hours)
                    .over(by_hours().rows(FrameBound::Preceding(1), FrameBound::CurrentRow)),
            ))
            .order_by(Task::hours.asc())
            .all(&db)
            .await?;
        let expected = [
            ("T5", 1, 0.0, 1, None, Some(2), Some(0), Some(0)),
            ("T2", 2, 0.25, 1, Some(0), Some(3), Some(0), Some(2)),
            ("T6", 3, 0.5, 1, Some(2), Some(4), Some(0), Some(5)),
            ("T1", 4, 0.75, 2, Some(3), Some(5), Some(0), Some(7)),
            ("T7", 5, 1.0, 2, Some(4), None, Some(0), Some(9)),
        ];
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.0.as_str(), r.1, r.2, r.3, r.4, r.5, r.6, r.7))
            .collect();
        assert_eq!(got, expected);

        // Ties: statuses 0, 1, 1, 2, 3.
        let by_status = || Window::new().order_by(Task::status.asc());
        let ranks: Vec<(i64, i64)> = Task::objects()
            .values((Rank().over(by_status()), DenseRank().over(by_status())))
            .order_by((Task::status.asc(), Task::id.asc()))
            .all(&db)
            .await?;
        assert_eq!(ranks, [(1, 1), (2, 2), (2, 2), (4, 3), (5, 4)]);

        // Per-user running total, partition average and last value of the whole partition.
        let per_user = || {
            Window::new()
                .partition_by(Task::user)
                .order_by(Task::id.asc())
        };
        let rows: Vec<(String, Option<i64>, Option<f64>, Option<i32>)> = Task::objects()
            .values((
                Task::title,
                Sum(Task::hours)
                    .over(per_user().rows(FrameBound::UnboundedPreceding, FrameBound::CurrentRow)),
                Avg(Task::hours).over(Window::new().partition_by(Task::user)),
                LastValue(Task::hours).over(per_user().rows(
                    FrameBound::UnboundedPreceding,
                    FrameBound::UnboundedFollowing,
                )),
            ))
            .order_by(Task::id.asc())
            .all(&db)
            .await?;
        let running: Vec<(&str, Option<i64>, Option<i32>)> =
            rows.iter().map(|r| (r.0.as_str(), r.1, r.3)).collect();
        assert_eq!(
            running,
            [
                ("T1", Some(4), Some(2)),
                ("T2", Some(6), Some(2)),
                ("T5", Some(0), Some(5)),
                ("T6", Some(3), Some(5)),
                ("T7", Some(8), Some(5))
            ]
        );
        let averages: Vec<f64> = rows
            .iter()
            .map(|r| (r.2.unwrap_or_default() * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(averages, [3.0, 3.0, 2.667, 2.667, 2.667]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_correlated_subquery_in_update() {
    on_all_backends(|db| async move {
        orm_tests::fixtures::blog(&db, 3).await?;
        Post::objects()
            .filter(Post::title.eq("w0001-p3"))
            .delete(&db)
            .await?;
        let count = subquery_count(Writer::correlated(|w| {
            Post::objects().filter(Post::author.eq(w.id))
        }))
        .cast::<i32>();
        assert_eq!(
            Writer::objects()
                .all_rows()
                .update(&db, Writer::post_count.set(count))
                .await?,
            3
        );
        let counts: Vec<i32> = Writer::objects()
            .values(Writer::post_count)
            .order_by(Writer::id.asc())
            .all(&db)
            .await?;
        assert_eq!(counts, [3, 2, 3]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_grouped_count_subquery_keeps_its_group_by() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        // GROUP BY on the correlated key: no playlist, no group, NULL (not 0).
        let counted: Subquery<Listener, Option<i64>> = Listener::correlated(|l| {
            Playlist::objects()
                .filter(Playlist::user.eq(l.id))
                .values(Playlist::user)
                .values_list(Coalesce((Count(Playlist::id), 0)))
        })
        .subquery();
        let rows: Vec<(String, Option<i64>)> = Listener::objects()
            .values((Listener::name, counted))
            .order_by(Listener::name.asc())
            .all(&db)
            .await?;
        let values: Vec<Option<i64>> = rows.iter().map(|r| r.1).collect();
        assert_eq!(values, [Some(2), Some(1), None]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn window_filters_mixed_with_columns_functions_distinct_and_decimals() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        let rank = BookQuerySet::rank_in_publisher;
        // A window condition OR'ed with a plain column, and a window inside a function.
        let titles = |v: Vec<Book>| v.into_iter().map(|b| b.title).collect::<Vec<_>>();
        let mixed = Book::objects()
            .filter(rank().lte(1) | Book::pages.gt(700))
            .order_by(Book::title.asc())
            .all(&db)
            .await?;
        assert_eq!(
            titles(mixed),
            ["100% Pure_Luck", "Programming Rust", "The Hobbit"]
        );
        let previous = || Lag(Book::pages, 1).over(Window::new().order_by(Book::id.asc()));
        let grew = Book::objects()
            .filter(Coalesce((previous(), 0)).lt(Book::pages))
            .order_by(Book::id.asc())
            .all(&db)
            .await?;
        assert_eq!(
            titles(grew),
            ["Rust in Action", "Programming Rust", "the hobbit companion"]
        );
        // Decimals keep their numeric order in the wrapped query (SQLite stores them as text).
        let by_price = Book::objects()
            .filter(rank().lte(5))
            .order_by(Book::price.asc())
            .all(&db)
            .await?;
        let prices: Vec<rust_decimal::Decimal> = by_price.iter().map(|b| b.price).collect();
        let dec = orm_tests::fixtures::dec;
        assert_eq!(
            prices,
            [
                dec("5.00"),
                dec("9.99"),
                dec("15.50"),
                dec("39.99"),
                dec("49.99")
            ]
        );
        // DISTINCT with an ORDER BY key (PostgreSQL wants it selected).
        let publishers: Vec<i64> = Book::objects()
            .values(Book::publisher)
            .distinct()
            .filter(rank().lte(2))
            .order_by(Book::publisher.asc())
            .all(&db)
            .await?;
        assert_eq!(publishers.len(), 3);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn correlated_subqueries_under_wrapping_shapes() {
    on_all_backends(|db| async move {
        playlists(&db).await?;
        let total = PlaylistQuerySet::songs_total_length;
        // An aggregate over an annotation holding nested subqueries, a
        // count of a sliced queryset, and a filter on the annotation.
        let sum: Option<i64> = Listener::objects()
            .collect()
            .aggregate(Sum(Listener::playlists_total_length.expr()))
            .get(&db)
            .await?;
        assert_eq!(sum, Some(650));
        let sliced = Listener::objects()
            .collect()
            .order_by(Listener::name.asc())
            .limit(2);
        assert_eq!(sliced.count(&db).await?, 2);
        let long: Vec<String> = Listener::objects()
            .collect()
            .filter(Listener::playlists_total_length.gt(100))
            .values(Listener::name)
            .all(&db)
            .await?;
        assert_eq!(long, ["ann"]);
        // A window ordered by a subquery, and a window condition (a
        // derived table) over a query selecting one.
        let ranked: Vec<(String, i64)> = Playlist::objects()
            .values((
                Playlist::name,
                Rank().over(Window::new().order_by(total().desc())),
            ))
            .order_by(Playlist::name.asc())
            .all(&db)
            .await?;
        let ranked: Vec<(&str, i64)> = ranked.iter().map(|(n, r)| (n.as_str(), *r)).collect();
        assert_eq!(ranked, [("a1", 1), ("a2", 1), ("b1", 3)]);
        let first_two: Vec<(String, Option<i64>)> = Playlist::objects()
            .filter(
                RowNumber()
                    .over(Window::new().order_by(Playlist::name.asc()))
                    .lte(2),
            )
            .values((Playlist::name, total()))
            .order_by(Playlist::name.asc())
            .all(&db)
            .await?;
        let first_two: Vec<(&str, Option<i64>)> =
            first_two.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        assert_eq!(first_two, [("a1", Some(300)), ("a2", Some(300))]);
        // Distinct values next to a subquery, grouped values with one.
        let distinct: Vec<Option<i64>> = Playlist::objects()
            .values(total())
            .distinct()
            .order_by(total().asc())
            .all(&db)
            .await?;
        assert_eq!(distinct, [Some(50), Some(300)]);
        Ok(())
    })
    .await;
}

/// An update setting a column from a correlated subquery over the same
/// table reads the table as it was before the update on every backend
/// (SQLite computes the values first; it would otherwise see the rows it
/// already changed).
#[tokio::test]
async fn an_update_from_a_subquery_over_its_own_table_reads_the_old_rows() {
    on_all_backends(|db| async move {
        bookshop(&db).await?;
        // Ages 40, 35, 50, 28: each author's age becomes the number of
        // authors older than them.
        let older = subquery_count(Author::correlated(|a| {
            Author::objects().filter(Author::age.gt(a.age))
        }))
        .cast::<i32>();
        let n = Author::objects()
            .all_rows()
            .update(&db, Author::age.set(older))
            .await?;
        assert_eq!(n, 4);
        let ages: Vec<i32> = Author::objects()
            .order_by(Author::id.asc())
            .values(Author::age)
            .all(&db)
            .await?;
        assert_eq!(ages, [1, 2, 0, 3], "{}", db.dialect());
        // With a filter and two columns set.
        let youngest = subquery_aggregate(
            Author::correlated(|a| Author::objects().filter(Author::age.gt(a.age))),
            Min(Author::age),
        );
        let n = Author::objects()
            .filter(Author::age.lt(3))
            .update(
                &db,
                (
                    Author::age.set(Coalesce((youngest, 99))),
                    Author::name.set("renamed"),
                ),
            )
            .await?;
        assert_eq!(n, 3);
        let rows: Vec<(String, i32)> = Author::objects()
            .order_by(Author::id.asc())
            .values((Author::name, Author::age))
            .all(&db)
            .await?;
        let rows: Vec<(&str, i32)> = rows.iter().map(|(n, a)| (n.as_str(), *a)).collect();
        // Before: 1, 2, 0, 3. Alice (1) -> min above 1 = 2; Bob (2) -> 3;
        // Carol (0) -> 1; dave (3) untouched.
        assert_eq!(
            rows,
            [("renamed", 2), ("renamed", 3), ("renamed", 1), ("dave", 3)]
        );
        Ok(())
    })
    .await;
}
