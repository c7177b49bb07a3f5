//! A web page that runs a query per row, and the same page in one query,
//! served with axum; every response says how many queries it ran.
//!
//! ```text
//! cargo run --example web
//! ORM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --example web
//! curl -i http://127.0.0.1:3000/states/slow     # x-query-count: 151
//! curl -i http://127.0.0.1:3000/states/fast     # x-query-count: 1
//! ```
//!
//! The database is `ORM_DATABASE_URL` (SQLite in memory by default); its
//! `state` and `city` tables are created afresh and seeded on start-up. The
//! port is `PORT` (3000 by default).

mod app;

use orm_runtime::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Each request is logged at INFO by the middleware; the ORM logs every
    // statement at DEBUG on target `orm::query`.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();

    let url = std::env::var("ORM_DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = Db::connect(&url).await?;
    app::setup(&db).await?;
    tracing::info!(
        backend = %db.dialect(),
        states = app::State::objects().count(&db).await?,
        cities = app::City::objects().count(&db).await?,
        "seeded"
    );

    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse()?,
        Err(_) => 3000,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    tracing::info!("serving http://{addr}/states/slow and http://{addr}/states/fast");
    axum::serve(listener, app::router(db)).await?;
    Ok(())
}
