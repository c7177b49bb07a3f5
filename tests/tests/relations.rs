//! select_related, prefetch and loading relations on demand, on every
//! backend, with query counts asserted.

use orm_runtime::observe::{assert_num_queries, capture};
use orm_runtime::prelude::*;
use orm_tests::fixtures::{blog, bookshop};
use orm_tests::models::*;
use orm_tests::on_all_backends;

#[tokio::test]
async fn select_related_loads_chains_in_one_query() {
    on_all_backends(|db| async move {
        blog(&db, 4).await?;
        let comments = assert_num_queries(
            1,
            Comment::objects()
                .select_related(Comment::post.then(Post::author))
                .select_related(Comment::post.then(Post::category))
                .order_by(Comment::id.asc())
                .all(&db),
        )
        .await?;
        assert_eq!(comments.len(), 24);
        // Read without a query: the post, its author and its (nullable) category.
        let ((), queries) = capture(async {
            for c in &comments {
                let post = c.post.get().expect("post loaded");
                let author = post.author.get().expect("author loaded");
                assert!(post.title.starts_with(&author.name));
                let category = post
                    .category
                    .as_ref()
                    .map(|k| k.get().map(|c| c.name.clone()));
                let writer_index: usize = author.name[1..].parse().unwrap_or(0);
                if writer_index.is_multiple_of(2) {
                    assert_eq!(category.expect("has a category").expect("loaded"), "rust");
                } else {
                    assert!(category.is_none());
                }
            }
        })
        .await;
        assert!(queries.is_empty());

        // Not selected: a typed error, never a silent query; fetch() loads it (one query).
        let mut plain = Comment::objects()
            .order_by(Comment::id.asc())
            .first(&db)
            .await?
            .expect("a comment");
        let err = plain.post.get().expect_err("not loaded");
        assert_eq!(
            err.to_string(),
            "Post 1 (Comment.post) was not loaded: use select_related(Comment::post) on the \
             query, or fetch(&db) (one more query)"
        );
        let (title, queries) =
            capture(async { plain.post.fetch(&db).await.map(|p| p.title.clone()) }).await;
        assert_eq!((title?, queries.len()), ("w0000-p1".to_owned(), 1));
        assert!(plain.post.get().is_ok());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn prefetching_posts_and_comments_for_1000_writers_runs_3_queries() {
    on_all_backends(|db| async move {
        blog(&db, 1000).await?;
        let writers = assert_num_queries(
            3,
            Writer::objects()
                .order_by(Writer::id.asc())
                .prefetch(
                    Writer::posts.prefetch().nested(
                        Post::comments
                            .prefetch()
                            .queryset(Comment::objects().order_by(Comment::id.asc())),
                    ),
                )
                .all(&db),
        )
        .await?;
        assert_eq!(writers.len(), 1000);
        for (w, posts) in &writers {
            assert_eq!(posts.len(), 3, "{}", w.name);
            for (p, comments) in posts {
                assert_eq!(p.author.id(), &w.id);
                let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
                assert_eq!(
                    bodies,
                    [format!("{}-c0", p.title), format!("{}-c1", p.title)]
                );
            }
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn prefetch_with_a_custom_queryset_and_a_per_parent_limit() {
    on_all_backends(|db| async move {
        blog(&db, 3).await?;
        // Only published posts, newest first (Django's Prefetch(queryset=..)).
        let published = Writer::posts.prefetch().queryset(
            Post::objects()
                .filter(Post::published.eq(true))
                .order_by(Post::created.desc()),
        );
        let rows = Writer::objects()
            .order_by(Writer::id.asc())
            .prefetch(published)
            .all(&db)
            .await?;
        let titles: Vec<Vec<&str>> = rows
            .iter()
            .map(|(_, ps)| ps.iter().map(|p| p.title.as_str()).collect())
            .collect();
        assert_eq!(titles[0], ["w0000-p2", "w0000-p1"]);
        assert!(titles.iter().all(|t| t.len() == 2));

        // The newest post of each writer, and two relations at once.
        let newest = Writer::posts
            .prefetch()
            .queryset(Post::objects().order_by(Post::created.desc()))
            .limit_per_parent(1);
        let (rows, queries) = capture(
            Writer::objects()
                .order_by(Writer::id.asc())
                .prefetch((newest, Writer::posts.prefetch()))
                .all(&db),
        )
        .await;
        let rows = rows?;
        assert_eq!(queries.len(), 3);
        for (w, (newest, all)) in &rows {
            assert_eq!(
                newest.iter().map(|p| p.created).collect::<Vec<_>>(),
                [3],
                "{}",
                w.name
            );
            assert_eq!(all.len(), 3);
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn prefetch_many_to_many() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let [alice, bob, carol, _] = [0, 1, 2, 3].map(|i| shop.authors[i].clone());
        Book::authors
            .of(&shop.books[0])
            .add(&db, [&alice, &bob])
            .await?;
        Book::authors
            .of(&shop.books[1])
            .add(&db, [&bob, &carol])
            .await?;
        let books = assert_num_queries(
            2,
            Book::objects()
                .order_by(Book::id.asc())
                .prefetch(
                    Book::authors
                        .prefetch()
                        .queryset(Author::objects().order_by(Author::name.asc())),
                )
                .all(&db),
        )
        .await?;
        let names: Vec<Vec<&str>> = books
            .iter()
            .map(|(_, a)| a.iter().map(|x| x.name.as_str()).collect())
            .collect();
        assert_eq!(
            names,
            [
                vec!["Alice", "Bob"],
                vec!["Bob", "Carol"],
                vec![],
                vec![],
                vec![]
            ]
        );
        // Symmetrical friendships prefetch both ways.
        Author::friends.of(&alice).add(&db, [&carol]).await?;
        let friends = Author::objects()
            .order_by(Author::name.asc())
            .prefetch(Author::friends.prefetch())
            .all(&db)
            .await?;
        let counts: Vec<usize> = friends.iter().map(|(_, f)| f.len()).collect();
        assert_eq!(counts, [1, 0, 1, 0]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn defer_and_only_leave_out_deferred_fields_with_a_typed_guard() {
    on_all_backends(|db| async move {
        blog(&db, 1).await?;
        let full = Post::objects()
            .order_by(Post::id.asc())
            .first(&db)
            .await?
            .expect("a post");
        assert_eq!(full.body.get().map(String::as_str), Ok("body of w0000-p1"));

        let light = Post::objects()
            .defer(Post::body)
            .order_by(Post::id.asc())
            .all(&db)
            .await?;
        assert_eq!(light.len(), 3);
        assert_eq!(light[0].title, "w0000-p1");
        let err = light[0].body.get().expect_err("left out");
        assert!(err.to_string().contains("not loaded"), "{err}");
        let only = Post::objects()
            .only((Post::id, Post::title))
            .order_by(Post::id.asc())
            .all(&db)
            .await?;
        assert!(
            only.iter()
                .all(|p| p.body.get().is_err() && !p.title.is_empty())
        );
        let sql = Post::objects().defer(Post::body).to_sql(db.dialect())?;
        assert!(
            !sql.sql.contains("\"body\"") && !sql.sql.contains("`body`"),
            "{}",
            sql.sql
        );

        // Saving a row loaded without the field keeps the stored value.
        let mut p = light[0].clone();
        p.title = "renamed".into();
        p.save(&db).await?;
        let again = Post::objects().filter(Post::id.eq(p.id)).get(&db).await?;
        assert_eq!(
            (again.title.as_str(), again.body.get().map(String::as_str)),
            ("renamed", Ok("body of w0000-p1"))
        );
        // Inserting it is refused rather than writing NULL.
        let err = Post::objects()
            .create(&db, Post { id: 0, ..p })
            .await
            .expect_err("body not loaded");
        assert!(matches!(err, Error::Usage(_)), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn nested_prefetch_gives_every_copy_of_a_shared_row_its_children() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let [alice, bob] = [shop.authors[0].clone(), shop.authors[1].clone()];
        Book::authors
            .of(&shop.books[0])
            .add(&db, [&alice, &bob])
            .await?;
        Book::authors.of(&shop.books[1]).add(&db, [&bob]).await?;
        let rows = Book::objects()
            .filter(Book::id.is_in([shop.books[0].id, shop.books[1].id]))
            .order_by(Book::id.asc())
            .prefetch(
                Book::authors
                    .prefetch()
                    .queryset(Author::objects().order_by(Author::name.asc()))
                    .nested(Author::mentees.prefetch()),
            )
            .all(&db)
            .await?;
        let shape: Vec<Vec<(&str, Vec<&str>)>> = rows
            .iter()
            .map(|(_, authors)| {
                authors
                    .iter()
                    .map(|(a, m)| (a.name.as_str(), m.iter().map(|x| x.name.as_str()).collect()))
                    .collect()
            })
            .collect();
        assert_eq!(
            shape,
            [
                vec![("Alice", vec!["Bob"]), ("Bob", vec!["dave"])],
                vec![("Bob", vec!["dave"])]
            ]
        );
        Ok(())
    })
    .await;
}

/// A model whose deferrable field is nullable: a NULL stored and a field
/// left out must read differently.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Memo {
    #[orm(primary_key)]
    id: i64,
    #[orm(max_length = 20)]
    title: String,
    summary: Deferred<Option<String>>,
}

#[tokio::test]
async fn a_nullable_deferred_field_left_out_is_not_loaded_and_a_stored_null_is_loaded() {
    on_all_backends(|db| async move {
        db.create_tables(&[Memo::META]).await?;
        for (title, summary) in [("empty", None), ("full", Some("kept".to_owned()))] {
            let memo = Memo {
                id: 0,
                title: title.into(),
                summary: Deferred::from(summary),
            };
            Memo::objects().create(&db, memo).await?;
        }
        let all = || Memo::objects().order_by(Memo::id.asc());
        let summaries = |rows: Vec<Memo>| rows.into_iter().map(|m| m.summary).collect::<Vec<_>>();
        assert_eq!(
            summaries(all().all(&db).await?),
            [
                Deferred::Loaded(None),
                Deferred::Loaded(Some("kept".to_owned()))
            ]
        );
        assert_eq!(
            summaries(all().defer(Memo::summary).all(&db).await?),
            [Deferred::not_loaded(), Deferred::not_loaded()]
        );
        assert_eq!(
            summaries(all().only((Memo::id, Memo::title)).all(&db).await?),
            [Deferred::not_loaded(), Deferred::not_loaded()]
        );
        // With an annotation after the model's columns.
        let (memo, n) = all()
            .defer(Memo::summary)
            .annotate(Length(Memo::title))
            .first(&db)
            .await?
            .expect("a memo");
        assert_eq!((memo.summary, n), (Deferred::not_loaded(), 5));

        // Saving a row loaded without the field keeps what is stored.
        let mut full = all().defer(Memo::summary).last(&db).await?.expect("a memo");
        full.title = "renamed".into();
        full.save(&db).await?;
        let again = Memo::objects()
            .filter(Memo::id.eq(full.id))
            .get(&db)
            .await?;
        assert_eq!(again.summary, Deferred::Loaded(Some("kept".to_owned())));

        // A raw query without the column leaves it out too; with it, NULL is a value.
        let raw: Vec<Memo> = orm_runtime::raw("SELECT id, title FROM memo ORDER BY id")
            .fetch_models(&db)
            .await?;
        assert_eq!(
            summaries(raw),
            [Deferred::not_loaded(), Deferred::not_loaded()]
        );
        let raw: Vec<Memo> = orm_runtime::raw("SELECT id, title, summary FROM memo ORDER BY id")
            .fetch_models(&db)
            .await?;
        assert_eq!(
            summaries(raw),
            [
                Deferred::Loaded(None),
                Deferred::Loaded(Some("kept".to_owned()))
            ]
        );
        Ok(())
    })
    .await;
}
