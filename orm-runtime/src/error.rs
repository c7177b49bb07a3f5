//! The one error type of the ORM, with distinct, matchable cases. Database
//! errors keep the database's own message; constraint violations are
//! classified the same way on every backend.

use crate::dialect::Dialect;
pub use orm_core::row::DecodeError;

/// The driver's own error behind an [`Error`]: a `sqlx::Error` on
/// PostgreSQL and MySQL/MariaDB, a `rusqlite::Error` on SQLite (downcast
/// it to read the driver's details).
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The kind of a violated constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A unique or primary key constraint.
    Unique,
    /// A foreign key constraint.
    ForeignKey,
    /// A NOT NULL constraint.
    NotNull,
    /// A CHECK constraint.
    Check,
    /// A value computed in the database falls outside its column's type:
    /// an integer beyond its width, a non-integer stored into an integer
    /// column, text beyond `max_length` (PostgreSQL's and MariaDB's "out of
    /// range" and "too long" errors, and the named CHECKs the DDL adds for
    /// the same limits on SQLite). Plain values are refused before binding
    /// instead (`Error::ExceedsLimit`).
    Range,
}

impl std::fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConstraintKind::Unique => "unique",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::NotNull => "not null",
            ConstraintKind::Check => "check",
            ConstraintKind::Range => "range",
        })
    }
}

/// A model's field, named in errors about the values written to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldName {
    /// The model's Rust type name.
    pub model: &'static str,
    /// The Rust field name.
    pub field: &'static str,
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.model, self.field)
    }
}

/// A limit declared on a field, which a refused value exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// At most this many characters (`max_length`); trailing spaces count.
    MaxLength(u32),
    /// At most this many digits before the decimal point
    /// (`max_digits - decimal_places`).
    IntegerDigits(u32),
    /// At most this many digits after the decimal point
    /// (`decimal_places`); extra places are refused, never rounded.
    DecimalPlaces(u32),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::MaxLength(n) => write!(f, "max_length = {n} characters"),
            Limit::IntegerDigits(n) => write!(f, "at most {n} digits before the point"),
            Limit::DecimalPlaces(n) => write!(f, "decimal_places = {n}"),
        }
    }
}

