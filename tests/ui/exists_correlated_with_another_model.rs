// A subquery made for author queries used in a book query.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Author {
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
}

#[derive(Model)]
pub struct Post {
    pub id: i64,
    pub author: ForeignKey<Author>,
}

fn main() {
    let _ = Book::objects().filter(Exists(Author::correlated(|a| {
        Post::objects().filter(Post::author.eq(a.id))
    })));
}
