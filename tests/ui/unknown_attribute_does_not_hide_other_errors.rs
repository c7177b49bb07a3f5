// A misspelt attribute is reported together with the other fields' mistakes.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(max_lenght = 100)]
    pub title: String,
    #[orm(max_length = 10)]
    pub pages: i32,
}

fn main() {}
