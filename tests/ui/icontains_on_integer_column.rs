// Text lookups (contains, icontains, startswith, ...) need a String column.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    pub pages: i32,
}

fn main() {
    let _ = Book::objects().filter(Book::pages.icontains("12"));
}
