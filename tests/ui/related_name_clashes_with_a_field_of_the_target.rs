// A `related_name` becomes an associated constant of the target model, so
// it cannot be the name of one of the target's fields.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 50)]
    pub name: String,
}

#[derive(Model)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "name")]
    pub publisher: ForeignKey<Publisher>,
}

fn main() {}
