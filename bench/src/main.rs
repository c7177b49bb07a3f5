//! Benchmarks: each workload run by the ORM and by the raw driver of the
//! backend executing the identical SQL in the same process, reported as
//! medians, spreads (fastest and slowest run), trimmed means and ratios
//! ORM / raw driver of the medians; on PostgreSQL and MariaDB
//! also by sqlx run raw (the driver under the ORM there), with the ratio
//! ORM `Conn` / raw sqlx: how much of the gap to the raw driver is sqlx's.
//!
//! The raw driver floors, each on one connection held for the run, with
//! prepared statements reused and rows decoded one by one into structs:
//! SQLite through rusqlite (`prepare_cached`, `query_map` / `query_row`),
//! PostgreSQL through tokio-postgres (`prepare` once, `query_raw` row
//! stream; `query_one` for one row), MariaDB/MySQL through mysql_async
//! (`prep` once, `exec_map`; `exec_first` for one row). Raw sqlx 0.9 holds
//! one `PoolConnection` and runs `sqlx::query(..).bind(..)` (prepared once
//! per connection, from its statement cache after that): `fetch`, a row
//! stream, decoding each row with `try_get` by index as it arrives;
//! `fetch_one` for one row. The ORM runs both on the pool (`&db`) and on
//! an acquired connection (`db.acquire()`).
//!
//! The sides run interleaved, one run each a round, after a timed
//! warm-up, and fast workloads for at least two seconds (see `measure` for
//! why: on a small machine a side's figure otherwise depends on which CPU
//! the scheduler happens to keep its server process on).
//!
//! ```text
//! cargo run --release -p orm-bench                  # SQLite file + local PostgreSQL + local MariaDB
//! ORM_BENCH_POSTGRES_URL=postgres://user@host/db cargo run --release -p orm-bench
//! ORM_BENCH_MYSQL_URL=mysql://user@host/db cargo run --release -p orm-bench
//! ORM_BENCH_POSTGRES_URL= ORM_BENCH_MYSQL_URL= cargo run --release -p orm-bench   # SQLite only
//! ORM_BENCH_ONLY=sqlite cargo run --release -p orm-bench     # one backend: sqlite | postgres | mysql
//! ORM_BENCH_ONLY=render cargo run --release -p orm-bench     # build + render timing alone, no database
//! ORM_BENCH_SAMPLES=3 cargo run --release -p orm-bench       # every measurement 3 rounds (a quick check)
//! ```
//!
//! Defaults: `postgres://postgres@127.0.0.1:5432/test` (the data goes to a
//! schema `orm_bench`, dropped and recreated) and
//! `mysql://root@127.0.0.1:3306/test` (a database `orm_bench`, dropped and
//! recreated); an empty URL leaves the backend out. SQLite uses a file in
//! the temporary directory, so that rusqlite reads the same data.
//! `ORM_BENCH_RENDER_N` sets the iterations per sample of the render timing.
//! The table goes to standard output, progress to standard error.

use futures::TryStreamExt;
use mysql_async::prelude::Queryable;
use orm_runtime::Statement;
use orm_runtime::observe;
use orm_runtime::prelude::*;
use orm_runtime::value::Value;
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, ConnectOptions, Row as _};
use std::sync::Arc;
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

impl PlaylistQuerySet {
    pub fn songs_total_length() -> Subquery<Playlist, Option<i64>> {
        Playlist::correlated(|p| {
            Song::objects()
                .filter(Song::playlist.eq(p.id))
                .values(Song::playlist)
                .values_list(Sum(Song::length))
        })
        .subquery()
    }
}

impl UserQuerySet {
    pub fn collect(self) -> Self {
        self.annotate_into(
            User::playlists_total_length,
            User::correlated(|u| {
                Playlist::objects()
                    .filter(Playlist::user.eq(u.id))
                    .values(Playlist::user)
                    .values_list(Sum(PlaylistQuerySet::songs_total_length()))
            })
            .subquery(),
        )
    }
}

const MODELS: [&orm_runtime::model::ModelMeta; 3] = [User::META, Playlist::META, Song::META];

// ---------------------------------------------------------------------------
// Statistics and the report
// ---------------------------------------------------------------------------

/// The median of repeated runs, their spread (fastest and slowest run),
/// and a trimmed mean: the mean of the runs without the fastest and the
/// slowest 5% (one each from 5 to 39 runs). Ratios are of medians. The
/// mean is printed beside it because round trips to a local server are
/// bimodal on a small machine (see `measure`): a median jumps from one
/// mode to the other as their shares cross one half, while a mean follows
/// the shares as a program's total time does; trimmed, so that a rare
/// preemption by another process (milliseconds against microseconds)
/// does not decide it.
#[derive(Clone, Copy)]
struct Stat {
    median: Duration,
    mean: Duration,
    low: Duration,
    high: Duration,
}

impl Stat {
    fn of(mut times: Vec<Duration>) -> Stat {
        times.sort();
        let n = times.len();
        let cut = if n >= 5 { (n / 20).max(1) } else { 0 };
        let kept = &times[cut..n - cut];
        Stat {
            median: times[n / 2],
            mean: kept.iter().sum::<Duration>() / kept.len() as u32,
            low: times[0],
            high: times[n - 1],
        }
    }
}

impl std::fmt::Display for Stat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}–{}; mean {})",
            fmt_d(self.median),
            fmt_d(self.low),
            fmt_d(self.high),
            fmt_d(self.mean)
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

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// `100000` as `100,000`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether `ORM_BENCH_SAMPLES` sets the number of rounds.
fn samples_overridden() -> bool {
    std::env::var("ORM_BENCH_SAMPLES").is_ok()
}

