//! The typed query model of the ORM: the `Model` trait, typed column and
//! relation handles, expressions, `Q` conditions, lookups and querysets,
//! over one untyped statement tree (`ast`). No I/O lives here.
//!
//! Users depend on `orm-runtime`, which re-exports this crate.
#![forbid(unsafe_code)]

pub mod ast;
pub mod column;
pub mod expr;
pub mod field;
pub mod lookup;
pub mod model;
pub mod order;
pub mod q;
pub mod queryset;
pub mod relation;
pub mod row;
pub mod value;
