// Every mistake is reported in one pass, each at its own span.
use orm_runtime::prelude::*;
use rust_decimal::Decimal;

#[derive(Model)]
pub struct Publisher {
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(primary_key)]
    pub isbn: i64,
    #[orm(max_length = 10)]
    pub pages: i32,
    pub price: Decimal,
    #[orm(on_delete = "set_null")]
    pub publisher: ForeignKey<Publisher>,
    #[orm(on_delete = "protect")]
    pub reviewer: Option<ForeignKey<Publisher>>,
    #[orm(unique)]
    pub slug: String,
    #[orm(default = "one")]
    pub chapters: i32,
}

fn main() {}