/// Sample counts (the least number of rounds); `ORM_BENCH_SAMPLES`
/// overrides them all.
fn samples(default: usize) -> usize {
    std::env::var("ORM_BENCH_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(default)
}

/// The sides of a measurement, in the order of the table's columns: the
/// ORM on the pool, the ORM on an acquired connection, the backend's own
/// driver, and (PostgreSQL and MariaDB) sqlx run raw.
const SIDES: [&str; 4] = ["ORM &db", "ORM Conn", "the raw driver", "raw sqlx"];

/// Warm-up before every measurement: interleaved rounds of all sides for
/// at least this long (and at least the one round that checks them).
const WARM_UP: Duration = Duration::from_millis(200);

/// The shortest measurement: a fast workload runs more rounds than its
/// sample count, until this long has passed (unless `ORM_BENCH_SAMPLES`
/// sets the number of rounds).
const SPAN: Duration = Duration::from_secs(2);

/// Measures `sides` sides of one workload; `run(side)` runs it once on
/// that side (an index into [`SIDES`]) and returns a checksum of the rows
/// it decoded, which all sides must agree on.
///
/// The first round checks the sides against each other; more rounds warm
/// up until [`WARM_UP`] has passed. Then at least `n` rounds, and for a
/// fast workload as many as fit in [`SPAN`], every side once a round,
/// interleaved (the order rotates every round) so that a change in the
/// machine's load falls on every side alike. Every run is a sample.
///
/// Why a timed warm-up and span rather than a fixed 31 runs: on a small
/// (2-vCPU) machine a round trip to a local server costs about twice as
/// much while the server's backend process runs on the other CPU than the
/// client thread (a cross-CPU wakeup) as while it shares the client's CPU.
/// A waking backend mostly stays on the CPU it last ran on until the load
/// balancer moves it, so its placement holds for tens of milliseconds to
/// over a second; and each side has its own connection, so its own
/// backend. 31 runs of a 30 µs query, a few milliseconds in all, caught
/// one placement per side, and one side could come out 2–3× slower than
/// the others on the same SQL (the ORM on `&db` at ~100 µs against ~38 µs
/// for `Conn` and tokio-postgres, or tokio-postgres at twice the ORM). A
/// program that runs for longer sees each placement for the share of the
/// time the scheduler gives it, and so does a (trimmed) mean over seconds
/// of finely interleaved runs: over one second, the sides of a 1-row query
/// agreed to within 5–30% on an idle machine (their medians: 25–75%). Timing batches of runs instead was
/// worse: a batch takes in every preemption by other processes.
async fn measure(n: usize, sides: usize, mut run: impl AsyncFnMut(usize) -> u64) -> Vec<Stat> {
    let start = Instant::now();
    let mut want = None;
    while want.is_none() || start.elapsed() < WARM_UP {
        for (side, name) in SIDES.iter().enumerate().take(sides) {
            let got = run(side).await;
            let expected = *want.get_or_insert(got);
            assert_eq!(got, expected, "{name} disagrees with ORM &db");
        }
    }
    let want = want.expect("a round ran");
    let span = if samples_overridden() {
        Duration::ZERO
    } else {
        SPAN
    };
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(n); sides];
    let start = Instant::now();
    let mut round = 0;
    while round < n || start.elapsed() < span {
        for j in 0..sides {
            let side = (round + j) % sides;
            let t = Instant::now();
            let got = run(side).await;
            times[side].push(t.elapsed());
            assert_eq!(got, want);
        }
        round += 1;
    }
    eprintln!("  ({round} rounds in {:.2?})", start.elapsed());
    times.into_iter().map(Stat::of).collect()
}

/// A table row: workload, backend, the four sides' cells and the three
/// ratios.
type Row = [String; 9];

struct Report {
    /// Machine and server facts, printed above the table.
    facts: Vec<String>,
    rows: Vec<Row>,
}

impl Report {
    /// A measured row; `s` holds three sides, or four with raw sqlx.
    fn add(&mut self, workload: &str, backend: &str, raw_name: &str, s: &[Stat]) {
        let (db, conn, raw) = (s[0], s[1], s[2]);
        let (sqlx, conn_sqlx) = match s.get(3) {
            Some(x) => (
                format!("{SQLX}: {x}"),
                format!("{:.2}×", ratio(conn.median, x.median)),
            ),
            None => ("–".into(), "–".into()),
        };
        let row = [
            workload.to_owned(),
            backend.to_owned(),
            db.to_string(),
            conn.to_string(),
            format!("{raw_name}: {raw}"),
            format!("{:.2}×", ratio(db.median, raw.median)),
            format!("{:.2}×", ratio(conn.median, raw.median)),
            sqlx,
            conn_sqlx,
        ];
        eprintln!(
            "{:<58} {:<10} &db {:<30} Conn {:<30} {:<44} {} {} | {:<36} {}",
            row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]
        );
        self.rows.push(row);
    }

    /// A row with one figure or text in the ORM column.
    fn note(&mut self, workload: &str, backend: &str, text: String) {
        eprintln!("{workload:<58} {backend:<10} {text}");
        self.rows.push([
            workload.to_owned(),
            backend.to_owned(),
            text,
            "–".into(),
            "–".into(),
            String::new(),
            String::new(),
            "–".into(),
            String::new(),
        ]);
    }

    fn print(&self) {
        for f in &self.facts {
            println!("- {f}");
        }
        println!();
        println!(
            "| workload | backend | ORM &db median (min–max; mean) | ORM Conn median (min–max; mean) | raw driver median (min–max; mean) | &db / raw | Conn / raw | raw sqlx median (min–max; mean) | ORM Conn / raw sqlx |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for r in &self.rows {
            println!("| {} |", r.join(" | "));
        }
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn machine_facts() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown", |(_, m)| m.trim());
    let processors = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    format!("machine: nproc {nproc} ({processors} processors in /proc/cpuinfo), CPU {model}")
}

