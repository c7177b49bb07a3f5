//! Benchmarks: each workload run by the ORM and by raw sqlx executing the
//! identical SQL in the same process, reported as medians and ratios; on
//! SQLite also against rusqlite (the driver floor).
//!
//! ```text
//! cargo run --release -p orm-bench                 # SQLite in memory + local PostgreSQL
//! ORM_BENCH_POSTGRES_URL=postgres://user@host/db cargo run --release -p orm-bench
//! ORM_BENCH_POSTGRES_URL= cargo run --release -p orm-bench   # SQLite only
//! ```

use futures::TryStreamExt;
use orm_runtime::observe;
use orm_runtime::prelude::*;
use sqlx::{AssertSqlSafe, Row};
use std::time::{Duration, Instant};

#[derive(Model, Debug, Clone)]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 127)]
    pub name: String,
    #[orm(annotation)]
    pub playlists_total_length: Option<i64>,
}

#[derive(Model, Debug, Clone)]
pub struct Playlist {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "playlists")]
    pub user: ForeignKey<User>,
    #[orm(max_length = 255)]
    pub name: String,
}

#[derive(Model, Debug, Clone)]
pub struct Song {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(related_name = "songs", index)]
    pub playlist: ForeignKey<Playlist>,
    #[orm(max_length = 255)]
    pub title: String,
    pub length: i32,
}

/// A row decoded by hand from raw sqlx, the comparison for `Song`.
#[allow(dead_code)]
struct RawSong {
    id: i64,
    playlist: i64,
    title: String,
    length: i32,
}

impl PlaylistQuerySet {
    pub fn songs_total_length() -> Subquery<Playlist, Option<i64>> {
        Song::objects()
            .filter(Song::playlist.eq(OuterRef(Playlist::id)))
            .values(Song::playlist)
            .values_list(Sum(Song::length))
            .subquery()
    }
}

impl UserQuerySet {
    pub fn collect(self) -> Self {
        self.annotate_into(
            User::playlists_total_length,
            Playlist::objects()
                .filter(Playlist::user.eq(OuterRef(User::id)))
                .values(Playlist::user)
                .values_list(Sum(PlaylistQuerySet::songs_total_length()))
                .subquery(),
        )
    }
}

const MODELS: [&orm_runtime::model::ModelMeta; 3] = [User::META, Playlist::META, Song::META];

/// Median and spread of repeated runs.
#[derive(Clone, Copy)]
struct Stat {
    median: Duration,
    low: Duration,
    high: Duration,
}

impl std::fmt::Display for Stat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}–{})",
            fmt_d(self.median),
            fmt_d(self.low),
            fmt_d(self.high)
        )
    }
}

fn fmt_d(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// Runs the body once to warm up, then `samples` times; median, min and max.
macro_rules! measure {
    ($samples:expr, $body:block) => {{
        $body;
        let mut times: Vec<Duration> = Vec::with_capacity($samples);
        for _ in 0..$samples {
            let t = Instant::now();
            $body;
            times.push(t.elapsed());
        }
        stat(times)
    }};
}

fn stat(mut times: Vec<Duration>) -> Stat {
    times.sort();
    Stat {
        median: times[times.len() / 2],
        low: times[0],
        high: times[times.len() - 1],
    }
}

struct Report {
    rows: Vec<[String; 6]>,
}

impl Report {
    fn add(
        &mut self,
        workload: &str,
        backend: &str,
        orm: Stat,
        raw: Option<Stat>,
        floor: Option<Stat>,
    ) {
        let ratio = raw
            .map(|r| format!("{:.2}×", orm.median.as_secs_f64() / r.median.as_secs_f64()))
            .unwrap_or_default();
        self.rows.push([
            workload.to_owned(),
            backend.to_owned(),
            orm.to_string(),
            raw.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
            ratio,
            floor.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
        ]);
        let last = &self.rows[self.rows.len() - 1];
        eprintln!(
            "{:<48} {:<11} orm {:<30} raw {:<30} {:<7} floor {}",
            last[0], last[1], last[2], last[3], last[4], last[5]
        );
    }

    fn note(&mut self, workload: &str, backend: &str, text: String) {
        self.rows.push([
            workload.to_owned(),
            backend.to_owned(),
            text,
            String::new(),
            String::new(),
            String::new(),
        ]);
        eprintln!(
            "{workload:<48} {backend:<11} {}",
            self.rows[self.rows.len() - 1][2]
        );
    }

    fn print(&self) {
        println!(
            "| workload | backend | ORM median (min–max) | raw sqlx, same SQL | ORM / raw | rusqlite floor |"
        );
        println!("|---|---|---|---|---|---|");
        for r in &self.rows {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                r[0], r[1], r[2], r[3], r[4], r[5]
            );
        }
    }
}

