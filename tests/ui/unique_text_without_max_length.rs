// Unique or indexed String fields need a max_length (MySQL cannot index TEXT).
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct User {
    pub id: i64,
    #[orm(unique)]
    pub email: String,
}

fn main() {}
