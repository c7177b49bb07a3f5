//! Raw SQL with bound parameters, through the same execution point as
//! querysets (logged, captured, counted). One placeholder style runs on
//! every backend: `?`, or `$1, $2, ..`; `render/raw.rs` rewrites them into
//! the backend's own when the statement is built. Rows decode into tuples
//! by position, or into a model by column name.

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::exec::{self, Executor, RowDecoder};
use crate::render::Statement;
use orm_core::field::FieldType;
use orm_core::model::Model;
use orm_core::row::{DecodeError, RowReader};
use orm_core::value::Value;
use std::marker::PhantomData;
use std::sync::OnceLock;

/// A raw SQL statement and its bound values.
///
/// Placeholders are `?` (one value each, in order) or `$1, $2, ..` (a
/// number may repeat), one style per statement, on every backend; `??` is
/// a literal `?` (PostgreSQL's jsonb `?`, `?|`, `?&` operators). A `?` or
/// `$1` inside a string literal, a quoted identifier or a comment is left
/// alone. A count that does not match the binds is
/// [`Error::Placeholders`], before anything is sent.
///
/// ```
/// use orm_runtime::{Dialect, raw};
/// let s = raw("SELECT id FROM publisher WHERE name = ? AND note <> '?'")
///     .bind("O'Reilly".to_owned())
///     .to_sql(Dialect::Postgres)?;
/// assert_eq!(s.sql, "SELECT id FROM publisher WHERE name = $1 AND note <> '?'");
/// # Ok::<(), orm_runtime::Error>(())
/// ```
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

/// A raw SQL statement. The text is sent as written but for its
/// placeholders (see [`Raw`]): put every value in a `bind`, never into the
/// text.
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
    /// Binds the next placeholder (with `$N`: the value of `$N` is the
    /// N-th bound).
    pub fn bind<T: FieldType>(mut self, value: T) -> Self {
        self.binds.push(value.to_value());
        self
    }

    /// The SQL text and binds this statement sends on `dialect`: its
    /// placeholders in the backend's spelling.
    pub fn to_sql(&self, dialect: Dialect) -> Result<Statement> {
        crate::render::raw::rewrite(&self.sql, self.binds.clone(), dialect)
            .map_err(Error::Placeholders)
    }

    fn statement<E: Executor + ?Sized>(self, db: &E) -> Result<Statement> {
        crate::render::raw::rewrite(&self.sql, self.binds, db.dialect())
            .map_err(Error::Placeholders)
    }

    /// Runs the query and decodes each row into a tuple, by position.
    pub async fn fetch<T: RawRow, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<T>> {
        exec::fetch(db, &self.statement(db)?, &RawDecoder::<T>(PhantomData)).await
    }

    /// Runs the query and decodes each row into model `M`, by column name
    /// as Django's `raw()` does: each stored field from the column named
    /// like its column, each `#[orm(annotation)]` field from the column
    /// named like the field (`COUNT(c.id) AS comment_count`), the first
    /// such column where several have the name (names compared ignoring
    /// ASCII case, as PostgreSQL folds unquoted aliases to lower case).
    /// Other columns are ignored; an annotation field with no column stays
    /// `None`, and so is a `Deferred` field with no column left
    /// `NotLoaded`. Any other field with no column is an
    /// [`Error::Decode`] naming it.
    pub async fn fetch_models<M: Model, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<M>> {
        exec::fetch(db, &self.statement(db)?, &ByName::<M>::new()).await
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute<E: Executor + ?Sized>(self, db: &E) -> Result<u64> {
        Ok(exec::execute(db, &self.statement(db)?).await?.rows_affected)
    }
}

/// Where the fields of `M` are in the rows of one raw query: found from the
/// first row's column names, then the same for every row.
struct ByName<M> {
    plan: OnceLock<Result<Plan, DecodeError>>,
    _m: PhantomData<fn() -> M>,
}

#[derive(Clone)]
struct Plan {
    /// The column of each stored field, in `META.fields` order (`None`: a
    /// deferred field left out).
    fields: Vec<Option<usize>>,
    /// The column of each annotation field that has one.
    annotations: Vec<(u16, usize)>,
}

impl<M> ByName<M> {
    fn new() -> Self {
        ByName {
            plan: OnceLock::new(),
            _m: PhantomData,
        }
    }
}

impl<M> Clone for ByName<M> {
    fn clone(&self) -> Self {
        ByName {
            plan: self.plan.clone(),
            _m: PhantomData,
        }
    }
}

impl<M: Model> ByName<M> {
    fn plan<R: RowReader + ?Sized>(r: &R) -> Result<Plan, DecodeError> {
        let count = r.remaining();
        let find = |name: &str| {
            (0..count).find(|i| {
                r.column_name(*i)
                    .is_some_and(|c| c.eq_ignore_ascii_case(name))
            })
        };
        let meta = M::META;
        let fields = meta
            .fields
            .iter()
            .map(|f| match find(f.column) {
                Some(i) => Ok(Some(i)),
                None if f.deferrable => Ok(None),
                None => Err(DecodeError {
                    model: meta.name,
                    column: f.column,
                    expected: "a column of the raw query",
                    message: format!("the raw query returned no column named {:?}", f.column),
                }),
            })
            .collect::<Result<_, _>>()?;
        let annotations = M::ANNOTATIONS
            .iter()
            .zip(0u16..)
            .filter_map(|(name, n)| find(name).map(|i| (n, i)))
            .collect();
        Ok(Plan {
            fields,
            annotations,
        })
    }
}

impl<M: Model> RowDecoder for ByName<M> {
    type Output = M;
    fn decode<R: RowReader + ?Sized>(&self, r: &mut R) -> Result<M, DecodeError> {
        // A reader without column names reads the model's columns in order.
        if r.remaining() > 0 && r.column_name(0).is_none() {
            return M::decode_row(r);
        }
        let plan = self
            .plan
            .get_or_init(|| Self::plan(r))
            .as_ref()
            .map_err(Clone::clone)?;
        let mut m = M::decode_row(&mut Columns {
            r: &mut *r,
            at: &plan.fields,
            next: 0,
        })?;
        for &(n, i) in &plan.annotations {
            r.seek(i);
            m.decode_annotation(n, r)?;
        }
        Ok(m)
    }
}

/// Reads the chosen columns of a row in the order given; a missing one
/// reads as NULL.
struct Columns<'a, R: RowReader + ?Sized> {
    r: &'a mut R,
    at: &'a [Option<usize>],
    next: usize,
}

impl<R: RowReader + ?Sized> Columns<'_, R> {
    /// Moves to the next chosen column; `false` if it is missing.
    fn advance(&mut self) -> bool {
        let at = self.at.get(self.next).copied().flatten();
        self.next += 1;
        at.is_some_and(|i| self.r.seek(i))
    }
}

macro_rules! columns_reader {
    ($($m:ident -> $t:ty;)*) => {
        impl<R: RowReader + ?Sized> RowReader for Columns<'_, R> {
            $(fn $m(&mut self) -> Result<Option<$t>, String> {
                if self.advance() { self.r.$m() } else { Ok(None) }
            })*
            fn skip(&mut self) {
                self.next += 1;
            }
            fn remaining(&self) -> usize {
                self.at.len().saturating_sub(self.next)
            }
            fn left_out(&self) -> bool {
                matches!(self.at.get(self.next), Some(None))
            }
        }
    };
}

orm_core::for_each_read!(columns_reader);
