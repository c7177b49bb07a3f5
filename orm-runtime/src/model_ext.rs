//! Writes of single rows: insert (returning the primary key on every
//! backend), save (update by primary key), delete and refresh.

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::exec::{self, Executor, ModelDecoder, ValuesDecoder};
use crate::render;
use crate::render::select::Projection;
use orm_core::ast::{CmpOp, ColumnRef, Cond, Delete, ExprNode, Insert, Select, Update};
use orm_core::field::FieldType;
use orm_core::model::{Model, ModelMeta};
use orm_core::row::RowReader;
use orm_core::value::Value;
use std::future::Future;

/// `pk = value` on a model's own table.
pub(crate) fn pk_cond<M: Model>(pk: &M::Pk) -> Cond {
    Cond::Cmp {
        lhs: ExprNode::Column(ColumnRef::local(
            M::META.pk().column,
            false,
            M::META.pk().ty.kind,
        )),
        op: CmpOp::Eq,
        rhs: ExprNode::Value(pk.to_value()),
    }
}

/// Loads the row with primary key `pk` (`Error::NotFound` when it is gone).
async fn get_by_pk<M: Model, E: Executor + ?Sized>(db: &E, pk: &M::Pk) -> Result<M> {
    let mut select = Select::for_model(M::META);
    select.filter.push(pk_cond::<M>(pk));
    let stmt = render::select::render(&select, Projection::Columns, db.dialect())?;
    exec::fetch(db, &stmt, &ModelDecoder::<M>::new())
        .await?
        .pop()
        .ok_or(Error::NotFound {
            model: M::META.name,
        })
}

/// Decodes a primary key from a value returned by the database.
pub(crate) fn pk_from_value<M: Model>(v: Value) -> Result<M::Pk> {
    M::Pk::decode(&mut ValueReader(Some(v))).map_err(|message| {
        Error::Decode(orm_core::row::DecodeError {
            model: M::META.name,
            column: M::META.pk().column,
            expected: std::any::type_name::<M::Pk>(),
            message,
        })
    })
}

/// Reads one already-decoded value, converting between integer widths.
struct ValueReader(Option<Value>);

macro_rules! value_reader {
    ($($m:ident -> $t:ty : $($pat:pat => $e:expr),*;)*) => {
        impl RowReader for ValueReader {
            $(fn $m(&mut self) -> Result<Option<$t>, String> {
                match self.0.take() {
                    None | Some(Value::Null(_)) => Ok(None),
                    $(Some($pat) => $e.map(Some),)*
                    Some(other) => Err(format!("unexpected value {other:?}")),
                }
            })*
            fn skip(&mut self) {
                self.0 = None;
            }
        }
    };
}

fn ok<T>(v: T) -> Result<T, String> {
    Ok(v)
}

fn int<T: TryFrom<i64>>(v: i64) -> Result<T, String> {
    T::try_from(v).map_err(|_| format!("{v} is out of range"))
}

value_reader! {
    read_bool -> bool: Value::Bool(b) => ok(b);
    read_i16 -> i16: Value::I16(i) => ok(i), Value::I32(i) => int(i64::from(i)), Value::I64(i) => int(i);
    read_i32 -> i32: Value::I32(i) => ok(i), Value::I16(i) => ok(i32::from(i)), Value::I64(i) => int(i);
    read_i64 -> i64: Value::I64(i) => ok(i), Value::I32(i) => ok(i64::from(i)), Value::I16(i) => ok(i64::from(i));
    read_f32 -> f32: Value::F32(x) => ok(x);
    read_f64 -> f64: Value::F64(x) => ok(x);
    read_string -> String: Value::String(s) => ok(s);
    read_bytes -> Vec<u8>: Value::Bytes(b) => ok(b);
    read_decimal -> rust_decimal::Decimal: Value::Decimal(d) => ok(d);
    read_date -> chrono::NaiveDate: Value::Date(d) => ok(d);
    read_datetime -> chrono::NaiveDateTime: Value::DateTime(d) => ok(d);
    read_datetime_utc -> chrono::DateTime<chrono::Utc>: Value::DateTimeUtc(d) => ok(d);
    read_time -> chrono::NaiveTime: Value::Time(t) => ok(t);
    read_uuid -> uuid::Uuid: Value::Uuid(u) => ok(u);
    read_json -> serde_json::Value: Value::Json(j) => ok(j);
}