fn song_length(user: i64, playlist: i64, song: i64) -> i32 {
    (60 + (user * 31 + playlist * 17 + song * 7) % 360) as i32
}

/// 1,000 users × 10 playlists × 10 songs, loaded with bulk_create.
async fn load_playlists(db: &Db) -> Result<(), Error> {
    db.drop_tables(&MODELS).await?;
    db.create_tables(&MODELS).await?;
    let users: Vec<User> = (0..1000)
        .map(|u| User {
            id: 0,
            name: format!("user{u:04}"),
            playlists_total_length: None,
        })
        .collect();
    User::objects()
        .bulk_create(db, users, BulkCreate::default())
        .await?;
    let users = User::objects().order_by(User::id.asc()).all(db).await?;
    let playlists: Vec<Playlist> = users
        .iter()
        .flat_map(|u| {
            (0..10).map(move |p| Playlist {
                id: 0,
                user: ForeignKey::new(u.id),
                name: format!("mix {p}"),
            })
        })
        .collect();
    Playlist::objects()
        .bulk_create(db, playlists, BulkCreate::default())
        .await?;
    let playlists = Playlist::objects()
        .order_by(Playlist::id.asc())
        .all(db)
        .await?;
    let songs: Vec<Song> = playlists
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let (u, pl) = ((i / 10) as i64, (i % 10) as i64);
            (0..10).map(move |s| Song {
                id: 0,
                playlist: ForeignKey::new(p.id),
                title: format!("song {s}"),
                length: song_length(u, pl, s),
            })
        })
        .collect();
    Song::objects()
        .bulk_create(db, songs, BulkCreate::default())
        .await?;
    db.analyze(&MODELS).await?;
    Ok(())
}

/// Raw sqlx connections of each backend (one pinned connection, as the ORM
/// side uses `db.acquire()`).
enum Backend {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
}

impl Backend {
    async fn connect(url: &str) -> Backend {
        if url.starts_with("sqlite") {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("sqlite");
            Backend::Sqlite(pool.acquire().await.expect("conn"))
        } else if url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("pg");
            Backend::Postgres(pool.acquire().await.expect("conn"))
        } else {
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("mysql");
            Backend::MySql(pool.acquire().await.expect("conn"))
        }
    }
}

macro_rules! on_conn {
    ($raw:expr, |$c:ident| $body:expr) => {
        match $raw {
            Backend::Sqlite(c) => {
                let $c = &mut **c;
                $body
            }
            Backend::Postgres(c) => {
                let $c = &mut **c;
                $body
            }
            Backend::MySql(c) => {
                let $c = &mut **c;
                $body
            }
        }
    };
}

