// Every key part of an index names a stored field; lower()/upper() apply to
// bounded String fields; `-field` is descending; names are unique and fit
// PostgreSQL; MariaDB's generated column names stay free.
use orm_runtime::prelude::*;

#[derive(Model)]
#[orm(
    index(code, -ratng),
    index(lower(titel)),
    index(lower(rating)),
    index(desc(rating)),
    index(trim(title)),
    index(lower(title, code)),
    index(upper(body)),
    index(rating),
    index(-rating, name = ""),
    index(title, -rating, name = "book_dup"),
    unique_together(upper(code), name = "book_dup"),
    index(title, -title),
    index(lower(code)),
    index(-rating, name = "a_name_longer_than_what_postgresql_accepts_for_an_identifier_sixty_three")
)]
pub struct Book {
    pub id: i64,
    #[orm(max_length = 100)]
    pub title: String,
    #[orm(max_length = 20)]
    pub code: String,
    pub body: String,
    pub rating: f64,
    pub orm_lower_code: i32,
}

fn main() {}
