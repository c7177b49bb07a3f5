// A model needs a primary key: a field marked #[orm(primary_key)] or `id`.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub isbn: i64,
    #[orm(max_length = 100)]
    pub title: String,
}

fn main() {}
