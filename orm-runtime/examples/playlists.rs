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
//! transaction, and runs a few typed queries, printing each one's SQL.

use orm_runtime::prelude::*;
use std::time::Instant;

#[derive(Model, Debug, Clone)]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 127, unique)]
    pub name: String,
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
    Ok(())
}
