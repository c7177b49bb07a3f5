//! A Django-style ORM for Rust, checked at compile time.
//!
//! `#[derive(Model)]` on a plain struct generates typed column handles
//! (`Song::length`), relation handles, `Song::objects()` and a `SongQuerySet`
//! type you can extend. Querysets are lazy values; awaiting a terminal
//! method (`all`, `get`, `first`, `count`, `exists`, `stream`) renders one
//! SQL statement for the connected backend (SQLite, PostgreSQL,
//! MySQL/MariaDB) and runs it: on SQLite through a direct libsqlite3 driver,
//! on PostgreSQL and MySQL/MariaDB through sqlx.
//!
//! ```
//! use orm_runtime::prelude::*;
//!
//! #[derive(Model, Debug, Clone)]
//! pub struct User {
//!     #[orm(primary_key)]
//!     pub id: i64,
//!     #[orm(max_length = 127)]
//!     pub name: String,
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> orm_runtime::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! db.create_tables(&[User::META]).await?;
//! let alex = User::objects().create(&db, User { id: 0, name: "alex".into() }).await?;
//! let found = User::objects().filter(User::name.icontains("ALE")).get(&db).await?;
//! assert_eq!(found.id, alex.id);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

extern crate self as orm_runtime;

mod backend;
mod bulk;
mod db;
mod dialect;
mod empty;
mod error;
pub mod exec;
mod lease;
mod locking;
mod lower;
pub mod migrate;
mod model_ext;
pub mod observe;
mod prefetch;
mod raw;
mod related;
pub mod render;
mod storable;
mod temporal;
mod terminal;

pub use backend::Capabilities;
pub use backend::sqlite::options::{SqliteOptions, TransactionMode};
pub use bulk::{BulkCreate, conflict_update, max_binds};
pub use db::{Conn, Db, PoolConfig, Tx};
pub use dialect::Dialect;
pub use error::{ConstraintKind, DecodeError, Error, FieldName, Limit, PlaceholderError, Result};
pub use exec::Executor;
pub use locking::{Block, ForUpdate, LockingExt, NoWait, SkipLocked, WaitMode};
pub use model_ext::{ForeignKeyExt, ModelExt};
pub use orm_core::field::DbEnum;
pub use orm_core::model::Model;
pub use orm_core::{
    aggregate, assign, ast, column, expr, field, function, lookup, math, model, nullability, order,
    q, queryset, relation, row, select_list, sql_function, subquery, value, values, window,
};
pub use orm_macros::{DbEnum, Model};
pub use prefetch::{
    ManyRelation, Nested, Plain, Prefetch, PrefetchExt, PrefetchQuerySet, PrefetchRelation,
    Prefetching, Then,
};
pub use raw::{Raw, RawRow, raw};
pub use related::RelatedSetExt;
pub use render::Statement;
pub use render::select::ExplainOptions;
pub use terminal::QuerySetExt;

/// Everything needed to declare models and query them.
pub mod prelude {
    pub use crate::{
        BulkCreate, ForeignKeyExt, PrefetchExt, PrefetchQuerySet, conflict_update, raw,
    };
    pub use crate::{
        Conn, ConstraintKind, Db, DbEnum, Dialect, Error, Executor, ExplainOptions, LockingExt,
        Model, ModelExt, PoolConfig, QuerySetExt, RelatedSetExt, SqliteOptions, Statement,
        TransactionMode, Tx,
    };
    pub use orm_core::aggregate::{
        Agg, Avg, Count, CountAll, Max, Min, StdDev, StdDevSample, Sum, Variance, VarianceSample,
    };
    pub use orm_core::assign::Assign;
    pub use orm_core::ast::FrameBound;
    pub use orm_core::ast::OnConflict;
    pub use orm_core::column::Column;
    pub use orm_core::expr::{Expr, F, IntoExpr, Typed, Value};
    pub use orm_core::field::{Deferred, FieldType, ForeignKey, Key, ManyToMany};
    pub use orm_core::function::{
        Case, Coalesce, Concat, ExtractDay, ExtractMonth, ExtractYear, Greatest, Least, Length,
        Lower, NullIf, Substr, TruncDay, TruncMonth, TruncYear, Upper,
    };
    pub use orm_core::lookup::Lookups;
    pub use orm_core::math::{Abs, Ceil, Exp, Floor, Ln, Mod, Power, Random, Round, RoundTo, Sqrt};
    pub use orm_core::model::Annotation;
    pub use orm_core::order::{Order, Sortable};
    pub use orm_core::q::Q;
    pub use orm_core::queryset::{QuerySet, QuerySetBuilder};
    pub use orm_core::relation::{ManyToManyRel, PathStep, RelColumn, RelPath, Reverse};
    pub use orm_core::select_list::SelectList;
    pub use orm_core::subquery::{
        Correlated, CorrelatedSubquery, Exists, Outer, OuterPath, OuterRef, Subquery, SubqueryOf,
        ValuesSubquery, subquery_aggregate, subquery_count,
    };
    pub use orm_core::values::{Annotated, Values};
    pub use orm_core::window::{
        DenseRank, FirstValue, Lag, LastValue, Lead, Ntile, PercentRank, Rank, RowNumber, Window,
    };
}

/// Paths used by generated code. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use orm_core::ast::ExprNode;
    pub use orm_core::column::Column;
    pub use orm_core::expr::IntoExpr;
    pub use orm_core::field::{Choices, DbEnum, FieldName, FieldType, ForeignKey, Key};
    pub use orm_core::model::{
        Annotation, DefaultValue, FieldMeta, ForeignKeyMeta, IndexExpr, IndexMeta, IndexPart,
        ManyToManyMeta, Model, ModelMeta, OnDelete, Related, decode_field, decode_stored,
        load_into,
    };
    pub use orm_core::nullability::NotNull;
    pub use orm_core::queryset::{QuerySet, QuerySetBuilder, decode_model};
    pub use orm_core::relation::{ManyToManyRel, Reverse};
    pub use orm_core::row::{DecodeError, RowReader};
    pub use orm_core::subquery::{Outer, OuterRef};
    pub use orm_core::value::{ColumnType, Kind, Value};
}

/// The README's examples, compiled as doc-tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
