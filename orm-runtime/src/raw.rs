//! Raw SQL with bound parameters, through the same execution point as
//! querysets (logged, captured, counted). Placeholders are the backend's
//! own: `?` on SQLite and MySQL, `$1, $2, ..` on PostgreSQL.

use crate::error::Result;
use crate::exec::{self, Executor, ModelDecoder, RowDecoder};
use crate::render::Statement;
use orm_core::field::FieldType;
use orm_core::model::Model;
use orm_core::row::{DecodeError, RowReader};
use orm_core::value::Value;
use std::marker::PhantomData;

/// A raw SQL statement and its bound values.
///
/// ```
/// # #[tokio::main]
/// # async fn main() -> orm_runtime::Result<()> {
/// # let db = orm_runtime::Db::connect("sqlite::memory:").await?;
/// # db.execute_raw("CREATE TABLE publisher (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").await?;
/// # db.execute_raw("INSERT INTO publisher (id, name) VALUES (1, 'Penguin'), (2, 'Verso')").await?;
/// let rows: Vec<(i64, String)> =
///     orm_runtime::raw("SELECT id, name FROM publisher WHERE id > ?").bind(1i64).fetch(&db).await?;
/// assert_eq!(rows, [(2, "Verso".to_string())]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Raw {
    sql: String,
    binds: Vec<Value>,
}

/// A raw SQL statement. The text is sent as written: put every value in a
/// `bind`, never into the text.
pub fn raw(sql: impl Into<String>) -> Raw {
    Raw {
        sql: sql.into(),
        binds: Vec::new(),
    }
}

/// Row types a raw query decodes into: tuples of field types.
pub trait RawRow: Sized + Send + 'static {
    /// Decodes one row.
    fn decode_raw<R: RowReader + ?Sized>(r: &mut R) -> Result<Self, DecodeError>;
}

fn item<T: FieldType, R: RowReader + ?Sized>(r: &mut R, i: &'static str) -> Result<T, DecodeError> {
    T::decode(r).map_err(|message| DecodeError {
        model: "raw row",
        column: i,
        expected: std::any::type_name::<T>(),
        message,
    })
}

macro_rules! raw_tuples {
    ($( ($($t:ident $i:literal),+) )*) => {$(
        impl<$($t: FieldType),+> RawRow for ($($t,)+) {
            fn decode_raw<R: RowReader + ?Sized>(r: &mut R) -> Result<Self, DecodeError> {
                Ok(($(item::<$t, R>(r, $i)?,)+))
            }
        }
    )*};
}

raw_tuples! {
    (A "0")
    (A "0", B "1")
    (A "0", B "1", C "2")
    (A "0", B "1", C "2", D "3")
    (A "0", B "1", C "2", D "3", E "4")
    (A "0", B "1", C "2", D "3", E "4", F "5")
}

struct RawDecoder<T>(PhantomData<fn() -> T>);

impl<T> Clone for RawDecoder<T> {
    fn clone(&self) -> Self {
        RawDecoder(PhantomData)
    }
}

impl<T: RawRow> RowDecoder for RawDecoder<T> {
    type Output = T;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<T, DecodeError> {
        T::decode_raw(r)
    }
}

impl Raw {
    /// Binds the next placeholder.
    pub fn bind<T: FieldType>(mut self, value: T) -> Self {
        self.binds.push(value.to_value());
        self
    }

    fn statement<E: Executor + ?Sized>(self, db: &E) -> Statement {
        Statement {
            dialect: db.dialect(),
            sql: self.sql,
            binds: self.binds,
        }
    }

    /// Runs the query and decodes each row into a tuple.
    pub async fn fetch<T: RawRow, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<T>> {
        exec::fetch(db, &self.statement(db), &RawDecoder::<T>(PhantomData)).await
    }

    /// Runs the query and decodes each row into model `M` (its columns in
    /// declaration order first).
    pub async fn fetch_models<M: Model, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<M>> {
        exec::fetch(db, &self.statement(db), &ModelDecoder::<M>::new()).await
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute<E: Executor + ?Sized>(self, db: &E) -> Result<u64> {
        Ok(exec::execute(db, &self.statement(db)).await?.rows_affected)
    }
}
