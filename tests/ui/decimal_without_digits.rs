// Decimal fields need max_digits and decimal_places.
use orm_runtime::prelude::*;
use rust_decimal::Decimal;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    pub price: Decimal,
}

fn main() {}
