// `set_null()` is for nullable (`Option<..>`) columns only: `views` is an i32.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Post {
    pub id: i64,
    pub views: i32,
    pub rating: Option<i32>,
}

fn main() {
    let _ = Post::rating.set_null();
    let _ = Post::views.set_null();
}
