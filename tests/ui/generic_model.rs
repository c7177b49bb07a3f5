// Models cannot be generic.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Wrapper<T> {
    pub id: i64,
    pub value: T,
}

fn main() {}
