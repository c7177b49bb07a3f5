// A values() row has the selected columns' types: `hours` is an i32, not an i64.
use orm_runtime::prelude::*;

#[derive(Model)]
pub struct Task {
    pub id: i64,
    #[orm(max_length = 50)]
    pub title: String,
    pub hours: i32,
}

async fn load(db: &Db) -> Result<(), Error> {
    let _rows: Vec<(i64, String)> = Task::objects().values((Task::hours, Task::title)).all(db).await?;
    Ok(())
}

fn main() {
    let _ = load;
}
