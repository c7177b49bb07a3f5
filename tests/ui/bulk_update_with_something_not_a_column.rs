// `bulk_update` names stored columns of the model: an expression, an
// annotation field or another model's column is a compile error.
use orm_runtime::prelude::*;

#[derive(Model, Debug, Clone)]
pub struct Book {
    pub id: i64,
    pub pages: i32,
    #[orm(annotation)]
    pub reviews: Option<i64>,
}

#[derive(Model, Debug, Clone)]
pub struct Author {
    pub id: i64,
    pub age: i32,
}

async fn run(db: &Db, books: &[Book]) -> Result<(), Error> {
    Book::objects().bulk_update(db, books, Book::pages, None).await?;
    Book::objects().bulk_update(db, books, (Book::pages, Book::pages + 1), None).await?;
    Book::objects().bulk_update(db, books, Book::reviews, None).await?;
    Book::objects().bulk_update(db, books, Author::age, None).await?;
    Ok(())
}

fn main() {
    let _ = run;
}
