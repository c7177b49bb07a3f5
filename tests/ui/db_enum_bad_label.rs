// A variant's label is a non-empty string, different from the others'.
use orm_runtime::prelude::*;

#[derive(DbEnum)]
pub enum Status {
    #[orm(label = 3)]
    Open = 1,
    Closed = 2,
}

#[derive(DbEnum)]
#[orm(repr = "text")]
pub enum Stage {
    #[orm(label = "In Progress")]
    Started,
    InProgress,
    #[orm(label = " ")]
    Done,
}

fn main() {}
