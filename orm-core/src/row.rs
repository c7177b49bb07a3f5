//! The row-reader seam: generated decoders read columns by position through
//! this trait, so they never depend on a driver's row type.

/// Reads the columns of one result row in order.
///
/// Each `read_*` call decodes the next column and advances. `Ok(None)` is SQL
/// NULL. The error string is the driver's own message; callers wrap it with
/// the model, column and expected type.
#[allow(missing_docs)]
pub trait RowReader {
    fn read_bool(&mut self) -> Result<Option<bool>, String>;
    fn read_i16(&mut self) -> Result<Option<i16>, String>;
    fn read_i32(&mut self) -> Result<Option<i32>, String>;
    fn read_i64(&mut self) -> Result<Option<i64>, String>;
    fn read_f32(&mut self) -> Result<Option<f32>, String>;
    fn read_f64(&mut self) -> Result<Option<f64>, String>;
    fn read_string(&mut self) -> Result<Option<String>, String>;
    fn read_bytes(&mut self) -> Result<Option<Vec<u8>>, String>;
    fn read_decimal(&mut self) -> Result<Option<rust_decimal::Decimal>, String>;
    fn read_date(&mut self) -> Result<Option<chrono::NaiveDate>, String>;
    fn read_datetime(&mut self) -> Result<Option<chrono::NaiveDateTime>, String>;
    fn read_datetime_utc(&mut self) -> Result<Option<chrono::DateTime<chrono::Utc>>, String>;
    fn read_time(&mut self) -> Result<Option<chrono::NaiveTime>, String>;
    fn read_uuid(&mut self) -> Result<Option<uuid::Uuid>, String>;
    fn read_json(&mut self) -> Result<Option<serde_json::Value>, String>;
    /// Skips the next column without decoding it.
    fn skip(&mut self);
    /// Reads the next column of any type as text (for EXPLAIN output).
    fn read_text(&mut self) -> Result<Option<String>, String> {
        self.read_string()
    }
    /// The number of columns not read yet.
    fn remaining(&self) -> usize {
        0
    }
    /// The name the database gives column `index` of the row (its alias),
    /// where the reader knows it. Raw queries match columns to fields by it.
    fn column_name(&self, index: usize) -> Option<&str> {
        let _ = index;
        None
    }
    /// Moves to column `index`, which the next read then decodes. `false`
    /// if the reader cannot (it only reads in order).
    fn seek(&mut self, index: usize) -> bool {
        let _ = index;
        false
    }
    /// Whether the next column is a field the query left out (`defer()`,
    /// `only()`, or a raw query without that column), so a `Deferred<T>`
    /// reads as not loaded even when `T` is nullable and the NULL in its
    /// place would read as a loaded `None`.
    fn left_out(&self) -> bool {
        false
    }
}

/// Calls `$callback! { read_bool -> bool; .. }` with every typed read of
/// [`RowReader`], for readers that wrap another and forward each read.
#[doc(hidden)]
#[macro_export]
macro_rules! for_each_read {
    ($callback:ident) => {
        $callback! {
            read_bool -> bool;
            read_i16 -> i16;
            read_i32 -> i32;
            read_i64 -> i64;
            read_f32 -> f32;
            read_f64 -> f64;
            read_string -> String;
            read_bytes -> Vec<u8>;
            read_decimal -> rust_decimal::Decimal;
            read_date -> chrono::NaiveDate;
            read_datetime -> chrono::NaiveDateTime;
            read_datetime_utc -> chrono::DateTime<chrono::Utc>;
            read_time -> chrono::NaiveTime;
            read_uuid -> uuid::Uuid;
            read_json -> serde_json::Value;
            read_text -> String;
        }
    };
}

/// A failure to decode one column of a row into a Rust value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The model (or result type) being decoded.
    pub model: &'static str,
    /// The column being decoded.
    pub column: &'static str,
    /// The Rust type that was expected.
    pub expected: &'static str,
    /// What went wrong, in the driver's words where it has some.
    pub message: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot decode {}.{} as {}: {}",
            self.model, self.column, self.expected, self.message
        )
    }
}

impl std::error::Error for DecodeError {}

/// Something that can be decoded from the next columns of a row: a model, a
/// field value, or a tuple of them.
pub trait FromRow: Sized {
    /// Decodes `Self` from the reader's next columns.
    fn from_row<R: RowReader + ?Sized>(r: &mut R) -> Result<Self, DecodeError>;
}
