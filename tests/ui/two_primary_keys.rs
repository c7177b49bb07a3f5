// Only one field can be the primary key.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(primary_key)]
    pub isbn: i64,
}

fn main() {}
