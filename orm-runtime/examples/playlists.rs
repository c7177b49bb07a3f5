#![allow(missing_docs)]
//! The main example: users, their playlists and the playlists' songs on
//! embedded SQLite (no server needed).
//!
//! ```text
//! cargo run --example playlists
//! ORM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --example playlists
//! ```
//!
//! It creates the schema, loads 1,000 users × 10 playlists × 10 songs in one
//! transaction, runs a few typed queries printing their SQL, then computes
//! every user's total song length twice: through a model method in a loop
//! (one query per user and per playlist) and through `collect()` (one query
//! of nested correlated subqueries), printing the number of queries (from
//! the capture API), the time of each and whether the totals agree.

use orm_runtime::observe::{self, NPlusOne};
use orm_runtime::prelude::*;
use std::time::Instant;

#[derive(Model, Debug, Clone)]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 127, unique)]
    pub name: String,
    /// Filled only when annotated (by `collect()`).
    #[orm(annotation)]
    pub playlists_total_length: Option<i64>,
}

#[derive(Model, Debug, Clone)]
pub struct Playlist {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "playlists")]
    pub user: ForeignKey<User>,
    #[orm(max_length = 255)]
    pub name: String,
}

#[derive(Model, Debug, Clone)]
pub struct Song {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "songs", index)]
    pub playlist: ForeignKey<Playlist>,
    #[orm(max_length = 255)]
    pub title: String,
    /// Length in seconds.
    #[orm(min_value = 0)]
    pub length: i32,
}

