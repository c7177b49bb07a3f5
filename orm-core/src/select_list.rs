//! Typed selections for `values()`, `annotate()` and `aggregate()`: one
//! item (a column, expression or aggregate) or a tuple of up to eight, each
//! decoded by position into its Rust type.

use crate::aggregate::Agg;
use crate::ast::ExprNode;
use crate::column::Column;
use crate::expr::{Expr, Typed};
use crate::field::FieldType;
use crate::relation::RelColumn;
use crate::row::{DecodeError, RowReader};
use crate::subquery::Subquery;

/// One selected value of model `M`.
///
/// Where one value is expected, a tuple (several values) fails this bound:
/// the message speaks to the common case, a `values(..)` of several columns
/// used as a subquery value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a single value of `{M}`",
    label = "expected one column, expression or aggregate of `{M}`",
    note = "a subquery used as a value (`.subquery()`, `in_query`) must select exactly one column, and `annotate` appends one value at a time"
)]
pub trait SelectItem<M> {
    /// The decoded type (a foreign key or primary key gives the plain key
    /// value: `Field::Selected`).
    type Out: FieldType;
    /// The item's own type, which a subquery of it compares as: a key keeps
    /// its model here (`Key<Publisher>`, `ForeignKey<Publisher>`).
    type Field: FieldType;
    /// The untyped expression.
    fn item_node(self) -> ExprNode;
}

impl<M, T: FieldType> SelectItem<M> for Column<M, T> {
    type Out = T::Selected;
    type Field = T;
    fn item_node(self) -> ExprNode {
        self.into_typed_node()
    }
}

impl<M, T: FieldType> SelectItem<M> for Expr<M, T> {
    type Out = T::Selected;
    type Field = T;
    fn item_node(self) -> ExprNode {
        self.into_typed_node()
    }
}

impl<M, T: FieldType> SelectItem<M> for Subquery<M, T> {
    type Out = T::Selected;
    type Field = T;
    fn item_node(self) -> ExprNode {
        self.into_typed_node()
    }
}

impl<M, T: FieldType, R> SelectItem<M> for Agg<M, T, R> {
    type Out = T::Selected;
    type Field = T;
    fn item_node(self) -> ExprNode {
        self.into_typed_node()
    }
}

fn decode_item<T: FieldType, R: RowReader + ?Sized>(
    r: &mut R,
    index: usize,
) -> Result<T, DecodeError> {
    const COLUMNS: [&str; 12] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"];
    T::decode(r).map_err(|message| DecodeError {
        model: "selected values",
        column: COLUMNS.get(index).copied().unwrap_or("?"),
        expected: std::any::type_name::<T>(),
        message,
    })
}

/// A selection: one item, or a tuple of items, decoded into `Row`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a selection of `{M}`",
    label = "expected a column, expression or aggregate of `{M}`, or a tuple of them (up to 12)"
)]
pub trait SelectList<M> {
    /// The decoded row.
    type Row: Send + 'static;
    /// Appends the expressions, in decoding order.
    fn push_nodes(self, out: &mut Vec<ExprNode>);
    /// Decodes a row from the reader's next columns.
    fn decode<R: RowReader + ?Sized>(r: &mut R) -> Result<Self::Row, DecodeError>;
}

/// A selection that one more item can be appended to (`values(..).annotate(x)`).
pub trait Push<M, X: SelectItem<M>>: SelectList<M> {
    /// The selection with `X` appended.
    type Out: SelectList<M>;
}

macro_rules! single {
    ($($ty:ident<$($g:ident),*>),*) => {$(
        impl<M, $($g),*> SelectList<M> for $ty<M, $($g),*>
        where
            Self: SelectItem<M>,
            <Self as SelectItem<M>>::Out: Send + 'static,
        {
            type Row = <Self as SelectItem<M>>::Out;
            fn push_nodes(self, out: &mut Vec<ExprNode>) {
                out.push(self.item_node());
            }
            fn decode<Rd: RowReader + ?Sized>(r: &mut Rd) -> Result<Self::Row, DecodeError> {
                decode_item(r, 0)
            }
        }
        impl<M, X: SelectItem<M>, $($g),*> Push<M, X> for $ty<M, $($g),*>
        where
            Self: SelectItem<M>,
            <Self as SelectItem<M>>::Out: Send + 'static,
            X::Out: Send + 'static,
        {
            type Out = (Self, X);
        }
    )*};
}

single!(Column<T>, Expr<T>, Agg<T, R>, Subquery<T>, RelColumn<R, T>);

macro_rules! tuples {
    ($( ($($n:tt $t:ident),+) )*) => {$(
        impl<M, $($t: SelectItem<M>),+> SelectList<M> for ($($t,)+)
        where
            $($t::Out: Send + 'static),+
        {
            type Row = ($($t::Out,)+);
            fn push_nodes(self, out: &mut Vec<ExprNode>) {
                $(out.push(self.$n.item_node());)+
            }
            fn decode<Rd: RowReader + ?Sized>(r: &mut Rd) -> Result<Self::Row, DecodeError> {
                Ok(($(decode_item::<$t::Out, Rd>(r, $n)?,)+))
            }
        }
    )*};
}

tuples! {
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
}

macro_rules! push_tuples {
    ($( ($($t:ident),+) )*) => {$(
        impl<M, X: SelectItem<M>, $($t: SelectItem<M>),+> Push<M, X> for ($($t,)+)
        where
            X::Out: Send + 'static,
            $($t::Out: Send + 'static),+
        {
            type Out = ($($t,)+ X);
        }
    )*};
}

push_tuples! {
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
}
