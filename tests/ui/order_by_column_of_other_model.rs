// A queryset of `Book` cannot be ordered by a column of `Author`.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Author {
    pub id: i64,
    #[orm(max_length = 100)]
    pub name: String,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(max_length = 100)]
    pub title: String,
    pub author: ForeignKey<Author>,
}

fn main() {
    let _ = Book::objects().order_by(Author::name.asc());
}
