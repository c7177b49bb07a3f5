//! SQLite's errors, classified as the other backends' are: constraint
//! violations by their extended result codes (or, for the plain
//! SQLITE_CONSTRAINT code, by their messages), failures to open a database
//! as connection errors, everything else as database errors carrying the
//! extended code.

use crate::error::{ConstraintKind, Error, range_kind, sqlite_kind};
use rusqlite::ffi;

/// Classifies a driver error.
pub(crate) fn classify(e: rusqlite::Error) -> Error {
    let (code, message) = match &e {
        rusqlite::Error::SqliteFailure(f, message) => {
            (*f, message.clone().unwrap_or_else(|| f.to_string()))
        }
        rusqlite::Error::ToSqlConversionFailure(inner) => {
            return Error::Usage(format!("cannot bind a value: {inner}"));
        }
        rusqlite::Error::InvalidParameterCount(given, expected) => {
            return Error::Usage(format!(
                "the statement has {expected} parameters but {given} values were given"
            ));
        }
        _ => {
            return Error::Database {
                message: e.to_string(),
                code: None,
                source: Box::new(e),
            };
        }
    };
    let extended = code.extended_code;
    if matches!(
        code.code,
        ffi::ErrorCode::CannotOpen
            | ffi::ErrorCode::NotADatabase
            | ffi::ErrorCode::PermissionDenied
    ) {
        return Error::Connection(Box::new(e));
    }
    let kind = match range_kind(None, &message) {
        Some(kind) => Some(kind),
        None => match extended {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                Some(ConstraintKind::Unique)
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Some(ConstraintKind::ForeignKey),
            ffi::SQLITE_CONSTRAINT_NOTNULL => Some(ConstraintKind::NotNull),
            ffi::SQLITE_CONSTRAINT_CHECK => Some(ConstraintKind::Check),
            _ if code.code == ffi::ErrorCode::ConstraintViolation => sqlite_kind(&message),
            _ => None,
        },
    };
    match kind {
        Some(kind) => Error::Constraint {
            kind,
            constraint: None,
            message,
            source: Box::new(e),
        },
        None => Error::Database {
            message,
            code: Some(extended.to_string()),
            source: Box::new(e),
        },
    }
}
