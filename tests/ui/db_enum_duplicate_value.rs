// Each variant of a DbEnum is stored as a distinct value.
use orm_runtime::prelude::*;

#[derive(DbEnum)]
pub enum Status {
    Open = 1,
    Closed = 2,
    Archived = 1,
}

#[derive(DbEnum)]
#[orm(repr = "text")]
pub enum Priority {
    Low,
    #[orm(rename = "Low")]
    Lowest,
}

fn main() {}
