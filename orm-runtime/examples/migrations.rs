//! A model that changes over three versions, migrated on embedded SQLite
//! (or the database in `DATABASE_URL`): `cargo run --example migrations`.
//! Each version is made into a migration, applied to a database with rows,
//! and at the end everything is rolled back to the first version.

use orm_runtime::migrate::{self, MakeOptions};
use orm_runtime::prelude::*;

mod v1 {
    use orm_runtime::prelude::*;
    /// Version 1: a title.
    #[derive(Model, Debug, Clone)]
    #[orm(table = "note")]
    pub struct Note {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 40)]
        pub title: String,
    }
}

mod v2 {
    use orm_runtime::prelude::*;
    /// Version 2: `title` renamed `heading` and widened; a `pinned` flag.
    #[derive(Model, Debug, Clone)]
    #[orm(table = "note")]
    pub struct Note {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 120)]
        pub heading: String,
        #[orm(default = false)]
        pub pinned: bool,
    }
}

mod v3 {
    use orm_runtime::prelude::*;
    /// A folder notes may be filed in.
    #[derive(Model, Debug, Clone)]
    #[orm(table = "folder")]
    pub struct Folder {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 40)]
        pub name: String,
    }
    /// Version 3: an optional folder; `pinned` dropped.
    #[derive(Model, Debug, Clone)]
    #[orm(table = "note")]
    pub struct Note {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 120)]
        pub heading: String,
        #[orm(on_delete = "set_null", index)]
        pub folder: Option<ForeignKey<Folder>>,
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = Db::connect(&url).await?;
    let dir = std::env::temp_dir().join(format!("orm-example-migrations-{}", std::process::id()));
    let none = MakeOptions::default();

    migrate::make(&dir, &[v1::Note::META], "initial", &none)?;
    println!("applied {:?}", migrate::apply(&db, &dir).await?);
    for title in ["groceries", "ideas"] {
        let note = v1::Note {
            id: 0,
            title: title.into(),
        };
        v1::Note::objects().create(&db, note).await?;
    }

    let rename = MakeOptions::default().rename_column("note", "title", "heading");
    migrate::make(&dir, &[v2::Note::META], "heading and pinned", &rename)?;
    println!("applied {:?}", migrate::apply(&db, &dir).await?);
    v2::Note::objects()
        .filter(v2::Note::heading.eq("ideas"))
        .update(&db, v2::Note::pinned.set(true))
        .await?;

    let m3 = migrate::make(
        &dir,
        &[v3::Folder::META, v3::Note::META],
        "folders",
        &none.clone().allow_data_loss(),
    )?
    .expect("v3 changes the schema");
    println!(
        "{}",
        std::fs::read_to_string(m3.dir.join(format!("up.{}.sql", backend(&db))))
            .expect("the migration file")
    );
    println!("applied {:?}", migrate::apply(&db, &dir).await?);
    let work = v3::Folder::objects()
        .create(
            &db,
            v3::Folder {
                id: 0,
                name: "work".into(),
            },
        )
        .await?;
    v3::Note::objects()
        .filter(v3::Note::heading.eq("ideas"))
        .update(&db, v3::Note::folder.set(Some((&work).into())))
        .await?;
    for s in migrate::status(&db, &dir).await? {
        println!("[{}] {}", if s.applied { "x" } else { " " }, s.name);
    }

    println!("rolled back {:?}", migrate::rollback(&db, &dir, 2).await?);
    let titles: Vec<String> = v1::Note::objects()
        .order_by(v1::Note::id.asc())
        .values(v1::Note::title)
        .all(&db)
        .await?;
    println!("back at version 1: {titles:?}");
    assert_eq!(titles, ["groceries", "ideas"]);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

fn backend(db: &Db) -> &'static str {
    match db.dialect() {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
        Dialect::MySql => "mysql",
    }
}
