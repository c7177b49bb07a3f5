// An annotation compares with values of its own type: Count is an i64.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Publisher {
    pub id: i64,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[orm(related_name = "books")]
    pub publisher: ForeignKey<Publisher>,
}

fn main() {
    let _ = Publisher::objects()
        .annotate(Count(Publisher::books))
        .filter(Count(Publisher::books).gt("many"));
}
