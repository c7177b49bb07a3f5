//! A `Db` on a sqlx pool the application already has, and the pool under
//! a `Db`: both share the same connections and data.

use orm_runtime::prelude::*;
use orm_tests::models::Publisher;
use orm_tests::{create_schema, on_all_backends};
use sqlx::AssertSqlSafe;

fn publisher(name: &str) -> Publisher {
    Publisher {
        id: 0,
        name: name.into(),
        country: None,
    }
}

#[tokio::test]
async fn a_db_on_an_existing_sqlx_pool_shares_its_data() {
    on_all_backends(|db| async move {
        create_schema(&db).await?;
        Publisher::objects().create(&db, publisher("first")).await?;
        let count_sql = AssertSqlSafe("SELECT COUNT(*) FROM publisher");
        let other = match db.dialect() {
            // SQLite runs on the ORM's own driver: there is no sqlx pool.
            Dialect::Sqlite => {
                assert!(db.pg_pool().is_none() && db.mysql_pool().is_none());
                return Ok(());
            }
            Dialect::Postgres => {
                let pool = db.pg_pool().expect("a PostgreSQL pool").clone();
                let n: i64 = sqlx::query_scalar(count_sql)
                    .fetch_one(&pool)
                    .await
                    .expect("raw sqlx");
                assert_eq!(n, 1);
                Db::from_pg_pool(pool)
            }
            Dialect::MySql => {
                let pool = db.mysql_pool().expect("a MySQL pool").clone();
                let n: i64 = sqlx::query_scalar(count_sql)
                    .fetch_one(&pool)
                    .await
                    .expect("raw sqlx");
                assert_eq!(n, 1);
                Db::from_mysql_pool(pool).await?
            }
        };
        assert_eq!(other.dialect(), db.dialect());
        assert_eq!(other.supports_returning(), db.supports_returning());
        Publisher::objects()
            .create(&other, publisher("second"))
            .await?;
        let names: Vec<String> = Publisher::objects()
            .order_by(Publisher::name.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["first", "second"]);
        let tx_count = other
            .transaction(|tx| async move { Publisher::objects().count(&tx).await })
            .await?;
        assert_eq!(tx_count, 2);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn drop_tables_drops_in_dependency_order_whatever_the_order_given() {
    on_all_backends(|db| async move {
        let models = orm_tests::models::ALL;
        for round in 0..2 {
            create_schema(&db).await?;
            Publisher::objects().create(&db, publisher("kept")).await?;
            // Create order (referenced tables first), then the reverse.
            let order: Vec<_> = if round == 0 {
                models.to_vec()
            } else {
                models.iter().rev().copied().collect()
            };
            db.drop_tables(&order).await?;
            let gone = Publisher::objects().count(&db).await;
            assert!(gone.is_err(), "round {round}: the table is still there");
        }
        Ok(())
    })
    .await;
}
