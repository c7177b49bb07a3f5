// A misspelled attribute is rejected, with a suggestion.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(max_lenght = 100)]
    pub title: String,
}

fn main() {}
