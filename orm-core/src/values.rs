//! The querysets `values()` and `annotate()` return: same filters and
//! ordering as the model's queryset, rows decoded into typed tuples.

use crate::ast::ExprNode;
use crate::queryset::{QuerySet, QuerySetBuilder, decode_model};
use crate::row::{DecodeError, RowReader};
use crate::select_list::{Push, SelectItem, SelectList};
use std::marker::PhantomData;

/// Rows of selected values (`values()`, `aggregate()`), typed by the
/// selection `L`.
pub struct Values<M, L> {
    qs: QuerySet<M>,
    _l: PhantomData<fn() -> L>,
}

impl<M, L> Clone for Values<M, L> {
    fn clone(&self) -> Self {
        Values {
            qs: self.qs.clone(),
            _l: PhantomData,
        }
    }
}

impl<M, L> std::fmt::Debug for Values<M, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.qs.fmt(f)
    }
}

impl<M: crate::model::Model, L: SelectList<M> + 'static> Values<M, L> {
    /// Appends an aggregate (or other value) to each row; with aggregates,
    /// rows are grouped by the `values()` columns (Django's
    /// `values(..).annotate(..)`).
    pub fn annotate<X: SelectItem<M>>(self, item: X) -> Values<M, L::Out>
    where
        L: Push<M, X>,
    {
        let mut qs = self.qs;
        let node = qs.resolve(item.item_node());
        qs.push_column(node);
        Values {
            qs,
            _l: PhantomData,
        }
    }

    /// Replaces what each row holds, keeping the grouping of `values()`
    /// (Django's `values(..).values_list(..)`): `values(Song::playlist)
    /// .values_list(Sum(Song::length))` gives one sum per playlist.
    pub fn values_list<X: SelectList<M> + 'static>(self, list: X) -> Values<M, X> {
        let mut nodes: Vec<ExprNode> = Vec::new();
        list.push_nodes(&mut nodes);
        let mut qs = self.qs;
        qs.select_mut().columns = nodes;
        Values {
            qs,
            _l: PhantomData,
        }
    }
}

impl<M: crate::model::Model, L: SelectList<M> + 'static> QuerySetBuilder for Values<M, L> {
    type Model = M;
    type Row = L::Row;
    fn from_queryset(qs: QuerySet<M>) -> Self {
        Values {
            qs,
            _l: PhantomData,
        }
    }
    fn as_queryset(&self) -> &QuerySet<M> {
        &self.qs
    }
    fn into_queryset(self) -> QuerySet<M> {
        self.qs
    }
    fn decode_row<R: RowReader + ?Sized>(
        _qs: &QuerySet<M>,
        r: &mut R,
    ) -> Result<L::Row, DecodeError> {
        L::decode(r)
    }
}

/// Model rows with ad-hoc annotations (`annotate()`): each row is
/// `(Model, L::Row)`.
pub struct Annotated<M, L> {
    qs: QuerySet<M>,
    _l: PhantomData<fn() -> L>,
}

impl<M, L> Clone for Annotated<M, L> {
    fn clone(&self) -> Self {
        Annotated {
            qs: self.qs.clone(),
            _l: PhantomData,
        }
    }
}

impl<M, L> std::fmt::Debug for Annotated<M, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.qs.fmt(f)
    }
}

impl<M: crate::model::Model, L: SelectList<M> + 'static> QuerySetBuilder for Annotated<M, L> {
    type Model = M;
    type Row = (M, L::Row);
    fn from_queryset(qs: QuerySet<M>) -> Self {
        Annotated {
            qs,
            _l: PhantomData,
        }
    }
    fn as_queryset(&self) -> &QuerySet<M> {
        &self.qs
    }
    fn into_queryset(self) -> QuerySet<M> {
        self.qs
    }
    fn decode_row<R: RowReader + ?Sized>(
        qs: &QuerySet<M>,
        r: &mut R,
    ) -> Result<(M, L::Row), DecodeError> {
        let m = decode_model(qs, r)?;
        Ok((m, L::decode(r)?))
    }
}
