// A subquery correlated with playlists can only be used in a playlist query.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Listener {
    pub id: i64,
    #[orm(annotation)]
    pub total: Option<i64>,
}

#[derive(Model)]
pub struct Playlist {
    pub id: i64,
    pub user: ForeignKey<Listener>,
}

#[derive(Model)]
pub struct Song {
    pub id: i64,
    pub playlist: ForeignKey<Playlist>,
    pub length: i32,
}

fn main() {
    let per_playlist: Subquery<Playlist, Option<i64>> = Playlist::correlated(|p| {
        Song::objects()
            .filter(Song::playlist.eq(p.id))
            .values(Song::playlist)
            .values_list(Sum(Song::length))
    })
    .subquery();
    let _ = Listener::objects().annotate_into(Listener::total, per_playlist);
}
