//! ORDER BY keys: `Song::title.asc()`, `Song::length.desc()`, and lists of
//! them.

use crate::ast::{ExprNode, OrderItem};
use crate::column::Column;
use crate::expr::Expr;
use crate::field::FieldType;
use std::marker::PhantomData;

/// One ordering key of model `M`.
pub struct Order<M> {
    item: OrderItem,
    _m: PhantomData<fn() -> M>,
}

impl<M> Clone for Order<M> {
    fn clone(&self) -> Self {
        Order {
            item: self.item.clone(),
            _m: PhantomData,
        }
    }
}

impl<M> Order<M> {
    fn new(expr: ExprNode, desc: bool) -> Self {
        Order {
            item: OrderItem { expr, desc },
            _m: PhantomData,
        }
    }

    /// The untyped key.
    pub fn into_item(self) -> OrderItem {
        self.item
    }
}

/// Ascending and descending keys from a column or expression.
///
/// NULL sorts first in ascending order and last in descending order on every
/// backend (the renderer adds `NULLS FIRST`/`NULLS LAST` on PostgreSQL).
pub trait Sortable<M>: Sized {
    /// The key expression.
    fn order_expr(self) -> ExprNode;
    /// Ascending.
    fn asc(self) -> Order<M> {
        Order::new(self.order_expr(), false)
    }
    /// Descending.
    fn desc(self) -> Order<M> {
        Order::new(self.order_expr(), true)
    }
}

impl<M, T: FieldType> Sortable<M> for Column<M, T> {
    fn order_expr(self) -> ExprNode {
        ExprNode::Column(self.into_ref())
    }
}

impl<M, T: FieldType> Sortable<M> for Expr<M, T> {
    fn order_expr(self) -> ExprNode {
        self.node
    }
}

impl<M, T: FieldType, R> Sortable<M> for crate::aggregate::Agg<M, T, R> {
    fn order_expr(self) -> ExprNode {
        crate::expr::Typed::into_typed_node(self)
    }
}

/// One or several ordering keys of model `M`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot order a queryset of `{M}`",
    label = "expected `Column::asc()`/`desc()` of `{M}`, or an array or tuple of them"
)]
pub trait IntoOrder<M> {
    /// The keys, first to last.
    fn into_items(self) -> Vec<OrderItem>;
}

impl<M> IntoOrder<M> for Order<M> {
    fn into_items(self) -> Vec<OrderItem> {
        vec![self.item]
    }
}

impl<M, T: FieldType> IntoOrder<M> for Column<M, T> {
    fn into_items(self) -> Vec<OrderItem> {
        vec![self.asc().item]
    }
}

impl<M, const N: usize> IntoOrder<M> for [Order<M>; N] {
    fn into_items(self) -> Vec<OrderItem> {
        self.into_iter().map(|o| o.item).collect()
    }
}

impl<M> IntoOrder<M> for Vec<Order<M>> {
    fn into_items(self) -> Vec<OrderItem> {
        self.into_iter().map(|o| o.item).collect()
    }
}

impl<M, A: IntoOrder<M>, B: IntoOrder<M>> IntoOrder<M> for (A, B) {
    fn into_items(self) -> Vec<OrderItem> {
        let mut v = self.0.into_items();
        v.extend(self.1.into_items());
        v
    }
}

impl<M, A: IntoOrder<M>, B: IntoOrder<M>, C: IntoOrder<M>> IntoOrder<M> for (A, B, C) {
    fn into_items(self) -> Vec<OrderItem> {
        let mut v = self.0.into_items();
        v.extend(self.1.into_items());
        v.extend(self.2.into_items());
        v
    }
}
