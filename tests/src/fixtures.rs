//! Seed data for the bookshop suites, with known values the tests assert.

use crate::models::*;
use chrono::NaiveDate;
use orm_runtime::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The rows `bookshop` inserted, with their assigned keys.
pub struct Bookshop {
    /// Penguin (UK), O'Reilly (US), Small Press (no country).
    pub publishers: Vec<Publisher>,
    /// Alice 40, Bob 35 (mentor Alice), Carol 50, dave 28 (mentor Bob).
    pub authors: Vec<Author>,
    /// See `bookshop`.
    pub books: Vec<Book>,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A decimal from text.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

/// Creates the schema and inserts the bookshop:
///
/// | title                  | publisher   | pages | chapters | rating | price | published  |
/// |------------------------|-------------|-------|----------|--------|-------|------------|
/// | Rust in Action         | O'Reilly    | 456   | 11       | 4.5    | 39.99 | 2021-08-10 |
/// | Programming Rust       | O'Reilly    | 738   | 21       | 4.7    | 49.99 | 2021-07-20 |
/// | The Hobbit             | Penguin     | 310   | 19       | 4.8    | 9.99  | 1937-09-21 |
/// | 100% Pure_Luck         | Small Press | 120   | 12       | 3.1    | 5.00  | 2020-01-01 |
/// | the hobbit companion   | Penguin     | 200   | 25       | 3.9    | 15.50 | 1990-05-05 |
pub async fn bookshop(db: &Db) -> Result<Bookshop, Error> {
    crate::create_schema(db).await?;
    let mut publishers = Vec::new();
    for (name, country) in [
        ("Penguin", Some("UK")),
        ("O'Reilly", Some("US")),
        ("Small Press", None),
    ] {
        let p = Publisher {
            id: 0,
            name: name.into(),
            country: country.map(Into::into),
        };
        publishers.push(Publisher::objects().create(db, p).await?);
    }
    let mut authors: Vec<Author> = Vec::new();
    for (name, age, mentor) in [
        ("Alice", 40, None),
        ("Bob", 35, Some(0usize)),
        ("Carol", 50, None),
        ("dave", 28, Some(1)),
    ] {
        let a = Author {
            id: 0,
            name: name.into(),
            age,
            mentor: mentor.map(|i| ForeignKey::new(authors[i].id)),
            friends: ManyToMany::default(),
        };
        authors.push(Author::objects().create(db, a).await?);
    }
    let rows = [
        (
            "Rust in Action",
            1,
            456,
            11,
            4.5,
            "39.99",
            date(2021, 8, 10),
        ),
        (
            "Programming Rust",
            1,
            738,
            21,
            4.7,
            "49.99",
            date(2021, 7, 20),
        ),
        ("The Hobbit", 0, 310, 19, 4.8, "9.99", date(1937, 9, 21)),
        ("100% Pure_Luck", 2, 120, 12, 3.1, "5.00", date(2020, 1, 1)),
        (
            "the hobbit companion",
            0,
            200,
            25,
            3.9,
            "15.50",
            date(1990, 5, 5),
        ),
    ];
    let mut books = Vec::new();
    for (title, p, pages, chapters, rating, price, published) in rows {
        let b = Book {
            id: 0,
            title: title.into(),
            publisher: ForeignKey::new(publishers[p].id),
            pages,
            chapters,
            rating,
            price: dec(price),
            published,
            authors: ManyToMany::default(),
        };
        books.push(Book::objects().create(db, b).await?);
    }
    Ok(Bookshop {
        publishers,
        authors,
        books,
    })
}

/// Titles of books, sorted, for order-independent comparisons.
pub fn titles(books: &[Book]) -> Vec<String> {
    let mut t: Vec<String> = books.iter().map(|b| b.title.clone()).collect();
    t.sort();
    t
}

/// Sorted owned strings from literals.
pub fn sorted(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The task tracker: users alex and john; tasks T1 medium/in progress/4 h,
/// T2 high/deploy/2 h for alex; T5 medium/not started/0 h, T6
/// critical/done/3 h, T7 medium/in progress/5 h for john.
pub async fn task_tracker(db: &Db) -> Result<(TaskUser, TaskUser), Error> {
    crate::create_schema(db).await?;
    let alex = TaskUser::objects()
        .create(
            db,
            TaskUser {
                id: 0,
                name: "alex".into(),
            },
        )
        .await?;
    let john = TaskUser::objects()
        .create(
            db,
            TaskUser {
                id: 0,
                name: "john".into(),
            },
        )
        .await?;
    let rows = [
        ("T1", &alex, Priority::Medium, Status::InProgress, 4),
        ("T2", &alex, Priority::High, Status::Deploy, 2),
        ("T5", &john, Priority::Medium, Status::NotStarted, 0),
        ("T6", &john, Priority::Critical, Status::Done, 3),
        ("T7", &john, Priority::Medium, Status::InProgress, 5),
    ];
    for (title, user, priority, status, hours) in rows {
        let t = Task {
            id: 0,
            title: title.into(),
            user: ForeignKey::new(user.id),
            priority,
            status,
            hours,
        };
        Task::objects().create(db, t).await?;
    }
    Ok((alex, john))
}

/// Three listeners with 2, 1 and 0 playlists; song lengths:
/// ann: "a1" [100, 200], "a2" [300]; bob: "b1" [50]; cid: none.
pub async fn playlists(db: &Db) -> Result<Vec<Listener>, Error> {
    crate::create_schema(db).await?;
    let mut listeners = Vec::new();
    for name in ["ann", "bob", "cid"] {
        let l = Listener {
            id: 0,
            name: name.into(),
            playlists_total_length: None,
        };
        listeners.push(Listener::objects().create(db, l).await?);
    }
    let lists: [(usize, &str, &[i32]); 3] =
        [(0, "a1", &[100, 200]), (0, "a2", &[300]), (1, "b1", &[50])];
    for (owner, name, lengths) in lists {
        let p = Playlist {
            id: 0,
            user: ForeignKey::new(listeners[owner].id),
            name: name.into(),
        };
        let p = Playlist::objects().create(db, p).await?;
        for (i, length) in lengths.iter().enumerate() {
            let s = Song {
                id: 0,
                playlist: ForeignKey::new(p.id),
                title: format!("{name}-{i}"),
                length: *length,
            };
            Song::objects().create(db, s).await?;
        }
    }
    Ok(listeners)
}

/// `writers` writers; writer i has 3 posts (created 1..=3, the newest a
/// draft), each with 2 comments; posts of even writers are in category
/// "rust", the others have none.
pub async fn blog(db: &Db, writers: usize) -> Result<(), Error> {
    crate::create_schema(db).await?;
    let rust = Category::objects()
        .create(
            db,
            Category {
                id: 0,
                name: "rust".into(),
            },
        )
        .await?;
    let ws: Vec<Writer> = (0..writers)
        .map(|i| Writer {
            id: 0,
            name: format!("w{i:04}"),
            post_count: 0,
        })
        .collect();
    let ws = Writer::objects()
        .bulk_create(db, ws, Default::default())
        .await?;
    let ws = if ws.iter().all(|w| w.id > 0) {
        ws
    } else {
        Writer::objects().order_by(Writer::id.asc()).all(db).await?
    };
    let mut posts = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        for created in 1..=3 {
            posts.push(Post {
                id: 0,
                author: ForeignKey::new(w.id),
                category: (i % 2 == 0).then(|| ForeignKey::new(rust.id)),
                title: format!("{}-p{created}", w.name),
                published: created < 3,
                created,
                body: Deferred::from(format!("body of {}-p{created}", w.name)),
            });
        }
    }
    Post::objects()
        .bulk_create(db, posts, Default::default())
        .await?;
    let posts = Post::objects().order_by(Post::id.asc()).all(db).await?;
    let comments: Vec<Comment> = posts
        .iter()
        .flat_map(|p| {
            (0..2).map(move |c| Comment {
                id: 0,
                post: ForeignKey::new(p.id),
                body: format!("{}-c{c}", p.title),
            })
        })
        .collect();
    Comment::objects()
        .bulk_create(db, comments, Default::default())
        .await?;
    Ok(())
}

/// The bookshop with authors on books and friendships:
/// - Penguin: The Hobbit (Alice 40, Carol 50, dave 28), the hobbit
///   companion (Bob 35);
/// - O'Reilly: Rust in Action (Alice 40, Bob 35), Programming Rust (Carol 50);
/// - Small Press: 100% Pure_Luck (no authors);
/// - Alice is friends with Bob and Carol (symmetrical).
pub async fn bookshop_with_authors(db: &Db) -> Result<Bookshop, Error> {
    let shop = bookshop(db).await?;
    let [alice, bob, carol, dave] = [0, 1, 2, 3].map(|i| shop.authors[i].clone());
    Book::authors
        .of(&shop.books[0])
        .add(db, [&alice, &bob])
        .await?;
    Book::authors.of(&shop.books[1]).add(db, [&carol]).await?;
    Book::authors
        .of(&shop.books[2])
        .add(db, [&alice, &carol, &dave])
        .await?;
    Book::authors.of(&shop.books[4]).add(db, [&bob]).await?;
    Author::friends.of(&alice).add(db, [&bob, &carol]).await?;
    Ok(shop)
}
