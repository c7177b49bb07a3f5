// `then` follows a foreign key (or a relation) to the next model: a plain
// column leads nowhere.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 50)]
    pub name: String,
}

#[derive(Model)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 100)]
    pub title: String,
    #[orm(related_name = "books")]
    pub publisher: ForeignKey<Publisher>,
}

fn main() {
    let _ = Book::objects().filter(Book::title.then(Publisher::name).eq("x"));
}
