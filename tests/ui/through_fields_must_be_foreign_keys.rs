// `through_fields(source, target)` must name foreign keys of the through
// model to the two related models; `person` here is a plain integer.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Person {
    pub id: i64,
}

#[derive(Model)]
pub struct Membership {
    pub id: i64,
    pub club: ForeignKey<Club>,
    pub person: i64,
}

#[derive(Model)]
pub struct Club {
    pub id: i64,
    #[orm(through = Membership, through_fields(club, person))]
    pub members: ManyToMany<Person>,
}

fn main() {}
