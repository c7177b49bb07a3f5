// MySQL cannot index unbounded text: keys and indexes on String need max_length.
use orm_runtime::prelude::*;

#[derive(Model)]
#[orm(unique_together(title, body))]
pub struct Note {
    #[orm(primary_key)]
    pub code: String,
    #[orm(max_length = 100)]
    pub title: String,
    pub body: String,
}

fn main() {}
