//! Paths through multi-valued relations (reverse foreign keys and
//! many-to-many, in both directions) in every part of a query, with
//! Django's join semantics, on every backend with exact rows:
//! - a join duplicates the row once per related row; `distinct()` removes
//!   the repeats;
//! - conditions in one `filter()` call are about the same related row,
//!   conditions in separate calls may be about different ones;
//! - `exclude()` means "no related row matches".

use orm_runtime::observe::assert_num_queries;
use orm_runtime::prelude::*;
use orm_tests::fixtures::bookshop_with_authors;
use orm_tests::models::*;
use orm_tests::on_all_backends;

fn names(authors: Vec<Author>) -> Vec<String> {
    authors.into_iter().map(|a| a.name).collect()
}

fn publisher_names(publishers: Vec<Publisher>) -> Vec<String> {
    publishers.into_iter().map(|p| p.name).collect()
}

fn book_titles(books: Vec<Book>) -> Vec<String> {
    books.into_iter().map(|b| b.title).collect()
}

#[tokio::test]
async fn filters_through_reverse_many_to_many_and_reverse_foreign_keys() {
    on_all_backends(|db| async move {
        bookshop_with_authors(&db).await?;
        // Authors of a book rated above 4.6 (The Hobbit 4.8, Programming
        // Rust 4.7): Alice, Carol (twice: both books), dave.
        let rows = Author::objects()
            .filter(Author::books.then(Book::rating).gt(4.6))
            .order_by(Author::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(rows), ["Alice", "Carol", "Carol", "dave"]);
        let rows = Author::objects()
            .filter(Author::books.then(Book::rating).gt(4.6))
            .distinct()
            .order_by(Author::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(rows), ["Alice", "Carol", "dave"]);
        // Through a chain: authors published by Penguin (a forward FK after
        // the reverse many-to-many).
        let rows = Author::objects()
            .filter(
                Author::books
                    .then(Book::publisher.then(Publisher::name))
                    .eq("Penguin"),
            )
            .distinct()
            .order_by(Author::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(rows), ["Alice", "Bob", "Carol", "dave"]);
        // Publishers with a book by Carol: reverse FK then many-to-many.
        let pubs: Vec<String> = Publisher::objects()
            .filter(
                Publisher::books
                    .then(Book::authors)
                    .then(Author::name)
                    .eq("Carol"),
            )
            .distinct()
            .order_by(Publisher::name.asc())
            .all(&db)
            .await
            .map(publisher_names)?;
        assert_eq!(pubs, ["O'Reilly", "Penguin"]);
        // OR across a plain column and a relation (LEFT JOIN: a row without
        // related rows is still considered).
        let pubs: Vec<String> = Publisher::objects()
            .filter(
                Publisher::country
                    .isnull(true)
                    .or(Publisher::books.then(Book::rating).gte(4.8)),
            )
            .distinct()
            .order_by(Publisher::name.asc())
            .all(&db)
            .await
            .map(publisher_names)?;
        assert_eq!(pubs, ["Penguin", "Small Press"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn one_filter_call_is_one_related_row_separate_calls_may_be_two() {
    on_all_backends(|db| async move {
        bookshop_with_authors(&db).await?;
        // One book both by Alice and rated below 4.6: Rust in Action (4.5).
        let same = || {
            Publisher::objects().filter(
                Publisher::books
                    .then(Book::rating)
                    .lt(4.6)
                    .and(Publisher::books.then(Book::pages).gt(400)),
            )
        };
        let rows: Vec<String> = same().distinct().all(&db).await.map(publisher_names)?;
        assert_eq!(rows, ["O'Reilly"]);
        // Separate calls: a book rated below 4.6 and a (maybe other) book
        // above 400 pages: Penguin (companion 3.9, Hobbit... 310 pages: no),
        // O'Reilly (Rust in Action both).
        let chained: Vec<String> = Publisher::objects()
            .filter(Publisher::books.then(Book::rating).lt(4.0))
            .filter(Publisher::books.then(Book::pages).gt(300))
            .distinct()
            .order_by(Publisher::name.asc())
            .all(&db)
            .await
            .map(publisher_names)?;
        // Penguin: the companion (3.9) and The Hobbit (310 pages) are two
        // different books; in one call no Penguin book is both.
        assert_eq!(chained, ["Penguin"]);
        let one_call: Vec<String> = Publisher::objects()
            .filter(
                Publisher::books
                    .then(Book::rating)
                    .lt(4.0)
                    .and(Publisher::books.then(Book::pages).gt(300)),
            )
            .distinct()
            .all(&db)
            .await
            .map(publisher_names)?;
        assert!(one_call.is_empty(), "{one_call:?}");
        // Separate joins multiply: Penguin has 2 books, so the chained
        // query without distinct gives one row per (book, book) pair
        // matching each call.
        let pairs = Publisher::objects()
            .filter(Publisher::books.then(Book::rating).lt(4.0))
            .filter(Publisher::books.then(Book::pages).gt(300))
            .count(&db)
            .await?;
        assert_eq!(pairs, 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn exclude_through_a_relation_means_no_related_row_matches() {
    on_all_backends(|db| async move {
        bookshop_with_authors(&db).await?;
        // Authors with no book rated 4.8 or more: Bob (4.5, 3.9), not
        // Alice/Carol/dave (The Hobbit 4.8).
        let rows = Author::objects()
            .exclude(Author::books.then(Book::rating).gte(4.8))
            .order_by(Author::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(rows), ["Bob"]);
        // Publishers none of whose books has an author aged over 45 (Carol
        // 50 wrote for Penguin and O'Reilly): Small Press, which has a book
        // with no authors at all.
        let pubs: Vec<String> = Publisher::objects()
            .exclude(
                Publisher::books
                    .then(Book::authors)
                    .then(Author::age)
                    .gt(45),
            )
            .all(&db)
            .await
            .map(publisher_names)?;
        assert_eq!(pubs, ["Small Press"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn values_and_ordering_through_a_relation() {
    on_all_backends(|db| async move {
        bookshop_with_authors(&db).await?;
        // One row per (author, book); dave's one book, Bob's two.
        let rows: Vec<(String, Option<String>)> = Author::objects()
            .filter(Author::name.eq("Bob").or(Author::name.eq("dave")))
            .values((Author::name, Author::books.then(Book::title)))
            .order_by((Author::name.asc(), Author::books.then(Book::title).asc()))
            .all(&db)
            .await?;
        let got: Vec<(&str, Option<&str>)> = rows
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("Bob", Some("Rust in Action")),
                ("Bob", Some("the hobbit companion")),
                ("dave", Some("The Hobbit")),
            ]
        );
        // A book without authors gives one row with NULL (LEFT JOIN).
        let lonely: Vec<(String, Option<String>)> = Book::objects()
            .filter(Book::pages.eq(120))
            .values((Book::title, Book::authors.then(Author::name)))
            .all(&db)
            .await?;
        assert_eq!(lonely, [("100% Pure_Luck".to_owned(), None)]);
        // Grouped by a related column, counting (author, book) pairs.
        let per_rating: Vec<(Option<f64>, i64)> = Author::objects()
            .values(Author::books.then(Book::rating))
            .annotate(CountAll())
            .order_by(Author::books.then(Book::rating).asc())
            .all(&db)
            .await?;
        assert_eq!(
            per_rating,
            [
                (Some(3.9), 1),
                (Some(4.5), 2),
                (Some(4.7), 1),
                (Some(4.8), 3)
            ]
        );
        // The symmetrical friendship from both ends: Bob's friends, and
        // who counts Bob as a friend.
        let of_bob = Author::objects()
            .filter(Author::friends.then(Author::name).eq("Bob"))
            .all(&db)
            .await?;
        assert_eq!(names(of_bob), ["Alice"]);
        let of_alice = Author::objects()
            .filter(Author::friends.then(Author::name).eq("Alice"))
            .order_by(Author::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(of_alice), ["Bob", "Carol"]);
        let alice = Author::objects()
            .filter(Author::name.eq("Alice"))
            .get(&db)
            .await?;
        let friends = alice
            .related(Author::friends)
            .order_by(Author::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(friends), ["Bob", "Carol"]);
        // A foreign key, then a multi-valued relation: books of the same
        // publisher as a book by dave (The Hobbit: Penguin's two books).
        let siblings: Vec<String> = Book::objects()
            .filter(
                Book::publisher
                    .then(Publisher::books)
                    .then(Book::title)
                    .eq("The Hobbit"),
            )
            .order_by(Book::title.asc())
            .all(&db)
            .await
            .map(book_titles)?;
        assert_eq!(siblings, ["The Hobbit", "the hobbit companion"]);
        // Reverse accessor of one row.
        let penguin = Publisher::objects()
            .filter(Publisher::name.eq("Penguin"))
            .get(&db)
            .await?;
        let titles: Vec<String> = Publisher::books
            .of(&penguin)
            .order_by(Book::title.asc())
            .all(&db)
            .await
            .map(book_titles)?;
        assert_eq!(titles, ["The Hobbit", "the hobbit companion"]);
        // The same from the row, and a many-to-many relation from either end.
        let titles = penguin
            .related(Publisher::books)
            .order_by(Book::title.asc())
            .all(&db)
            .await
            .map(book_titles)?;
        assert_eq!(titles, ["The Hobbit", "the hobbit companion"]);
        let hobbit = Book::objects().filter(Book::pages.eq(310)).get(&db).await?;
        let authors = hobbit
            .related(Book::authors)
            .order_by(Author::name.asc())
            .all(&db)
            .await?;
        assert_eq!(names(authors), ["Alice", "Carol", "dave"]);
        let carol = Author::objects()
            .filter(Author::name.eq("Carol"))
            .get(&db)
            .await?;
        let titles = carol
            .related(Author::books)
            .order_by(Book::title.asc())
            .all(&db)
            .await
            .map(book_titles)?;
        assert_eq!(titles, ["Programming Rust", "The Hobbit"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn outer_refs_through_paths_and_functions_and_prefetch_from_the_reverse_side() {
    on_all_backends(|db| async move {
        bookshop_with_authors(&db).await?;
        // For each book, the books of a publisher with the same name
        // (an outer reference through a foreign-key path).
        let same_publisher = subquery_count(Book::correlated(|b| {
            Book::objects().filter(
                Book::publisher
                    .then(Publisher::name)
                    .eq(b.col(Book::publisher.then(Publisher::name))),
            )
        }));
        let rows: Vec<(Book, i64)> = Book::objects()
            .annotate(same_publisher)
            .order_by(Book::pages.asc())
            .all(&db)
            .await?;
        let got: Vec<(i32, i64)> = rows.iter().map(|(b, n)| (b.pages, *n)).collect();
        assert_eq!(got, [(120, 1), (200, 2), (310, 2), (456, 2), (738, 2)]);

        // A function of an outer column: books of the same year.
        let same_year = subquery_count(Book::correlated(|b| {
            Book::objects().filter(ExtractYear(Book::published).eq(ExtractYear(b.published)))
        }));
        let rows: Vec<(Book, i64)> = Book::objects()
            .annotate(same_year)
            .order_by(Book::pages.asc())
            .all(&db)
            .await?;
        let got: Vec<(i32, i64)> = rows.iter().map(|(b, n)| (b.pages, *n)).collect();
        assert_eq!(got, [(120, 1), (200, 1), (310, 1), (456, 2), (738, 2)]);

        // An outer reference through a multi-valued relation: the outer query
        // joins it, one row per (publisher, book); for each, the books
        // rated higher than that book.
        let mut higher: Vec<(String, i64)> = Publisher::objects()
            .values((
                Publisher::name,
                subquery_count(Publisher::correlated(|p| {
                    Book::objects()
                        .filter(Book::rating.gt(p.col(Publisher::books.then(Book::rating))))
                })),
            ))
            .all(&db)
            .await?;
        higher.sort();
        let want: Vec<(String, i64)> = [
            ("O'Reilly", 1),
            ("O'Reilly", 2),
            ("Penguin", 0),
            ("Penguin", 3),
            ("Small Press", 4),
        ]
        .iter()
        .map(|(n, c)| ((*n).to_owned(), *c))
        .collect();
        assert_eq!(higher, want);

        // Prefetch from the reverse many-to-many handle: two queries.
        let authors = assert_num_queries(
            2,
            Author::objects()
                .order_by(Author::name.asc())
                .prefetch(Author::books.prefetch())
                .all(&db),
        )
        .await?;
        let got: Vec<(String, Vec<String>)> = authors
            .into_iter()
            .map(|(a, books)| {
                let mut titles: Vec<String> = books.into_iter().map(|b| b.title).collect();
                titles.sort();
                (a.name, titles)
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Alice".to_owned(),
                    vec!["Rust in Action".to_owned(), "The Hobbit".to_owned()]
                ),
                (
                    "Bob".to_owned(),
                    vec![
                        "Rust in Action".to_owned(),
                        "the hobbit companion".to_owned()
                    ]
                ),
                (
                    "Carol".to_owned(),
                    vec!["Programming Rust".to_owned(), "The Hobbit".to_owned()]
                ),
                ("dave".to_owned(), vec!["The Hobbit".to_owned()]),
            ]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn filter_before_annotate_restricts_the_aggregate_after_does_not() {
    on_all_backends(|db| async move {
        bookshop_with_authors(&db).await?;
        let rated = || Publisher::books.then(Book::rating).gt(4.0);
        // Django's documented example: the filter first restricts the count
        // to the books it kept (O'Reilly 4.5 and 4.7, Penguin 4.8 only).
        let before: Vec<(String, i64)> = Publisher::objects()
            .filter(rated())
            .annotate(Count(Publisher::books))
            .order_by(Publisher::name.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|(p, n)| (p.name, n))
            .collect();
        assert_eq!(
            before,
            [("O'Reilly".to_owned(), 2), ("Penguin".to_owned(), 1)]
        );
        // Annotated first: the filter picks the publishers, the count is of
        // all their books, and each publisher appears once.
        let after: Vec<(String, i64)> = Publisher::objects()
            .annotate(Count(Publisher::books))
            .filter(rated())
            .order_by(Publisher::name.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|(p, n)| (p.name, n))
            .collect();
        assert_eq!(
            after,
            [("O'Reilly".to_owned(), 2), ("Penguin".to_owned(), 2)]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn outer_ref_to_an_annotation_of_the_outer_query() {
    on_all_backends(|db| async move {
        orm_tests::fixtures::playlists(&db).await?;
        let total = Listener::playlists_total_length;
        // The annotation is a plain expression (the listener's key + 1), so
        // the subquery reads it through outer references: the playlists of
        // this listener or an earlier one (ann 2, bob 3, cid 3).
        let rows: Vec<(String, i64)> = Listener::objects()
            .annotate_into(total, Listener::id + 1)
            .values((
                Listener::name,
                subquery_count(Listener::correlated(|l| {
                    Playlist::objects().filter(Playlist::user.plain().lt(l.playlists_total_length))
                })),
            ))
            .order_by(Listener::name.asc())
            .all(&db)
            .await?;
        let want: Vec<(String, i64)> = [("ann", 2), ("bob", 3), ("cid", 3)]
            .iter()
            .map(|(n, c)| ((*n).to_owned(), *c))
            .collect();
        assert_eq!(rows, want);
        // An aggregate annotation cannot move into a subquery: a typed error
        // naming it, before anything runs.
        let err = Listener::objects()
            .annotate_into(total, Count(Listener::playlists))
            .values((
                Listener::name,
                subquery_count(Listener::correlated(|l| {
                    Playlist::objects().filter(Playlist::user.plain().lt(l.playlists_total_length))
                })),
            ))
            .all(&db)
            .await
            .expect_err("aggregate annotation in a subquery");
        assert!(
            matches!(&err, Error::Render { feature, .. } if feature.contains("outer reference to annotation")),
            "{err:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn delete_excluding_through_a_relation_of_the_written_table() {
    on_all_backends(|db| async move {
        orm_tests::fixtures::bookshop(&db).await?;
        // Delete the authors none of whose mentees is over 30: all but
        // Alice (mentor of Bob, 35). The subquery reads the table being
        // written, which MySQL accepts only through a derived table.
        let deleted = Author::objects()
            .exclude(Author::mentees.then(Author::age).gt(30))
            .delete(&db)
            .await?;
        assert_eq!(deleted, 3);
        let left = Author::objects().all(&db).await?;
        assert_eq!(names(left), ["Alice"]);
        Ok(())
    })
    .await;
}

/// From a nullable foreign key on through a relation of its target: the
/// authors whose mentor is a friend of Carol (Bob: mentor Alice), and each
/// author with the friends of their mentor (LEFT JOINs: an author without
/// a mentor has one row with None).
#[tokio::test]
async fn a_path_from_a_nullable_foreign_key_through_a_relation() {
    on_all_backends(|db| async move {
        bookshop_with_authors(&db).await?;
        let mentor_friend = || Author::mentor.then(Author::friends).then(Author::name);
        let names: Vec<String> = Author::objects()
            .filter(mentor_friend().eq("Carol"))
            .values(Author::name)
            .all(&db)
            .await?;
        assert_eq!(names, ["Bob"]);
        let mut rows: Vec<(String, Option<String>)> = Author::objects()
            .values((Author::name, mentor_friend()))
            .all(&db)
            .await?;
        rows.sort();
        let want: Vec<(String, Option<String>)> = [
            ("Alice", None),
            ("Bob", Some("Bob")),
            ("Bob", Some("Carol")),
            ("Carol", None),
            ("dave", Some("Alice")),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), b.map(str::to_owned)))
        .collect();
        assert_eq!(rows, want);
        Ok(())
    })
    .await;
}
