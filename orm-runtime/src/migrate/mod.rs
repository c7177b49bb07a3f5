//! Migrations: generated from model changes, written as files a person
//! reviews, applied and rolled back with a history table.
//!
//! `make` compares the models with the state recorded by the last
//! migration in a directory (the history, not the live database, is the
//! source of truth, as in Django) and writes the next one:
//! `NNNN_name/state.json` (the models after it) and, per backend,
//! `up.<backend>.sql` and `down.<backend>.sql`. Hand-written statements can
//! be added to those files; their checksum is recorded when applied, and an
//! applied migration whose files changed is refused.
//!
//! `apply` runs the pending migrations in order, each in a transaction
//! where the backend has transactional DDL (PostgreSQL, SQLite); MariaDB
//! commits each DDL statement, so there a failure reports the statement
//! and which ones ran. A lock (`pg_advisory_lock`, `GET_LOCK`, SQLite's
//! write lock) keeps two processes from applying at once. `rollback(n)`
//! runs the last `n` applied migrations' down files; `status` lists them.

mod plan;
mod state;

pub use plan::{Change, MakeOptions, TableChange, diff, statements};
pub use state::SchemaState;

use crate::dialect::Dialect;
use crate::error::Error;
use crate::exec::Executor;
use crate::{Conn, Db, Tx, raw};
use orm_core::model::ModelMeta;
use std::path::{Path, PathBuf};

/// What can go wrong making or running migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// A column disappeared and another appeared in one table: a rename or
    /// a drop and an add? Never guessed.
    #[error(
        "table `{table}`: column `{dropped}` is gone and `{added}` is new; declare a rename (MakeOptions::rename_column) or allow the data loss of dropping `{dropped}`"
    )]
    AmbiguousRename {
        /// The table.
        table: String,
        /// The column gone.
        dropped: String,
        /// The column new.
        added: String,
    },
    /// The change loses data and was not allowed.
    #[error("this change loses data ({0}); allow it with MakeOptions::allow_data_loss")]
    DataLoss(String),
    /// A NOT NULL column without a default cannot be added to a table that
    /// may have rows.
    #[error(
        "column `{table}.{column}` is added NOT NULL without a default: give it a default or make it nullable"
    )]
    NeedsDefault {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A change the generator does not write for this backend.
    #[error("table `{table}`: {what} is not generated")]
    Unsupported {
        /// The table.
        table: String,
        /// What.
        what: String,
    },
    /// The live database differs from the models ([`drift`]).
    #[error("the database does not match the models: {}", .0.join("; "))]
    Drift(Vec<String>),
    /// A recorded state cannot be read.
    #[error("a migration's state.json is malformed: {0}")]
    BadState(String),
    /// A migration file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The directory does not match the history table.
    #[error("migration {version} ({name}): {problem}")]
    History {
        /// The version.
        version: u32,
        /// Its name.
        name: String,
        /// What does not match.
        problem: String,
    },
    /// A statement of a migration failed. On MariaDB the statements before
    /// it stay applied (its DDL commits); elsewhere nothing of the
    /// migration stays.
    #[error(
        "migration {version} ({name}) failed at statement {index}: {statement}: {source} (applied before it: {applied:?})"
    )]
    Failed {
        /// The version.
        version: u32,
        /// Its name.
        name: String,
        /// The failing statement's number (from 1).
        index: usize,
        /// The failing statement.
        statement: String,
        /// The statements of this migration that ran and stay (MariaDB).
        applied: Vec<String>,
        /// The database's error.
        #[source]
        source: Box<Error>,
    },
}

impl From<MigrationError> for Error {
    fn from(e: MigrationError) -> Error {
        Error::Migration(Box::new(e))
    }
}

/// One migration directory entry.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Its number, from 1.
    pub version: u32,
    /// Its name (`0002_add_rating`).
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
}

impl Migration {
    fn file(&self, dialect: Dialect, direction: &str) -> PathBuf {
        self.dir
            .join(format!("{direction}.{}.sql", backend_name(dialect)))
    }

    /// The statements of one direction (`"up"` or `"down"`) on `dialect`.
    pub fn statements(&self, dialect: Dialect, direction: &str) -> Result<Vec<String>, Error> {
        Ok(split_statements(&read(&self.file(dialect, direction))?))
    }

    /// The checksum of its files for `dialect` (FNV-1a of up and down).
    pub fn checksum(&self, dialect: Dialect) -> Result<String, Error> {
        let up = read(&self.file(dialect, "up"))?;
        let down = read(&self.file(dialect, "down"))?;
        let hash = format!("{up}\0{down}")
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        Ok(format!("{hash:016x}"))
    }

