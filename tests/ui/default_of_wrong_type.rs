// A default must be a literal of the field's type.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(default = "one")]
    pub chapters: i32,
}

fn main() {}
