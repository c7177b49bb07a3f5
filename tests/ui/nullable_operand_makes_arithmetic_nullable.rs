// Arithmetic with a nullable operand can be NULL, so its type is an Option:
// `f64 + Option<f64>` is an `Expr<_, Option<f64>>`, not an `Expr<_, f64>`.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Track {
    pub id: i64,
    pub length: f64,
    pub bonus: Option<f64>,
}

fn main() {
    let _: Expr<Track, Option<f64>> = Track::length + Track::bonus;
    let _: Expr<Track, f64> = Track::length + 1.0;
    let _: Expr<Track, f64> = Track::length + Track::bonus;
}
