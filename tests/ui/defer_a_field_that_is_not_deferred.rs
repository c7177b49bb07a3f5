// Only fields declared Deferred<T> can be left out of a query.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Post {
    pub id: i64,
    #[orm(max_length = 100)]
    pub title: String,
    pub body: Deferred<String>,
}

fn main() {
    let _ = Post::objects().defer(Post::title);
}
