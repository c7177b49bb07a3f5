// `max_length` applies only to String fields.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(max_length = 10)]
    pub pages: i32,
}

fn main() {}
