//! Field lookups (Django's `__exact`, `__icontains`, `__in`, ...) as typed
//! methods on columns. Each returns a `Q<M>` for the column's model.

use crate::ast::{CmpOp, Cond, ExprNode, LikeOp};
use crate::column::Column;
use crate::expr::{Expr, IntoExpr};
use crate::field::FieldType;
use crate::q::Q;

/// Columns holding text, which the pattern lookups accept.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a text column",
    label = "text lookups (iexact, contains, icontains, startswith, endswith, ...) need a String column"
)]
pub trait TextField: FieldType<Compare = String> {
    /// The type of its length (`i64`, nullable if `Self` is).
    type Length: FieldType;
}
impl TextField for String {
    type Length = i64;
}
impl TextField for Option<String> {
    type Length = Option<i64>;
}

/// The expressions lookups can start from: columns and typed expressions.
pub trait Lookups<M, T: FieldType>: Sized {
    /// The untyped left-hand side.
    fn lhs(self) -> ExprNode;

    /// `= value` (Django `exact`).
    fn eq(self, v: impl IntoExpr<M, T::Compare>) -> Q<M> {
        cmp(self.lhs(), CmpOp::Eq, v.into_node())
    }
    /// `<> value`.
    fn ne(self, v: impl IntoExpr<M, T::Compare>) -> Q<M> {
        cmp(self.lhs(), CmpOp::Ne, v.into_node())
    }
    /// `> value`.
    fn gt(self, v: impl IntoExpr<M, T::Compare>) -> Q<M> {
        cmp(self.lhs(), CmpOp::Gt, v.into_node())
    }
    /// `>= value`.
    fn gte(self, v: impl IntoExpr<M, T::Compare>) -> Q<M> {
        cmp(self.lhs(), CmpOp::Gte, v.into_node())
    }
    /// `< value`.
    fn lt(self, v: impl IntoExpr<M, T::Compare>) -> Q<M> {
        cmp(self.lhs(), CmpOp::Lt, v.into_node())
    }
    /// `<= value`.
    fn lte(self, v: impl IntoExpr<M, T::Compare>) -> Q<M> {
        cmp(self.lhs(), CmpOp::Lte, v.into_node())
    }
    /// `IN (values)` (Django `in`). An empty list matches no row.
    #[allow(clippy::wrong_self_convention)]
    fn is_in<V: IntoExpr<M, T::Compare>>(self, values: impl IntoIterator<Item = V>) -> Q<M> {
        Q::from_cond(Cond::In {
            lhs: self.lhs(),
            items: values.into_iter().map(IntoExpr::into_node).collect(),
        })
    }
    /// `BETWEEN low AND high`, both inclusive (Django `range`).
    fn range(self, low: impl IntoExpr<M, T::Compare>, high: impl IntoExpr<M, T::Compare>) -> Q<M> {
        Q::from_cond(Cond::Between {
            lhs: self.lhs(),
            low: low.into_node(),
            high: high.into_node(),
        })
    }
    /// `IS NULL` when `true`, `IS NOT NULL` when `false` (Django `isnull`).
    fn isnull(self, is_null: bool) -> Q<M> {
        Q::from_cond(Cond::IsNull {
            lhs: self.lhs(),
            is_null,
        })
    }
    /// Case-insensitive equality.
    fn iexact(self, s: impl Into<String>) -> Q<M>
    where
        T: TextField,
    {
        like(self.lhs(), LikeOp::Exact, s, true)
    }
    /// Contains the text, case-sensitively.
    fn contains(self, s: impl Into<String>) -> Q<M>
    where
        T: TextField,
    {
        like(self.lhs(), LikeOp::Contains, s, false)
    }
    /// Contains the text, ignoring case.
    fn icontains(self, s: impl Into<String>) -> Q<M>
    where
        T: TextField,
    {
        like(self.lhs(), LikeOp::Contains, s, true)
    }
    /// Starts with the text, case-sensitively.
    fn startswith(self, s: impl Into<String>) -> Q<M>
    where
        T: TextField,
    {
        like(self.lhs(), LikeOp::StartsWith, s, false)
    }
    /// Starts with the text, ignoring case.
    fn istartswith(self, s: impl Into<String>) -> Q<M>
    where
        T: TextField,
    {
        like(self.lhs(), LikeOp::StartsWith, s, true)
    }
    /// Ends with the text, case-sensitively.
    fn endswith(self, s: impl Into<String>) -> Q<M>
    where
        T: TextField,
    {
        like(self.lhs(), LikeOp::EndsWith, s, false)
    }
    /// Ends with the text, ignoring case.
    fn iendswith(self, s: impl Into<String>) -> Q<M>
    where
        T: TextField,
    {
        like(self.lhs(), LikeOp::EndsWith, s, true)
    }
}

fn cmp<M>(lhs: ExprNode, op: CmpOp, rhs: ExprNode) -> Q<M> {
    Q::from_cond(Cond::Cmp { lhs, op, rhs })
}

fn like<M>(lhs: ExprNode, op: LikeOp, s: impl Into<String>, case_insensitive: bool) -> Q<M> {
    Q::from_cond(Cond::Like {
        lhs,
        op,
        pattern: s.into(),
        case_insensitive,
    })
}

impl<M, T: FieldType> Lookups<M, T> for Column<M, T> {
    fn lhs(self) -> ExprNode {
        ExprNode::Column(self.into_ref())
    }
}

impl<M, T: FieldType> Lookups<M, T> for Expr<M, T> {
    fn lhs(self) -> ExprNode {
        self.node
    }
}

impl<M, T: FieldType, R> Lookups<M, T> for crate::aggregate::Agg<M, T, R> {
    fn lhs(self) -> ExprNode {
        crate::expr::Typed::into_typed_node(self)
    }
}
