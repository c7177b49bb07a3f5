// Two foreign keys to the same model cannot share a `related_name`: both
// would define the same reverse relation on the target.
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
    #[orm(related_name = "letters")]
    pub sender: ForeignKey<Person>,
    #[orm(related_name = "letters")]
    pub recipient: ForeignKey<Person>,
}

fn main() {}
