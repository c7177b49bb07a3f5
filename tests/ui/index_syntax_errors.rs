// An index lists key parts (`field`, `-field`, `lower(field)`) and then
// `name = ".."`; anything else is refused where it is written.
use orm_runtime::prelude::*;

#[derive(Model)]
#[orm(
    index(rating, name = 3),
    index(+rating),
    index(title, kind = "btree"),
    index(name = "book_title", title),
    index
)]
pub struct Book {
    pub id: i64,
    #[orm(max_length = 100)]
    pub title: String,
    pub rating: f64,
}

fn main() {}