// ---------------------------------------------------------------------------
// The data
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Checksums: what each side decoded, so the sides can be compared
// ---------------------------------------------------------------------------

fn song_sum(id: i64, playlist: i64, title: &str, length: i32) -> u64 {
    (id as u64)
        .wrapping_mul(3)
        .wrapping_add((playlist as u64).wrapping_mul(5))
        .wrapping_add(title.len() as u64 * 7)
        .wrapping_add(length as u64 * 11)
}

fn user_sum(id: i64, name: &str, total: Option<i64>) -> u64 {
    (id as u64)
        .wrapping_mul(3)
        .wrapping_add(name.len() as u64 * 7)
        .wrapping_add(total.map_or(1, |t| t as u64 * 11))
}

// ---------------------------------------------------------------------------
// The ORM side, on any executor (`&db` or a `Conn`)
// ---------------------------------------------------------------------------

async fn orm_songs<E: Executor + ?Sized>(ex: &E, qs: &SongQuerySet) -> u64 {
    let rows = qs.clone().all(ex).await.expect("orm songs");
    rows.iter().fold(0u64, |acc, s| {
        acc.wrapping_add(song_sum(s.id, *s.playlist.id(), &s.title, s.length))
    })
}

/// The N+1 loop: the users, then per user its playlists, then per playlist
/// the sum of its songs' lengths (1 + 1,000 + 10,000 queries).
async fn orm_loop<E: Executor + ?Sized>(ex: &E) -> u64 {
    let mut total = 0i64;
    let users = User::objects()
        .order_by(User::id.asc())
        .all(ex)
        .await
        .expect("users");
    for u in &users {
        for p in Playlist::objects()
            .filter(Playlist::user.eq(u))
            .all(ex)
            .await
            .expect("playlists")
        {
            let sum = Song::objects()
                .filter(Song::playlist.eq(&p))
                .aggregate(Sum(Song::length));
            total += sum.get(ex).await.expect("sum").unwrap_or(0);
        }
    }
    total as u64
}

async fn orm_collect<E: Executor + ?Sized>(ex: &E) -> u64 {
    let users = User::objects()
        .collect()
        .order_by(User::id.asc())
        .all(ex)
        .await
        .expect("collect");
    users.iter().fold(0u64, |acc, u| {
        acc.wrapping_add(user_sum(u.id, &u.name, u.playlists_total_length))
    })
}

// ---------------------------------------------------------------------------
// The raw driver side
// ---------------------------------------------------------------------------

const RUSQLITE: &str = "rusqlite 0.39";
const TOKIO_POSTGRES: &str = "tokio-postgres 0.7";
const MYSQL_ASYNC: &str = "mysql_async 0.37";
const SQLX: &str = "sqlx 0.9";

/// One connection of the backend's own driver, held for the run.
enum Raw {
    Sqlite(rusqlite::Connection),
    Postgres(tokio_postgres::Client),
    MySql(mysql_async::Conn),
}

/// A statement prepared once and reused: rusqlite keeps it in the
/// connection's cache (`prepare_cached` by its text), tokio-postgres and
/// mysql_async hand back a handle.
enum RawStmt {
    Sqlite(String),
    Postgres(tokio_postgres::Statement),
    MySql(mysql_async::Statement),
}

/// Decoding one driver row into a struct, as a user writes it by hand
/// (sqlx: `try_get` by column index).
trait FromRaw: Sized + Send + 'static {
    fn sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
    fn postgres(r: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error>;
    fn mysql(r: mysql_async::Row) -> Self;
    fn sqlx_postgres(r: &PgRow) -> Result<Self, sqlx::Error>;
    fn sqlx_mysql(r: &MySqlRow) -> Result<Self, sqlx::Error>;
}

/// An integer `SUM` that MariaDB returns as DECIMAL (and PostgreSQL as
/// NUMERIC for `SUM(bigint)`), read through rust_decimal.
fn decimal_total(d: Option<rust_decimal::Decimal>) -> Option<i64> {
    d.map(|d| i64::try_from(d).expect("integer total"))
}

struct RawSong {
    id: i64,
    playlist: i64,
    title: String,
    length: i32,
}

impl FromRaw for RawSong {
    fn sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawSong {
            id: r.get(0)?,
            playlist: r.get(1)?,
            title: r.get(2)?,
            length: r.get(3)?,
        })
    }
    fn postgres(r: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(RawSong {
            id: r.try_get(0)?,
            playlist: r.try_get(1)?,
            title: r.try_get(2)?,
            length: r.try_get(3)?,
        })
    }
    fn mysql(r: mysql_async::Row) -> Self {
        let (id, playlist, title, length) = mysql_async::from_row(r);
        RawSong {
            id,
            playlist,
            title,
            length,
        }
    }
    fn sqlx_postgres(r: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(RawSong {
            id: r.try_get(0)?,
            playlist: r.try_get(1)?,
            title: r.try_get(2)?,
            length: r.try_get(3)?,
        })
    }
    fn sqlx_mysql(r: &MySqlRow) -> Result<Self, sqlx::Error> {
        Ok(RawSong {
            id: r.try_get(0)?,
            playlist: r.try_get(1)?,
            title: r.try_get(2)?,
            length: r.try_get(3)?,
        })
    }
}

struct RawUser {
    id: i64,
    #[allow(dead_code)]
    name: String,
}

