//! Reading a value that was not loaded names the model field it belongs
//! to: a deferred field left out by `defer()`/`only()`, and a foreign key
//! whose row was not selected (at the top level and inside rows loaded by
//! `select_related`). Values built in code have no field to name.

use orm_runtime::field::{FieldName, NotLoaded};
use orm_runtime::prelude::*;
use orm_tests::fixtures::blog;
use orm_tests::models::*;
use orm_tests::on_all_backends;

const BODY: FieldName = FieldName {
    model: "Post",
    field: "body",
};

fn deferred_message(field: &str) -> String {
    format!(
        "{field} was not loaded: the query left it out (defer()/only()); select it, or refresh(&db) the row"
    )
}

fn relation_message(target: &str, key: i64, field: &str, handle: &str) -> String {
    format!(
        "{target} {key} ({field}) was not loaded: use select_related({handle}) on the query, or fetch(&db) (one more query)"
    )
}

#[tokio::test]
async fn a_deferred_field_left_out_names_its_model_and_field() {
    on_all_backends(|db| async move {
        blog(&db, 1).await?;
        let first = |qs: PostQuerySet| async { qs.order_by(Post::id.asc()).first(&db).await };
        for post in [
            first(Post::objects().defer(Post::body)).await?,
            first(Post::objects().only((Post::id, Post::title))).await?,
        ] {
            let Some(post) = post else {
                panic!("no post");
            };
            let err = post.body.get().expect_err("left out");
            assert_eq!(err, NotLoaded::Deferred { field: Some(BODY) });
            assert_eq!(err.to_string(), deferred_message("Post.body"));
            // Through `?` it is the crate's error, with the same message.
            let read = || -> Result<usize, Error> { Ok(post.body.get()?.len()) };
            let err = read().expect_err("left out");
            assert!(matches!(&err, Error::NotLoaded(e) if e.field() == Some(BODY)));
            assert_eq!(err.to_string(), deferred_message("Post.body"));
            // A copy keeps the name; the name does not make values differ.
            let copy = post.clone();
            assert_eq!(format!("{:?}", copy.body), "NotLoaded(Post.body)");
            assert_eq!(copy.body, Deferred::not_loaded());
            assert!(matches!(copy.body, Deferred::NotLoaded(_)));
        }
        // Loaded, it reads as the value.
        let full = Post::objects().order_by(Post::id.asc()).first(&db).await?;
        assert_eq!(
            full.map(|p| p.body.get().cloned()),
            Some(Ok("body of w0000-p1".to_owned()))
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_foreign_key_not_loaded_names_its_model_and_field() {
    on_all_backends(|db| async move {
        blog(&db, 1).await?;
        let comment = Comment::objects()
            .order_by(Comment::id.asc())
            .first(&db)
            .await?
            .expect("a comment");
        let err = comment.post.get().expect_err("not selected");
        let post_id = *comment.post.id();
        assert_eq!(
            err.to_string(),
            relation_message("Post", post_id, "Comment.post", "Comment::post")
        );
        assert_eq!(
            err.field(),
            Some(FieldName {
                model: "Comment",
                field: "post"
            })
        );

        // One level loaded: the keys of the loaded row name their fields too,
        // a nullable one included.
        let comment = Comment::objects()
            .select_related(Comment::post)
            .order_by(Comment::id.asc())
            .first(&db)
            .await?
            .expect("a comment");
        let post = comment.post.get()?;
        assert_eq!(
            post.author.get().map_err(|e| e.to_string()),
            Err(relation_message(
                "Writer",
                *post.author.id(),
                "Post.author",
                "Post::author"
            ))
        );
        let category = post
            .category
            .as_ref()
            .expect("the first post has a category");
        assert_eq!(
            category.get().map_err(|e| e.to_string()),
            Err(relation_message(
                "Category",
                *category.id(),
                "Post.category",
                "Post::category"
            ))
        );
        Ok(())
    })
    .await;
}

#[test]
fn values_built_in_code_have_no_field_to_name() {
    let key: ForeignKey<Post> = ForeignKey::new(7);
    let err = key.get().expect_err("never loaded");
    assert_eq!(err.field(), None);
    assert_eq!(
        err.to_string(),
        "Post 7 was not loaded: use select_related() on the query, or fetch(&db) (one more query)"
    );
    let body: Deferred<String> = Deferred::default();
    assert_eq!(format!("{body:?}"), "NotLoaded(unnamed)");
    assert_eq!(
        body.get().map_err(|e| e.to_string()),
        Err(
            "a Deferred field was not loaded: it holds Deferred::NotLoaded, built in code rather than read from a query"
                .to_owned()
        )
    );
}
