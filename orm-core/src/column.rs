//! Typed column handles (`Book::title`) and forward foreign-key paths
//! (`Book::publisher.then(Publisher::name)`).

use crate::ast::{ColumnRef, JoinStep};
use crate::field::{FieldType, ForeignKey, Key};
use crate::model::Model;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A column of type `T` reached from model `M`, either directly or through
/// a chain of foreign keys. Generated as associated constants by
/// `#[derive(Model)]`.
pub struct Column<M, T> {
    column: &'static str,
    path: Cow<'static, [JoinStep]>,
    _t: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        Column {
            column: self.column,
            path: self.path.clone(),
            _t: PhantomData,
        }
    }
}

impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("column", &self.column)
            .field("path", &self.path)
            .finish()
    }
}

impl<M, T> Column<M, T> {
    /// The column name.
    pub fn name(&self) -> &'static str {
        self.column
    }
}

impl<M, T: FieldType> Column<M, T> {
    /// A column of `M`'s own table. Used by generated code.
    pub const fn new(column: &'static str) -> Self {
        Column {
            column,
            path: Cow::Borrowed(&[]),
            _t: PhantomData,
        }
    }

    /// The untyped reference, with nullability from the type and the path.
    pub fn into_ref(self) -> ColumnRef {
        let nullable = T::NULLABLE || self.path.iter().any(|s| s.nullable);
        ColumnRef {
            path: self.path,
            column: self.column,
            nullable,
            kind: T::COLUMN_TYPE.kind,
        }
    }

    fn join<P: Model, U>(self, next: Column<P, U>, nullable: bool) -> Column<M, U> {
        let target = P::META;
        let mut path = self.path.into_owned();
        path.push(JoinStep {
            fk_column: self.column,
            table: target.table,
            pk_column: target.pk().column,
            nullable,
            meta: Some(target),
            many: false,
            join: 0,
        });
        path.extend_from_slice(&next.path);
        Column {
            column: next.column,
            path: Cow::Owned(path),
            _t: PhantomData,
        }
    }
}

impl<M, P: Model> Column<M, ForeignKey<P>> {
    /// Follows the foreign key to a column of the referenced model
    /// (`Book::publisher.then(Publisher::name)`, Django's
    /// `publisher__name`, rendered as a join), or on through a relation of
    /// it (`Book::publisher.then(Publisher::books).then(Book::title)`,
    /// `publisher__book__title`: a LEFT JOIN per related row).
    pub fn then<X: ForwardStep<P>>(self, next: X) -> X::Out<M> {
        let mut path = self.path.into_owned();
        path.push(JoinStep {
            fk_column: self.column,
            table: P::META.table,
            pk_column: P::META.pk().column,
            nullable: false,
            meta: Some(P::META),
            many: false,
            join: 0,
        });
        next.after(path)
    }
}

impl<M, P: Model> Column<M, Key<P>> {
    /// This primary key column as its plain value (`Column<M, i64>`), which
    /// compares with any value of that type, of any model: the explicit way
    /// to compare keys of different models on purpose
    /// (`Song::id.plain().gt(l.id.plain())` in `Listener::correlated(|l| ..)`). The SQL is
    /// the same.
    pub fn plain(self) -> Column<M, P::Pk> {
        Column {
            column: self.column,
            path: self.path,
            _t: PhantomData,
        }
    }
}

impl<M, P: Model> Column<M, ForeignKey<P>> {
    /// This foreign key column as its plain key value (`Column<M, i64>`),
    /// which compares with any value of that type, of any model. The SQL is
    /// the same.
    pub fn plain(self) -> Column<M, P::Pk> {
        Column {
            column: self.column,
            path: self.path,
            _t: PhantomData,
        }
    }
}

