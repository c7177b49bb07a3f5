// A queryset of `Book` only accepts conditions on `Book`.
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
    let _ = Book::objects().filter(Author::name.eq("Ursula"));
}
