//! Assignments for `queryset.update(..)`: `Book::views.set(Book::views + 1)`.

use crate::ast::ExprNode;
use crate::column::Column;
use crate::expr::IntoExpr;
use crate::field::FieldType;

/// `column = expression` for an UPDATE of model `M`.
pub struct Assign<M> {
    column: &'static str,
    value: ExprNode,
    _m: crate::Marker<M>,
}

impl<M> Assign<M> {
    /// The column and the expression.
    pub fn into_parts(self) -> (&'static str, ExprNode) {
        (self.column, self.value)
    }
}

impl<M, T: FieldType> Column<M, T> {
    /// `column = value` (a value, a column of the same row, or an F
    /// expression such as `Book::views + 1`).
    pub fn set(self, value: impl IntoExpr<M, T::Compare>) -> Assign<M> {
        Assign {
            column: self.name(),
            value: value.into_node(),
            _m: std::marker::PhantomData,
        }
    }

    /// `column = NULL`, for nullable columns.
    pub fn set_null(self) -> Assign<M>
    where
        T: FieldType,
    {
        Assign {
            column: self.name(),
            value: ExprNode::Value(crate::value::Value::Null(T::COLUMN_TYPE.kind)),
            _m: std::marker::PhantomData,
        }
    }
}

/// One assignment or a tuple or `Vec` of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of assignments to `{M}`",
    label = "expected `Column::set(..)` of `{M}`, or a tuple or Vec of them"
)]
pub trait Assignments<M> {
    /// The assignments, in order.
    fn into_assignments(self) -> Vec<(&'static str, ExprNode)>;
}

impl<M> Assignments<M> for Assign<M> {
    fn into_assignments(self) -> Vec<(&'static str, ExprNode)> {
        vec![self.into_parts()]
    }
}

impl<M> Assignments<M> for Vec<Assign<M>> {
    fn into_assignments(self) -> Vec<(&'static str, ExprNode)> {
        self.into_iter().map(Assign::into_parts).collect()
    }
}

macro_rules! tuples {
    ($( ($($n:tt)+) )*) => {$(
        impl<M> Assignments<M> for ($(tuples!(@ty $n),)+) {
            fn into_assignments(self) -> Vec<(&'static str, ExprNode)> {
                vec![$(self.$n.into_parts()),+]
            }
        }
    )*};
    (@ty $n:tt) => { Assign<M> };
}

tuples! {
    (0 1)
    (0 1 2)
    (0 1 2 3)
    (0 1 2 3 4)
    (0 1 2 3 4 5)
}
