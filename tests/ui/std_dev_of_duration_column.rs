// StdDev and Variance need a numeric column; a duration sums and averages only.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Shift {
    pub id: i64,
    pub length: chrono::TimeDelta,
}

fn main() {
    let _ = Shift::objects().aggregate(StdDev(Shift::length));
}
