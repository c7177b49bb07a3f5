// A locking read runs only inside a transaction: its terminal methods take
// a `Tx`, so running one on the `Db` does not compile.
use orm_runtime::prelude::*;

#[derive(Model, Clone)]
pub struct Account {
    pub id: i64,
    pub balance: i64,
}

async fn run(db: &Db) -> Result<Vec<Account>, Error> {
    Account::objects().select_for_update().all(db).await
}

fn main() {
    let _ = run;
}