/// Every error the ORM returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `get()` matched no row (Django's `DoesNotExist`).
    #[error("{model} matching query does not exist")]
    NotFound {
        /// The model queried.
        model: &'static str,
    },
    /// `get()` matched more than one row (Django's `MultipleObjectsReturned`).
    #[error("get() returned more than one {model}")]
    MultipleObjectsReturned {
        /// The model queried.
        model: &'static str,
    },
    /// A constraint was violated; nothing was written.
    #[error("{kind} constraint violated{}: {message}", constraint.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Constraint {
        /// Which kind of constraint.
        kind: ConstraintKind,
        /// The constraint's name, where the backend reports it.
        constraint: Option<String>,
        /// The database's message.
        message: String,
        /// The driver error.
        #[source]
        source: DriverError,
    },
    /// Any other error reported by the database.
    #[error("database error: {message}")]
    Database {
        /// The database's message.
        message: String,
        /// The SQLSTATE or error code, where there is one.
        code: Option<String>,
        /// The driver error.
        #[source]
        source: DriverError,
    },
    /// A value could not be decoded into its Rust type.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The query uses something a dialect cannot express.
    #[error("{feature} is not supported on {dialect}")]
    Render {
        /// The dialect.
        dialect: Dialect,
        /// What is not supported.
        feature: String,
    },
    /// The connection or pool failed (unreachable server, closed pool,
    /// acquire timeout, I/O).
    #[error("connection error: {0}")]
    Connection(#[source] DriverError),
    /// Strict N+1 detection refused a statement shape run too many times
    /// in the scope (see `observe::n_plus_one`).
    #[error("N+1 queries: this statement ran {count} times in one scope: {sql}")]
    NPlusOne {
        /// How many times it ran, counting this one.
        count: usize,
        /// Its SQL.
        sql: String,
    },
    /// A relation was read without being loaded.
    #[error(transparent)]
    NotLoaded(#[from] orm_core::field::NotLoaded),
    /// A statement failed inside a transaction and its error was handled,
    /// so the transaction (or savepoint) was rolled back rather than
    /// committed, as in Django (PostgreSQL aborts such a transaction anyway).
    #[error("transaction rolled back: a statement failed inside it ({0})")]
    RolledBack(String),
    /// A value cannot be stored exactly on the backends (a duration beyond
    /// `i64` microseconds, a fraction of a microsecond, a leap second), so
    /// it was refused before the statement carrying it ran, the same way
    /// on every backend.
    ///
    /// The same case refuses text holding a NUL character (PostgreSQL text
    /// cannot hold one and SQLite patterns stop at it), NaN and infinite
    /// floats, and dates outside the years 1 to 9999 (see `storable`).
    #[error("cannot store {type_name} {value}{}: {reason}", field.map(|f| format!(" in {f}")).unwrap_or_default())]
    Unstorable {
        /// The Rust type of the value.
        type_name: &'static str,
        /// The value, as its `Debug` text.
        value: String,
        /// Why it cannot be stored.
        reason: &'static str,
        /// The field it was written to, when it is known (writes of model
        /// rows and `update()` of plain values; not filter values).
        field: Option<FieldName>,
    },
    /// A value does not fit a limit declared on its field (`max_length`,
    /// `max_digits`/`decimal_places`), so it was refused before the
    /// statement carrying it ran, the same way on every backend (rather
    /// than cut or rounded by some backends and kept by others).
    #[error("{value} does not fit {field}: {limit}")]
    ExceedsLimit {
        /// The model and field.
        field: FieldName,
        /// The limit it exceeds.
        limit: Limit,
        /// The value, as its `Debug` text (long text is shortened).
        value: String,
    },
    /// The placeholders of a raw SQL statement do not match its bound
    /// values; found when the statement is built, before anything is sent.
    #[error("raw SQL: {0}")]
    Placeholders(PlaceholderError),
    /// The API was used in a way the types could not rule out.
    #[error("invalid use: {0}")]
    Usage(String),
    /// Making or running migrations failed.
    #[error("migrations: {0}")]
    Migration(Box<crate::migrate::MigrationError>),
}

/// What is wrong with the placeholders of a raw SQL statement
/// ([`Error::Placeholders`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaceholderError {
    /// The text refers to `placeholders` parameters and `binds` values were
    /// bound. With `?`, every `?` is one parameter; with `$1, $2, ..`, every
    /// number from 1 to the number of values must appear (the count is the
    /// highest number when it exceeds the values, else the distinct numbers).
    Count {
        /// The parameters the text refers to.
        placeholders: usize,
        /// The values bound.
        binds: usize,
    },
    /// The text uses both `?` and numbered (`$1`, `?1`) placeholders.
    MixedStyles,
}

impl std::fmt::Display for PlaceholderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlaceholderError::Count {
                placeholders,
                binds,
            } => write!(
                f,
                "the text has {placeholders} placeholder(s) but {binds} value(s) were bound"
            ),
            PlaceholderError::MixedStyles => f.write_str(
                "the text mixes `?` and numbered (`$1`) placeholders; use one style per statement",
            ),
        }
    }
}

