//! Migrations on every backend: three versions of two models made into
//! migration files, applied to a database with rows (every row and value
//! checked after each step), rolled back to the first version with its data
//! intact; refusals (a guessed rename, a data loss, an edited applied
//! migration), a migration failing halfway, and two concurrent applies.

use orm_runtime::migrate::{self, MakeOptions, MigrationError};
use orm_runtime::prelude::*;
use orm_tests::on_all_backends;
use std::path::PathBuf;

mod v1 {
    use orm_runtime::prelude::*;
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_shelf")]
    pub struct Shelf {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 50)]
        pub name: String,
    }
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_item")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        pub shelf: ForeignKey<Shelf>,
        #[orm(max_length = 50)]
        pub title: String,
        #[orm(max_length = 100)]
        pub note: Option<String>,
    }
    pub const MODELS: [&orm_runtime::model::ModelMeta; 2] = [Shelf::META, Item::META];
}

mod v2 {
    use orm_runtime::prelude::*;
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_shelf")]
    pub struct Shelf {
        #[orm(primary_key)]
        pub id: i64,
        // Widened from 50.
        #[orm(max_length = 120)]
        pub name: String,
    }
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_item")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        pub shelf: ForeignKey<Shelf>,
        // Renamed from `title`.
        #[orm(max_length = 50)]
        pub label: String,
        #[orm(max_length = 100)]
        pub note: Option<String>,
        // New: nullable and indexed, and one with a default.
        #[orm(index)]
        pub rating: Option<i32>,
        #[orm(default = 0)]
        pub stock: i32,
        // New: a nullable foreign key.
        #[orm(on_delete = "set_null", related_name = "moved_items")]
        pub moved_from: Option<ForeignKey<Shelf>>,
    }
    pub const MODELS: [&orm_runtime::model::ModelMeta; 2] = [Shelf::META, Item::META];
}

mod v3 {
    use orm_runtime::prelude::*;
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_shelf")]
    pub struct Shelf {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 120)]
        pub name: String,
    }
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_tag")]
    pub struct Tag {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 30)]
        pub name: String,
    }
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_item")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        pub shelf: ForeignKey<Shelf>,
        #[orm(max_length = 50)]
        pub label: String,
        #[orm(max_length = 100)]
        pub note: Option<String>,
        #[orm(index)]
        pub rating: Option<i32>,
        // `stock` dropped (its values are lost: allowed explicitly).
        #[orm(on_delete = "set_null", related_name = "moved_items")]
        pub moved_from: Option<ForeignKey<Shelf>>,
        // New: a many-to-many relation and its join table.
        pub tags: ManyToMany<Tag>,
    }
    pub const MODELS: [&orm_runtime::model::ModelMeta; 3] = [Shelf::META, Tag::META, Item::META];
}

fn temp_dir(test: &str, db: &Db) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "orm-migrations-{test}-{}-{}",
        db.dialect().name().replace('/', "-"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn migration_error(e: &Error) -> &MigrationError {
    match e {
        Error::Migration(m) => m,
        other => panic!("not a migration error: {other:?}"),
    }
}

async fn tables(db: &Db) -> Result<Vec<String>, Error> {
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'mig_%' ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'mig_%' ORDER BY table_name"
        }
        Dialect::MySql => {
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'mig??_%' ESCAPE '?' ORDER BY table_name"
        }
    };
    let sql = if db.dialect() == Dialect::MySql {
        sql.replace("mig??_%' ESCAPE '?'", "mig_%'")
    } else {
        sql.to_owned()
    };
    let rows: Vec<(String,)> = raw(sql).fetch(db).await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

