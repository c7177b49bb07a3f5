// `prefetch` loads a multi-valued relation (a reverse foreign key or a
// many-to-many); a forward foreign key is loaded with `select_related`.
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
    let _ = Book::objects().prefetch(Book::publisher.prefetch());
    let _ = Book::objects().prefetch(Book::publisher);
}
