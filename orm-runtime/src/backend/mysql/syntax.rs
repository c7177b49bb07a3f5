//! How MySQL/MariaDB spell identifiers (backquotes), parameters, string
//! literals (backslash escapes) and column types.

use crate::backend::{AutoKey, ExpressionKeys, Lexical, Placeholders, Syntax};
use orm_core::value::{ColumnType, Kind};

/// MySQL's and MariaDB's syntax.
pub(crate) const SYNTAX: Syntax = Syntax {
    quote: '`',
    placeholders: Placeholders::Question,
    backslash_escapes: true,
    column_type,
    auto_key: AutoKey::Suffix(" NOT NULL AUTO_INCREMENT PRIMARY KEY"),
    lexical: Lexical {
        dollar_quotes: false,
        escape_strings: false,
        nested_comments: false,
        hash_comments: true,
        dash_comment_needs_space: true,
        double_quoted_strings: true,
        carriage_return_ends_comments: false,
        executable_comments: true,
        bracket_identifiers: false,
    },
    expression_keys: ExpressionKeys::GeneratedColumn,
};

fn column_type(ty: ColumnType) -> String {
    match ty.kind {
        Kind::Bool => "BOOLEAN".into(),
        Kind::I16 => "SMALLINT".into(),
        Kind::I32 => "INT".into(),
        Kind::I64 => "BIGINT".into(),
        Kind::F32 => "FLOAT".into(),
        Kind::F64 => "DOUBLE".into(),
        Kind::String => match ty.max_length {
            Some(n) => format!("VARCHAR({n})"),
            None => "LONGTEXT".into(),
        },
        Kind::Bytes => "LONGBLOB".into(),
        Kind::Decimal => format!(
            "DECIMAL({}, {})",
            ty.max_digits.unwrap_or(38),
            ty.decimal_places.unwrap_or(0)
        ),
        Kind::Date => "DATE".into(),
        // DATETIME, not TIMESTAMP (which ends in 2038), for both.
        Kind::DateTime | Kind::DateTimeUtc => "DATETIME(6)".into(),
        Kind::Time => "TIME(6)".into(),
        // Microseconds, as Django stores a DurationField.
        Kind::Duration => "BIGINT".into(),
        Kind::Uuid => "BINARY(16)".into(),
        Kind::Json => "JSON".into(),
    }
}
