//! Keys carry their model: a foreign key to `Publisher` and `Publisher`'s own
//! primary key take every form of a publisher key (a row, a `ForeignKey`, a
//! `Key`, a plain value, a key column, an outer reference, a subquery), each giving
//! the same rows; results of keys stay plain key values.

use orm_runtime::prelude::*;
use orm_tests::fixtures::{bookshop, sorted, titles};
use orm_tests::models::{Book, Loan, Publisher};
use orm_tests::on_all_backends;

async fn books_where(db: &Db, q: Q<Book>) -> Result<Vec<String>, Error> {
    Ok(titles(&Book::objects().filter(q).all(db).await?))
}

#[tokio::test]
async fn a_foreign_key_takes_every_form_of_its_targets_key() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let penguin = &shop.publishers[0];
        let hobbit = &shop.books[2];
        assert_eq!(hobbit.title, "The Hobbit");
        let penguin_ids = || {
            Publisher::objects()
                .filter(Publisher::name.eq("Penguin"))
                .values(Publisher::id)
        };
        let forms: Vec<(&str, Q<Book>)> = vec![
            ("&Publisher", Book::publisher.eq(penguin)),
            ("ForeignKey", Book::publisher.eq(hobbit.publisher.clone())),
            ("&ForeignKey", Book::publisher.eq(&hobbit.publisher)),
            (
                "Key::new",
                Book::publisher.eq(Key::<Publisher>::new(penguin.id)),
            ),
            ("Key::from", Book::publisher.eq(Key::from(penguin))),
            ("plain value", Book::publisher.eq(penguin.id)),
            ("is_in rows", Book::publisher.is_in([penguin])),
            ("in_query", Book::publisher.in_query(penguin_ids())),
            ("subquery", Book::publisher.eq(penguin_ids().subquery())),
            // The referenced primary key column, reached through the key.
            (
                "path to pk",
                Book::publisher.then(Publisher::id).eq(penguin),
            ),
            (
                "path to pk, ForeignKey",
                Book::publisher.then(Publisher::id).eq(&hobbit.publisher),
            ),
            // Another ForeignKey<Publisher> column: the outer book's.
            (
                "outer reference to a foreign key",
                Exists(Book::correlated(|b| {
                    Book::objects()
                        .filter(Book::publisher.eq(b.publisher))
                        .filter(Book::title.eq("The Hobbit"))
                })),
            ),
        ];
        let want = sorted(&["The Hobbit", "the hobbit companion"]);
        for (form, q) in forms {
            assert_eq!(books_where(&db, q).await?, want, "{form}");
        }

        // The outer publisher's key (`p.id`): the publishers of The Hobbit.
        let names: Vec<String> = Publisher::objects()
            .filter(Exists(Publisher::correlated(|p| {
                Book::objects()
                    .filter(Book::publisher.eq(p.id))
                    .filter(Book::title.eq("The Hobbit"))
            })))
            .values(Publisher::name)
            .all(&db)
            .await?;
        assert_eq!(names, ["Penguin"]);

        // A foreign key to Publisher in a join path (loan -> book -> publisher).
        for (title, borrower) in [("The Hobbit", "ann"), ("Rust in Action", "bob")] {
            let book = shop.books.iter().find(|b| b.title == title).expect("book");
            Loan::objects()
                .create(
                    &db,
                    Loan {
                        id: 0,
                        book: book.into(),
                        borrower: borrower.into(),
                    },
                )
                .await?;
        }
        let borrowers: Vec<String> = Loan::objects()
            .filter(Loan::book.then(Book::publisher).eq(penguin))
            .values(Loan::borrower)
            .all(&db)
            .await?;
        assert_eq!(borrowers, ["ann"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_primary_key_takes_its_own_rows_keys_and_plain_values() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let hobbit = &shop.books[2];
        let loan = Loan::objects()
            .create(
                &db,
                Loan {
                    id: 0,
                    book: hobbit.into(),
                    borrower: "ann".into(),
                },
            )
            .await?;
        let forms: Vec<(&str, Q<Book>)> = vec![
            ("&Book", Book::id.eq(hobbit)),
            ("plain value", Book::id.eq(hobbit.id)),
            ("Key::new", Book::id.eq(Key::<Book>::new(hobbit.id))),
            ("&ForeignKey<Book>", Book::id.eq(&loan.book)),
            ("is_in values", Book::id.is_in([hobbit.id])),
            (
                "in_query of foreign keys",
                Book::id.in_query(Loan::objects().values(Loan::book)),
            ),
        ];
        for (form, q) in forms {
            assert_eq!(books_where(&db, q).await?, ["The Hobbit"], "{form}");
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn keys_are_read_back_as_plain_values() {
    on_all_backends(|db| async move {
        let shop = bookshop(&db).await?;
        let penguin = &shop.publishers[0];
        let hobbit = &shop.books[2];
        let ids: Vec<(i64, i64)> = Book::objects()
            .filter(Book::id.eq(hobbit))
            .values((Book::id, Book::publisher))
            .all(&db)
            .await?;
        assert_eq!(ids, [(hobbit.id, penguin.id)]);
        let (max_id, max_publisher, n): (Option<i64>, Option<i64>, i64) = Book::objects()
            .filter(Book::publisher.eq(penguin))
            .aggregate((Max(Book::id), Max(Book::publisher), Count(Book::publisher)))
            .get(&db)
            .await?;
        let last = shop
            .books
            .iter()
            .filter(|b| *b.publisher.id() == penguin.id)
            .map(|b| b.id)
            .max();
        assert_eq!((max_id, max_publisher, n), (last, Some(penguin.id), 2));
        // Arithmetic on a key is a plain value again.
        let next: Vec<i64> = Book::objects()
            .filter(Book::id.eq(hobbit))
            .values(Book::id + 1)
            .all(&db)
            .await?;
        assert_eq!(next, [hobbit.id + 1]);
        Ok(())
    })
    .await;
}
