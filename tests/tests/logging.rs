//! The tracing events of the execution point: every statement at DEBUG on
//! target `orm::query`, slow ones at WARN above the threshold. One test in
//! its own binary, since the threshold is process-wide.

use orm_runtime::observe;
use orm_runtime::prelude::*;
use orm_tests::logs::Logs;
use orm_tests::models::*;
use orm_tests::{create_schema, on_all_backends};
use std::time::Duration;

#[tokio::test]
async fn statements_are_logged_and_slow_ones_warned() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    on_all_backends(|db| {
        let logs = logs.clone();
        async move {
            create_schema(&db).await?;
            logs.take();
            observe::set_slow_query_threshold(None);
            Publisher::objects()
                .filter(Publisher::name.eq("x"))
                .count(&db)
                .await?;
            let quiet = logs.take();
            assert!(
                quiet.contains("DEBUG orm::query") && quiet.contains("SELECT COUNT(*)"),
                "{quiet}"
            );
            assert!(
                quiet.contains("binds=1") && quiet.contains("rows=1") && quiet.contains("micros="),
                "{quiet}"
            );
            assert!(
                quiet.contains(&format!("backend=\"{}\"", db.dialect().name())),
                "{quiet}"
            );
            assert!(!quiet.contains("WARN"), "{quiet}");

            observe::set_slow_query_threshold(Some(Duration::from_nanos(1)));
            Publisher::objects().count(&db).await?;
            observe::set_slow_query_threshold(None);
            let slow = logs.take();
            assert!(
                slow.contains("WARN orm::query") && slow.contains("slow query"),
                "{slow}"
            );

            let err = db
                .execute_raw("SELECT * FROM no_such_table")
                .await
                .expect_err("missing table");
            let failed = logs.take();
            assert!(
                failed.contains("query failed") && failed.contains("no_such_table"),
                "{failed}\n{err}"
            );
            Ok(())
        }
    })
    .await;
}
