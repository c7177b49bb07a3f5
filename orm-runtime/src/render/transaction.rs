//! Transaction control statements: BEGIN/COMMIT/ROLLBACK at depth 0,
//! savepoints for nested transactions.

use super::Writer;
use crate::TransactionMode;
use crate::dialect::Dialect;

fn savepoint_stmt(dialect: Dialect, prefix: &str, depth: u32) -> String {
    let mut w = Writer::new(dialect);
    w.raw(prefix);
    w.ident(&format!("orm_sp_{depth}"));
    w.sql
}

/// Starts a transaction (depth 0) or a savepoint (depth > 0).
pub fn begin(dialect: Dialect, depth: u32) -> String {
    begin_with(dialect, depth, TransactionMode::Deferred)
}

/// Starts a transaction in `mode` (depth 0: `BEGIN IMMEDIATE` on SQLite
/// for [`TransactionMode::Immediate`], `BEGIN` elsewhere) or a savepoint
/// (depth > 0, where the mode has no effect).
pub fn begin_with(dialect: Dialect, depth: u32, mode: TransactionMode) -> String {
    match (depth, dialect, mode) {
        (0, Dialect::Sqlite, TransactionMode::Immediate) => "BEGIN IMMEDIATE".to_owned(),
        (0, _, _) => "BEGIN".to_owned(),
        _ => savepoint_stmt(dialect, "SAVEPOINT ", depth),
    }
}

/// Commits a transaction or releases a savepoint.
pub fn commit(dialect: Dialect, depth: u32) -> String {
    if depth == 0 {
        "COMMIT".to_owned()
    } else {
        savepoint_stmt(dialect, "RELEASE SAVEPOINT ", depth)
    }
}

/// Rolls back a transaction or to a savepoint.
pub fn rollback(dialect: Dialect, depth: u32) -> String {
    if depth == 0 {
        "ROLLBACK".to_owned()
    } else {
        savepoint_stmt(dialect, "ROLLBACK TO SAVEPOINT ", depth)
    }
}
