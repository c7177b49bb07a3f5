// A foreign key to Publisher does not compare with the outer query's Author key.
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

fn main() {
    let _ = Author::objects().annotate(subquery_count(Author::correlated(|a| {
        Book::objects().filter(Book::publisher.eq(a.id))
    })));
}
