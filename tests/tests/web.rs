//! The `web` example served for real on every backend: both versions of the
//! states page give the same body, the slow one runs `1 + 3 × states`
//! queries and the fast one runs one, as the `x-query-count` header, the
//! request log and a capture of the same handler code all say.

#[path = "../examples/web/app.rs"]
mod app;

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use orm_runtime::observe;
use orm_tests::logs::Logs;
use orm_tests::on_all_backends;
use std::collections::BTreeSet;

/// Queries per state in `states_slow`: cities, dense cities, any dense city.
const PER_STATE: usize = 3;

struct Page {
    query_count: usize,
    body: Bytes,
}

async fn get(client: &Client<HttpConnector, Empty<Bytes>>, url: String) -> Page {
    let uri: axum::http::Uri = url.parse().expect("uri");
    let response = client.get(uri).await.expect("request");
    assert_eq!(response.status(), 200, "{url}");
    let query_count = response
        .headers()
        .get(app::QUERY_COUNT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an x-query-count header");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Page { query_count, body }
}

/// The page line of `name` in a JSON body.
fn line<'a>(page: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    page["states"]
        .as_array()
        .and_then(|states| states.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("{name} is not on the page"))
}

#[tokio::test]
async fn the_slow_and_fast_pages_agree_and_the_fast_one_runs_one_query() {
    // Current-thread runtime: the server's tasks log to this subscriber too.
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    on_all_backends(|db| {
        let logs = logs.clone();
        async move {
            app::setup(&db).await?;
            let states = app::STATES.len();
            let cities: usize = (0..states).map(|i| app::seed_cities(i).count()).sum();
            assert_eq!((states, cities), (50, 294));

            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a free port");
            let addr = listener.local_addr().expect("address");
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(
                axum::serve(listener, app::router(db.clone()))
                    .with_graceful_shutdown(async {
                        stopped.await.ok();
                    })
                    .into_future(),
            );
            let client = Client::builder(TokioExecutor::new()).build_http();
            logs.take();
            let slow = get(&client, format!("http://{addr}/states/slow")).await;
            let fast = get(&client, format!("http://{addr}/states/fast")).await;
            drop(client);
            stop.send(()).ok();
            server.await.expect("server task").expect("server");
            let log = logs.take();

            // The same page, byte for byte, with the seed's numbers.
            assert_eq!(
                String::from_utf8_lossy(&slow.body),
                String::from_utf8_lossy(&fast.body)
            );
            let page: serde_json::Value = serde_json::from_slice(&fast.body).expect("JSON");
            let lines = page["states"].as_array().expect("a list of states");
            assert_eq!(lines.len(), 50);
            assert_eq!(lines[0]["name"], "Alabama");
            for (name, cities, dense, any_dense) in [
                ("Alabama", 0, 0, false),
                ("Colorado", 9, 7, true),
                ("Missouri", 12, 8, true),
                ("New Hampshire", 1, 0, false),
                ("Wyoming", 5, 1, true),
            ] {
                let l = line(&page, name);
                assert_eq!(
                    (&l["cities"], &l["dense_cities"], &l["has_dense_city"]),
                    (
                        &serde_json::json!(cities),
                        &serde_json::json!(dense),
                        &serde_json::json!(any_dense)
                    ),
                    "{name}"
                );
            }
            let total = |key: &str| lines.iter().filter_map(|l| l[key].as_i64()).sum::<i64>();
            assert_eq!((total("cities"), total("dense_cities")), (294, 150));
            let with_dense = lines.iter().filter(|l| l["has_dense_city"] == true).count();
            assert_eq!(with_dense, 44);

            // The header: one query per state and per number, against one.
            assert_eq!(slow.query_count, 1 + PER_STATE * states);
            assert_eq!(fast.query_count, 1);

            // The request log says the same, and the N+1 detector flagged
            // the slow page's three repeated shapes (50 runs each), not the fast one.
            assert!(
                log.contains("path=\"/states/slow\"") && log.contains("queries=151"),
                "{log}"
            );
            assert!(
                log.contains("path=\"/states/fast\"") && log.contains("queries=1 "),
                "{log}"
            );
            assert_eq!(
                log.matches("the same query ran 50 times").count(),
                3,
                "{log}"
            );

            // The handlers' own queries, captured in this task.
            let (slow_lines, slow_queries) = observe::capture(app::states_slow(&db)).await;
            let (fast_lines, fast_queries) = observe::capture(app::states_fast(&db)).await;
            assert_eq!(slow_lines?, fast_lines?);
            assert_eq!(slow_queries.len(), slow.query_count);
            assert_eq!(fast_queries.len(), fast.query_count);
            let shapes: BTreeSet<&str> = slow_queries.iter().map(|q| q.sql.as_str()).collect();
            assert_eq!(shapes.len(), 1 + PER_STATE, "{shapes:#?}");
            // One statement: the states and three correlated subqueries.
            let one = &fast_queries[0].sql;
            assert!(
                one.contains("EXISTS") && one.matches("SELECT").count() == 4,
                "{one}"
            );
            Ok(())
        }
    })
    .await;
}
