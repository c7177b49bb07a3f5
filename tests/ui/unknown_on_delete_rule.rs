// on_delete is one of "cascade", "set_null", "restrict".
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(on_delete = "protect")]
    pub publisher: ForeignKey<Publisher>,
}

fn main() {}
