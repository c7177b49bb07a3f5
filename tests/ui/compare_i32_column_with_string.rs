// A lookup value must have the column's type: `pages` is an i32.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    pub pages: i32,
}

fn main() {
    let _ = Book::objects().filter(Book::pages.eq("x"));
}
