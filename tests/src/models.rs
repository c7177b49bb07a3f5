//! Models shared by the suites: a bookshop (publishers, books, authors with
//! symmetrical friendships and mentors, loans), clubs with an explicit
//! through model, a row of every supported type, a task tracker, and work
//! shifts (times of day and durations).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use orm_runtime::model::ModelMeta;
use orm_runtime::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

/// Every shared model, referenced models first.
pub const ALL: &[&ModelMeta] = &[
    Publisher::META,
    Author::META,
    Book::META,
    Loan::META,
    Club::META,
    Person::META,
    Membership::META,
    AllTypes::META,
    Ticket::META,
    TaskUser::META,
    Task::META,
    Listener::META,
    Playlist::META,
    Song::META,
    Writer::META,
    Category::META,
    Post::META,
    Comment::META,
];

/// A publisher.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Publisher {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Unique name.
    #[orm(max_length = 100, unique)]
    pub name: String,
    /// Country, if known.
    #[orm(max_length = 50)]
    pub country: Option<String>,
}

/// An author; friendships are symmetrical, mentors optional.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Author {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 100)]
    pub name: String,
    /// Age in years.
    pub age: i32,
    /// Another author; set to NULL when the mentor is deleted.
    #[orm(on_delete = "set_null", related_name = "mentees")]
    pub mentor: Option<ForeignKey<Author>>,
    /// Symmetrical friendships (automatic join table `author_friends`).
    pub friends: ManyToMany<Author>,
}

/// A book.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(
    table = "books",
    index(publisher, rating),
    unique_together(publisher, title)
)]
pub struct Book {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Title.
    #[orm(max_length = 200)]
    pub title: String,
    /// The publisher; deleting it deletes its books.
    #[orm(related_name = "books")]
    pub publisher: ForeignKey<Publisher>,
    /// Page count.
    #[orm(min_value = 0)]
    pub pages: i32,
    /// Chapter count.
    #[orm(default = 1)]
    pub chapters: i32,
    /// Average rating.
    pub rating: f64,
    /// Price.
    #[orm(max_digits = 8, decimal_places = 2)]
    pub price: Decimal,
    /// Publication date.
    pub published: NaiveDate,
    /// Authors (automatic join table `books_authors`); `Author::books` is
    /// the reverse.
    #[orm(related_name = "books")]
    pub authors: ManyToMany<Author>,
}

/// A loan of a book; a book on loan cannot be deleted.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Loan {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// The book lent.
    #[orm(on_delete = "restrict")]
    pub book: ForeignKey<Book>,
    /// Borrower.
    #[orm(column = "borrower_name", max_length = 100)]
    pub borrower: String,
}

/// A club whose members join through `Membership`.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Club {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 100)]
    pub name: String,
    /// Members, through the explicit `Membership` model.
    #[orm(through = Membership, through_fields(club, person))]
    pub members: ManyToMany<Person>,
}

/// A person.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Person {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 100)]
    pub name: String,
}

/// The through model of `Club::members`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(unique_together(club, person))]
pub struct Membership {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// The club.
    pub club: ForeignKey<Club>,
    /// The member.
    pub person: ForeignKey<Person>,
    /// Role; filled by the database default when added through the relation.
    #[orm(max_length = 20, default = "member")]
    pub role: String,
}

/// An enum stored as an integer.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0
    NotStarted = 0,
    /// 1
    InProgress = 1,
    /// 2
    Deploy = 2,
    /// 3
    Done = 3,
}

/// An enum stored as text.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[orm(repr = "text")]
pub enum Priority {
    /// "low"
    #[orm(rename = "low")]
    Low,
    /// "medium"
    #[orm(rename = "medium")]
    Medium,
    /// "high"
    #[orm(rename = "high")]
    High,
    /// "critical"
    #[orm(rename = "critical")]
    Critical,
}

