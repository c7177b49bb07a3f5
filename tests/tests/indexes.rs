//! Descending, expression and named indexes on every backend: what
//! `create_tables` builds, read back from each backend's catalog; queries
//! through `Lower(..)` returning the right rows (and using the index where
//! the planner can); a unique expression index refusing a case variant.

use orm_runtime::prelude::*;
use orm_tests::models::{IndexedBook, Shelf};
use orm_tests::on_all_backends;

async fn schema(db: &Db) -> Result<(), Error> {
    db.create_tables(&[Shelf::META, IndexedBook::META]).await
}

fn book(shelf: &Shelf, title: &str, code: &str, rating: f64, published: i32) -> IndexedBook {
    IndexedBook {
        id: 0,
        title: title.into(),
        code: code.into(),
        shelf: ForeignKey::new(shelf.id),
        rating,
        published,
    }
}

/// A shelf and four books, two of them titled "dune" whatever the case.
async fn library(db: &Db) -> Result<Vec<IndexedBook>, Error> {
    let shelf = Shelf::objects()
        .create(
            db,
            Shelf {
                id: 0,
                name: "fiction".into(),
            },
        )
        .await?;
    let mut out = Vec::new();
    for b in [
        book(&shelf, "Dune", "dn-1", 4.5, 1965),
        book(&shelf, "DUNE Messiah", "dn-2", 3.9, 1969),
        book(&shelf, "dune", "dn-3", 2.0, 1984),
        book(&shelf, "Emma", "em-1", 4.1, 1815),
    ] {
        out.push(IndexedBook::objects().create(db, b).await?);
    }
    Ok(out)
}

fn titles(books: &[IndexedBook]) -> Vec<&str> {
    books.iter().map(|b| b.title.as_str()).collect()
}

