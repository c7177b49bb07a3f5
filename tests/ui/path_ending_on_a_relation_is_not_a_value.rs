// A path must end on a column: a relation is not a value to select.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "books")]
    pub publisher: ForeignKey<Publisher>,
}

fn main() {
    let _ = Publisher::objects().values(Publisher::books);
}