impl FromRaw for RawUser {
    fn sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawUser {
            id: r.get(0)?,
            name: r.get(1)?,
        })
    }
    fn postgres(r: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(RawUser {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
        })
    }
    fn mysql(r: mysql_async::Row) -> Self {
        let (id, name) = mysql_async::from_row(r);
        RawUser { id, name }
    }
    fn sqlx_postgres(r: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(RawUser {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
        })
    }
    fn sqlx_mysql(r: &MySqlRow) -> Result<Self, sqlx::Error> {
        Ok(RawUser {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
        })
    }
}

struct RawPlaylist {
    id: i64,
    #[allow(dead_code)]
    user: i64,
    #[allow(dead_code)]
    name: String,
}

impl FromRaw for RawPlaylist {
    fn sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawPlaylist {
            id: r.get(0)?,
            user: r.get(1)?,
            name: r.get(2)?,
        })
    }
    fn postgres(r: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(RawPlaylist {
            id: r.try_get(0)?,
            user: r.try_get(1)?,
            name: r.try_get(2)?,
        })
    }
    fn mysql(r: mysql_async::Row) -> Self {
        let (id, user, name) = mysql_async::from_row(r);
        RawPlaylist { id, user, name }
    }
    fn sqlx_postgres(r: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(RawPlaylist {
            id: r.try_get(0)?,
            user: r.try_get(1)?,
            name: r.try_get(2)?,
        })
    }
    fn sqlx_mysql(r: &MySqlRow) -> Result<Self, sqlx::Error> {
        Ok(RawPlaylist {
            id: r.try_get(0)?,
            user: r.try_get(1)?,
            name: r.try_get(2)?,
        })
    }
}

/// `SUM` of an integer column: INTEGER on SQLite, BIGINT on PostgreSQL
/// (SUM of integer), DECIMAL on MariaDB (mysql_async reads it as an
/// integer; sqlx only as a decimal).
struct RawSum(Option<i64>);

impl FromRaw for RawSum {
    fn sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawSum(r.get(0)?))
    }
    fn postgres(r: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(RawSum(r.try_get(0)?))
    }
    fn mysql(r: mysql_async::Row) -> Self {
        let (sum,) = mysql_async::from_row(r);
        RawSum(sum)
    }
    fn sqlx_postgres(r: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(RawSum(r.try_get(0)?))
    }
    fn sqlx_mysql(r: &MySqlRow) -> Result<Self, sqlx::Error> {
        Ok(RawSum(decimal_total(r.try_get(0)?)))
    }
}

/// A user with its total: the total is `SUM` of a `SUM`, NUMERIC on
/// PostgreSQL (SUM of bigint), decoded through rust_decimal (and so with
/// sqlx on MariaDB, where it is DECIMAL).
struct RawUserTotal {
    id: i64,
    name: String,
    total: Option<i64>,
}

impl FromRaw for RawUserTotal {
    fn sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawUserTotal {
            id: r.get(0)?,
            name: r.get(1)?,
            total: r.get(2)?,
        })
    }
    fn postgres(r: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(RawUserTotal {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            total: decimal_total(r.try_get(2)?),
        })
    }
    fn mysql(r: mysql_async::Row) -> Self {
        let (id, name, total) = mysql_async::from_row(r);
        RawUserTotal { id, name, total }
    }
    fn sqlx_postgres(r: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(RawUserTotal {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            total: decimal_total(r.try_get(2)?),
        })
    }
    fn sqlx_mysql(r: &MySqlRow) -> Result<Self, sqlx::Error> {
        Ok(RawUserTotal {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            total: decimal_total(r.try_get(2)?),
        })
    }
}

impl Raw {
    async fn connect(dialect: Dialect, url: &str) -> Raw {
        match dialect {
            Dialect::Sqlite => Raw::Sqlite(rusqlite::Connection::open(url).expect("rusqlite open")),
            Dialect::Postgres => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .expect("tokio-postgres connect");
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        eprintln!("tokio-postgres connection: {e}");
                    }
                });
                Raw::Postgres(client)
            }
            Dialect::MySql => {
                let opts = mysql_async::Opts::from_url(url).expect("mysql url");
                Raw::MySql(
                    mysql_async::Conn::new(opts)
                        .await
                        .expect("mysql_async connect"),
                )
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Raw::Sqlite(_) => RUSQLITE,
            Raw::Postgres(_) => TOKIO_POSTGRES,
            Raw::MySql(_) => MYSQL_ASYNC,
        }
    }

    /// The server's version, for the facts above the table.
    async fn server_version(&mut self) -> String {
        match self {
            Raw::Sqlite(c) => c
                .query_row("SELECT sqlite_version()", [], |r| r.get(0))
                .expect("sqlite_version"),
            Raw::Postgres(c) => c
                .query_one("SHOW server_version", &[])
                .await
                .expect("server_version")
                .get(0),
            Raw::MySql(c) => c
                .query_first("SELECT VERSION()")
                .await
                .expect("version")
                .unwrap_or_default(),
        }
    }

    async fn prepare(&mut self, sql: &str) -> RawStmt {
        match self {
            Raw::Sqlite(c) => {
                c.prepare_cached(sql).expect("prepare");
                RawStmt::Sqlite(sql.to_owned())
            }
            Raw::Postgres(c) => RawStmt::Postgres(c.prepare(sql).await.expect("prepare")),
            Raw::MySql(c) => RawStmt::MySql(c.prep(sql).await.expect("prep")),
        }
    }

    /// Every row of the statement, decoded into `T` one by one.
    async fn fetch<T: FromRaw>(&mut self, st: &RawStmt, params: &[i64]) -> Vec<T> {
        match (self, st) {
            (Raw::Sqlite(c), RawStmt::Sqlite(sql)) => {
                let mut st = c.prepare_cached(sql).expect("prepare_cached");
                st.query_map(rusqlite::params_from_iter(params), T::sqlite)
                    .expect("query")
                    .collect::<rusqlite::Result<Vec<T>>>()
                    .expect("row")
            }
            (Raw::Postgres(c), RawStmt::Postgres(st)) => {
                let rows = c.query_raw(st, params.iter()).await.expect("query_raw");
                let mut rows = std::pin::pin!(rows);
                let mut out = Vec::new();
                while let Some(row) = rows.try_next().await.expect("row") {
                    out.push(T::postgres(&row).expect("decode"));
                }
                out
            }
            (Raw::MySql(c), RawStmt::MySql(st)) => c
                .exec_map(st, mysql_params(params), T::mysql)
                .await
                .expect("exec_map"),
            _ => unreachable!("a statement of another backend"),
        }
    }

    /// The statement's first row (it must have one).
    async fn one<T: FromRaw>(&mut self, st: &RawStmt, params: &[i64]) -> T {
        match (self, st) {
            (Raw::Sqlite(c), RawStmt::Sqlite(sql)) => {
                let mut st = c.prepare_cached(sql).expect("prepare_cached");
                st.query_row(rusqlite::params_from_iter(params), T::sqlite)
                    .expect("query_row")
            }
            (Raw::Postgres(c), RawStmt::Postgres(st)) => {
                let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
                    .collect();
                T::postgres(&c.query_one(st, &params).await.expect("query_one")).expect("decode")
            }
            (Raw::MySql(c), RawStmt::MySql(st)) => {
                let row: mysql_async::Row = c
                    .exec_first(st, mysql_params(params))
                    .await
                    .expect("exec_first")
                    .expect("one row");
                T::mysql(row)
            }
            _ => unreachable!("a statement of another backend"),
        }
    }

    async fn close(self) {
        if let Raw::MySql(c) = self {
            c.disconnect().await.expect("disconnect");
        }
    }
}

