//! Writes on every backend: insert returning keys, save, delete with
//! on-delete rules, refresh, and classified constraint violations that
//! leave the database unchanged.

use chrono::NaiveDate;
use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, dec};
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};
use uuid::Uuid;

fn book(title: &str, publisher: i64, pages: i32) -> Book {
    Book {
        id: 0,
        title: title.into(),
        publisher: ForeignKey::new(publisher),
        pages,
        chapters: 1,
        rating: 4.0,
        price: dec("10.00"),
        published: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        authors: ManyToMany::default(),
    }
}

#[tokio::test]
async fn insert_assigns_keys_save_updates_and_refresh_reloads() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let mut a = Publisher {
            id: 0,
            name: "A".into(),
            country: None,
        };
        a.insert(&db).await?;
        let b = Publisher::objects()
            .create(
                &db,
                Publisher {
                    id: 0,
                    name: "B".into(),
                    country: Some("FR".into()),
                },
            )
            .await?;
        assert!(a.id > 0);
        assert_eq!(b.id, a.id + 1);

        a.country = Some("DE".into());
        a.name = "A2".into();
        a.save(&db).await?;
        let stored = Publisher::objects()
            .filter(Publisher::id.eq(a.id))
            .get(&db)
            .await?;
        assert_eq!(stored, a);

        let mut stale = stored.clone();
        Publisher {
            country: None,
            ..stored.clone()
        }
        .save(&db)
        .await?;
        stale.refresh(&db).await?;
        assert_eq!(stale.country, None);

        let ghost = Publisher {
            id: 9_999,
            name: "ghost".into(),
            country: None,
        };
        assert!(matches!(
            ghost.save(&db).await,
            Err(Error::NotFound { model: "Publisher" })
        ));
        let mut ghost2 = ghost.clone();
        assert!(ghost2.refresh(&db).await.is_err_and(|e| e.is_not_found()));

        assert_eq!(b.delete(&db).await?, 1);
        assert_eq!(b.delete(&db).await?, 0);
        assert_eq!(Publisher::objects().count(&db).await?, 1);

        // A key the application chooses.
        let id = Uuid::new_v4();
        let ticket = Ticket::objects()
            .create(
                &db,
                Ticket {
                    id,
                    title: "first".into(),
                },
            )
            .await?;
        assert_eq!(ticket.id, id);
        let mut got = Ticket::objects().filter(Ticket::id.eq(id)).get(&db).await?;
        assert_eq!(got.title, "first");
        got.title = "renamed".into();
        got.save(&db).await?;
        assert_eq!(Ticket::objects().get(&db).await?.title, "renamed");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn on_delete_rules_cascade_set_null_and_restrict() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        // CASCADE: O'Reilly's two books go with it.
        shop.publishers[1].delete(&db).await?;
        assert_eq!(Book::objects().count(&db).await?, 3);
        assert_eq!(
            Book::objects()
                .filter(Book::title.contains("Rust"))
                .count(&db)
                .await?,
            0
        );

        // SET NULL: Bob's mentor was Alice.
        shop.authors[0].delete(&db).await?;
        let bob = Author::objects()
            .filter(Author::name.eq("Bob"))
            .get(&db)
            .await?;
        assert_eq!(bob.mentor, None);
        let dave = Author::objects()
            .filter(Author::name.eq("dave"))
            .get(&db)
            .await?;
        assert_eq!(dave.mentor.as_ref().map(|m| *m.id()), Some(bob.id));

        // RESTRICT: a book on loan cannot be deleted, and nothing changes.
        let hobbit = &shop.books[2];
        Loan::objects()
            .create(
                &db,
                Loan {
                    id: 0,
                    book: ForeignKey::new(hobbit.id),
                    borrower: "Eve".into(),
                },
            )
            .await?;
        let err = hobbit
            .delete(&db)
            .await
            .expect_err("restricted delete must fail");
        assert_eq!(
            err.constraint_kind(),
            Some(ConstraintKind::ForeignKey),
            "{err}"
        );
        assert!(
            Book::objects()
                .filter(Book::id.eq(hobbit.id))
                .exists(&db)
                .await?
        );
        // Deleting the publisher would cascade into the restricted book: refused as a whole.
        let err = shop.publishers[0]
            .delete(&db)
            .await
            .expect_err("cascade into a restricted row must fail");
        assert_eq!(
            err.constraint_kind(),
            Some(ConstraintKind::ForeignKey),
            "{err}"
        );
        assert_eq!(Book::objects().count(&db).await?, 3);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn constraint_violations_are_classified_and_change_nothing() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let before = Book::objects().count(&db).await?;

        let dup = Publisher::objects()
            .create(
                &db,
                Publisher {
                    id: 0,
                    name: "Penguin".into(),
                    country: None,
                },
            )
            .await;
        let err = dup.expect_err("duplicate name");
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
        assert!(
            err.to_string().to_lowercase().contains("unique")
                || err.to_string().contains("Duplicate"),
            "{err}"
        );

        let same_title = Book::objects()
            .create(&db, book("The Hobbit", shop.publishers[0].id, 10))
            .await;
        assert_eq!(
            same_title.expect_err("unique_together").constraint_kind(),
            Some(ConstraintKind::Unique)
        );

        let orphan = Book::objects().create(&db, book("Orphan", 9_999, 10)).await;
        assert_eq!(
            orphan.expect_err("missing publisher").constraint_kind(),
            Some(ConstraintKind::ForeignKey)
        );

        let negative = Book::objects()
            .create(&db, book("Negative", shop.publishers[0].id, -1))
            .await;
        assert_eq!(
            negative.expect_err("min_value").constraint_kind(),
            Some(ConstraintKind::Check)
        );

        let null = db
            .execute_raw("INSERT INTO publisher (name) VALUES (NULL)")
            .await;
        assert_eq!(
            null.expect_err("NOT NULL").constraint_kind(),
            Some(ConstraintKind::NotNull)
        );

        assert_eq!(Book::objects().count(&db).await?, before);
        assert_eq!(Publisher::objects().count(&db).await?, 3);

        // Inside a transaction, a violation rolls back everything the transaction did.
        let out = db
            .transaction(|tx| async move {
                Publisher::objects()
                    .create(
                        &tx,
                        Publisher {
                            id: 0,
                            name: "Fresh".into(),
                            country: None,
                        },
                    )
                    .await?;
                Publisher::objects()
                    .create(
                        &tx,
                        Publisher {
                            id: 0,
                            name: "Penguin".into(),
                            country: None,
                        },
                    )
                    .await?;
                Ok::<_, Error>(())
            })
            .await;
        assert_eq!(
            out.expect_err("second insert fails").constraint_kind(),
            Some(ConstraintKind::Unique)
        );
        assert!(
            !Publisher::objects()
                .filter(Publisher::name.eq("Fresh"))
                .exists(&db)
                .await?
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn many_to_many_add_remove_set_clear() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let [alice, bob, carol, dave] = [0, 1, 2, 3].map(|i| shop.authors[i].clone());
        let rust = &shop.books[1];
        let authors = Book::authors.of(rust);
        let names = |v: Vec<Author>| {
            let mut n: Vec<String> = v.into_iter().map(|a| a.name).collect();
            n.sort();
            n
        };

        assert_eq!(authors.add(&db, [&alice, &bob]).await?, 2);
        assert_eq!(
            authors.add(&db, [&bob, &carol]).await?,
            1,
            "bob is already there"
        );
        assert_eq!(names(authors.all(&db).await?), ["Alice", "Bob", "Carol"]);
        assert_eq!(
            authors
                .queryset()
                .filter(Author::age.gt(38))
                .count(&db)
                .await?,
            2
        );

        assert_eq!(authors.remove(&db, [&bob, &dave]).await?, 1);
        assert_eq!(names(authors.all(&db).await?), ["Alice", "Carol"]);

        authors.set(&db, [&carol, &dave]).await?;
        assert_eq!(names(authors.all(&db).await?), ["Carol", "dave"]);
        // Other books are untouched.
        Book::authors.of(&shop.books[0]).add(&db, [&alice]).await?;
        assert_eq!(authors.clear(&db).await?, 2);
        assert!(authors.all(&db).await?.is_empty());
        assert_eq!(
            names(Book::authors.of(&shop.books[0]).all(&db).await?),
            ["Alice"]
        );

        // Deleting a book removes its join rows (cascade), not the authors.
        shop.books[0].delete(&db).await?;
        assert_eq!(Author::objects().count(&db).await?, 4);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn symmetrical_friendships_go_both_ways() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let [alice, bob, carol, _] = [0, 1, 2, 3].map(|i| shop.authors[i].clone());
        let friends_of = |a: &Author| Author::friends.of(a);
        let names = |v: Vec<Author>| {
            let mut n: Vec<String> = v.into_iter().map(|a| a.name).collect();
            n.sort();
            n
        };
        assert_eq!(
            friends_of(&alice).add(&db, [&bob, &carol]).await?,
            4,
            "two rows per friendship"
        );
        assert_eq!(names(friends_of(&bob).all(&db).await?), ["Alice"]);
        assert_eq!(names(friends_of(&alice).all(&db).await?), ["Bob", "Carol"]);
        assert_eq!(friends_of(&bob).add(&db, [&alice]).await?, 0);

        assert_eq!(friends_of(&carol).remove(&db, [&alice]).await?, 2);
        assert_eq!(names(friends_of(&alice).all(&db).await?), ["Bob"]);
        assert!(friends_of(&carol).all(&db).await?.is_empty());

        friends_of(&carol).set(&db, [&alice, &bob]).await?;
        assert_eq!(names(friends_of(&bob).all(&db).await?), ["Alice", "Carol"]);
        friends_of(&alice).clear(&db).await?;
        assert_eq!(names(friends_of(&bob).all(&db).await?), ["Carol"]);
        assert_eq!(names(friends_of(&carol).all(&db).await?), ["Bob"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn explicit_through_model() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        let chess = Club::objects()
            .create(
                &db,
                Club {
                    id: 0,
                    name: "Chess".into(),
                    members: ManyToMany::default(),
                },
            )
            .await?;
        let ann = Person::objects()
            .create(
                &db,
                Person {
                    id: 0,
                    name: "Ann".into(),
                },
            )
            .await?;
        let ben = Person::objects()
            .create(
                &db,
                Person {
                    id: 0,
                    name: "Ben".into(),
                },
            )
            .await?;
        Club::members.of(&chess).add(&db, [&ann, &ben]).await?;
        let memberships = Membership::objects()
            .order_by(Membership::person.asc())
            .all(&db)
            .await?;
        assert_eq!(memberships.len(), 2);
        assert!(
            memberships
                .iter()
                .all(|m| m.role == "member" && *m.club.id() == chess.id)
        );
        // Through rows are ordinary models: promote Ben.
        let mut ben_row = Membership::objects()
            .filter(Membership::person.eq(&ben))
            .get(&db)
            .await?;
        ben_row.role = "captain".into();
        ben_row.save(&db).await?;
        let captains = Person::objects()
            .filter(
                Person::id.is_in(
                    Membership::objects()
                        .filter(Membership::role.eq("captain"))
                        .all(&db)
                        .await?
                        .iter()
                        .map(|m| *m.person.id()),
                ),
            )
            .all(&db)
            .await?;
        assert_eq!(captains, vec![ben.clone()]);
        Club::members.of(&chess).remove(&db, [&ann]).await?;
        assert_eq!(Club::members.of(&chess).all(&db).await?, vec![ben]);
        Ok(())
    })
    .await;
}