async fn run_backend(
    name: &str,
    db: Db,
    raw_url: &str,
    report: &mut Report,
    sqlite_file: Option<&str>,
) -> Result<(), Error> {
    let t = Instant::now();
    load_playlists(&db).await?;
    // Opened after the load and ANALYZE, so both sides plan with statistics.
    let mut raw = Backend::connect(raw_url).await;
    eprintln!("{name}: loaded 1,000 × 10 × 10 in {:.2?}", t.elapsed());
    let conn = db.acquire().await?;
    let dialect = db.dialect();
    let rusqlite = sqlite_file.map(|f| rusqlite::Connection::open(f).expect("rusqlite"));

    // a. load N rows into model structs.
    for n in [1u64, 100, 10_000, 100_000] {
        let qs = Song::objects().order_by(Song::id.asc()).limit(n);
        let stmt = qs.to_sql(dialect)?;
        let samples = if n >= 10_000 { 7 } else { 30 };
        let orm = measure!(samples, {
            let rows = qs.clone().all(&conn).await.expect("orm");
            assert_eq!(rows.len() as u64, n);
        });
        let limit = n as i64;
        let sql = stmt.sql.clone();
        let raw_stat = measure!(samples, {
            let count = on_conn!(&mut raw, |c| {
                sqlx::query(AssertSqlSafe(sql.clone()))
                    .bind(limit)
                    .fetch_all(c)
                    .await
                    .expect("raw")
                    .iter()
                    .map(|r| RawSong {
                        id: r.get(0),
                        playlist: r.get(1),
                        title: r.get(2),
                        length: r.get(3),
                    })
                    .collect::<Vec<_>>()
                    .len()
            });
            assert_eq!(count as u64, n);
        });
        let floor = rusqlite.as_ref().map(|c| {
            let mut st = c.prepare(&sql).expect("prepare");
            let mut times = Vec::new();
            for _ in 0..=samples {
                let t = Instant::now();
                let rows: Vec<RawSong> = st
                    .query_map([limit], |r| {
                        Ok(RawSong {
                            id: r.get(0)?,
                            playlist: r.get(1)?,
                            title: r.get(2)?,
                            length: r.get(3)?,
                        })
                    })
                    .expect("query")
                    .map(|r| r.expect("row"))
                    .collect();
                assert_eq!(rows.len() as u64, n);
                times.push(t.elapsed());
            }
            times.remove(0);
            times.sort();
            Stat {
                median: times[times.len() / 2],
                low: times[0],
                high: times[times.len() - 1],
            }
        });
        report.add(
            &format!("a. load {n} rows into structs"),
            name,
            orm,
            Some(raw_stat),
            floor,
        );
    }

    // b. every user's total song length: the loop path and collect().
    let users = User::objects().order_by(User::id.asc()).all(&conn).await?;
    let playlist_sql = Playlist::objects()
        .filter(Playlist::user.eq(1i64))
        .to_sql(dialect)?
        .sql;
    // get() renders the aggregate with LIMIT 2 (two rows tell one from many).
    let sum_sql = Song::objects()
        .filter(Song::playlist.eq(1i64))
        .aggregate(Sum(Song::length))
        .limit(2)
        .to_sql(dialect)?
        .sql;
    let loop_orm = measure!(3, {
        let (total, queries) = observe::capture(async {
            let mut total = 0i64;
            for u in &users {
                for p in Playlist::objects()
                    .filter(Playlist::user.eq(u))
                    .all(&conn)
                    .await
                    .expect("playlists")
                {
                    let sum = Song::objects()
                        .filter(Song::playlist.eq(&p))
                        .aggregate(Sum(Song::length));
                    total += sum.get(&conn).await.expect("sum").unwrap_or(0);
                }
            }
            total
        })
        .await;
        assert_eq!(queries.len(), 11_000);
        assert!(total > 0);
    });
    let loop_raw = measure!(3, {
        let mut total = 0i64;
        for u in &users {
            let ids: Vec<i64> = on_conn!(&mut raw, |c| {
                sqlx::query(AssertSqlSafe(playlist_sql.clone()))
                    .bind(u.id)
                    .fetch_all(&mut *c)
                    .await
                    .expect("raw")
                    .iter()
                    .map(|r| r.get::<i64, _>(0))
                    .collect()
            });
            for id in ids {
                let s: Option<i64> = on_conn!(&mut raw, |c| {
                    let row = sqlx::query(AssertSqlSafe(sum_sql.clone()))
                        .bind(id)
                        .bind(2i64)
                        .fetch_one(&mut *c)
                        .await
                        .expect("raw");
                    sum_value(&row)
                });
                total += s.unwrap_or(0);
            }
        }
        assert!(total > 0);
    });
    report.add(
        "b. totals, loop path (11,000 queries)",
        name,
        loop_orm,
        Some(loop_raw),
        None,
    );
    let collect_qs = User::objects().collect().order_by(User::id.asc());
    let collect_sql = collect_qs.to_sql(dialect)?.sql;
    let collect_orm = measure!(15, {
        let users = collect_qs.clone().all(&conn).await.expect("collect");
        assert_eq!(users.len(), 1000);
    });
    let collect_raw = measure!(15, {
        let n = on_conn!(&mut raw, |c| {
            sqlx::query(AssertSqlSafe(collect_sql.clone()))
                .fetch_all(c)
                .await
                .expect("raw")
                .len()
        });
        assert_eq!(n, 1000);
    });
    report.add(
        "b. totals, collect() (1 query)",
        name,
        collect_orm,
        Some(collect_raw),
        None,
    );
    report.note(
        "b. collect() vs loop path",
        name,
        format!(
            "{:.0}× faster",
            loop_orm.median.as_secs_f64() / collect_orm.median.as_secs_f64()
        ),
    );

    // c. a filtered join loading related rows.
    let joined = Song::objects()
        .select_related(Song::playlist.then(Playlist::user))
        .filter(
            Song::playlist
                .then(Playlist::user)
                .then(User::name)
                .startswith("user00"),
        )
        .order_by(Song::id.asc());
    let join_stmt = joined.to_sql(dialect)?;
    let pattern = match &join_stmt.binds[0] {
        orm_runtime::value::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let join_orm = measure!(15, {
        let rows = joined.clone().all(&conn).await.expect("orm");
        assert_eq!(rows.len(), 10_000);
        assert!(rows[0].playlist.get().is_ok());
    });
    let join_raw = measure!(15, {
        let n = on_conn!(&mut raw, |c| {
            sqlx::query(AssertSqlSafe(join_stmt.sql.clone()))
                .bind(pattern.clone())
                .fetch_all(c)
                .await
                .expect("raw")
                .iter()
                .map(|r| {
                    let s = RawSong {
                        id: r.get(0),
                        playlist: r.get(1),
                        title: r.get(2),
                        length: r.get(3),
                    };
                    let p: (i64, i64, String) = (r.get(4), r.get(5), r.get(6));
                    let u: (i64, String) = (r.get(7), r.get(8));
                    (s, p, u)
                })
                .collect::<Vec<_>>()
                .len()
        });
        assert_eq!(n, 10_000);
    });
    report.add(
        "c. select_related join, 10,000 rows",
        name,
        join_orm,
        Some(join_raw),
        None,
    );

    // d. prefetch the playlists of 1,000 users (2 queries).
    let parents = User::objects().order_by(User::id.asc());
    let parents_sql = parents.to_sql(dialect)?.sql;
    let prefetch_orm = measure!(15, {
        let (rows, queries) = observe::capture(
            parents
                .clone()
                .prefetch(User::playlists.prefetch())
                .all(&conn),
        )
        .await;
        let rows = rows.expect("orm");
        assert_eq!((rows.len(), rows[0].1.len(), queries.len()), (1000, 10, 2));
    });
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let child_sql = Playlist::objects()
        .filter(Playlist::user.is_in(ids.clone()))
        .order_by(Playlist::id.asc())
        .to_sql(dialect)?
        .sql;
    let child_sql = child_sql.replacen(
        " FROM",
        &format!(", {} FROM", quoted(dialect, "t0", "user_id")),
        1,
    );
    let prefetch_raw = measure!(15, {
        let parents: Vec<(i64, String)> = on_conn!(&mut raw, |c| {
            sqlx::query(AssertSqlSafe(parents_sql.clone()))
                .fetch_all(&mut *c)
                .await
                .expect("raw")
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        });
        let children: Vec<(i64, i64, String, i64)> = if let Backend::Postgres(c) = &mut raw {
            // `= ANY($1)`: one array parameter, as the ORM renders it.
            let rows = sqlx::query(AssertSqlSafe(child_sql.clone()))
                .bind(ids.clone())
                .fetch_all(&mut **c)
                .await
                .expect("raw");
            rows.iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect()
        } else {
            on_conn!(&mut raw, |c| {
                let mut q = sqlx::query(AssertSqlSafe(child_sql.clone()));
                for id in &ids {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *c)
                    .await
                    .expect("raw")
                    .iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                    .collect()
            })
        };
        let mut by_parent: std::collections::HashMap<i64, Vec<(i64, i64, String)>> =
            std::collections::HashMap::new();
        for (id, user, name, key) in children {
            by_parent.entry(key).or_default().push((id, user, name));
        }
        assert_eq!((parents.len(), by_parent.len()), (1000, 1000));
    });
    report.add(
        "d. prefetch children of 1,000 parents",
        name,
        prefetch_orm,
        Some(prefetch_raw),
        None,
    );

    // e. inserting 10,000 rows.
    let fresh = |i: usize| Song {
        id: 0,
        playlist: ForeignKey::new(1),
        title: format!("new {i}"),
        length: 1,
    };
    let bulk = measure!(5, {
        let rows: Vec<Song> = (0..10_000).map(fresh).collect();
        Song::objects()
            .bulk_create(&conn, rows, BulkCreate::default())
            .await
            .expect("bulk");
    });
    let one_by_one = measure!(3, {
        conn.transaction(|tx| async move {
            for i in 0..10_000 {
                Song::objects().create(&tx, fresh(i)).await?;
            }
            Ok::<_, Error>(())
        })
        .await
        .expect("inserts");
    });
    let batch = orm_runtime::max_binds(dialect) / 3;
    let raw_insert = measure!(5, {
        let mut done = 0;
        while done < 10_000 {
            let n = batch.min(10_000 - done);
            let mut sql = format!(
                "INSERT INTO {} ({}, {}, {}) VALUES ",
                q(dialect, "song"),
                q(dialect, "playlist_id"),
                q(dialect, "title"),
                q(dialect, "length")
            );
            for i in 0..n {
                if i > 0 {
                    sql.push_str(", ");
                }
                if dialect == Dialect::Postgres {
                    sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
                } else {
                    sql.push_str("(?, ?, ?)");
                }
            }
            on_conn!(&mut raw, |c| {
                let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
                for i in 0..n {
                    q = q.bind(1i64).bind(format!("new {}", done + i)).bind(1i32);
                }
                q.execute(c).await.expect("raw insert");
            });
            done += n;
        }
    });
    report.add(
        "e. insert 10,000 rows: bulk_create",
        name,
        bulk,
        Some(raw_insert),
        None,
    );
    report.add(
        "e. insert 10,000 rows: one insert per row",
        name,
        one_by_one,
        Some(raw_insert),
        None,
    );
    Ok(())
}

/// SUM over an integer column: an integer on SQLite, NUMERIC on
/// PostgreSQL (SUM of bigint), DECIMAL on MySQL.
fn sum_value<R: Row>(row: &R) -> Option<i64>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    row.try_get::<Option<i64>, _>(0).ok().flatten()
}

