// Durations add and subtract; multiplying one by another is refused.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Shift {
    pub id: i64,
    pub length: chrono::TimeDelta,
}

fn main() {
    let _ = Shift::length * chrono::TimeDelta::minutes(2);
}