fn mysql_params(params: &[i64]) -> mysql_async::Params {
    if params.is_empty() {
        mysql_async::Params::Empty
    } else {
        mysql_async::Params::Positional(params.iter().map(|&p| p.into()).collect())
    }
}

/// The integer binds of a rendered statement, to pass to the raw driver.
fn int_binds(stmt: &Statement) -> Vec<i64> {
    stmt.binds
        .iter()
        .map(|v| match v {
            Value::I64(i) => *i,
            Value::I32(i) => i64::from(*i),
            Value::I16(i) => i64::from(*i),
            other => panic!("unexpected bind {other:?} in {}", stmt.sql),
        })
        .collect()
}

async fn raw_songs(raw: &mut Raw, st: &RawStmt, params: &[i64]) -> u64 {
    let rows: Vec<RawSong> = raw.fetch(st, params).await;
    rows.iter().fold(0u64, |acc, s| {
        acc.wrapping_add(song_sum(s.id, s.playlist, &s.title, s.length))
    })
}

/// The statements of the N+1 loop (prepared for the raw driver, and as
/// text for sqlx) and the binds they were rendered with.
struct LoopSql {
    users: RawStmt,
    playlists: RawStmt,
    playlists_binds: Vec<i64>,
    sum: RawStmt,
    sum_binds: Vec<i64>,
    users_sql: Arc<str>,
    playlists_sql: Arc<str>,
    sum_sql: Arc<str>,
}

async fn raw_loop(raw: &mut Raw, st: &LoopSql) -> u64 {
    let mut total = 0i64;
    let mut pb = st.playlists_binds.clone();
    let mut sb = st.sum_binds.clone();
    let users: Vec<RawUser> = raw.fetch(&st.users, &[]).await;
    for u in &users {
        pb[0] = u.id;
        let playlists: Vec<RawPlaylist> = raw.fetch(&st.playlists, &pb).await;
        for p in &playlists {
            sb[0] = p.id;
            let sum: RawSum = raw.one(&st.sum, &sb).await;
            total += sum.0.unwrap_or(0);
        }
    }
    total as u64
}

async fn raw_collect(raw: &mut Raw, st: &RawStmt) -> u64 {
    let rows: Vec<RawUserTotal> = raw.fetch(st, &[]).await;
    rows.iter().fold(0u64, |acc, u| {
        acc.wrapping_add(user_sum(u.id, &u.name, u.total))
    })
}

// ---------------------------------------------------------------------------
// Raw sqlx (PostgreSQL and MariaDB): the driver under the ORM, without it
// ---------------------------------------------------------------------------

/// One sqlx connection, taken from a one-connection pool and held for the
/// run, configured as the ORM configures its own (statement logging off).
/// `sqlx::query` prepares a statement on its first run on the connection
/// and reuses it from the connection's statement cache after that, as the
/// ORM does; the SQL is kept as an `Arc<str>`, so that passing it does not
/// copy it. Rows are read with `fetch` (a stream) and decoded one by one
/// as they arrive with `try_get` by index; one row with `fetch_one`.
enum RawSqlx {
    Postgres(sqlx::PgPool, sqlx::pool::PoolConnection<sqlx::Postgres>),
    MySql(sqlx::MySqlPool, sqlx::pool::PoolConnection<sqlx::MySql>),
}

