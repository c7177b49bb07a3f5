// An OuterRef compares like a column: a text column with an integer key does not.
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
    let _ = Song::objects().filter(Song::title.eq(OuterRef(Playlist::id)));
}