fn q(d: Dialect, name: &str) -> String {
    if d == Dialect::MySql {
        format!("`{name}`")
    } else {
        format!("\"{name}\"")
    }
}

fn quoted(d: Dialect, alias: &str, col: &str) -> String {
    format!("{}.{}", q(d, alias), q(d, col))
}

/// f. building and rendering the nested collect() queryset, no database.
fn render_bench(report: &mut Report) {
    // `ORM_BENCH_RENDER_N`: iterations per sample (fewer under callgrind).
    let n: u32 = std::env::var("ORM_BENCH_RENDER_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for d in [Dialect::Postgres, Dialect::Sqlite] {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            for _ in 0..n {
                let stmt = User::objects()
                    .collect()
                    .order_by(User::id.asc())
                    .to_sql(d)
                    .expect("render");
                std::hint::black_box(stmt);
            }
            times.push(t.elapsed() / n);
        }
        times.sort();
        let stat = Stat {
            median: times[3],
            low: times[0],
            high: times[6],
        };
        report.add(
            "f. build + render collect() to SQL",
            d.name(),
            stat,
            None,
            None,
        );
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Streaming 1,000,000 rows: resident memory stays flat, unlike all().
async fn stream_bench(report: &mut Report) -> Result<(), Error> {
    let db = Db::connect("sqlite::memory:").await?;
    db.create_tables(&MODELS).await?;
    User::objects()
        .create(
            &db,
            User {
                id: 0,
                name: "u".into(),
                playlists_total_length: None,
            },
        )
        .await?;
    Playlist::objects()
        .create(
            &db,
            Playlist {
                id: 0,
                user: ForeignKey::new(1),
                name: "p".into(),
            },
        )
        .await?;
    for chunk in 0..10 {
        let rows: Vec<Song> = (0..100_000)
            .map(|i| Song {
                id: 0,
                playlist: ForeignKey::new(1),
                title: format!("song {chunk}-{i} with a title"),
                length: i,
            })
            .collect();
        Song::objects()
            .bulk_create(&db, rows, BulkCreate::default())
            .await?;
    }
    let start = rss_kib();
    let mut peak = start;
    let t = Instant::now();
    let mut stream = Song::objects().stream(&db);
    let mut n = 0u64;
    while let Some(song) = stream.try_next().await? {
        n += u64::from(song.length >= 0);
        if n.is_multiple_of(50_000) {
            peak = peak.max(rss_kib());
        }
    }
    drop(stream);
    let stream_time = t.elapsed();
    let stream_growth = peak.saturating_sub(start);
    let t = Instant::now();
    let all = Song::objects().all(&db).await?;
    let all_growth = rss_kib().saturating_sub(start);
    let all_time = t.elapsed();
    assert_eq!((n, all.len()), (1_000_000, 1_000_000));
    drop(all);
    report.note(
        "stream() 1,000,000 rows (resident memory growth)",
        "SQLite",
        format!(
            "stream: +{} MiB in {}; all(): +{} MiB in {}",
            stream_growth / 1024,
            fmt_d(stream_time),
            all_growth / 1024,
            fmt_d(all_time)
        ),
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut report = Report { rows: Vec::new() };
    render_bench(&mut report);
    // `ORM_BENCH_ONLY=render`: the rendering measurement alone, no database.
    if std::env::var("ORM_BENCH_ONLY").is_ok_and(|v| v == "render") {
        report.print();
        return Ok(());
    }
    stream_bench(&mut report).await?;

    // SQLite: a file so that the raw sqlx pool and rusqlite read the same data.
    let dir = std::env::temp_dir().join(format!("orm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Usage(e.to_string()))?;
    let file = dir.join("bench.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let db = Db::connect_with(
        &url,
        PoolConfig {
            max_connections: 1,
            ..PoolConfig::default()
        },
    )
    .await?;
    run_backend(
        "SQLite",
        db,
        &url,
        &mut report,
        Some(file.to_str().unwrap_or_default()),
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);

    let pg = std::env::var("ORM_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if !pg.is_empty() {
        let admin = Db::connect(&pg).await?;
        admin
            .execute_raw("DROP SCHEMA IF EXISTS orm_bench CASCADE")
            .await?;
        admin.execute_raw("CREATE SCHEMA orm_bench").await?;
        let url = format!(
            "{pg}{}options=-c%20search_path%3Dorm_bench",
            if pg.contains('?') { '&' } else { '?' }
        );
        let db = Db::connect(&url).await?;
        run_backend("PostgreSQL", db, &url, &mut report, None).await?;
        admin.execute_raw("DROP SCHEMA orm_bench CASCADE").await?;
    }
    report.print();
    Ok(())
}
