//! Why a one-row query on a local PostgreSQL can take 2–3× longer on one
//! side of the benchmark than on another: the time of each query split by
//! whether the server's backend process last ran on the same CPU as the
//! client thread or on another one. Each side (ORM on `&db`, ORM on a
//! `Conn`, tokio-postgres) has its own connection, so its own backend.
//!
//! ```text
//! cargo run --release -p orm-bench --example placement
//! PATTERN=dcr N=31 cargo run --release -p orm-bench --example placement    # as the old bench sampled
//! FLAVOR=multi cargo run --release -p orm-bench --example placement        # multi-thread runtime
//! ```
//!
//! `PATTERN`: the sides in the order they run each round (`d` &db, `c`
//! Conn, `r` tokio-postgres; default `dcr`); `N` rounds (default 2,000);
//! `WARM` warm-up rounds (default 3). `ORM_BENCH_POSTGRES_URL` as for the
//! benchmark; the server must run on this machine (its processes are read
//! from `/proc`). The data goes to a schema `orm_placement`, dropped after.

use orm_runtime::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Model, Debug, Clone)]
pub struct Song {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 255)]
    pub title: String,
    pub length: i32,
}

/// Percentiles, the mean and the mean without the fastest and slowest 5%
/// (what the benchmark reports).
fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let p = |q: f64| v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    let cut = v.len() / 20;
    let mid = &v[cut..v.len() - cut];
    let tmean = mid.iter().sum::<Duration>().as_secs_f64() * 1e6 / mid.len() as f64;
    let mean = v.iter().sum::<Duration>().as_secs_f64() * 1e6 / v.len() as f64;
    format!(
        "n {:5}  p10 {:6.1} µs  p50 {:6.1} µs  p90 {:6.1} µs  mean {:6.1} µs  trimmed mean {:6.1} µs",
        v.len(),
        p(0.1),
        p(0.5),
        p(0.9),
        mean,
        tmean
    )
}

/// The CPU a task last ran on (field 39 of `/proc/<pid>/stat`).
fn cpu_of(stat: &str) -> Option<u32> {
    let s = std::fs::read_to_string(stat).ok()?;
    let (_, rest) = s.rsplit_once(')')?;
    rest.split_whitespace().nth(39 - 3)?.parse().ok()
}

fn env<T: std::str::FromStr>(var: &str, default: T) -> T {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run() -> Result<(), Error> {
    let pg = std::env::var("ORM_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = Db::connect(&pg).await?;
    admin
        .execute_raw("DROP SCHEMA IF EXISTS orm_placement CASCADE")
        .await?;
    admin.execute_raw("CREATE SCHEMA orm_placement").await?;
    let sep = if pg.contains('?') { '&' } else { '?' };
    let db = Db::connect(&format!(
        "{pg}{sep}options=-c%20search_path%3Dorm_placement"
    ))
    .await?;
    db.create_tables(&[Song::META]).await?;
    let rows: Vec<Song> = (0..1000)
        .map(|i| Song {
            id: 0,
            title: format!("song {i}"),
            length: i,
        })
        .collect();
    Song::objects()
        .bulk_create(&db, rows, BulkCreate::default())
        .await?;
    let (client, connection) = tokio_postgres::connect(&pg, tokio_postgres::NoTls)
        .await
        .expect("tokio-postgres connect");
    tokio::spawn(connection);
    client
        .batch_execute("SET search_path TO orm_placement")
        .await
        .expect("search_path");
    let conn = db.acquire().await?;
    let qs = Song::objects().order_by(Song::id.asc()).limit(1);
    let stmt = qs.to_sql(db.dialect())?;
    let st = client.prepare(&stmt.sql).await.expect("prepare");

    let pid = "SELECT pg_backend_pid()";
    let on_db: Vec<(i32,)> = orm_runtime::raw(pid).fetch(&db).await?;
    let on_conn: Vec<(i32,)> = orm_runtime::raw(pid).fetch(&conn).await?;
    let on_raw: i32 = client.query_one(pid, &[]).await.expect("pid").get(0);
    let stat = |side: char| {
        let pid = match side {
            'd' => on_db[0].0,
            'c' => on_conn[0].0,
            _ => on_raw,
        };
        format!("/proc/{pid}/stat")
    };

    let sides: Vec<char> = std::env::var("PATTERN")
        .unwrap_or_else(|_| "dcr".into())
        .chars()
        .filter(|c| "dcr".contains(*c))
        .collect();
    let (n, warm) = (env("N", 2000usize), env("WARM", 3usize));
    let once = async |side: char| -> Result<(), Error> {
        match side {
            'd' => drop(qs.clone().all(&db).await?),
            'c' => drop(qs.clone().all(&conn).await?),
            _ => drop(client.query_one(&st, &[&1i64]).await.expect("query")),
        }
        Ok(())
    };
    for _ in 0..warm {
        for &side in &sides {
            once(side).await?;
        }
    }
    let mut all: BTreeMap<char, Vec<Duration>> = BTreeMap::new();
    let mut split: BTreeMap<(char, bool), Vec<Duration>> = BTreeMap::new();
    let mut timeline: BTreeMap<char, String> = BTreeMap::new();
    let start = Instant::now();
    for _ in 0..n {
        for &side in &sides {
            let t = Instant::now();
            once(side).await?;
            let took = t.elapsed();
            let same = cpu_of(&stat(side)) == cpu_of("/proc/thread-self/stat");
            all.entry(side).or_default().push(took);
            split.entry((side, same)).or_default().push(took);
            timeline
                .entry(side)
                .or_default()
                .push(if same { 'S' } else { '.' });
        }
    }
    let flavor = std::env::var("FLAVOR").unwrap_or_else(|_| "current_thread".into());
    println!(
        "{flavor} runtime, {n} rounds of {} in {:.2?}",
        sides.iter().collect::<String>(),
        start.elapsed()
    );
    for (side, t) in all {
        println!("{side} all         {}", percentiles(t));
    }
    for ((side, same), t) in split {
        let cpu = if same { "same CPU " } else { "other CPU" };
        println!("{side} {cpu}   {}", percentiles(t));
    }
    println!(
        "backend on the client's CPU (S) or not (.), every {}th run:",
        (n / 100).max(1)
    );
    for (side, line) in timeline {
        let line: String = line.chars().step_by((n / 100).max(1)).collect();
        println!("{side} {line}");
    }
    drop(conn);
    db.close().await;
    admin
        .execute_raw("DROP SCHEMA orm_placement CASCADE")
        .await?;
    admin.close().await;
    Ok(())
}

fn main() -> Result<(), Error> {
    let rt = match std::env::var("FLAVOR").as_deref() {
        Ok("multi") => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .expect("runtime");
    rt.block_on(run())
}
