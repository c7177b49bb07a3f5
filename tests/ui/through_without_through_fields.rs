// An explicit through model needs through_fields(source, target).
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Person {
    pub id: i64,
}

#[derive(Model)]
pub struct Membership {
    pub id: i64,
    pub club: ForeignKey<Club>,
    pub person: ForeignKey<Person>,
}

#[derive(Model)]
pub struct Club {
    pub id: i64,
    #[orm(through = Membership)]
    pub members: ManyToMany<Person>,
}

fn main() {}
