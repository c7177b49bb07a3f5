//! Many-to-many relation handles (`Book::authors`) and the related set of one
//! row (`Book::authors.of(&book)`), as queries over the join table.

use crate::ast::{CmpOp, ColumnRef, Cond, ExprNode, JoinStep, Relation, Select};
use crate::column::Column;
use crate::field::FieldType;
use crate::model::{ManyToManyMeta, Model};
use crate::queryset::{QuerySet, QuerySetBuilder};
use crate::value::Kind;
use crate::value::Value;
use std::marker::PhantomData;

/// The many-to-many relation from model `M` to model `T`. Generated as an
/// associated constant for each `ManyToMany<T>` field.
pub struct ManyToManyRel<M, T> {
    index: usize,
    /// Declared on `T` (the reverse side, `Author::books` for
    /// `Book::authors`), so its metadata is `T`'s, seen from the other end.
    reversed: bool,
    _t: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for ManyToManyRel<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for ManyToManyRel<M, T> {}

impl<M, T> ManyToManyRel<M, T> {
    /// The relation declared at `index` in `M::META.many_to_many`. Used by
    /// generated code.
    pub const fn new(index: usize) -> Self {
        ManyToManyRel {
            index,
            reversed: false,
            _t: PhantomData,
        }
    }

    /// The reverse of the relation declared at `index` in
    /// `T::META.many_to_many` (`Author::books` for `Book::authors`). Used
    /// by generated code.
    pub const fn reverse(index: usize) -> Self {
        ManyToManyRel {
            index,
            reversed: true,
            _t: PhantomData,
        }
    }
}

impl<M: Model, T: Model> ManyToManyRel<M, T> {
    /// The relation's metadata, from `M`'s side.
    pub fn meta(&self) -> ManyToManyMeta {
        if !self.reversed {
            return M::META.many_to_many[self.index];
        }
        let m = T::META.many_to_many[self.index];
        ManyToManyMeta {
            source_column: m.target_column,
            target_column: m.source_column,
            source_table: m.target_table,
            source_pk: m.target_pk,
            target_table: m.source_table,
            target_pk: m.source_pk,
            source_pk_type: m.target_pk_type,
            target_pk_type: m.source_pk_type,
            ..m
        }
    }

    /// The relation as seen from `M`, for aggregates.
    pub fn relation(&self) -> Relation {
        let m = self.meta();
        Relation::ManyToMany {
            through: m.through,
            source_column: m.source_column,
            target_column: m.target_column,
            table: m.target_table,
            target_pk: m.target_pk,
            parent_pk: m.source_pk,
            pk_kind: m.source_pk_type.kind,
            target_kind: m.target_pk_type.kind,
        }
    }

    /// A column of the related model (`Book::authors.then(Author::age)`,
    /// Django's `authors__age`), or a further relation
    /// (`Author::books.then(Book::publisher...)`): see [`PathStep`].
    pub fn then<X: PathStep<T>>(self, next: X) -> X::Out<M, T> {
        next.after(self.relation(), Vec::new())
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
    meta: ManyToManyMeta,
    source: Value,
    _t: PhantomData<fn() -> (M, T)>,
}

impl<M, T: Model> RelatedSet<M, T> {
    /// The relation's metadata.
    pub fn meta(&self) -> &ManyToManyMeta {
        &self.meta
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
            self.meta.target_pk_type.kind,
        )));
        s.filter.push(self.is_source());
        s
    }

    /// The condition selecting this row's join-table rows.
    pub fn is_source(&self) -> Cond {
        Cond::Cmp {
            lhs: ExprNode::Column(ColumnRef::local(
                self.meta.source_column,
                false,
                self.meta.source_pk_type.kind,
            )),
            op: CmpOp::Eq,
            rhs: ExprNode::Value(self.source.clone()),
        }
    }

    /// A queryset of the related `T` rows, to filter and order further.
    pub fn queryset(&self) -> T::QuerySet {
        let mut qs = QuerySet::<T>::new();
        qs.select_mut().filter.push(Cond::InSelect {
            lhs: ExprNode::Column(ColumnRef::local(
                T::META.pk().column,
                false,
                T::META.pk().ty.kind,
            )),
            select: Box::new(self.target_ids()),
        });
        T::QuerySet::from_queryset(qs)
    }
}