/// One column of every supported type, and a nullable twin of each.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct AllTypes {
    /// Key.
    pub id: i64,
    /// i16
    pub small: i16,
    /// i32
    pub int: i32,
    /// i64
    pub big: i64,
    /// f32
    pub float: f32,
    /// f64
    pub double: f64,
    /// bool
    pub flag: bool,
    /// unbounded text
    pub text: String,
    /// bounded text
    #[orm(max_length = 20)]
    pub code: String,
    /// bytes
    pub bytes: Vec<u8>,
    /// decimal
    #[orm(max_digits = 30, decimal_places = 10)]
    pub amount: Decimal,
    /// date
    pub day: NaiveDate,
    /// date and time
    pub at: NaiveDateTime,
    /// instant in UTC
    pub instant: DateTime<Utc>,
    /// uuid
    pub uid: Uuid,
    /// json
    pub doc: serde_json::Value,
    /// int enum
    pub status: Status,
    /// text enum
    pub priority: Priority,
    /// nullable twins
    pub o_small: Option<i16>,
    /// .
    pub o_int: Option<i32>,
    /// .
    pub o_big: Option<i64>,
    /// .
    pub o_float: Option<f32>,
    /// .
    pub o_double: Option<f64>,
    /// .
    pub o_flag: Option<bool>,
    /// .
    pub o_text: Option<String>,
    /// .
    pub o_bytes: Option<Vec<u8>>,
    /// .
    #[orm(max_digits = 12, decimal_places = 4)]
    pub o_amount: Option<Decimal>,
    /// .
    pub o_day: Option<NaiveDate>,
    /// .
    pub o_at: Option<NaiveDateTime>,
    /// .
    pub o_instant: Option<DateTime<Utc>>,
    /// .
    pub o_uid: Option<Uuid>,
    /// .
    pub o_doc: Option<serde_json::Value>,
    /// .
    pub o_status: Option<Status>,
    /// .
    pub o_priority: Option<Priority>,
}

/// A model keyed by a UUID the application chooses.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Ticket {
    /// Key (not auto-assigned).
    #[orm(primary_key)]
    pub id: Uuid,
    /// Title.
    #[orm(max_length = 100)]
    pub title: String,
}

/// A user of the task tracker.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "task_user")]
pub struct TaskUser {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 50, unique)]
    pub name: String,
}

/// A task.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Task {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Title.
    #[orm(max_length = 50)]
    pub title: String,
    /// Assignee.
    #[orm(related_name = "tasks")]
    pub user: ForeignKey<TaskUser>,
    /// Priority, stored as text.
    pub priority: Priority,
    /// Status, stored as an integer.
    pub status: Status,
    /// Hours spent.
    pub hours: i32,
}

/// A user of the playlists schema.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Listener {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 127)]
    pub name: String,
    /// Total length of the listener's songs, when annotated.
    #[orm(annotation)]
    pub playlists_total_length: Option<i64>,
}

/// A playlist.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Playlist {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Owner.
    #[orm(related_name = "playlists")]
    pub user: ForeignKey<Listener>,
    /// Name.
    #[orm(max_length = 255)]
    pub name: String,
}

/// A song of a playlist.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Song {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// The playlist.
    #[orm(related_name = "songs", index)]
    pub playlist: ForeignKey<Playlist>,
    /// Title.
    #[orm(max_length = 255)]
    pub title: String,
    /// Length in seconds.
    pub length: i32,
}

impl BookQuerySet {
    /// Each book's rank among its publisher's books, best rated first
    /// (ties share a rank): a window function.
    pub fn rank_in_publisher() -> Expr<Book, i64> {
        Rank().over(
            Window::new()
                .partition_by(Book::publisher)
                .order_by(Book::rating.desc()),
        )
    }
}

impl PlaylistQuerySet {
    /// The total length of a playlist's songs, as a correlated subquery of
    /// playlist queries.
    pub fn songs_total_length() -> Subquery<Playlist, Option<i64>> {
        Playlist::correlated(|p| {
            Song::objects()
                .filter(Song::playlist.eq(p.id))
                .values(Song::playlist)
                .values_list(Sum(Song::length))
        })
        .subquery()
    }
}

