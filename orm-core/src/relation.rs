//! Many-to-many relation handles (`Book::authors`) and the related set of one
//! row (`Book::authors.of(&book)`), as queries over the join table.

use crate::ast::{CmpOp, ColumnRef, Cond, ExprNode, Select};
use crate::field::FieldType;
use crate::model::{ManyToManyMeta, Model};
use crate::queryset::{QuerySet, QuerySetBuilder};
use crate::value::Value;
use std::marker::PhantomData;

/// The many-to-many relation from model `M` to model `T`. Generated as an
/// associated constant for each `ManyToMany<T>` field.
pub struct ManyToManyRel<M, T> {
    index: usize,
    _t: PhantomData<fn() -> (M, T)>,
}

impl<M: Model, T: Model> ManyToManyRel<M, T> {
    /// The relation declared at `index` in `M::META.many_to_many`. Used by
    /// generated code.
    pub const fn new(index: usize) -> Self {
        ManyToManyRel {
            index,
            _t: PhantomData,
        }
    }

    /// The relation's metadata.
    pub fn meta(&self) -> &'static ManyToManyMeta {
        &M::META.many_to_many[self.index]
    }

    /// The set of `T` rows related to `obj` (Django's `book.authors`).
    pub fn of(&self, obj: &M) -> RelatedSet<M, T> {
        RelatedSet {
            meta: self.meta(),
            source: obj.pk().to_value(),
            _t: PhantomData,
        }
    }
}

/// The `T` rows related to one `M` row through a join table.
pub struct RelatedSet<M, T> {
    meta: &'static ManyToManyMeta,
    source: Value,
    _t: PhantomData<fn() -> (M, T)>,
}

impl<M, T: Model> RelatedSet<M, T> {
    /// The relation's metadata.
    pub fn meta(&self) -> &'static ManyToManyMeta {
        self.meta
    }

    /// The primary key of the row the set belongs to.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// `SELECT target FROM through WHERE source = ?`.
    pub fn target_ids(&self) -> Select {
        let mut s = Select::from_table(self.meta.through);
        s.columns.push(ExprNode::Column(ColumnRef::local(
            self.meta.target_column,
            false,
        )));
        s.filter.push(self.is_source());
        s
    }

    /// The condition selecting this row's join-table rows.
    pub fn is_source(&self) -> Cond {
        Cond::Cmp {
            lhs: ExprNode::Column(ColumnRef::local(self.meta.source_column, false)),
            op: CmpOp::Eq,
            rhs: ExprNode::Value(self.source.clone()),
        }
    }

    /// A queryset of the related `T` rows, to filter and order further.
    pub fn queryset(&self) -> T::QuerySet {
        let mut qs = QuerySet::<T>::new();
        qs.select_mut().filter.push(Cond::InSelect {
            lhs: ExprNode::Column(ColumnRef::local(T::META.pk().column, false)),
            select: Box::new(self.target_ids()),
        });
        T::QuerySet::from_queryset(qs)
    }
}