/// The reverse side of a foreign key: the `R` rows referring to an `M` row
/// (`Publisher::books` for `Book::publisher` with `related_name = "books"`).
/// Generated by `#[derive(Model)]` on `R`.
pub struct Reverse<M, R> {
    relation: Relation,
    _t: PhantomData<fn() -> (M, R)>,
}

impl<M, R> Clone for Reverse<M, R> {
    fn clone(&self) -> Self {
        Reverse {
            relation: self.relation,
            _t: PhantomData,
        }
    }
}

impl<M, R> Reverse<M, R> {
    /// The rows of `table` whose `fk_column` refers to `parent_pk`. Used by
    /// generated code.
    pub const fn new(
        table: &'static str,
        fk_column: &'static str,
        parent_pk: &'static str,
        pk_kind: Kind,
    ) -> Self {
        Reverse {
            relation: Relation::Reverse {
                table,
                fk_column,
                parent_pk,
                pk_kind,
            },
            _t: PhantomData,
        }
    }

    /// The relation, for aggregates.
    pub fn relation(&self) -> Relation {
        self.relation
    }

    /// A column of the related model (`Publisher::books.then(Book::pages)`,
    /// Django's `book__pages`), or a further relation
    /// (`Publisher::books.then(Book::authors).then(Author::name)`): see
    /// [`PathStep`].
    pub fn then<X: PathStep<R>>(self, next: X) -> X::Out<M, R> {
        next.after(self.relation, Vec::new())
    }
}

impl<M, R: Model> Reverse<M, R> {
    /// The `R` rows referring to `parent` (Django's `parent.<model>_set`),
    /// as a queryset to filter and order further:
    /// `Playlist::songs.of(&playlist).all(&db)`.
    pub fn of(&self, parent: &M) -> R::QuerySet
    where
        M: Model,
    {
        let Relation::Reverse {
            fk_column, pk_kind, ..
        } = self.relation
        else {
            return R::QuerySet::from_queryset(QuerySet::new());
        };
        let mut qs = QuerySet::<R>::new();
        qs.select_mut().filter.push(Cond::Cmp {
            lhs: ExprNode::Column(ColumnRef::local(fk_column, false, pk_kind)),
            op: CmpOp::Eq,
            rhs: ExprNode::Value(parent.pk().to_value()),
        });
        R::QuerySet::from_queryset(qs)
    }
}

/// What may follow a multi-valued relation in a path: a column of the
/// related model (giving a [`RelColumn`]) or another relation of it (giving
/// a [`RelPath`] to continue from).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot follow a relation to `{R}`",
    label = "expected a column of `{R}` (`{R}::<field>`) or a relation of `{R}`"
)]
pub trait PathStep<R> {
    /// The path extended by this step, from model `M`; `F` is the model
    /// the first relation reaches.
    type Out<M, F>;
    /// Extends the path `relation` + `prefix` (steps relative to the first
    /// relation's table).
    fn after<M, F>(self, relation: Relation, prefix: Vec<JoinStep>) -> Self::Out<M, F>;
}

impl<R, U: FieldType> PathStep<R> for Column<R, U> {
    type Out<M, F> = RelColumn<M, F, U>;
    fn after<M, F>(self, relation: Relation, mut prefix: Vec<JoinStep>) -> RelColumn<M, F, U> {
        let c = self.into_ref();
        prefix.extend_from_slice(&c.path);
        RelColumn {
            relation,
            column: ColumnRef {
                path: std::borrow::Cow::Owned(prefix),
                ..c
            },
            _t: PhantomData,
        }
    }
}

impl<R, S> PathStep<R> for Reverse<R, S> {
    type Out<M, F> = RelPath<M, F, S>;
    fn after<M, F>(self, relation: Relation, mut prefix: Vec<JoinStep>) -> RelPath<M, F, S> {
        prefix.extend(self.relation.steps());
        RelPath {
            relation,
            prefix,
            _t: PhantomData,
        }
    }
}

impl<R: Model, S: Model> PathStep<R> for ManyToManyRel<R, S> {
    type Out<M, F> = RelPath<M, F, S>;
    fn after<M, F>(self, relation: Relation, mut prefix: Vec<JoinStep>) -> RelPath<M, F, S> {
        prefix.extend(self.relation().steps());
        RelPath {
            relation,
            prefix,
            _t: PhantomData,
        }
    }
}

/// A path from model `M` through a multi-valued relation (to model `F`)
/// and further relations, ending at model `S`; continue it with `then`.
pub struct RelPath<M, F, S> {
    relation: Relation,
    prefix: Vec<JoinStep>,
    _t: crate::Marker<(M, F, S)>,
}