impl RawSqlx {
    async fn connect(dialect: Dialect, url: &str) -> Option<RawSqlx> {
        use std::str::FromStr;
        match dialect {
            Dialect::Sqlite => None,
            Dialect::Postgres => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(url)
                    .expect("sqlx postgres url")
                    .disable_statement_logging();
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts)
                    .await
                    .expect("sqlx postgres connect");
                let conn = pool.acquire().await.expect("sqlx acquire");
                Some(RawSqlx::Postgres(pool, conn))
            }
            Dialect::MySql => {
                let opts = sqlx::mysql::MySqlConnectOptions::from_str(url)
                    .expect("sqlx mysql url")
                    .disable_statement_logging();
                let pool = sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts)
                    .await
                    .expect("sqlx mysql connect");
                let conn = pool.acquire().await.expect("sqlx acquire");
                Some(RawSqlx::MySql(pool, conn))
            }
        }
    }

    /// Every row of the statement, decoded into `T` one by one as they
    /// arrive.
    async fn fetch<T: FromRaw>(&mut self, sql: &Arc<str>, params: &[i64]) -> Vec<T> {
        let mut out = Vec::new();
        match self {
            RawSqlx::Postgres(_, c) => {
                let mut q = sqlx::query::<sqlx::Postgres>(AssertSqlSafe(sql.clone()));
                for &p in params {
                    q = q.bind(p);
                }
                let mut rows = q.fetch(&mut **c);
                while let Some(row) = rows.try_next().await.expect("row") {
                    out.push(T::sqlx_postgres(&row).expect("decode"));
                }
            }
            RawSqlx::MySql(_, c) => {
                let mut q = sqlx::query::<sqlx::MySql>(AssertSqlSafe(sql.clone()));
                for &p in params {
                    q = q.bind(p);
                }
                let mut rows = q.fetch(&mut **c);
                while let Some(row) = rows.try_next().await.expect("row") {
                    out.push(T::sqlx_mysql(&row).expect("decode"));
                }
            }
        }
        out
    }

    /// The statement's first row (it must have one).
    async fn one<T: FromRaw>(&mut self, sql: &Arc<str>, params: &[i64]) -> T {
        match self {
            RawSqlx::Postgres(_, c) => {
                let mut q = sqlx::query::<sqlx::Postgres>(AssertSqlSafe(sql.clone()));
                for &p in params {
                    q = q.bind(p);
                }
                T::sqlx_postgres(&q.fetch_one(&mut **c).await.expect("fetch_one")).expect("decode")
            }
            RawSqlx::MySql(_, c) => {
                let mut q = sqlx::query::<sqlx::MySql>(AssertSqlSafe(sql.clone()));
                for &p in params {
                    q = q.bind(p);
                }
                T::sqlx_mysql(&q.fetch_one(&mut **c).await.expect("fetch_one")).expect("decode")
            }
        }
    }

    async fn close(self) {
        match self {
            RawSqlx::Postgres(pool, conn) => {
                drop(conn);
                pool.close().await;
            }
            RawSqlx::MySql(pool, conn) => {
                drop(conn);
                pool.close().await;
            }
        }
    }
}

/// The raw sqlx side, if the backend has one (not SQLite).
fn sqlx_side(s: &mut Option<RawSqlx>) -> &mut RawSqlx {
    s.as_mut().expect("a raw sqlx side on this backend")
}

async fn sqlx_songs(sq: &mut RawSqlx, sql: &Arc<str>, params: &[i64]) -> u64 {
    let rows: Vec<RawSong> = sq.fetch(sql, params).await;
    rows.iter().fold(0u64, |acc, s| {
        acc.wrapping_add(song_sum(s.id, s.playlist, &s.title, s.length))
    })
}

async fn sqlx_loop(sq: &mut RawSqlx, st: &LoopSql) -> u64 {
    let mut total = 0i64;
    let mut pb = st.playlists_binds.clone();
    let mut sb = st.sum_binds.clone();
    let users: Vec<RawUser> = sq.fetch(&st.users_sql, &[]).await;
    for u in &users {
        pb[0] = u.id;
        let playlists: Vec<RawPlaylist> = sq.fetch(&st.playlists_sql, &pb).await;
        for p in &playlists {
            sb[0] = p.id;
            let sum: RawSum = sq.one(&st.sum_sql, &sb).await;
            total += sum.0.unwrap_or(0);
        }
    }
    total as u64
}

async fn sqlx_collect(sq: &mut RawSqlx, sql: &Arc<str>) -> u64 {
    let rows: Vec<RawUserTotal> = sq.fetch(sql, &[]).await;
    rows.iter().fold(0u64, |acc, u| {
        acc.wrapping_add(user_sum(u.id, &u.name, u.total))
    })
}

// ---------------------------------------------------------------------------
// One backend
// ---------------------------------------------------------------------------

/// The SQL the ORM ran for `fut`, checked against what the raw side runs.
async fn check_sql<F: Future>(what: &str, expected: &[&str], count: usize, fut: F) {
    let (_, queries) = observe::capture(fut).await;
    assert_eq!(queries.len(), count, "{what}: number of statements");
    for q in &queries {
        assert!(
            expected.contains(&q.sql.as_str()),
            "{what}: the ORM ran {:?}, not the raw side's SQL {expected:?}",
            q.sql
        );
    }
}

