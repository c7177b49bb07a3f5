// Two levels down: inside a playlist subquery of a listener query, a
// subquery made for listener queries (instead of using the enclosing
// closure's handle `l`) is used in the playlist query.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Listener {
    pub id: i64,
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
}

fn main() {
    let _ = Listener::objects().annotate(subquery_count(Listener::correlated(|l| {
        Playlist::objects()
            .filter(Playlist::user.eq(l.id))
            .filter(Exists(Listener::correlated(|l2| {
                Song::objects().filter(Song::playlist.then(Playlist::user).eq(l2.id))
            })))
    })));
}
