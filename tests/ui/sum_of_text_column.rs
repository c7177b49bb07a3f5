// Sum (and Avg, StdDev, Variance) need a numeric column.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(max_length = 100)]
    pub title: String,
}

fn main() {
    let _ = Book::objects().aggregate(Sum(Book::title));
}
