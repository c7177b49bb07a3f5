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

    /// A column of `M`'s own table. Used by generated code.
    pub const fn new(column: &'static str) -> Self {
        Column {
            column,
            path: Cow::Borrowed(&[]),
            _t: PhantomData,
        }
    }
}

impl<M, T: FieldType> Column<M, T> {
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
}

impl<M, T> Column<M, T> {
    /// Follows a foreign key to a column of the referenced model
    /// (`Book::publisher.then(Publisher::name)`, Django's
    /// `publisher__name`, rendered as a join), or on through a relation of
    /// it (`Book::publisher.then(Publisher::books).then(Book::title)`,
    /// `publisher__book__title`: a LEFT JOIN per related row). A nullable
    /// foreign key is a LEFT JOIN, and what it reaches is nullable.
    pub fn then<X: FollowFrom<M, T>>(self, next: X) -> X::Out {
        next.follow(self)
    }

    /// The path so far plus the hop through this foreign key column to `P`.
    fn hop<P: Model>(self, nullable: bool) -> Vec<JoinStep> {
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
        path
    }
}

/// What `then` can put after a column of type `T` of `M`: a step of the
/// model a foreign key refers to ([`ForwardStep`]). Only foreign keys,
/// nullable or not, lead on; any other column ends a path.
///
/// The bound is on the step, not on `T`, so that a plain column fails it
/// here, with this message, rather than as "no method `then`".
#[diagnostic::on_unimplemented(
    message = "`then` cannot follow a column of type `{T}`: only a foreign key (or a relation) leads to another model",
    label = "`then` was called on a column of type `{T}`, which is not a foreign key",
    note = "a path continues from a `ForeignKey<T>` column (`Book::publisher.then(Publisher::name)`) or a relation (`Publisher::books.then(Book::title)`); a plain column is its end"
)]
pub trait FollowFrom<M, T> {
    /// What the path becomes.
    type Out;
    /// Extends the path of `column` by this step.
    fn follow(self, column: Column<M, T>) -> Self::Out;
}

impl<M, P: Model, X: ForwardStep<P>> FollowFrom<M, ForeignKey<P>> for X {
    type Out = X::Out<M>;
    fn follow(self, column: Column<M, ForeignKey<P>>) -> X::Out<M> {
        self.after(column.hop::<P>(false))
    }
}

impl<M, P: Model, X: ForwardStep<P>> FollowFrom<M, Option<ForeignKey<P>>> for X {
    type Out = X::Nullable<M>;
    fn follow(self, column: Column<M, Option<ForeignKey<P>>>) -> X::Nullable<M> {
        self.after_nullable(column.hop::<P>(true))
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
    /// The same after a nullable foreign key: its values are nullable.
    type Nullable<M>;
    /// Extends `path` (the joins from `M` to `P`).
    fn after<M>(self, path: Vec<JoinStep>) -> Self::Out<M>;
    /// Extends `path`, whose last hop is a nullable foreign key.
    fn after_nullable<M>(self, path: Vec<JoinStep>) -> Self::Nullable<M>;
}

impl<P, U: FieldType> ForwardStep<P> for Column<P, U> {
    type Out<M> = Column<M, U>;
    type Nullable<M> = Column<M, U::Nullable>;
    fn after<M>(self, mut path: Vec<JoinStep>) -> Column<M, U> {
        path.extend_from_slice(&self.path);
        Column {
            column: self.column,
            path: Cow::Owned(path),
            _t: PhantomData,
        }
    }
    fn after_nullable<M>(self, mut path: Vec<JoinStep>) -> Column<M, U::Nullable> {
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
    type Nullable<M> = ManyPath<M, S>;
    fn after<M>(self, mut path: Vec<JoinStep>) -> ManyPath<M, S> {
        path.extend(self.relation().steps());
        ManyPath {
            path,
            _t: PhantomData,
        }
    }
    fn after_nullable<M>(self, path: Vec<JoinStep>) -> ManyPath<M, S> {
        self.after(path)
    }
}

impl<P: Model, S: Model> ForwardStep<P> for crate::relation::ManyToManyRel<P, S> {
    type Out<M> = ManyPath<M, S>;
    type Nullable<M> = ManyPath<M, S>;
    fn after<M>(self, mut path: Vec<JoinStep>) -> ManyPath<M, S> {
        path.extend(self.relation().steps());
        ManyPath {
            path,
            _t: PhantomData,
        }
    }
    fn after_nullable<M>(self, path: Vec<JoinStep>) -> ManyPath<M, S> {
        self.after(path)
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
        (self.hop::<P>(nullable), P::META)
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