/// Runs every workload on one backend. `raw_url` is what the raw driver
/// connects to; `sqlx_url`, if any, what raw sqlx connects to (the ORM's
/// own URL).
async fn run_backend(
    name: &str,
    db: Db,
    raw_url: &str,
    sqlx_url: Option<&str>,
    report: &mut Report,
) -> Result<(), Error> {
    let t = Instant::now();
    load_playlists(&db).await?;
    eprintln!("{name}: loaded 1,000 × 10 × 10 in {:.2?}", t.elapsed());
    let dialect = db.dialect();
    // Opened after the load and ANALYZE, so every side plans with statistics.
    let mut raw = Raw::connect(dialect, raw_url).await;
    if let Raw::Postgres(c) = &raw {
        c.batch_execute("SET search_path TO orm_bench")
            .await
            .expect("search_path");
    }
    let mut sqlx = match sqlx_url {
        Some(url) => RawSqlx::connect(dialect, url).await,
        None => None,
    };
    let sides = if sqlx.is_some() { 4 } else { 3 };
    let raw_name = raw.name();
    let version = raw.server_version().await;
    report.facts.push(format!(
        "{name} {version}, raw driver {raw_name}{}",
        if sqlx.is_some() {
            format!(", and raw {SQLX}")
        } else {
            String::new()
        }
    ));
    let conn = db.acquire().await?;

    // A. load N rows into structs.
    for (n, default_samples) in [(1u64, 31), (100, 31), (10_000, 15), (100_000, 9)] {
        let qs = Song::objects().order_by(Song::id.asc()).limit(n);
        let stmt = qs.to_sql(dialect)?;
        let binds = int_binds(&stmt);
        check_sql("A", &[&stmt.sql], 1, orm_songs(&db, &qs)).await;
        let st = raw.prepare(&stmt.sql).await;
        let sql: Arc<str> = stmt.sql.as_str().into();
        let s = measure(samples(default_samples), sides, async |side| match side {
            0 => orm_songs(&db, &qs).await,
            1 => orm_songs(&conn, &qs).await,
            2 => raw_songs(&mut raw, &st, &binds).await,
            _ => sqlx_songs(sqlx_side(&mut sqlx), &sql, &binds).await,
        })
        .await;
        report.add(
            &format!(
                "A. load {} Song row{} into structs (ORDER BY id LIMIT n)",
                thousands(n),
                if n == 1 { "" } else { "s" }
            ),
            name,
            raw_name,
            &s,
        );
    }

    // B. a 100-row query: one user's songs, through a join.
    let user_id = User::objects()
        .order_by(User::id.asc())
        .offset(500)
        .first(&db)
        .await?
        .expect("a user")
        .id;
    let qs = Song::objects()
        .filter(Song::playlist.then(Playlist::user).eq(user_id))
        .order_by(Song::id.asc());
    let stmt = qs.to_sql(dialect)?;
    eprintln!("{name}: B: {stmt}");
    let binds = int_binds(&stmt);
    check_sql("B", &[&stmt.sql], 1, orm_songs(&db, &qs)).await;
    let st = raw.prepare(&stmt.sql).await;
    assert_eq!(raw.fetch::<RawSong>(&st, &binds).await.len(), 100);
    let sql: Arc<str> = stmt.sql.as_str().into();
    let s = measure(samples(31), sides, async |side| match side {
        0 => orm_songs(&db, &qs).await,
        1 => orm_songs(&conn, &qs).await,
        2 => raw_songs(&mut raw, &st, &binds).await,
        _ => sqlx_songs(sqlx_side(&mut sqlx), &sql, &binds).await,
    })
    .await;
    report.add(
        "B. 100-row query: one user's songs (join + filter)",
        name,
        raw_name,
        &s,
    );

    // C. every user's total song length: the N+1 loop and collect().
    let users_stmt = User::objects().order_by(User::id.asc()).to_sql(dialect)?;
    let playlists_stmt = Playlist::objects()
        .filter(Playlist::user.eq(1i64))
        .to_sql(dialect)?;
    // get() renders the aggregate with LIMIT 2 (two rows tell one from many).
    let sum_stmt = Song::objects()
        .filter(Song::playlist.eq(1i64))
        .aggregate(Sum(Song::length))
        .limit(2)
        .to_sql(dialect)?;
    eprintln!("{name}: C loop: {users_stmt}\n  {playlists_stmt}\n  {sum_stmt}");
    assert!(users_stmt.binds.is_empty());
    check_sql(
        "C loop",
        &[&users_stmt.sql, &playlists_stmt.sql, &sum_stmt.sql],
        11_001,
        orm_loop(&db),
    )
    .await;
    let loop_sql = LoopSql {
        users: raw.prepare(&users_stmt.sql).await,
        playlists: raw.prepare(&playlists_stmt.sql).await,
        playlists_binds: int_binds(&playlists_stmt),
        sum: raw.prepare(&sum_stmt.sql).await,
        sum_binds: int_binds(&sum_stmt),
        users_sql: users_stmt.sql.as_str().into(),
        playlists_sql: playlists_stmt.sql.as_str().into(),
        sum_sql: sum_stmt.sql.as_str().into(),
    };
    let looped = measure(samples(7), sides, async |side| match side {
        0 => orm_loop(&db).await,
        1 => orm_loop(&conn).await,
        2 => raw_loop(&mut raw, &loop_sql).await,
        _ => sqlx_loop(sqlx_side(&mut sqlx), &loop_sql).await,
    })
    .await;
    report.add(
        "C. N+1 loop: users, playlists, SUM per playlist (11,001 queries)",
        name,
        raw_name,
        &looped,
    );
    let collect_stmt = User::objects()
        .collect()
        .order_by(User::id.asc())
        .to_sql(dialect)?;
    eprintln!("{name}: C collect: {collect_stmt}");
    assert!(collect_stmt.binds.is_empty());
    check_sql("C collect", &[&collect_stmt.sql], 1, orm_collect(&db)).await;
    let st = raw.prepare(&collect_stmt.sql).await;
    let sql: Arc<str> = collect_stmt.sql.as_str().into();
    let collected = measure(samples(15), sides, async |side| match side {
        0 => orm_collect(&db).await,
        1 => orm_collect(&conn).await,
        2 => raw_collect(&mut raw, &st).await,
        _ => sqlx_collect(sqlx_side(&mut sqlx), &sql).await,
    })
    .await;
    report.add(
        "C. collect(): the same totals in 1 query",
        name,
        raw_name,
        &collected,
    );
    let faster = |i: usize| ratio(looped[i].median, collected[i].median);
    report.note(
        "C. collect() against the N+1 loop",
        name,
        format!(
            "{:.0}× faster on &db, {:.0}× on Conn, {:.0}× with {raw_name}{}",
            faster(0),
            faster(1),
            faster(2),
            if sides > 3 {
                format!(", {:.0}× with raw {SQLX}", faster(3))
            } else {
                String::new()
            }
        ),
    );
    drop(conn);
    raw.close().await;
    if let Some(sq) = sqlx {
        sq.close().await;
    }
    db.close().await;
    Ok(())
}