impl<M, F, S> RelPath<M, F, S> {
    /// A column of `S` (or a further relation of it).
    pub fn then<X: PathStep<S>>(self, next: X) -> X::Out<M, F> {
        next.after(self.relation, self.prefix)
    }
}

/// A column reached from model `M` through a multi-valued relation (to
/// model `R`, and possibly further), Django's `book__rating`:
/// `Publisher::books.then(Book::rating)`.
///
/// - In an aggregate (`Avg(Publisher::books.then(Book::rating))`) it
///   aggregates the related rows of each row in a subquery of its own, so
///   aggregates over two relations never inflate each other; its `filter`
///   conditions are about `R`.
/// - Everywhere else (`filter`, `exclude`, `values`, `order_by`,
///   `annotate`) it is a column of a LEFT JOIN, as in Django: the row
///   appears once per related row (`distinct()` removes the repeats), and
///   its value is NULL for a row with no related row, so its type is
///   nullable.
pub struct RelColumn<M, R, T> {
    relation: Relation,
    column: ColumnRef,
    _t: crate::Marker<(M, R, T)>,
}

impl<M, R, T> Clone for RelColumn<M, R, T> {
    fn clone(&self) -> Self {
        RelColumn {
            relation: self.relation,
            column: self.column.clone(),
            _t: PhantomData,
        }
    }
}

impl<M, R, T> RelColumn<M, R, T> {
    /// The relation and the column relative to the related table.
    pub fn into_parts(self) -> (Relation, ColumnRef) {
        (self.relation, self.column)
    }

    /// The column reached from `M` through the relation's join steps.
    pub fn joined(self) -> ColumnRef {
        let mut path = self.relation.steps();
        path.extend_from_slice(&self.column.path);
        ColumnRef {
            path: std::borrow::Cow::Owned(path),
            column: self.column.column,
            nullable: true,
            kind: self.column.kind,
        }
    }
}

impl<M, R, T: FieldType> RelColumn<M, R, T> {
    /// As a typed expression of `M` (for arithmetic, functions), nullable.
    pub fn expr(self) -> crate::expr::Expr<M, T::Nullable> {
        crate::expr::Expr::from_node(ExprNode::Column(self.joined()))
    }
}

impl<M, R, T: FieldType> crate::lookup::Lookups<M, T::Nullable> for RelColumn<M, R, T> {
    fn lhs(self) -> ExprNode {
        ExprNode::Column(self.joined())
    }
}

impl<M, R, T: FieldType> crate::order::Sortable<M> for RelColumn<M, R, T> {
    fn order_expr(self) -> ExprNode {
        ExprNode::Column(self.joined())
    }
}

impl<M, R, T: FieldType> crate::expr::IntoExpr<M, T::Compare> for RelColumn<M, R, T> {
    type Nullability = crate::nullability::MaybeNull;
    fn into_node(self) -> ExprNode {
        ExprNode::Column(self.joined())
    }
}

impl<M, R, T: FieldType> crate::expr::Typed<M> for RelColumn<M, R, T> {
    type Type = T::Nullable;
    fn into_typed_node(self) -> ExprNode {
        ExprNode::Column(self.joined())
    }
}

impl<M, R, T: FieldType> crate::select_list::SelectItem<M> for RelColumn<M, R, T> {
    type Out = <T::Nullable as FieldType>::Selected;
    type Field = T::Nullable;
    fn item_node(self) -> ExprNode {
        ExprNode::Column(self.joined())
    }
}

/// A relation handle whose related rows of one row form a queryset: the
/// reverse of a foreign key, or a many-to-many relation from either end.
/// Used by [`Model::related`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a relation of `{M}`",
    label = "expected a relation handle of `{M}`, such as `{M}::<related_name>`"
)]
pub trait RelatedQuery<M> {
    /// The related model's queryset.
    type QuerySet;
    /// The rows related to `row`.
    fn rows_of(self, row: &M) -> Self::QuerySet;
}

impl<M: Model, R: Model> RelatedQuery<M> for Reverse<M, R> {
    type QuerySet = R::QuerySet;
    fn rows_of(self, row: &M) -> R::QuerySet {
        self.of(row)
    }
}

impl<M: Model, T: Model> RelatedQuery<M> for ManyToManyRel<M, T> {
    type QuerySet = T::QuerySet;
    fn rows_of(self, row: &M) -> T::QuerySet {
        self.of(row).queryset()
    }
}
