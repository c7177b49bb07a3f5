//! Typed column handles (`Book::title`) and forward foreign-key paths
//! (`Book::publisher.then(Publisher::name)`).

use crate::ast::{ColumnRef, JoinStep};
use crate::field::{FieldType, ForeignKey};
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

impl<M, T: FieldType> Column<M, T> {
    /// A column of `M`'s own table. Used by generated code.
    pub const fn new(column: &'static str) -> Self {
        Column {
            column,
            path: Cow::Borrowed(&[]),
            _t: PhantomData,
        }
    }

    /// The column name.
    pub fn name(&self) -> &'static str {
        self.column
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
    /// Follows the foreign key to a column of the referenced model:
    /// `Book::publisher.then(Publisher::name)` is Django's
    /// `publisher__name`, rendered as a join.
    pub fn then<U: FieldType>(self, next: Column<P, U>) -> Column<M, U> {
        self.join(next, false)
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
