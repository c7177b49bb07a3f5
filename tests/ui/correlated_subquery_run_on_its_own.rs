// A correlated subquery refers to an outer row, so it is not a query that
// can run on its own.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Playlist {
    pub id: i64,
}

#[derive(Model)]
pub struct Song {
    pub id: i64,
    pub playlist: ForeignKey<Playlist>,
}

async fn run(db: &Db) -> Result<Vec<Song>, Error> {
    Playlist::correlated(|p| Song::objects().filter(Song::playlist.eq(p.id)))
        .all(db)
        .await
}

fn main() {
    let _ = run;
}
