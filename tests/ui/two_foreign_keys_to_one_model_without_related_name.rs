// Two foreign keys to the same model without `related_name` would both get
// Django's default reverse name `<model>_set` on the target.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Person {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Letter {
    #[orm(primary_key)]
    pub id: i64,
    pub sender: ForeignKey<Person>,
    pub recipient: ForeignKey<Person>,
}

fn main() {}
