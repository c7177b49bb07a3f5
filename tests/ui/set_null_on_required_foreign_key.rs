// on_delete = "set_null" needs a nullable (Option) foreign key.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(on_delete = "set_null")]
    pub publisher: ForeignKey<Publisher>,
}

fn main() {}