impl PlaylistQuerySet {
    /// A playlist's total song length, as a correlated subquery.
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

impl UserQuerySet {
    /// One query for any number of users: nested correlated subqueries.
    pub fn collect(self) -> Self {
        self.annotate_into(
            User::playlists_total_length,
            User::correlated(|u| {
                Playlist::objects()
                    .filter(Playlist::user.eq(u.id))
                    .values(Playlist::user)
                    .values_list(Sum(PlaylistQuerySet::songs_total_length()))
            })
            .subquery(),
        )
    }
}

impl User {
    /// The annotation when present; otherwise computed from the related
    /// rows (one query for the playlists, one per playlist).
    pub async fn total_length(&self, db: &impl Executor) -> Result<i64, Error> {
        if let Some(total) = self.playlists_total_length {
            return Ok(total);
        }
        let mut total = 0;
        for playlist in Playlist::objects()
            .filter(Playlist::user.eq(self))
            .all(db)
            .await?
        {
            let sum = Song::objects()
                .filter(Song::playlist.eq(&playlist))
                .aggregate(Sum(Song::length));
            total += sum.get(db).await?.unwrap_or(0);
        }
        Ok(total)
    }
}

const USERS: i64 = 1_000;
const PLAYLISTS_PER_USER: i64 = 10;
const SONGS_PER_PLAYLIST: i64 = 10;

/// A deterministic song length between 60 and 419 seconds.
fn song_length(user: i64, playlist: i64, song: i64) -> i32 {
    (60 + (user * 31 + playlist * 17 + song * 7) % 360) as i32
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url = std::env::var("ORM_DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = Db::connect(&url).await?;
    println!("backend: {}", db.dialect());
    let models = [User::META, Playlist::META, Song::META];
    db.drop_tables(&models).await?;
    db.create_tables(&models).await?;

    let started = Instant::now();
    db.transaction(|tx| async move {
        for u in 0..USERS {
            let user = User::objects()
                .create(
                    &tx,
                    User {
                        id: 0,
                        name: format!("user{u:04}"),
                        playlists_total_length: None,
                    },
                )
                .await?;
            for p in 0..PLAYLISTS_PER_USER {
                let playlist = Playlist::objects()
                    .create(
                        &tx,
                        Playlist {
                            id: 0,
                            user: ForeignKey::new(user.id),
                            name: format!("mix {p}"),
                        },
                    )
                    .await?;
                for s in 0..SONGS_PER_PLAYLIST {
                    let song = Song {
                        id: 0,
                        playlist: ForeignKey::new(playlist.id),
                        title: format!("song {s}"),
                        length: song_length(u, p, s),
                    };
                    Song::objects().create(&tx, song).await?;
                }
            }
        }
        Ok::<_, Error>(())
    })
    .await?;
    db.analyze(&models).await?;
    println!(
        "loaded {} users, {} playlists, {} songs in {:.2?} (one transaction)",
        User::objects().count(&db).await?,
        Playlist::objects().count(&db).await?,
        Song::objects().count(&db).await?,
        started.elapsed()
    );

    // Songs longer than six minutes in user0042's playlists, across two joins.
    let long = Song::objects()
        .filter(
            Song::playlist
                .then(Playlist::user)
                .then(User::name)
                .eq("user0042"),
        )
        .filter(Song::length.gt(360))
        .order_by((Song::length.desc(), Song::id.asc()));
    println!("\n{}", long.to_sql(db.dialect())?);
    for song in long.clone().limit(3).all(&db).await? {
        println!(
            "  {} ({} s) in playlist {}",
            song.title,
            song.length,
            song.playlist.id()
        );
    }
    println!("  {} such songs in total", long.count(&db).await?);

    // A case-insensitive lookup and `get`.
    let user = User::objects()
        .filter(User::name.iexact("USER0007"))
        .get(&db)
        .await?;
    println!("\nget(iexact \"USER0007\") -> {user:?}");

    // Q objects: users 1..=3 or named user0999, excluding user0002.
    let picked = User::objects()
        .filter(User::id.range(1, 3) | User::name.eq("user0999"))
        .exclude(User::name.eq("user0002"))
        .order_by(User::id.asc());
    let names: Vec<String> = picked.all(&db).await?.into_iter().map(|u| u.name).collect();
    println!("range(1, 3) | name = user0999, excluding user0002 -> {names:?}");

    // Playlists of user0001 via the foreign key, first and last.
    let of_user = Playlist::objects()
        .filter(Playlist::user.eq(&user))
        .order_by(Playlist::name.asc());
    println!(
        "playlists of {}: first {:?}, last {:?}",
        user.name,
        of_user.clone().first(&db).await?.map(|p| p.name),
        of_user.last(&db).await?.map(|p| p.name)
    );

    // Every user's total song length, twice.
    println!("\nEvery user's total length:");
    let users = User::objects().order_by(User::id.asc()).all(&db).await?;
    let conn = db.acquire().await?;
    let started = Instant::now();
    let ((loop_totals, repeated), loop_queries) =
        observe::capture(observe::n_plus_one(NPlusOne::warn(10), async {
            let mut totals = Vec::with_capacity(users.len());
            for user in &users {
                totals.push(user.total_length(&conn).await?);
            }
            Ok::<_, Error>(totals)
        }))
        .await;
    let loop_totals = loop_totals?;
    let loop_time = started.elapsed();
    println!(
        "  loop through the model method: {} queries in {:.2?} (N+1 detector: {})",
        loop_queries.len(),
        loop_time,
        repeated
            .iter()
            .map(|r| format!("{} x {}", r.count, r.sql))
            .collect::<Vec<_>>()
            .join("; ")
    );

    let started = Instant::now();
    let ((collected, repeated), collect_queries) = observe::capture(observe::n_plus_one(
        NPlusOne::warn(10),
        User::objects()
            .collect()
            .order_by(User::id.asc())
            .all(&conn),
    ))
    .await;
    let collected = collected?;
    let collect_time = started.elapsed();
    println!(
        "  collect(): {} query in {:.2?} (N+1 detector: {})",
        collect_queries.len(),
        collect_time,
        if repeated.is_empty() {
            "nothing repeated"
        } else {
            "repeated queries!"
        }
    );
    println!("  {}", collect_queries[0].sql);
    let mut collected_totals = Vec::with_capacity(collected.len());
    for user in &collected {
        collected_totals.push(user.total_length(&conn).await?);
    }
    println!(
        "  totals agree: {} ({} users, first {:?}, grand total {} s); collect() is {:.0}x faster",
        loop_totals == collected_totals,
        collected_totals.len(),
        collected_totals.first(),
        collected_totals.iter().sum::<i64>(),
        loop_time.as_secs_f64() / collect_time.as_secs_f64().max(1e-9)
    );
    Ok(())
}