    /// The models' state after it.
    pub fn state(&self) -> Result<SchemaState, Error> {
        Ok(SchemaState::from_json(&read(
            &self.dir.join("state.json"),
        )?)?)
    }
}

fn backend_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
        Dialect::MySql => "mysql",
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| {
        MigrationError::Io {
            path: path.to_owned(),
            source,
        }
        .into()
    })
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| {
        MigrationError::Io {
            path: path.to_owned(),
            source,
        }
        .into()
    })
}

/// Statements of a file: separated by lines ending in `;`, comments (`--`
/// lines) left out.
fn split_statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("--") || (current.is_empty() && line.trim().is_empty()) {
            continue;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
        if line.trim_end().ends_with(';') {
            let s = current.trim_end().trim_end_matches(';').trim().to_owned();
            if !s.is_empty() {
                out.push(s);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// The migrations in `dir`, in order (`NNNN_name` directories).
pub fn list(dir: &Path) -> Result<Vec<Migration>, Error> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(source) => {
            return Err(MigrationError::Io {
                path: dir.to_owned(),
                source,
            }
            .into());
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((number, _)) = name.split_once('_') else {
            continue;
        };
        if let Ok(version) = number.parse::<u32>()
            && entry.path().is_dir()
        {
            out.push(Migration {
                version,
                name,
                dir: entry.path(),
            });
        }
    }
    out.sort_by_key(|m| m.version);
    for (i, m) in out.iter().enumerate() {
        if m.version as usize != i + 1 {
            return Err(MigrationError::History {
                version: m.version,
                name: m.name.clone(),
                problem: format!("expected number {} (numbers must follow each other)", i + 1),
            }
            .into());
        }
    }
    Ok(out)
}

/// Writes the next migration of `dir` for `models` (given in creation
/// order: a model after those it references), named `name`, or returns
/// `None` when the models match the last recorded state.
pub fn make(
    dir: &Path,
    models: &[&'static ModelMeta],
    name: &str,
    opts: &MakeOptions,
) -> Result<Option<Migration>, Error> {
    let existing = list(dir)?;
    let from = match existing.last() {
        Some(m) => m.state()?,
        None => SchemaState::default(),
    };
    let to = SchemaState::of(models);
    let changes = diff(&from, &to, opts)?;
    if changes.is_empty() {
        return Ok(None);
    }
    let version = existing.len() as u32 + 1;
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let m = Migration {
        version,
        name: format!("{version:04}_{slug}"),
        dir: dir.join(format!("{version:04}_{slug}")),
    };
    std::fs::create_dir_all(&m.dir).map_err(|source| MigrationError::Io {
        path: m.dir.clone(),
        source,
    })?;
    let reversed: Vec<Change> = changes.iter().rev().map(Change::reversed).collect();
    let losses: Vec<String> = changes.iter().filter_map(Change::loses_data).collect();
    let down_losses: Vec<String> = reversed.iter().filter_map(Change::loses_data).collect();
    let down_blocked: Vec<String> = reversed
        .iter()
        .filter_map(Change::cannot_run_on_rows)
        .collect();
    for dialect in Dialect::ALL {
        for (direction, list) in [("up", &changes), ("down", &reversed)] {
            let mut text = format!(
                "-- {} {direction} on {}: generated from the models; review before applying.\n",
                m.name,
                dialect.name()
            );
            let (lost, blocked) = if direction == "up" {
                (&losses, &Vec::new())
            } else {
                (&down_losses, &down_blocked)
            };
            for loss in lost {
                text.push_str(&format!("-- LOSES DATA: {loss}\n"));
            }
            for b in blocked {
                text.push_str(&format!("-- FAILS ON A TABLE WITH ROWS: {b}\n"));
            }
            for s in statements(list, dialect)? {
                text.push('\n');
                text.push_str(&s);
                text.push_str(";\n");
            }
            write(&m.file(dialect, direction), &text)?;
        }
    }
    write(&m.dir.join("state.json"), &to.to_json())?;
    Ok(Some(m))
}

/// One line of [`status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The version.
    pub version: u32,
    /// Its name.
    pub name: String,
    /// Whether it is applied to the database.
    pub applied: bool,
}

const HISTORY: &str = "orm_migrations";

async fn ensure_history(conn: &Conn) -> Result<(), Error> {
    let sql = match conn.dialect() {
        Dialect::MySql => format!(
            "CREATE TABLE IF NOT EXISTS `{HISTORY}` (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, checksum VARCHAR(32) NOT NULL, applied_at VARCHAR(40) NOT NULL) ENGINE=InnoDB"
        ),
        _ => format!(
            "CREATE TABLE IF NOT EXISTS \"{HISTORY}\" (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, checksum VARCHAR(32) NOT NULL, applied_at VARCHAR(40) NOT NULL)"
        ),
    };
    conn.execute_raw(&sql).await?;
    Ok(())
}

fn history_table(d: Dialect) -> String {
    match d {
        Dialect::MySql => format!("`{HISTORY}`"),
        _ => format!("\"{HISTORY}\""),
    }
}

async fn applied<E: crate::Executor>(ex: &E) -> Result<Vec<(u32, String, String)>, Error> {
    let rows: Vec<(i64, String, String)> = raw(format!(
        "SELECT version, name, checksum FROM {} ORDER BY version",
        history_table(ex.dialect())
    ))
    .fetch(ex)
    .await?;
    Ok(rows.into_iter().map(|(v, n, c)| (v as u32, n, c)).collect())
}

/// The applied history checked against the directory: every applied
/// migration is there, under its name, with its files unchanged.
fn check_history(
    dialect: Dialect,
    migrations: &[Migration],
    history: &[(u32, String, String)],
) -> Result<(), Error> {
    for (version, name, checksum) in history {
        let problem = match migrations.iter().find(|m| m.version == *version) {
            None => "is applied but not in the directory".to_owned(),
            Some(m) if m.name != *name => format!("is applied as `{name}` but the directory has `{}`", m.name),
            Some(m) if m.checksum(dialect)? != *checksum => {
                "was edited after it was applied (its checksum differs); add a new migration instead".to_owned()
            }
            Some(_) => continue,
        };
        return Err(MigrationError::History {
            version: *version,
            name: name.clone(),
            problem,
        }
        .into());
    }
    Ok(())
}

/// The migrations of `dir` and whether each is applied to `db`.
pub async fn status(db: &Db, dir: &Path) -> Result<Vec<Status>, Error> {
    let conn = db.acquire().await?;
    ensure_history(&conn).await?;
    let migrations = list(dir)?;
    let history = applied(&conn).await?;
    check_history(db.dialect(), &migrations, &history)?;
    Ok(migrations
        .into_iter()
        .map(|m| Status {
            applied: history.iter().any(|(v, _, _)| *v == m.version),
            version: m.version,
            name: m.name,
        })
        .collect())
}

/// The SQL `apply` would run on `dialect`, without running it.
pub fn pending_sql(dir: &Path, dialect: Dialect, applied: u32) -> Result<String, Error> {
    let mut out = String::new();
    for m in list(dir)?.into_iter().filter(|m| m.version > applied) {
        out.push_str(&read(&m.file(dialect, "up"))?);
    }
    Ok(out)
}

/// Holds the migration lock on one connection while `f` runs.
async fn locked<T>(db: &Db, f: impl AsyncFnOnce(&Conn) -> Result<T, Error>) -> Result<T, Error> {
    let conn = db.acquire().await?;
    let (lock, unlock) = match db.dialect() {
        Dialect::Postgres => (
            Some("SELECT pg_advisory_lock(7261746172)"),
            Some("SELECT pg_advisory_unlock(7261746172)"),
        ),
        Dialect::MySql => (
            Some("SELECT GET_LOCK('orm_migrations', 600)"),
            Some("SELECT RELEASE_LOCK('orm_migrations')"),
        ),
        // Each migration's BEGIN IMMEDIATE transaction re-reads the history.
        Dialect::Sqlite => (None, None),
    };
    if let Some(sql) = lock {
        conn.execute_raw(sql).await?;
    }
    let out = f(&conn).await;
    if let Some(sql) = unlock {
        conn.execute_raw(sql).await?;
    }
    out
}

/// Applies the pending migrations of `dir` in order; returns the names
/// applied (none when another process applied them first).
pub async fn apply(db: &Db, dir: &Path) -> Result<Vec<String>, Error> {
    let migrations = list(dir)?;
    locked(db, async |conn| {
        ensure_history(conn).await?;
        let dialect = conn.dialect();
        check_history(dialect, &migrations, &applied(conn).await?)?;
        let mut done = Vec::new();
        for m in &migrations {
            if run(conn, m, "up").await? {
                done.push(m.name.clone());
            }
        }
        Ok(done)
    })
    .await
}

/// Rolls back the last `n` applied migrations of `dir` (their down files,
/// newest first); returns the names rolled back.
pub async fn rollback(db: &Db, dir: &Path, n: usize) -> Result<Vec<String>, Error> {
    let migrations = list(dir)?;
    locked(db, async |conn| {
        ensure_history(conn).await?;
        let history = applied(conn).await?;
        check_history(conn.dialect(), &migrations, &history)?;
        let mut done = Vec::new();
        for (version, _, _) in history.iter().rev().take(n) {
            let m = migrations
                .iter()
                .find(|m| m.version == *version)
                .expect("checked above");
            if run(conn, m, "down").await? {
                done.push(m.name.clone());
            }
        }
        Ok(done)
    })
    .await
}

/// Runs one direction of one migration and records it; `false` when the
/// history already says it is done (another process ran it).
async fn run(conn: &Conn, m: &Migration, direction: &'static str) -> Result<bool, Error> {
    let dialect = conn.dialect();
    let statements = m.statements(dialect, direction)?;
    let checksum = m.checksum(dialect)?;
    let up = direction == "up";
    let record = move |tx: Tx| {
        let table = history_table(dialect);
        let (version, name, checksum) = (i64::from(m.version), m.name.clone(), checksum.clone());
        async move {
            if up {
                raw(format!(
                    "INSERT INTO {table} (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)"
                ))
                .bind(version)
                .bind(name)
                .bind(checksum)
                .bind(chrono::Utc::now().to_rfc3339())
                .execute(&tx)
                .await?;
            } else {
                raw(format!("DELETE FROM {table} WHERE version = ?"))
                    .bind(version)
                    .execute(&tx)
                    .await?;
            }
            Ok::<_, Error>(())
        }
    };
    let is_applied = async |ex: &Tx| -> Result<bool, Error> {
        Ok(applied(ex).await?.iter().any(|(v, _, _)| *v == m.version))
    };
    let failed = |index: usize, applied: &[String], e: Error| -> Error {
        MigrationError::Failed {
            version: m.version,
            name: m.name.clone(),
            index: index + 1,
            statement: statements[index].clone(),
            applied: applied.to_vec(),
            source: Box::new(e),
        }
        .into()
    };
    if dialect == Dialect::MySql {
        // DDL commits implicitly: statement by statement, reporting what ran.
        let pending = conn
            .transaction(async |tx| Ok::<_, Error>(is_applied(&tx).await? != up))
            .await?;
        if !pending {
            return Ok(false);
        }
        let mut ran = Vec::new();
        for (i, s) in statements.iter().enumerate() {
            if let Err(e) = conn.execute_raw(s).await {
                return Err(failed(i, &ran, e));
            }
            ran.push(s.clone());
        }
        conn.transaction(record).await?;
        return Ok(true);
    }
    if dialect == Dialect::Sqlite {
        // A rebuilt table must not cascade its DROP to the rows referring
        // to it: enforcement is off while the migration runs (it cannot be
        // changed inside a transaction), and every key is checked before
        // the commit.
        conn.execute_raw("PRAGMA foreign_keys = OFF").await?;
    }
    let out = conn
        .transaction(async |tx| {
            if is_applied(&tx).await? == up {
                return Ok(false);
            }
            for (i, s) in statements.iter().enumerate() {
                if let Err(e) = tx.execute_raw(s).await {
                    return Err(failed(i, &[], e));
                }
            }
            if dialect == Dialect::Sqlite {
                let broken: Vec<(String, Option<i64>, String, i64)> =
                    raw("PRAGMA foreign_key_check").fetch(&tx).await?;
                if let Some((table, row, parent, _)) = broken.first() {
                    return Err(MigrationError::Failed {
                        version: m.version,
                        name: m.name.clone(),
                        index: statements.len(),
                        statement: "PRAGMA foreign_key_check".to_owned(),
                        applied: Vec::new(),
                        source: Box::new(Error::Usage(format!(
                            "row {row:?} of `{table}` refers to a missing row of `{parent}`"
                        ))),
                    }
                    .into());
                }
            }
            record(tx.clone()).await?;
            Ok::<_, Error>(true)
        })
        .await;
    if dialect == Dialect::Sqlite {
        conn.execute_raw("PRAGMA foreign_keys = ON").await?;
    }
    out
}

/// One difference between a live database and the models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A model's table is missing.
    MissingTable(String),
    /// A table no model (or join table) has.
    ExtraTable(String),
    /// A model's column is missing from its table.
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column no model has.
    ExtraColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column whose NULL-ability differs from the model's.
    Nullability {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Whether the model allows NULL.
        model_nullable: bool,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::MissingTable(t) => write!(f, "table `{t}` is missing"),
            Drift::ExtraTable(t) => write!(f, "table `{t}` is in the database but in no model"),
            Drift::MissingColumn { table, column } => {
                write!(f, "column `{table}.{column}` is missing")
            }
            Drift::ExtraColumn { table, column } => {
                write!(
                    f,
                    "column `{table}.{column}` is in the database but not in the model"
                )
            }
            Drift::Nullability {
                table,
                column,
                model_nullable,
            } => write!(
                f,
                "column `{table}.{column}` is {} in the database, {} in the model",
                if *model_nullable {
                    "NOT NULL"
                } else {
                    "nullable"
                },
                if *model_nullable {
                    "nullable"
                } else {
                    "NOT NULL"
                }
            ),
        }
    }
}

