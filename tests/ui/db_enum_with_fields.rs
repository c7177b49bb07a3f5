// A DbEnum is a fieldless enum.
use orm_runtime::prelude::*;

#[derive(DbEnum)]
pub enum Shape {
    Point,
    Circle(f64),
}

fn main() {}
