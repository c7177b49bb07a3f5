//! Window functions: `RowNumber`, `Rank`, `DenseRank`, `PercentRank`,
//! `Ntile`, `Lag`, `Lead`, `FirstValue`, `LastValue` and aggregates over a
//! window (`Sum(x).over(..)`), with PARTITION BY, ORDER BY and frames.
//! Filtering on a window result (top 3 per group) wraps the query in a
//! subquery, since SQL evaluates windows after WHERE.

use crate::aggregate::Agg;
use crate::ast::{ExprNode, Frame, FrameBound, OrderItem, Window as WindowNode, WindowFunc};
use crate::expr::{Expr, Typed};
use crate::field::FieldType;
use crate::order::IntoOrder;
use crate::select_list::SelectList;

/// A window specification over rows of model `M`.
pub struct Window<M> {
    partition_by: Vec<ExprNode>,
    order_by: Vec<OrderItem>,
    frame: Option<Frame>,
    _m: crate::Marker<M>,
}

impl<M> Clone for Window<M> {
    fn clone(&self) -> Self {
        Window {
            partition_by: self.partition_by.clone(),
            order_by: self.order_by.clone(),
            frame: self.frame,
            _m: std::marker::PhantomData,
        }
    }
}

impl<M> Default for Window<M> {
    fn default() -> Self {
        Window {
            partition_by: Vec::new(),
            order_by: Vec::new(),
            frame: None,
            _m: std::marker::PhantomData,
        }
    }
}

impl<M> Window<M> {
    /// The whole result as one partition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Partitions by one key or a tuple of keys.
    pub fn partition_by(mut self, keys: impl SelectList<M>) -> Self {
        keys.push_nodes(&mut self.partition_by);
        self
    }

    /// Orders each partition.
    pub fn order_by(mut self, order: impl IntoOrder<M>) -> Self {
        self.order_by = order.into_items();
        self
    }

    /// `ROWS BETWEEN start AND end`.
    pub fn rows(mut self, start: FrameBound, end: FrameBound) -> Self {
        self.frame = Some(Frame {
            rows: true,
            start,
            end,
        });
        self
    }

    /// `RANGE BETWEEN start AND end`.
    pub fn range(mut self, start: FrameBound, end: FrameBound) -> Self {
        self.frame = Some(Frame {
            rows: false,
            start,
            end,
        });
        self
    }
}

/// A window function awaiting its window (`.over(window)`).
pub struct WindowFn<M, T> {
    func: WindowFunc,
    arg: Option<ExprNode>,
    _t: crate::Marker<(M, T)>,
}

impl<M, T: FieldType> WindowFn<M, T> {
    fn new(func: WindowFunc, arg: Option<ExprNode>) -> Self {
        WindowFn {
            func,
            arg,
            _t: std::marker::PhantomData,
        }
    }

    /// The function evaluated over `window`.
    pub fn over(self, window: Window<M>) -> Expr<M, T> {
        over(self.func, self.arg, window, T::COLUMN_TYPE.kind)
    }
}

fn over<M, T>(
    func: WindowFunc,
    arg: Option<ExprNode>,
    w: Window<M>,
    kind: crate::value::Kind,
) -> Expr<M, T> {
    Expr::from_node(ExprNode::Window(Box::new(WindowNode {
        func,
        arg,
        partition_by: w.partition_by,
        order_by: w.order_by,
        frame: w.frame,
        kind,
    })))
}

impl<M, T: FieldType, R> Agg<M, T, R> {
    /// The aggregate over a window (a running total with `order_by`).
    pub fn over(self, window: Window<M>) -> Expr<M, T> {
        let node = self.into_typed_node();
        let ExprNode::Aggregate(agg) = node else {
            unreachable!("an Agg is always an aggregate node")
        };
        over(
            WindowFunc::Aggregate(agg),
            None,
            window,
            T::COLUMN_TYPE.kind,
        )
    }
}

/// `ROW_NUMBER()`: 1, 2, 3, .. within each partition.
#[allow(non_snake_case)]
pub fn RowNumber<M>() -> WindowFn<M, i64> {
    WindowFn::new(WindowFunc::RowNumber, None)
}

/// `RANK()`: ties share a rank, leaving gaps.
#[allow(non_snake_case)]
pub fn Rank<M>() -> WindowFn<M, i64> {
    WindowFn::new(WindowFunc::Rank, None)
}

/// `DENSE_RANK()`: ties share a rank, without gaps.
#[allow(non_snake_case)]
pub fn DenseRank<M>() -> WindowFn<M, i64> {
    WindowFn::new(WindowFunc::DenseRank, None)
}

/// `PERCENT_RANK()`: (rank - 1) / (rows - 1).
#[allow(non_snake_case)]
pub fn PercentRank<M>() -> WindowFn<M, f64> {
    WindowFn::new(WindowFunc::PercentRank, None)
}

/// `NTILE(n)`: the bucket (1..=n) of each row.
#[allow(non_snake_case)]
pub fn Ntile<M>(buckets: u32) -> WindowFn<M, i64> {
    WindowFn::new(WindowFunc::Ntile(buckets), None)
}

/// `LAG(x, offset)`: the value `offset` rows before, NULL if none.
#[allow(non_snake_case)]
pub fn Lag<M, A: Typed<M>>(x: A, offset: u32) -> WindowFn<M, <A::Type as FieldType>::Nullable> {
    WindowFn::new(WindowFunc::Lag(offset), Some(x.into_typed_node()))
}

/// `LEAD(x, offset)`: the value `offset` rows after, NULL if none.
#[allow(non_snake_case)]
pub fn Lead<M, A: Typed<M>>(x: A, offset: u32) -> WindowFn<M, <A::Type as FieldType>::Nullable> {
    WindowFn::new(WindowFunc::Lead(offset), Some(x.into_typed_node()))
}

/// `FIRST_VALUE(x)` of the window frame.
#[allow(non_snake_case)]
pub fn FirstValue<M, A: Typed<M>>(x: A) -> WindowFn<M, <A::Type as FieldType>::Nullable> {
    WindowFn::new(WindowFunc::FirstValue, Some(x.into_typed_node()))
}

/// `LAST_VALUE(x)` of the window frame.
#[allow(non_snake_case)]
pub fn LastValue<M, A: Typed<M>>(x: A) -> WindowFn<M, <A::Type as FieldType>::Nullable> {
    WindowFn::new(WindowFunc::LastValue, Some(x.into_typed_node()))
}
