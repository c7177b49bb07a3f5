// `.set(None)` and `.set(Some(..))` need a nullable (`Option<..>`) column:
// `views` is an i32.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Post {
    pub id: i64,
    pub views: i32,
    pub rating: Option<i32>,
}

fn main() {
    let _ = (Post::rating.set(None), Post::rating.set(Some(3)), Post::rating.set(3));
    let _ = Post::views.set(None);
    let _ = Post::views.set(Some(3));
}
