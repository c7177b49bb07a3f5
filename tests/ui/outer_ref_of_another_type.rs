// An outer reference compares like a column: a text column with the outer
// playlist's integer key does not.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Playlist {
    pub id: i64,
}

#[derive(Model)]
pub struct Song {
    pub id: i64,
    #[orm(max_length = 50)]
    pub title: String,
}

fn main() {
    let _ = Playlist::objects().filter(Exists(Playlist::correlated(|p| {
        Song::objects().filter(Song::title.eq(p.id))
    })));
}
