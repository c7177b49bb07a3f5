//! The typed query model of the ORM: the `Model` trait, typed column and
//! relation handles, expressions, aggregates, `Q` conditions, lookups and
//! querysets, over one untyped statement tree (`ast`). No I/O lives here.
//!
//! Users depend on `orm-runtime`, which re-exports this crate.
#![forbid(unsafe_code)]

pub mod aggregate;
pub mod assign;
pub mod ast;
pub mod column;
pub mod column_list;
pub mod expr;
pub mod field;
pub mod fold;
pub mod function;
pub mod joins;
pub mod lookup;
pub mod math;
pub mod model;
pub mod nullability;
pub mod order;
pub mod q;
pub mod queryset;
pub mod relation;
pub mod row;
pub mod select_list;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod subquery;
pub mod value;
pub mod values;
pub mod visit;
pub mod visit_mut;
pub mod window;

/// A zero-sized marker for the type parameters of typed handles, without
/// owning them (so handles stay `Send`, `Sync` and covariant).
pub(crate) type Marker<T> = std::marker::PhantomData<fn() -> T>;