#[tokio::test]
async fn create_tables_builds_descending_and_expression_indexes() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        match db.dialect() {
            Dialect::Sqlite => {
                // Each index's key columns: name (NULL for an expression), direction.
                let keys: Vec<(String, i64, Option<String>, i64)> = raw(
                    "SELECT m.name, x.seqno, x.name, x.\"desc\" \
                     FROM sqlite_master AS m, pragma_index_xinfo(m.name) AS x \
                     WHERE m.type = 'index' AND m.tbl_name = 'indexed_book' AND x.key = 1 \
                     ORDER BY m.name, x.seqno",
                )
                .fetch(&db)
                .await?;
                let col = |s: &str| Some(s.to_owned());
                assert_eq!(
                    keys,
                    [
                        ("indexed_book_code_ci".into(), 0, None, 0),
                        ("indexed_book_lower_title_desc_rating_idx".into(), 0, None, 1),
                        ("indexed_book_lower_title_desc_rating_idx".into(), 1, col("rating"), 0),
                        ("indexed_book_lower_title_idx".into(), 0, None, 0),
                        ("indexed_book_recent".into(), 0, col("published"), 1),
                        ("indexed_book_shelf_id_rating_desc_idx".into(), 0, col("shelf_id"), 0),
                        ("indexed_book_shelf_id_rating_desc_idx".into(), 1, col("rating"), 1),
                        ("sqlite_autoindex_indexed_book_1".into(), 0, col("shelf_id"), 0),
                        ("sqlite_autoindex_indexed_book_1".into(), 1, col("title"), 0),
                    ]
                );
                // The expressions, as SQLite keeps them.
                let sql: Vec<(String, String)> = raw(
                    "SELECT name, sql FROM sqlite_master \
                     WHERE type = 'index' AND tbl_name = 'indexed_book' AND sql LIKE '%(LOWER(%' \
                        OR sql LIKE '%(UPPER(%' ORDER BY name",
                )
                .fetch(&db)
                .await?;
                assert_eq!(
                    sql,
                    [
                        (
                            "indexed_book_code_ci".into(),
                            "CREATE UNIQUE INDEX \"indexed_book_code_ci\" ON \"indexed_book\" ((UPPER(\"code\")))".into()
                        ),
                        (
                            "indexed_book_lower_title_desc_rating_idx".into(),
                            "CREATE INDEX \"indexed_book_lower_title_desc_rating_idx\" ON \"indexed_book\" ((LOWER(\"title\")) DESC, \"rating\")".into()
                        ),
                        (
                            "indexed_book_lower_title_idx".into(),
                            "CREATE INDEX \"indexed_book_lower_title_idx\" ON \"indexed_book\" ((LOWER(\"title\")))".into()
                        ),
                    ]
                );
                let unique: Vec<(String, i64)> = raw(
                    "SELECT name, \"unique\" FROM pragma_index_list('indexed_book') ORDER BY name",
                )
                .fetch(&db)
                .await?;
                assert_eq!(
                    unique,
                    [
                        ("indexed_book_code_ci".into(), 1),
                        ("indexed_book_lower_title_desc_rating_idx".into(), 0),
                        ("indexed_book_lower_title_idx".into(), 0),
                        ("indexed_book_recent".into(), 0),
                        ("indexed_book_shelf_id_rating_desc_idx".into(), 0),
                        ("sqlite_autoindex_indexed_book_1".into(), 1),
                    ]
                );
            }
            Dialect::Postgres => {
                let defs: Vec<(String, String)> = raw(
                    "SELECT indexname::text, replace(indexdef, current_schema() || '.', '') \
                     FROM pg_indexes \
                     WHERE schemaname = current_schema() AND tablename = 'indexed_book' \
                     ORDER BY indexname",
                )
                .fetch(&db)
                .await?;
                let def = |name: &str, sql: &str| (name.to_owned(), sql.to_owned());
                assert_eq!(
                    defs,
                    [
                        def(
                            "indexed_book_code_ci",
                            "CREATE UNIQUE INDEX indexed_book_code_ci ON indexed_book USING btree (upper((code)::text))"
                        ),
                        def(
                            "indexed_book_lower_title_desc_rating_idx",
                            "CREATE INDEX indexed_book_lower_title_desc_rating_idx ON indexed_book USING btree (lower((title)::text) DESC, rating)"
                        ),
                        def(
                            "indexed_book_lower_title_idx",
                            "CREATE INDEX indexed_book_lower_title_idx ON indexed_book USING btree (lower((title)::text))"
                        ),
                        def(
                            "indexed_book_pkey",
                            "CREATE UNIQUE INDEX indexed_book_pkey ON indexed_book USING btree (id)"
                        ),
                        def(
                            "indexed_book_recent",
                            "CREATE INDEX indexed_book_recent ON indexed_book USING btree (published DESC)"
                        ),
                        def(
                            "indexed_book_shelf_id_rating_desc_idx",
                            "CREATE INDEX indexed_book_shelf_id_rating_desc_idx ON indexed_book USING btree (shelf_id, rating DESC)"
                        ),
                        def(
                            "indexed_book_shelf_title",
                            "CREATE UNIQUE INDEX indexed_book_shelf_title ON indexed_book USING btree (shelf_id, title)"
                        ),
                    ]
                );
            }
            Dialect::MySql => {
                // Key parts: column, direction ('A'/'D') and uniqueness.
                let keys: Vec<(String, i64, String, String, i64)> = raw(
                    "SELECT INDEX_NAME, CAST(SEQ_IN_INDEX AS SIGNED), COLUMN_NAME, COLLATION, \
                            CAST(NON_UNIQUE AS SIGNED) \
                     FROM information_schema.STATISTICS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'indexed_book' \
                     ORDER BY INDEX_NAME, SEQ_IN_INDEX",
                )
                .fetch(&db)
                .await?;
                let key = |name: &str, seq: i64, col: &str, dir: &str, non_unique: i64| {
                    (name.to_owned(), seq, col.to_owned(), dir.to_owned(), non_unique)
                };
                assert_eq!(
                    keys,
                    [
                        key("indexed_book_code_ci", 1, "orm_upper_code", "A", 0),
                        key("indexed_book_lower_title_desc_rating_idx", 1, "orm_lower_title", "D", 1),
                        key("indexed_book_lower_title_desc_rating_idx", 2, "rating", "A", 1),
                        key("indexed_book_lower_title_idx", 1, "orm_lower_title", "A", 1),
                        key("indexed_book_recent", 1, "published", "D", 1),
                        key("indexed_book_shelf_id_rating_desc_idx", 1, "shelf_id", "A", 1),
                        key("indexed_book_shelf_id_rating_desc_idx", 2, "rating", "D", 1),
                        key("indexed_book_shelf_title", 1, "shelf_id", "A", 0),
                        key("indexed_book_shelf_title", 2, "title", "A", 0),
                        key("PRIMARY", 1, "id", "A", 0),
                    ]
                );
                // The expressions live in invisible virtual generated columns.
                let generated: Vec<(String, String, String)> = raw(
                    "SELECT COLUMN_NAME, GENERATION_EXPRESSION, EXTRA \
                     FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'indexed_book' \
                       AND IS_GENERATED = 'ALWAYS' \
                     ORDER BY COLUMN_NAME",
                )
                .fetch(&db)
                .await?;
                let col = |name: &str, expr: &str| {
                    (
                        name.to_owned(),
                        expr.to_owned(),
                        "VIRTUAL GENERATED, INVISIBLE".to_owned(),
                    )
                };
                assert_eq!(
                    generated,
                    [
                        col("orm_lower_title", "lcase(`title`)"),
                        col("orm_upper_code", "ucase(`code`)"),
                    ]
                );
            }
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn queries_through_lower_return_the_right_rows() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let all = library(&db).await?;
        let dune = IndexedBook::objects()
            .filter(Lower(IndexedBook::title).eq("dune"))
            .order_by(IndexedBook::rating.desc())
            .all(&db)
            .await?;
        assert_eq!(titles(&dune), ["Dune", "dune"]);
        let by_lower_title = IndexedBook::objects()
            .order_by((Lower(IndexedBook::title).desc(), IndexedBook::rating.asc()))
            .all(&db)
            .await?;
        assert_eq!(
            titles(&by_lower_title),
            ["Emma", "DUNE Messiah", "dune", "Dune"]
        );
        let recent: Vec<i32> = IndexedBook::objects()
            .order_by(IndexedBook::published.desc())
            .values(IndexedBook::published)
            .all(&db)
            .await?;
        assert_eq!(recent, [1984, 1969, 1965, 1815]);
        // The generated columns MariaDB needs stay out of `SELECT *`.
        let star: Vec<IndexedBook> = raw("SELECT * FROM indexed_book ORDER BY id")
            .fetch_models(&db)
            .await?;
        assert_eq!(star, all);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_unique_expression_index_refuses_a_case_variant() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        let books = library(&db).await?;
        let shelf = Shelf::objects().get(&db).await?;
        let err = IndexedBook::objects()
            .create(&db, book(&shelf, "Dune (again)", "DN-1", 1.0, 2000))
            .await
            .expect_err("DN-1 and dn-1 are the same code");
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
        // The named constraint over plain columns is a table constraint.
        let err = IndexedBook::objects()
            .create(&db, book(&shelf, "Emma", "em-2", 1.0, 2000))
            .await
            .expect_err("the shelf already has an Emma");
        assert_eq!(err.constraint_kind(), Some(ConstraintKind::Unique), "{err}");
        // A code differing beyond case is accepted.
        IndexedBook::objects()
            .create(&db, book(&shelf, "Dune (again)", "DN-4", 1.0, 2000))
            .await?;
        assert_eq!(
            IndexedBook::objects().count(&db).await?,
            books.len() as i64 + 1
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_planner_finds_the_expression_index() {
    on_all_backends(|db| async move {
        schema(&db).await?;
        library(&db).await?;
        let lower_title = || IndexedBook::objects().filter(Lower(IndexedBook::title).eq("dune"));
        match db.dialect() {
            Dialect::Sqlite => {
                let plan = lower_title()
                    .explain(&db, ExplainOptions::default())
                    .await?;
                assert!(
                    plan.contains("USING INDEX indexed_book_lower_title"),
                    "{plan}"
                );
            }
            Dialect::Postgres => {
                // Four rows are read fastest without an index: ask for one.
                let conn = db.acquire().await?;
                conn.execute_raw("SET enable_seqscan = off").await?;
                let plan = lower_title()
                    .explain(&conn, ExplainOptions::default())
                    .await?;
                assert!(plan.contains("using indexed_book_lower_title"), "{plan}");
            }
            Dialect::MySql => {
                // MariaDB's planner does not match LOWER(..) in a query to the
                // generated column; a query naming the column uses its index.
                let plan: Vec<(String,)> = raw(
                    "EXPLAIN FORMAT=JSON SELECT id FROM indexed_book WHERE orm_lower_title = 'dune'",
                )
                .fetch(&db)
                .await?;
                assert!(
                    plan[0].0.contains("\"key\": \"indexed_book_lower_title"),
                    "{}",
                    plan[0].0
                );
            }
        }
        Ok(())
    })
    .await;
}