/// What may follow a foreign key in a path: a column of the referenced
/// model, or one of its multi-valued relations.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot follow a foreign key to `{P}`",
    label = "expected a column of `{P}` (`{P}::<field>`) or a relation of `{P}`"
)]
pub trait ForwardStep<P> {
    /// The path extended by this step, from model `M`.
    type Out<M>;
    /// Extends `path` (the joins from `M` to `P`).
    fn after<M>(self, path: Vec<JoinStep>) -> Self::Out<M>;
}

impl<P, U: FieldType> ForwardStep<P> for Column<P, U> {
    type Out<M> = Column<M, U>;
    fn after<M>(self, mut path: Vec<JoinStep>) -> Column<M, U> {
        path.extend_from_slice(&self.path);
        Column {
            column: self.column,
            path: Cow::Owned(path),
            _t: PhantomData,
        }
    }
}

impl<P, S> ForwardStep<P> for crate::relation::Reverse<P, S> {
    type Out<M> = ManyPath<M, S>;
    fn after<M>(self, mut path: Vec<JoinStep>) -> ManyPath<M, S> {
        path.extend(self.relation().steps());
        ManyPath {
            path,
            _t: PhantomData,
        }
    }
}

impl<P: Model, S: Model> ForwardStep<P> for crate::relation::ManyToManyRel<P, S> {
    type Out<M> = ManyPath<M, S>;
    fn after<M>(self, mut path: Vec<JoinStep>) -> ManyPath<M, S> {
        path.extend(self.relation().steps());
        ManyPath {
            path,
            _t: PhantomData,
        }
    }
}

/// A path from `M` that reaches model `S` through a multi-valued relation
/// after foreign keys; `then` ends it at a column (nullable: a LEFT JOIN).
pub struct ManyPath<M, S> {
    path: Vec<JoinStep>,
    _t: PhantomData<fn() -> (M, S)>,
}

impl<M, S> ManyPath<M, S> {
    /// A column of `S`, as a nullable column of `M`.
    pub fn then<U: FieldType>(self, next: Column<S, U>) -> Column<M, U::Nullable> {
        let mut path = self.path;
        path.extend_from_slice(&next.path);
        Column {
            column: next.column,
            path: Cow::Owned(path),
            _t: PhantomData,
        }
    }
}

impl<M, P: Model> Column<M, Option<ForeignKey<P>>> {
    /// Follows a nullable foreign key (LEFT JOIN); the result is nullable.
    pub fn then<U: FieldType>(self, next: Column<P, U>) -> Column<M, U::Nullable> {
        let c: Column<M, U> = self.join(next, true);
        Column {
            column: c.column,
            path: c.path,
            _t: PhantomData,
        }
    }
}

/// A foreign key (possibly reached through others) whose referenced rows
/// `select_related` loads.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a foreign key of `{M}`",
    label = "select_related takes a ForeignKey column of `{M}`, possibly a path like `Comment::post.then(Post::author)`"
)]
pub trait RelatedPath<M> {
    /// The joins to the referenced table, and its model.
    fn related_path(self) -> (Vec<JoinStep>, &'static crate::model::ModelMeta);
}

impl<M, T> Column<M, T> {
    /// This foreign key's path followed by the hop to model `P`.
    fn path_to<P: Model>(
        self,
        nullable: bool,
    ) -> (Vec<JoinStep>, &'static crate::model::ModelMeta) {
        let mut path = self.path.into_owned();
        path.push(JoinStep {
            fk_column: self.column,
            table: P::META.table,
            pk_column: P::META.pk().column,
            nullable,
            meta: Some(P::META),
            many: false,
            join: 0,
        });
        (path, P::META)
    }
}

impl<M, P: Model> RelatedPath<M> for Column<M, ForeignKey<P>> {
    fn related_path(self) -> (Vec<JoinStep>, &'static crate::model::ModelMeta) {
        self.path_to::<P>(false)
    }
}

impl<M, P: Model> RelatedPath<M> for Column<M, Option<ForeignKey<P>>> {
    fn related_path(self) -> (Vec<JoinStep>, &'static crate::model::ModelMeta) {
        self.path_to::<P>(true)
    }
}