// ---------------------------------------------------------------------------
// No database: rendering; memory: stream()
// ---------------------------------------------------------------------------

/// Building and rendering the nested collect() queryset, no database.
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
        report.note(
            "build + render collect() to SQL (no database)",
            d.name(),
            Stat::of(times).to_string(),
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

// ---------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------

/// `url` with its database (the path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let host = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host..].find('/') {
        Some(i) => &base[..host + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

async fn run_sqlite(report: &mut Report) -> Result<(), Error> {
    stream_bench(report).await?;
    // A file, so that rusqlite reads the same data as the ORM's pool.
    let dir = std::env::temp_dir().join(format!("orm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Usage(e.to_string()))?;
    let file = dir.join("bench.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let db = Db::connect(&url).await?;
    let out = run_backend(
        "SQLite",
        db,
        file.to_str().unwrap_or_default(),
        None,
        report,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    out
}

async fn run_postgres(report: &mut Report, pg: &str) -> Result<(), Error> {
    let admin = Db::connect(pg).await?;
    admin
        .execute_raw("DROP SCHEMA IF EXISTS orm_bench CASCADE")
        .await?;
    admin.execute_raw("CREATE SCHEMA orm_bench").await?;
    let url = format!(
        "{pg}{}options=-c%20search_path%3Dorm_bench",
        if pg.contains('?') { '&' } else { '?' }
    );
    let db = Db::connect(&url).await?;
    // The raw client sets its search_path after connecting; raw sqlx
    // connects as the ORM does, with the search_path in the URL.
    let out = run_backend("PostgreSQL", db, pg, Some(&url), report).await;
    admin.execute_raw("DROP SCHEMA orm_bench CASCADE").await?;
    admin.close().await;
    out
}

async fn run_mysql(report: &mut Report, my: &str) -> Result<(), Error> {
    let admin = Db::connect(my).await?;
    admin
        .execute_raw("DROP DATABASE IF EXISTS orm_bench")
        .await?;
    admin.execute_raw("CREATE DATABASE orm_bench").await?;
    let url = with_database(my, "orm_bench");
    let db = Db::connect(&url).await?;
    let raw_url = url.replacen("mariadb://", "mysql://", 1);
    let out = run_backend("MariaDB", db, &raw_url, Some(&raw_url), report).await;
    admin.execute_raw("DROP DATABASE orm_bench").await?;
    admin.close().await;
    out
}

fn url_from_env(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut report = Report {
        facts: vec![
            machine_facts(),
            format!("load average (1/5/15 min) at start: {}", loadavg()),
        ],
        rows: Vec::new(),
    };
    let only = std::env::var("ORM_BENCH_ONLY").unwrap_or_default();
    let (render, sqlite, postgres, mysql) = match only.as_str() {
        "" => (true, true, true, true),
        "render" => (true, false, false, false),
        "sqlite" => (false, true, false, false),
        "postgres" | "postgresql" => (false, false, true, false),
        "mysql" | "mariadb" => (false, false, false, true),
        other => {
            return Err(Error::Usage(format!(
                "ORM_BENCH_ONLY={other:?}: expected render, sqlite, postgres or mysql"
            )));
        }
    };
    if render {
        render_bench(&mut report);
    }
    // `ORM_BENCH_ONLY=render`: the rendering measurement alone, no database.
    if only == "render" {
        report
            .facts
            .push(format!("load average (1/5/15 min) at end: {}", loadavg()));
        report.print();
        return Ok(());
    }
    let pg = url_from_env(
        "ORM_BENCH_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let my = url_from_env("ORM_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
    for (selected, url, var) in [
        (postgres, &pg, "ORM_BENCH_POSTGRES_URL"),
        (mysql, &my, "ORM_BENCH_MYSQL_URL"),
    ] {
        if selected && url.is_empty() && !only.is_empty() {
            return Err(Error::Usage(format!(
                "ORM_BENCH_ONLY={only} but {var} is empty"
            )));
        }
    }
    if sqlite {
        run_sqlite(&mut report).await?;
    }
    if postgres && !pg.is_empty() {
        run_postgres(&mut report, &pg).await?;
    }
    if mysql && !my.is_empty() {
        run_mysql(&mut report, &my).await?;
    }
    report
        .facts
        .push(format!("load average (1/5/15 min) at end: {}", loadavg()));
    report.facts.push(format!(
        "each cell: median of the side's runs, (fastest–slowest run; mean of the runs \
         without the fastest and slowest 5%), {}, after at least {} ms of warm-up rounds; \
         ratios are of medians; the sides run interleaved, one run each a round, the order \
         rotating",
        if samples_overridden() {
            format!("{} runs (ORM_BENCH_SAMPLES)", samples(1))
        } else {
            format!(
                "at least 31 runs (1 and 100 rows, B), 15 (10,000 rows, collect()), \
                 9 (100,000 rows), 7 (the loop), and as many more as fit in {:.1} s",
                SPAN.as_secs_f64()
            )
        },
        WARM_UP.as_millis()
    ));
    report.print();
    Ok(())
}
