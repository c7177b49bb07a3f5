// A foreign key to Publisher compares with publishers, not with an author's row.
use orm_runtime::prelude::*;

#[derive(Model, Clone)]
pub struct Publisher {
    pub id: i64,
}

#[derive(Model, Clone)]
pub struct Author {
    pub id: i64,
}

#[derive(Model, Clone)]
pub struct Book {
    pub id: i64,
    pub publisher: ForeignKey<Publisher>,
}

#[derive(Model, Clone)]
pub struct Post {
    pub id: i64,
    pub author: ForeignKey<Author>,
}

fn main() {
    let author = Author { id: 1 };
    let _ = Book::objects().filter(Book::publisher.eq(&author));
}