impl ListenerQuerySet {
    /// Annotates each listener's `playlists_total_length` with the sum of
    /// its playlists' totals: one query, two nested correlated subqueries.
    pub fn collect(self) -> Self {
        self.annotate_into(
            Listener::playlists_total_length,
            Listener::correlated(|u| {
                Playlist::objects()
                    .filter(Playlist::user.eq(u.id))
                    .values(Playlist::user)
                    .values_list(Sum(PlaylistQuerySet::songs_total_length()))
            })
            .subquery(),
        )
    }
}

impl Listener {
    /// The total length of the listener's songs: the annotation when the
    /// row was loaded through `collect()`, otherwise computed with one
    /// query for the playlists and one per playlist.
    pub async fn total_length<E: Executor>(&self, db: &E) -> Result<i64, Error> {
        if let Some(total) = self.playlists_total_length {
            return Ok(total);
        }
        let mut total = 0;
        for playlist in Playlist::objects()
            .filter(Playlist::user.eq(self))
            .all(db)
            .await?
        {
            let songs = Song::objects()
                .filter(Song::playlist.eq(&playlist))
                .aggregate(Sum(Song::length));
            total += songs.get(db).await?.unwrap_or(0);
        }
        Ok(total)
    }
}

/// A blog author.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Writer {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 50)]
    pub name: String,
    /// A stored count, refreshed with `update()`.
    #[orm(default = 0)]
    pub post_count: i32,
}

/// A post category.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Category {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 50)]
    pub name: String,
}

/// A blog post.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Post {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Author.
    #[orm(related_name = "posts")]
    pub author: ForeignKey<Writer>,
    /// Category, if any.
    #[orm(on_delete = "set_null", related_name = "posts")]
    pub category: Option<ForeignKey<Category>>,
    /// Title.
    #[orm(max_length = 100)]
    pub title: String,
    /// Published or draft.
    pub published: bool,
    /// Publication order (higher is newer).
    pub created: i32,
    /// The text, which listings leave out with `defer`/`only`.
    pub body: Deferred<String>,
}

/// A comment on a post.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Comment {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// The post.
    #[orm(related_name = "comments")]
    pub post: ForeignKey<Post>,
    /// Text.
    #[orm(max_length = 200)]
    pub body: String,
}

/// A work shift: times of day and durations, each with a nullable twin.
/// Not in [`ALL`]: the time-types suite creates its table alone.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Shift {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// The team working it, for grouping.
    #[orm(max_length = 20)]
    pub team: String,
    /// When it starts.
    pub starts: NaiveTime,
    /// When it ends, if known.
    pub ends: Option<NaiveTime>,
    /// How long it lasts (negative for a correction).
    pub length: TimeDelta,
    /// The break taken, if recorded.
    pub pause: Option<TimeDelta>,
}

/// A shelf of [`IndexedBook`]s. Not in [`ALL`]: the index suite creates
/// its tables alone.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "shelf")]
pub struct Shelf {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 50)]
    pub name: String,
}

/// A book with descending, expression and named indexes. Not in [`ALL`].
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(
    table = "indexed_book",
    index(shelf, -rating),
    index(-published, name = "indexed_book_recent"),
    index(lower(title)),
    index(-lower(title), rating),
    unique_together(upper(code), name = "indexed_book_code_ci"),
    unique_together(shelf, title, name = "indexed_book_shelf_title")
)]
pub struct IndexedBook {
    /// Key.
    #[orm(primary_key)]
    pub id: i64,
    /// Title; found case-insensitively through `lower(title)`.
    #[orm(max_length = 100)]
    pub title: String,
    /// A catalogue code, unique whatever its case.
    #[orm(max_length = 20)]
    pub code: String,
    /// Where it stands.
    pub shelf: ForeignKey<Shelf>,
    /// Rating.
    pub rating: f64,
    /// Year of publication.
    pub published: i32,
}