/// Inserts one row of `meta`'s table and returns the primary key the
/// database assigned (an auto-increment key), if any. Not generic, so the
/// insert of every model runs this one compiled function.
async fn insert_values(
    db: &dyn Executor,
    meta: &'static ModelMeta,
    values: Vec<Value>,
) -> Result<Option<Value>> {
    let pk = meta.pk();
    let mut ins = Insert {
        table: meta.table,
        columns: Vec::new(),
        rows: Vec::new(),
        returning: None,
        on_conflict: None,
    };
    crate::storable::check_row(meta, &values)?;
    let mut row = Vec::with_capacity(meta.fields.len());
    for (f, v) in meta.fields.iter().zip(values) {
        if f.primary_key && f.auto_increment {
            continue;
        }
        ins.columns.push(f.column);
        row.push(v);
    }
    ins.rows.push(row);
    // MySQL reports the key as the last insert id instead.
    let dialect = db.dialect();
    if pk.auto_increment && dialect != Dialect::MySql {
        ins.returning = Some(pk.column);
    }
    let stmt = render::write::insert(&ins, dialect)?;
    if !pk.auto_increment {
        exec::execute(db, &stmt).await?;
        return Ok(None);
    }
    let value = if dialect == Dialect::MySql {
        let r = exec::execute(db, &stmt).await?;
        let id = r.last_insert_id.unwrap_or(0);
        Value::I64(
            i64::try_from(id).map_err(|_| Error::Usage(format!("insert id {id} exceeds i64")))?,
        )
    } else {
        let mut rows = exec::fetch(db, &stmt, &ValuesDecoder(vec![pk.ty.kind])).await?;
        rows.pop()
            .and_then(|mut r| r.pop())
            .ok_or(Error::NotFound { model: meta.name })?
    };
    Ok(Some(value))
}

/// Single-row writes on every model.
pub trait ModelExt: Model {
    /// Inserts the row. An auto-increment primary key is assigned by the
    /// database and stored back into `self` (RETURNING on PostgreSQL and
    /// SQLite, the last insert id on MySQL).
    fn insert<'a, E: Executor + ?Sized>(
        &'a mut self,
        db: &'a E,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            let meta = Self::META;
            if let Some(i) = self.loaded().iter().position(|l| !l) {
                return Err(Error::Usage(format!(
                    "cannot insert {} with its deferred field {} not loaded",
                    meta.name, meta.fields[i].name
                )));
            }
            let db: &dyn Executor = &db;
            if let Some(key) = insert_values(db, meta, self.values()).await? {
                self.set_pk(pk_from_value::<Self>(key)?);
            }
            Ok(())
        }
    }

    /// Writes every column of the row to the database row with the same
    /// primary key (Django's `save()` of an existing row). Fails with
    /// `Error::NotFound` if no such row exists.
    fn save<'a, E: Executor + ?Sized>(
        &'a self,
        db: &'a E,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            let meta = Self::META;
            // Deferred fields that were not loaded keep their stored value.
            let set: Vec<(&'static str, ExprNode)> = meta
                .fields
                .iter()
                .zip(self.values())
                .zip(self.loaded())
                .filter(|((f, _), loaded)| !f.primary_key && *loaded)
                .map(|(fv, _)| fv)
                .map(|(f, v)| (f.column, ExprNode::Value(v)))
                .collect();
            crate::bulk::check_plain_values::<Self>(&set)?;
            let up = Update {
                table: meta.table,
                set,
                filter: vec![pk_cond::<Self>(self.pk())],
            };
            let r = exec::execute(db, &render::write::update(&up, db.dialect())?).await?;
            if r.rows_affected == 0 {
                return Err(Error::NotFound { model: meta.name });
            }
            Ok(())
        }
    }

    /// Deletes the row; returns the number of rows deleted (0 or 1).
    /// Referencing rows follow their `on_delete` rule in the database.
    fn delete<'a, E: Executor + ?Sized>(
        &'a self,
        db: &'a E,
    ) -> impl Future<Output = Result<u64>> + Send + 'a {
        async move {
            let del = Delete {
                table: Self::META.table,
                filter: vec![pk_cond::<Self>(self.pk())],
            };
            Ok(
                exec::execute(db, &render::write::delete(&del, db.dialect())?)
                    .await?
                    .rows_affected,
            )
        }
    }

    /// Reloads every column from the database (Django's
    /// `refresh_from_db()`).
    fn refresh<'a, E: Executor + ?Sized>(
        &'a mut self,
        db: &'a E,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            *self = get_by_pk::<Self, E>(db, self.pk()).await?;
            Ok(())
        }
    }
}

impl<M: Model> ModelExt for M {}

/// Loading a foreign key's row on demand.
pub trait ForeignKeyExt<T: Model> {
    /// Loads the referenced row with one query (counted like any other),
    /// stores it and returns it; a row already loaded is returned without
    /// querying.
    fn fetch<'a, E: Executor + ?Sized>(
        &'a mut self,
        db: &'a E,
    ) -> impl Future<Output = Result<&'a T>> + Send + 'a;
}

impl<T: Model> ForeignKeyExt<T> for orm_core::field::ForeignKey<T> {
    #[allow(clippy::manual_async_fn)] // the trait promises a Send future
    fn fetch<'a, E: Executor + ?Sized>(
        &'a mut self,
        db: &'a E,
    ) -> impl Future<Output = Result<&'a T>> + Send + 'a {
        async move {
            if self.loaded().is_none() {
                let row = get_by_pk::<T, E>(db, self.id()).await?;
                self.set_loaded(row);
            }
            Ok(self.get()?)
        }
    }
}
