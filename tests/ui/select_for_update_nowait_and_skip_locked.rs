// `nowait` and `skip_locked` exclude each other (Django raises ValueError).
use orm_runtime::prelude::*;

#[derive(Model, Clone)]
pub struct Account {
    pub id: i64,
    pub balance: i64,
}

fn main() {
    let _ = Account::objects().select_for_update().nowait().skip_locked();
}
