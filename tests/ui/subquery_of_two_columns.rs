// A subquery used as a value selects exactly one column: a `values()` of
// two columns is a row, not a value.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 100)]
    pub title: String,
    pub pages: i32,
    #[orm(related_name = "books")]
    pub publisher: ForeignKey<Publisher>,
}

fn main() {
    let _: Subquery<Publisher, _> = Book::objects().values((Book::title, Book::pages)).subquery();
    let _ = Publisher::objects()
        .filter(Publisher::id.in_query(Book::objects().values((Book::publisher, Book::pages))));
}