/// The live tables and columns: `(table, column, nullable)`.
async fn live_columns(db: &Db) -> Result<Vec<(String, String, bool)>, Error> {
    Ok(match db.dialect() {
        Dialect::Postgres => {
            let rows: Vec<(String, String, String)> = raw(
                "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
            )
            .fetch(db)
            .await?;
            rows.into_iter()
                .map(|(t, c, n)| (t, c, n == "YES"))
                .collect()
        }
        Dialect::MySql => {
            let rows: Vec<(String, String, String)> = raw(
                "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR), CAST(is_nullable AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND extra NOT LIKE '%INVISIBLE%' ORDER BY table_name, ordinal_position",
            )
            .fetch(db)
            .await?;
            rows.into_iter()
                .map(|(t, c, n)| (t, c, n == "YES"))
                .collect()
        }
        Dialect::Sqlite => {
            let rows: Vec<(String, String, i64)> = raw(
                "SELECT m.name, p.name, p.\"notnull\" FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            )
            .fetch(db)
            .await?;
            rows.into_iter()
                .map(|(t, c, notnull)| (t, c, notnull == 0))
                .collect()
        }
    })
}

/// The differences between the live database and `models` (and their join
/// tables): tables and columns missing or extra, NULL-ability. The history
/// table is not counted.
pub async fn drift(db: &Db, models: &[&'static ModelMeta]) -> Result<Vec<Drift>, Error> {
    let live = live_columns(db).await?;
    let state = SchemaState::of(models);
    let mut expected: Vec<(&str, Vec<(&str, bool)>)> = models
        .iter()
        .map(|m| {
            let columns = m.fields.iter().map(|f| (f.column, f.nullable)).collect();
            (m.table, columns)
        })
        .collect();
    for r in state.join_tables() {
        expected.push((
            r.through,
            vec![
                ("id", false),
                (r.source_column, false),
                (r.target_column, false),
            ],
        ));
    }
    // A primary key is NOT NULL by definition (SQLite's table_info reports
    // an INTEGER PRIMARY KEY as nullable): its NULL-ability is not compared.
    let is_pk = |table: &str, column: &str| {
        column == "id" && state.join_tables().iter().any(|r| r.through == table)
            || models
                .iter()
                .any(|m| m.table == table && m.pk().column == column)
    };
    let mut out = Vec::new();
    for (table, columns) in &expected {
        let live_table: Vec<&(String, String, bool)> =
            live.iter().filter(|(t, _, _)| t == table).collect();
        if live_table.is_empty() {
            out.push(Drift::MissingTable((*table).to_owned()));
            continue;
        }
        for (column, nullable) in columns {
            match live_table.iter().find(|(_, c, _)| c == column) {
                None => out.push(Drift::MissingColumn {
                    table: (*table).to_owned(),
                    column: (*column).to_owned(),
                }),
                Some((_, c, n)) if n != nullable && !is_pk(table, c) => {
                    out.push(Drift::Nullability {
                        table: (*table).to_owned(),
                        column: (*column).to_owned(),
                        model_nullable: *nullable,
                    })
                }
                Some(_) => {}
            }
        }
        for (_, column, _) in &live_table {
            if !columns.iter().any(|(c, _)| c == column) {
                out.push(Drift::ExtraColumn {
                    table: (*table).to_owned(),
                    column: column.clone(),
                });
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for (table, _, _) in &live {
        if table != HISTORY
            && !seen.contains(&table.as_str())
            && !expected.iter().any(|(t, _)| t == table)
        {
            seen.push(table);
            out.push(Drift::ExtraTable(table.clone()));
        }
    }
    Ok(out)
}

/// [`drift`] as an error when there is any: for an application that should
/// refuse to start on a database that does not match its models.
pub async fn check_drift(db: &Db, models: &[&'static ModelMeta]) -> Result<(), Error> {
    let found = drift(db, models).await?;
    if found.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = found.iter().map(ToString::to_string).collect();
    Err(MigrationError::Drift(list).into())
}

/// The command line of a migration binary: `make <name> [--rename
/// table.old:new].. [--allow-data-loss]`, `apply`, `rollback [n]`,
/// `status`, `sql`, `drift`. The database is `DATABASE_URL`, the directory
/// `MIGRATIONS_DIR` (default `migrations`). A user's crate adds it in a few
/// lines as `src/bin/migrate.rs`:
///
/// ```no_run
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Book { #[orm(primary_key)] pub id: i64 }
/// #[tokio::main]
/// async fn main() -> Result<(), orm_runtime::Error> {
///     orm_runtime::migrate::cli(&[Book::META]).await
/// }
/// ```
pub async fn cli(models: &[&'static ModelMeta]) -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::env::var("MIGRATIONS_DIR").unwrap_or_else(|_| "migrations".to_owned());
    let needs_db = args.first().is_none_or(|a| a != "make");
    let db = match (needs_db, std::env::var("DATABASE_URL")) {
        (false, _) => None,
        (true, Ok(url)) => Some(Db::connect(&url).await?),
        (true, Err(_)) => return Err(Error::Usage("set DATABASE_URL".to_owned())),
    };
    let mut out = std::io::stdout();
    run_command(&args, db.as_ref(), Path::new(&dir), models, &mut out).await
}

/// [`cli`] with its arguments, database and output given.
pub async fn run_command(
    args: &[String],
    db: Option<&Db>,
    dir: &Path,
    models: &[&'static ModelMeta],
    out: &mut dyn std::io::Write,
) -> Result<(), Error> {
    let usage = || {
        Error::Usage(
            "usage: make <name> [--rename table.old:new].. [--allow-data-loss] | apply | rollback [n] | status | sql | drift"
                .to_owned(),
        )
    };
    let mut say = |line: String| {
        let _ = std::io::Write::write_fmt(out, format_args!("{line}\n"));
    };
    let db = || db.ok_or_else(|| Error::Usage("this command needs a database".to_owned()));
    match args.first().map(String::as_str) {
        Some("make") => {
            let name = args.get(1).ok_or_else(usage)?;
            let mut opts = MakeOptions::default();
            let mut rest = args[2..].iter();
            while let Some(a) = rest.next() {
                match a.as_str() {
                    "--allow-data-loss" => opts = opts.allow_data_loss(),
                    "--rename" => {
                        let spec = rest.next().ok_or_else(usage)?;
                        let (table, cols) = spec.split_once('.').ok_or_else(usage)?;
                        let (old, new) = cols.split_once(':').ok_or_else(usage)?;
                        opts = opts.rename_column(table, old, new);
                    }
                    _ => return Err(usage()),
                }
            }
            match make(dir, models, name, &opts)? {
                Some(m) => say(format!("made {}", m.dir.display())),
                None => say("no changes".to_owned()),
            }
        }
        Some("apply") => {
            let done = apply(db()?, dir).await?;
            if done.is_empty() {
                say("nothing to apply".to_owned());
            }
            for name in done {
                say(format!("applied {name}"));
            }
        }
        Some("rollback") => {
            let n = match args.get(1) {
                Some(n) => n.parse().map_err(|_| usage())?,
                None => 1,
            };
            for name in rollback(db()?, dir, n).await? {
                say(format!("rolled back {name}"));
            }
        }
        Some("status") => {
            for s in status(db()?, dir).await? {
                say(format!(
                    "[{}] {}",
                    if s.applied { "x" } else { " " },
                    s.name
                ));
            }
        }
        Some("sql") => {
            let db = db()?;
            let applied = status(db, dir).await?.iter().filter(|s| s.applied).count();
            say(pending_sql(dir, db.dialect(), applied as u32)?);
        }
        Some("drift") => {
            let found = drift(db()?, models).await?;
            if found.is_empty() {
                say("no drift".to_owned());
            }
            for d in found {
                say(d.to_string());
            }
        }
        _ => return Err(usage()),
    }
    Ok(())
}