#[tokio::test]
async fn three_versions_applied_to_rows_and_rolled_back() {
    on_all_backends(|db| async move {
        let dir = temp_dir("versions", &db);
        let none = MakeOptions::default();
        // v1: the initial migration, applied, rows written.
        let m1 = migrate::make(&dir, &v1::MODELS, "initial", &none)?.expect("changes");
        assert_eq!(m1.name, "0001_initial");
        assert!(migrate::make(&dir, &v1::MODELS, "again", &none)?.is_none());
        assert_eq!(migrate::apply(&db, &dir).await?, ["0001_initial"]);
        let shelf = v1::Shelf::objects()
            .create(&db, v1::Shelf { id: 0, name: "oak".into() })
            .await?;
        for (title, note) in [("lamp", Some("brass")), ("vase", None)] {
            v1::Item::objects()
                .create(
                    &db,
                    v1::Item {
                        id: 0,
                        shelf: (&shelf).into(),
                        title: title.into(),
                        note: note.map(Into::into),
                    },
                )
                .await?;
        }

        // v2: the rename is never guessed.
        let err = migrate::make(&dir, &v2::MODELS, "v2", &none).unwrap_err();
        assert!(
            matches!(migration_error(&err), MigrationError::AmbiguousRename { table, dropped, added }
                if table == "mig_item" && dropped == "title" && added == "label"),
            "{err}"
        );
        let opts = MakeOptions::default().rename_column("mig_item", "title", "label");
        let m2 = migrate::make(&dir, &v2::MODELS, "rename title, add rating", &opts)?
            .expect("changes");
        assert_eq!(m2.name, "0002_rename_title__add_rating");
        let up = std::fs::read_to_string(m2.dir.join(format!(
            "up.{}.sql",
            match db.dialect() {
                Dialect::Sqlite => "sqlite",
                Dialect::Postgres => "postgres",
                Dialect::MySql => "mysql",
            }
        )))
        .expect("file");
        assert!(up.contains("review before applying"), "{up}");
        assert_eq!(migrate::apply(&db, &dir).await?, ["0002_rename_title__add_rating"]);
        let items = v2::Item::objects()
            .order_by(v2::Item::id.asc())
            .all(&db)
            .await?;
        let got: Vec<(&str, Option<&str>, Option<i32>, i32, bool)> = items
            .iter()
            .map(|i| (i.label.as_str(), i.note.as_deref(), i.rating, i.stock, i.moved_from.is_none()))
            .collect();
        assert_eq!(got, [("lamp", Some("brass"), None, 0, true), ("vase", None, None, 0, true)]);
        // The widened name takes 120 characters, the new key refers to shelves.
        let long = "x".repeat(120);
        let wide = v2::Shelf::objects()
            .create(&db, v2::Shelf { id: 0, name: long.clone() })
            .await?;
        v2::Item::objects()
            .filter(v2::Item::label.eq("vase"))
            .update(&db, (v2::Item::rating.set(Some(4)), v2::Item::moved_from.set(Some(ForeignKey::new(wide.id)))))
            .await?;
        let err = v2::Item::objects()
            .filter(v2::Item::label.eq("vase"))
            .update(&db, v2::Item::moved_from.set(Some(ForeignKey::new(9_999))))
            .await
            .unwrap_err();
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::ForeignKey), "{err}");

        // v3: dropping `stock` loses data, so it needs the explicit allowance.
        let err = migrate::make(&dir, &v3::MODELS, "v3", &none).unwrap_err();
        assert!(matches!(migration_error(&err), MigrationError::DataLoss(_)), "{err}");
        let m3 = migrate::make(&dir, &v3::MODELS, "tags", &none.clone().allow_data_loss())?
            .expect("changes");
        let up3 = std::fs::read_to_string(m3.dir.join("up.postgres.sql")).expect("file");
        assert!(up3.contains("-- LOSES DATA: drops column `mig_item.stock`"), "{up3}");
        assert_eq!(migrate::apply(&db, &dir).await?, ["0003_tags"]);
        let tag = v3::Tag::objects()
            .create(&db, v3::Tag { id: 0, name: "old".into() })
            .await?;
        let vase = v3::Item::objects().filter(v3::Item::label.eq("vase")).get(&db).await?;
        v3::Item::tags.of(&vase).add(&db, [&tag]).await?;
        assert_eq!(v3::Item::tags.of(&vase).all(&db).await?.len(), 1);
        assert_eq!(vase.rating, Some(4));
        assert_eq!(tables(&db).await?, ["mig_item", "mig_item_tags", "mig_shelf", "mig_tag"]);
        let status = migrate::status(&db, &dir).await?;
        assert!(status.iter().all(|s| s.applied) && status.len() == 3);

        // Back to v1. Where DDL is transactional, a name too long for v1's
        // 50 characters stops the rollback of 0002 with nothing of it done
        // (the value is refused, not cut) ...
        if db.dialect() != Dialect::MySql {
            let err = migrate::rollback(&db, &dir, 2).await.unwrap_err();
            assert!(
                matches!(migration_error(&err), MigrationError::Failed { version: 2, .. }),
                "{err}"
            );
            let status = migrate::status(&db, &dir).await?;
            let applied: Vec<bool> = status.iter().map(|s| s.applied).collect();
            assert_eq!(applied, [true, true, false], "0003 rolled back, 0002 not");
            migrate::apply(&db, &dir).await?;
            assert_eq!(v3::Item::objects().count(&db).await?, 2);
        }
        // ... so the row goes first; then the rows of v1 are as they were.
        v3::Shelf::objects()
            .filter(v3::Shelf::name.eq(long.as_str()))
            .delete(&db)
            .await?;
        assert_eq!(
            migrate::rollback(&db, &dir, 2).await?,
            ["0003_tags", "0002_rename_title__add_rating"]
        );
        assert_eq!(tables(&db).await?, ["mig_item", "mig_shelf"]);
        let items = v1::Item::objects().order_by(v1::Item::id.asc()).all(&db).await?;
        let got: Vec<(&str, Option<&str>)> =
            items.iter().map(|i| (i.title.as_str(), i.note.as_deref())).collect();
        assert_eq!(got, [("lamp", Some("brass")), ("vase", None)]);
        let shelves: Vec<String> = v1::Shelf::objects()
            .order_by(v1::Shelf::id.asc())
            .values(v1::Shelf::name)
            .all(&db)
            .await?;
        assert_eq!(shelves[0], "oak");
        let status = migrate::status(&db, &dir).await?;
        let applied: Vec<bool> = status.iter().map(|s| s.applied).collect();
        assert_eq!(applied, [true, false, false]);
        // And forward again.
        assert_eq!(migrate::apply(&db, &dir).await?.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
    .await;
}

/// A statement failing halfway: on PostgreSQL and SQLite nothing of the
/// migration stays and it is not recorded; on MariaDB, whose DDL commits,
/// the error says which statement failed and which ran.
#[tokio::test]
async fn a_migration_failing_halfway() {
    on_all_backends(|db| async move {
        let dir = temp_dir("failing", &db);
        migrate::make(&dir, &v1::MODELS, "initial", &MakeOptions::default())?;
        let m = &migrate::list(&dir)?[0];
        let file = m.dir.join(format!(
            "up.{}.sql",
            match db.dialect() {
                Dialect::Sqlite => "sqlite",
                Dialect::Postgres => "postgres",
                Dialect::MySql => "mysql",
            }
        ));
        let text = std::fs::read_to_string(&file).expect("file");
        // A hand-written statement that fails, after the first table.
        let at = text.find(";\n").expect("a statement") + 2;
        let edited = format!(
            "{}\nINSERT INTO mig_missing VALUES (1);\n{}",
            &text[..at],
            &text[at..]
        );
        std::fs::write(&file, edited).expect("write");
        let err = migrate::apply(&db, &dir).await.unwrap_err();
        let MigrationError::Failed {
            version,
            index,
            statement,
            applied,
            ..
        } = migration_error(&err)
        else {
            panic!("{err}");
        };
        assert_eq!((*version, *index), (1, 2), "{err}");
        assert!(
            statement.starts_with("INSERT INTO mig_missing"),
            "{statement}"
        );
        let status = migrate::status(&db, &dir).await?;
        assert!(!status[0].applied);
        if db.dialect() == Dialect::MySql {
            assert_eq!(applied.len(), 1, "{applied:?}");
            assert!(
                applied[0].starts_with("CREATE TABLE `mig_shelf`"),
                "{applied:?}"
            );
            assert_eq!(tables(&db).await?, ["mig_shelf"]);
        } else {
            assert!(applied.is_empty());
            assert!(tables(&db).await?.is_empty(), "rolled back");
        }
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
    .await;
}

/// An applied migration whose file was edited is refused; a directory
/// missing an applied migration too.
#[tokio::test]
async fn an_edited_applied_migration_is_refused() {
    on_all_backends(|db| async move {
        let dir = temp_dir("edited", &db);
        let m = migrate::make(&dir, &v1::MODELS, "initial", &MakeOptions::default())?
            .expect("changes");
        migrate::apply(&db, &dir).await?;
        for name in ["up.sqlite.sql", "up.postgres.sql", "up.mysql.sql"] {
            let path = m.dir.join(name);
            let text = std::fs::read_to_string(&path).expect("file");
            std::fs::write(&path, format!("{text}\n-- edited\n")).expect("write");
        }
        let err = migrate::apply(&db, &dir).await.unwrap_err();
        assert!(
            matches!(migration_error(&err), MigrationError::History { version: 1, problem, .. } if problem.contains("edited")),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).expect("remove");
        let err = migrate::status(&db, &dir).await.unwrap_err();
        assert!(
            matches!(migration_error(&err), MigrationError::History { problem, .. } if problem.contains("not in the directory")),
            "{err}"
        );
        Ok(())
    })
    .await;
}

/// Two applies at once (two connections): the migration runs once.
#[tokio::test]
async fn two_concurrent_applies_apply_once() {
    on_all_backends(|db| async move {
        let dir = temp_dir("concurrent", &db);
        migrate::make(&dir, &v1::MODELS, "initial", &MakeOptions::default())?;
        migrate::make(
            &dir,
            &v2::MODELS,
            "v2",
            &MakeOptions::default().rename_column("mig_item", "title", "label"),
        )?;
        let (a, b) = tokio::join!(migrate::apply(&db, &dir), migrate::apply(&db, &dir));
        let (a, b) = (a?, b?);
        let mut all: Vec<String> = a.iter().chain(&b).cloned().collect();
        all.sort();
        assert_eq!(all, ["0001_initial", "0002_v2"], "{a:?} {b:?}");
        let status = migrate::status(&db, &dir).await?;
        assert!(status.iter().all(|s| s.applied));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
    .await;
}

/// The drift check compares the live database with the models: a column
/// added by hand, a table no model has, a missing column.
#[tokio::test]
async fn drift_finds_a_column_added_by_hand() {
    on_all_backends(|db| async move {
        let dir = temp_dir("drift", &db);
        migrate::make(&dir, &v1::MODELS, "initial", &MakeOptions::default())?;
        migrate::apply(&db, &dir).await?;
        assert_eq!(migrate::drift(&db, &v1::MODELS).await?, []);
        migrate::check_drift(&db, &v1::MODELS).await?;
        db.execute_raw("ALTER TABLE mig_item ADD COLUMN colour VARCHAR(10)")
            .await?;
        db.execute_raw("CREATE TABLE mig_stray (id INTEGER PRIMARY KEY)")
            .await?;
        let found = migrate::drift(&db, &v1::MODELS).await?;
        assert_eq!(
            found,
            [
                migrate::Drift::ExtraColumn {
                    table: "mig_item".into(),
                    column: "colour".into()
                },
                migrate::Drift::ExtraTable("mig_stray".into()),
            ]
        );
        // Against v2's models: the renamed and new columns are missing.
        let found = migrate::drift(&db, &v2::MODELS).await?;
        assert!(found.contains(&migrate::Drift::MissingColumn {
            table: "mig_item".into(),
            column: "label".into()
        }));
        let err = migrate::check_drift(&db, &v1::MODELS).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("column `mig_item.colour` is in the database but not in the model"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
    .await;
}

/// The command line a user's migration binary runs.
#[tokio::test]
async fn the_command_line() {
    on_all_backends(|db| async move {
        let dir = temp_dir("cli", &db);
        let run = |args: &[&str], models: &'static [&'static orm_runtime::model::ModelMeta]| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            let (db, dir) = (db.clone(), dir.clone());
            async move {
                let mut out = Vec::new();
                migrate::run_command(&args, Some(&db), &dir, models, &mut out).await?;
                Ok::<_, Error>(String::from_utf8(out).expect("utf-8"))
            }
        };
        static V1: [&orm_runtime::model::ModelMeta; 2] = v1::MODELS;
        static V2: [&orm_runtime::model::ModelMeta; 2] = v2::MODELS;
        assert!(run(&["make", "initial"], &V1).await?.starts_with("made "));
        assert_eq!(run(&["make", "again"], &V1).await?, "no changes\n");
        assert!(run(&["sql"], &V1).await?.contains("CREATE TABLE"));
        assert_eq!(run(&["apply"], &V1).await?, "applied 0001_initial\n");
        assert_eq!(run(&["apply"], &V1).await?, "nothing to apply\n");
        assert!(
            run(&["make", "v2"], &V2).await.is_err(),
            "the rename is asked"
        );
        run(&["make", "v2", "--rename", "mig_item.title:label"], &V2).await?;
        assert_eq!(
            run(&["status"], &V2).await?,
            "[x] 0001_initial\n[ ] 0002_v2\n"
        );
        assert_eq!(run(&["apply"], &V2).await?, "applied 0002_v2\n");
        assert_eq!(run(&["drift"], &V2).await?, "no drift\n");
        assert_eq!(run(&["rollback"], &V2).await?, "rolled back 0002_v2\n");
        assert_eq!(run(&["drift"], &V1).await?, "no drift\n");
        assert!(run(&["frobnicate"], &V1).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
    .await;
}

mod checks_a {
    use orm_runtime::prelude::*;
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_owner")]
    pub struct Owner {
        #[orm(primary_key)]
        pub id: i64,
    }
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_pet")]
    pub struct Pet {
        #[orm(primary_key)]
        pub id: i64,
        pub owner: ForeignKey<Owner>,
        #[orm(min_value = 0, default = 0)]
        pub legs: i32,
    }
    pub const MODELS: [&orm_runtime::model::ModelMeta; 2] = [Owner::META, Pet::META];
}

mod checks_b {
    use orm_runtime::prelude::*;
    /// The owner model is gone, and the pets' key to it.
    #[derive(Model, Debug, Clone)]
    #[orm(table = "mig_pet")]
    pub struct Pet {
        #[orm(primary_key)]
        pub id: i64,
        // The default changes; the CHECK stays.
        #[orm(min_value = 0, default = 4)]
        pub legs: i32,
    }
    pub const MODELS: [&orm_runtime::model::ModelMeta; 1] = [Pet::META];
}

/// A changed default keeps the column's CHECK (MariaDB's MODIFY restates
/// it), a model dropped with the foreign keys to it goes after them, and
/// the down file says it cannot re-add the NOT NULL key to rows.
#[tokio::test]
async fn a_dropped_model_and_a_changed_default_keep_the_rest() {
    on_all_backends(|db| async move {
        let dir = temp_dir("checks", &db);
        migrate::make(&dir, &checks_a::MODELS, "initial", &MakeOptions::default())?;
        migrate::apply(&db, &dir).await?;
        let owner = checks_a::Owner::objects()
            .create(&db, checks_a::Owner { id: 0 })
            .await?;
        for legs in [2, 4] {
            checks_a::Pet::objects()
                .create(&db, checks_a::Pet { id: 0, owner: (&owner).into(), legs })
                .await?;
        }
        let err = migrate::make(&dir, &checks_b::MODELS, "no owners", &MakeOptions::default())
            .unwrap_err();
        assert!(matches!(migration_error(&err), MigrationError::DataLoss(_)), "{err}");
        let m = migrate::make(
            &dir,
            &checks_b::MODELS,
            "no owners",
            &MakeOptions::default().allow_data_loss(),
        )?
        .expect("changes");
        let down = std::fs::read_to_string(m.dir.join("down.postgres.sql")).expect("file");
        assert!(
            down.contains("-- FAILS ON A TABLE WITH ROWS: re-adds NOT NULL column `mig_pet.owner_id` without a default"),
            "{down}"
        );
        migrate::apply(&db, &dir).await?;
        let legs: Vec<i32> = checks_b::Pet::objects()
            .order_by(checks_b::Pet::id.asc())
            .values(checks_b::Pet::legs)
            .all(&db)
            .await?;
        assert_eq!(legs, [2, 4]);
        assert_eq!(tables(&db).await?, ["mig_pet"]);
        let new = checks_b::Pet::objects()
            .create(&db, checks_b::Pet { id: 0, legs: 3 })
            .await?;
        assert_eq!(new.legs, 3);
        raw("INSERT INTO mig_pet (id) VALUES (10)").execute(&db).await?;
        let ten = checks_b::Pet::objects().filter(checks_b::Pet::id.eq(10)).get(&db).await?;
        assert_eq!(ten.legs, 4, "the new default");
        let err = raw("INSERT INTO mig_pet (id, legs) VALUES (11, -1)")
            .execute(&db)
            .await
            .unwrap_err();
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Check), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
    .await;
}

#[test]
fn swapped_column_names_are_refused() {
    let dir = std::env::temp_dir().join(format!("orm-migrations-swap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    migrate::make(&dir, &v1::MODELS, "initial", &MakeOptions::default()).expect("v1");
    let opts = MakeOptions::default()
        .rename_column("mig_item", "title", "note")
        .rename_column("mig_item", "note", "title");
    let err = migrate::make(&dir, &v1::MODELS, "swap", &opts).unwrap_err();
    assert!(
        matches!(migration_error(&err), MigrationError::Unsupported { what, .. } if what.contains("swapped")),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