/// `Result` with the ORM's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Classifies a driver error.
    pub fn from_sqlx(e: sqlx::Error) -> Error {
        match &e {
            // The server ended the session (PostgreSQL's admin shutdown,
            // crash shutdown and "cannot connect now"; MariaDB's killed
            // connection): a connection error, as a dropped socket is.
            sqlx::Error::Database(db)
                if matches!(
                    db.code().as_deref(),
                    Some("57P01" | "57P02" | "57P03" | "1927")
                ) =>
            {
                Error::Connection(Box::new(e))
            }
            sqlx::Error::Database(db) => {
                let message = db.message().to_owned();
                let code = db.code().map(|c| c.into_owned());
                let constraint = db.constraint().map(str::to_owned);
                let kind = match range_kind(code.as_deref(), &message) {
                    Some(kind) => Some(kind),
                    None => match db.kind() {
                        sqlx::error::ErrorKind::UniqueViolation => Some(ConstraintKind::Unique),
                        sqlx::error::ErrorKind::ForeignKeyViolation => {
                            Some(ConstraintKind::ForeignKey)
                        }
                        sqlx::error::ErrorKind::NotNullViolation => Some(ConstraintKind::NotNull),
                        sqlx::error::ErrorKind::CheckViolation => Some(ConstraintKind::Check),
                        _ => sqlite_kind(&message),
                    },
                };
                match kind {
                    Some(kind) => Error::Constraint {
                        kind,
                        constraint,
                        message,
                        source: Box::new(e),
                    },
                    None => Error::Database {
                        message,
                        code,
                        source: Box::new(e),
                    },
                }
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Configuration(_)
            | sqlx::Error::WorkerCrashed => Error::Connection(Box::new(e)),
            _ => Error::Database {
                message: e.to_string(),
                code: None,
                source: Box::new(e),
            },
        }
    }

    /// The kind of violated constraint, if this is a constraint violation.
    pub fn constraint_kind(&self) -> Option<ConstraintKind> {
        match self {
            Error::Constraint { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// A connection error with a message of the ORM's own.
    pub(crate) fn connection(kind: std::io::ErrorKind, message: impl Into<String>) -> Error {
        Error::Connection(Box::new(std::io::Error::new(kind, message.into())))
    }

    /// Whether a locking read with `nowait()` found a row locked by
    /// another transaction (PostgreSQL `55P03`; MySQL/MariaDB 3572, or
    /// 1205 "lock wait timeout" from a MariaDB `NOWAIT`).
    pub fn lock_not_available(&self) -> bool {
        let Error::Database { code, source, .. } = self else {
            return false;
        };
        if code.as_deref() == Some("55P03") {
            return true;
        }
        let number = match source.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::Database(db)) => db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .map(|e| e.number()),
            _ => None,
        };
        matches!(number, Some(1205 | 3572))
    }

    /// Whether this is `NotFound`.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}

/// A value outside its column's type: SQLSTATE 22001 (text too long;
/// MariaDB's 1406) on PostgreSQL and MariaDB; SQLSTATE 22003 when it is an
/// integer or a declared decimal that overflowed (PostgreSQL's "integer out
/// of range" and "numeric field overflow", MariaDB's "Out of range value for
/// column" and "BIGINT value is out of range"), not a double (`Exp` past the
/// double range stays `Error::Database`, as on SQLite); and on SQLite the
/// named CHECKs the DDL adds for the same limits (`render::ddl`).
pub(crate) fn range_kind(code: Option<&str>, message: &str) -> Option<ConstraintKind> {
    let integer_overflow = [
        "smallint out of range",
        "integer out of range",
        "bigint out of range",
        "numeric field overflow",
        "Out of range value for column",
        "BIGINT value is out of range",
        "BIGINT UNSIGNED value is out of range",
    ]
    .iter()
    .any(|m| message.starts_with(m));
    let by_code = match code {
        Some("22001") => true,
        Some("22003") => integer_overflow,
        _ => false,
    };
    let by_check = message
        .strip_prefix("CHECK constraint failed: ")
        .is_some_and(crate::render::ddl::is_type_check);
    (by_code || by_check).then_some(ConstraintKind::Range)
}

/// SQLite reports some violations (a RESTRICT on delete, checked at the end
/// of the statement) with the plain SQLITE_CONSTRAINT code; its messages
/// name the kind.
pub(crate) fn sqlite_kind(message: &str) -> Option<ConstraintKind> {
    [
        ("UNIQUE constraint failed", ConstraintKind::Unique),
        ("FOREIGN KEY constraint failed", ConstraintKind::ForeignKey),
        ("NOT NULL constraint failed", ConstraintKind::NotNull),
        ("CHECK constraint failed", ConstraintKind::Check),
    ]
    .into_iter()
    .find(|(prefix, _)| message.starts_with(prefix))
    .map(|(_, kind)| kind)
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::from_sqlx(e)
    }
}
