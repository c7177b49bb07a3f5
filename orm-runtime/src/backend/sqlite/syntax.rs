//! How SQLite spells identifiers, parameters and column types. SQLite
//! enforces no declared type, so decimals, dates, times and JSON are text
//! and UUIDs blobs (their forms are in `bind`); the DDL adds CHECKs that
//! hold columns to the ranges the other backends enforce by type.

use crate::backend::{AutoKey, ExpressionKeys, Lexical, Placeholders, Syntax};
use orm_core::value::{ColumnType, Kind};

/// SQLite's syntax.
pub(crate) const SYNTAX: Syntax = Syntax {
    quote: '"',
    placeholders: Placeholders::Question,
    backslash_escapes: false,
    column_type,
    // Only `INTEGER PRIMARY KEY` aliases SQLite's rowid.
    auto_key: AutoKey::Replace(" INTEGER PRIMARY KEY AUTOINCREMENT"),
    lexical: Lexical {
        dollar_quotes: false,
        escape_strings: false,
        nested_comments: false,
        hash_comments: false,
        dash_comment_needs_space: false,
        double_quoted_strings: false,
        carriage_return_ends_comments: false,
        executable_comments: false,
        bracket_identifiers: true,
    },
    expression_keys: ExpressionKeys::Inline,
};

fn column_type(ty: ColumnType) -> String {
    match ty.kind {
        Kind::Bool => "BOOLEAN".into(),
        Kind::I16 => "SMALLINT".into(),
        Kind::I32 => "INTEGER".into(),
        Kind::I64 => "BIGINT".into(),
        Kind::F32 | Kind::F64 => "REAL".into(),
        Kind::String => match ty.max_length {
            Some(n) => format!("VARCHAR({n})"),
            None => "TEXT".into(),
        },
        Kind::Bytes => "BLOB".into(),
        // No exact decimal type: TEXT keeps every digit.
        Kind::Decimal => "TEXT".into(),
        Kind::Date | Kind::DateTime | Kind::DateTimeUtc => "TEXT".into(),
        // Fixed-width 'HH:MM:SS.ffffff', so text order is time order.
        Kind::Time => "TEXT".into(),
        // Microseconds, as Django stores a DurationField.
        Kind::Duration => "BIGINT".into(),
        Kind::Uuid => "BLOB".into(),
        Kind::Json => "TEXT".into(),
    }
}
