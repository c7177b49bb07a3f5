//! `QuerySet<M>`: a lazy, cloneable description of a SELECT over model `M`,
//! and the `QuerySetBuilder` trait that gives every generated
//! `<Model>QuerySet` the same chainable methods.

use crate::ast::{Cond, ExprNode, OrderItem, Select};
use crate::model::Model;
use crate::order::IntoOrder;
use crate::q::Condition;
use std::marker::PhantomData;

/// A lazy query over model `M`. Nothing runs until a terminal method of
/// orm-runtime (`all`, `get`, `count`, ...) is awaited.
pub struct QuerySet<M> {
    select: Select,
    _m: PhantomData<fn() -> M>,
}

impl<M> Clone for QuerySet<M> {
    fn clone(&self) -> Self {
        QuerySet {
            select: self.select.clone(),
            _m: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for QuerySet<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.select.fmt(f)
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        QuerySet::new()
    }
}

impl<M: Model> QuerySet<M> {
    /// All rows of `M`.
    pub fn new() -> Self {
        QuerySet {
            select: Select::for_model(M::META),
            _m: PhantomData,
        }
    }
}

impl<M> QuerySet<M> {
    /// The statement this queryset stands for.
    pub fn select(&self) -> &Select {
        &self.select
    }

    /// Mutable access to the statement, for builders in other crates.
    pub fn select_mut(&mut self) -> &mut Select {
        &mut self.select
    }

    /// The statement, consuming the queryset.
    pub fn into_select(self) -> Select {
        self.select
    }
}

/// The chainable, lazy methods of every queryset. Implemented by
/// `QuerySet<M>` and by each generated `<Model>QuerySet`, so methods users
/// add to their queryset types chain with these.
pub trait QuerySetBuilder: Sized + Clone {
    /// The model the rows decode into.
    type Model: Model;

    /// Wraps a plain queryset.
    fn from_queryset(qs: QuerySet<Self::Model>) -> Self;
    /// The plain queryset.
    fn as_queryset(&self) -> &QuerySet<Self::Model>;
    /// The plain queryset, consuming `self`.
    fn into_queryset(self) -> QuerySet<Self::Model>;

    /// Keeps rows matching the condition (Django `filter`). Several calls
    /// combine with AND.
    ///
    /// ```ignore
    /// // SELECT ... FROM "song" AS "t0" WHERE "t0"."length" > $1
    /// Song::objects().filter(Song::length.gt(300))
    /// ```
    fn filter(self, q: impl Condition<Self::Model>) -> Self {
        self.map_select(|s| s.filter.push(q.into_cond()))
    }

    /// Drops rows matching the condition (Django `exclude`); rows where a
    /// compared column is NULL are kept, as in Django.
    fn exclude(self, q: impl Condition<Self::Model>) -> Self {
        self.map_select(|s| s.filter.push(Cond::Not(Box::new(q.into_cond()))))
    }

    /// Replaces the ordering.
    fn order_by(self, order: impl IntoOrder<Self::Model>) -> Self {
        self.map_select(|s| s.order = order.into_items())
    }

    /// SELECT DISTINCT.
    fn distinct(self) -> Self {
        self.map_select(|s| s.distinct = true)
    }

    /// At most `n` rows (LIMIT).
    fn limit(self, n: u64) -> Self {
        self.map_select(|s| s.limit = Some(n))
    }

    /// Skips the first `n` rows (OFFSET).
    fn offset(self, n: u64) -> Self {
        self.map_select(|s| s.offset = Some(n))
    }

    /// Rows `range.start..range.end` of the result, like Python's
    /// `qs[start:end]`.
    fn slice(self, range: std::ops::Range<u64>) -> Self {
        self.map_select(|s| {
            s.offset = (range.start > 0).then_some(range.start);
            s.limit = Some(range.end.saturating_sub(range.start));
        })
    }

    /// Reverses the ordering (by primary key when none was given).
    fn reverse(self) -> Self {
        self.map_select(|s| {
            order_or_pk::<Self::Model>(s);
            for o in &mut s.order {
                o.desc = !o.desc;
            }
        })
    }

    #[doc(hidden)]
    fn map_select(self, f: impl FnOnce(&mut Select)) -> Self {
        let mut qs = self.into_queryset();
        f(qs.select_mut());
        Self::from_queryset(qs)
    }
}

/// Orders by the primary key when the select has no ordering, so that
/// `first`/`last` are deterministic.
pub fn order_or_pk<M: Model>(s: &mut Select) {
    if s.order.is_empty() {
        let pk = M::META.pk();
        s.order.push(OrderItem {
            expr: ExprNode::Column(crate::ast::ColumnRef::local(pk.column, false)),
            desc: false,
        });
    }
}

impl<M: Model> QuerySetBuilder for QuerySet<M> {
    type Model = M;
    fn from_queryset(qs: QuerySet<M>) -> Self {
        qs
    }
    fn as_queryset(&self) -> &QuerySet<M> {
        self
    }
    fn into_queryset(self) -> QuerySet<M> {
        self
    }
}
