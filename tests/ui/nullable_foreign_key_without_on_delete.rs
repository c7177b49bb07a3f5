// A nullable foreign key must say what deleting its target does.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    pub publisher: Option<ForeignKey<Publisher>>,
}

fn main() {}
