//! Type-level nullability: whether an expression can be NULL, known at
//! compile time, so that the result type of arithmetic and of functions such
//! as `Coalesce` says whether it is an `Option`.
//!
//! Every field type and every expression carries a [`Nullability`]:
//! [`NotNull`] or [`MaybeNull`]. Operators combine them:
//!
//! - `a + b` is NULL when either operand is: [`Nullability::Either`];
//! - `Coalesce((a, b))` is NULL only when every argument is:
//!   [`Nullability::Both`].
//!
//! ```
//! use orm_core::nullability::{Both, Either, MaybeNull, NotNull, Of};
//! let sum: Of<Either<NotNull, MaybeNull>, f64> = Some(1.5); // f64 + Option<f64>
//! let plain: Of<Either<NotNull, NotNull>, f64> = 1.5; // f64 + f64
//! let first: Of<Both<MaybeNull, NotNull>, f64> = 1.5; // Coalesce((Option<f64>, f64))
//! ```

use crate::field::FieldType;

/// Whether values can be NULL, as a type: [`NotNull`] or [`MaybeNull`].
pub trait Nullability: Send + Sync + 'static {
    /// The Rust type of a value of non-nullable type `C` with this
    /// nullability: `C` itself, or `Option<C>`.
    type Of<C: FieldType>: FieldType;
    /// NULL when `Self` or `N` is (the operands of `+`, `Greatest`, ...).
    type Either<N: Nullability>: Nullability;
    /// NULL only when both `Self` and `N` are (the arguments of `Coalesce`).
    type Both<N: Nullability>: Nullability;
}

/// Never NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotNull;

/// Possibly NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeNull;

impl Nullability for NotNull {
    type Of<C: FieldType> = C;
    type Either<N: Nullability> = N;
    type Both<N: Nullability> = NotNull;
}

impl Nullability for MaybeNull {
    type Of<C: FieldType> = Option<C>;
    type Either<N: Nullability> = MaybeNull;
    type Both<N: Nullability> = N;
}

/// The type of a value of non-nullable type `C` with nullability `N`.
pub type Of<N, C> = <N as Nullability>::Of<C>;

/// NULL when `A` or `B` is.
pub type Either<A, B> = <A as Nullability>::Either<B>;

/// NULL only when both `A` and `B` are.
pub type Both<A, B> = <A as Nullability>::Both<B>;
