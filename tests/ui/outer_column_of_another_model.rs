// `col` of the outer handle takes columns of the outer query's model only:
// in a subquery of book queries, an author column is not an outer column.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Author {
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    pub author: ForeignKey<Author>,
}

#[derive(Model)]
pub struct Review {
    pub id: i64,
    pub book: ForeignKey<Book>,
    pub author: ForeignKey<Author>,
}

fn main() {
    let _ = Book::objects().filter(Exists(Book::correlated(|b| {
        Review::objects().filter(Review::author.plain().eq(b.col(Author::id).plain()))
    })));
}
