//! Assignments for `queryset.update(..)`: `Book::views.set(Book::views + 1)`,
//! and on a nullable column `Book::subtitle.set(Some(..))` or `.set(None)`.

use crate::ast::ExprNode;
use crate::column::Column;
use crate::expr::IntoExpr;
use crate::field::{Deferred, FieldType};

/// `column = expression` for an UPDATE of model `M`.
pub struct Assign<M> {
    column: &'static str,
    value: ExprNode,
    _m: crate::Marker<M>,
}

impl<M> Assign<M> {
    /// The column and the expression.
    pub fn into_parts(self) -> (&'static str, ExprNode) {
        (self.column, self.value)
    }
}

impl<M, T: FieldType> Column<M, T> {
    /// `column = value`: a value, a column of the same row, or an F
    /// expression such as `Book::views + 1`; on a nullable (`Option<T>`)
    /// column also `Some(v)` or `None` (NULL).
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Post {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     pub views: i32,
    /// #     #[orm(max_length = 50)] pub subtitle: Option<String>,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[Post::META]).await?;
    /// # let p = Post::objects().create(&db, Post { id: 0, views: 1, subtitle: Some("old".into()) }).await?;
    /// // UPDATE "post" SET "views" = ("views" + $1), "subtitle" = $2 WHERE "id" = $3
    /// let qs = Post::objects().filter(Post::id.eq(p.id));
    /// qs.clone().update(&db, (Post::views.set(Post::views + 1), Post::subtitle.set(None))).await?;
    /// let p = qs.clone().get(&db).await?;
    /// assert_eq!((p.views, p.subtitle), (2, None));
    /// qs.clone().update(&db, Post::subtitle.set(Some("new".to_owned()))).await?;
    /// assert_eq!(qs.get(&db).await?.subtitle.as_deref(), Some("new"));
    /// # Ok(()) }
    /// ```
    ///
    /// `How` is inferred: [`AsExpr`] for values and expressions, [`AsField`]
    /// for `Some(..)`/`None`.
    pub fn set<How>(self, value: impl SetValue<M, T, How>) -> Assign<M> {
        Assign {
            column: self.name(),
            value: value.into_set_node(),
            _m: std::marker::PhantomData,
        }
    }

    /// `column = NULL`, for nullable columns only (`Option<T>`); on any
    /// other column it is a compile error.
    pub fn set_null(self) -> Assign<M>
    where
        T: NullableField,
    {
        Assign {
            column: self.name(),
            value: ExprNode::Value(crate::value::Value::Null(T::COLUMN_TYPE.kind)),
            _m: std::marker::PhantomData,
        }
    }
}

/// What `Column::<M, T>::set` takes. `How` tells the two kinds apart (and
/// is inferred): [`AsExpr`] for a value, a column or an expression of the
/// column's type, [`AsField`] for the field's own value, which on a nullable
/// column is `Some(v)` or `None`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be assigned to a `{T}` column of `{M}`",
    label = "expected a value, column or expression of the column's type, or `Some(..)`/`None` for a nullable column",
    note = "`None` and `Some(v)` need a column declared `Option<..>`; `Some(v)` holds the field's own type (`Some(\"x\".to_owned())` for an `Option<String>`)"
)]
pub trait SetValue<M, T, How> {
    /// The assigned expression.
    fn into_set_node(self) -> ExprNode;
}

/// [`SetValue`] through [`IntoExpr`]: a value, column or expression.
pub enum AsExpr {}

/// [`SetValue`] by the field's own value: `Some(v)` or `None` on a nullable
/// column.
pub enum AsField {}

impl<M, T: FieldType, E: IntoExpr<M, T::Compare>> SetValue<M, T, AsExpr> for E {
    fn into_set_node(self) -> ExprNode {
        self.into_node()
    }
}

impl<M, T: FieldType> SetValue<M, Option<T>, AsField> for Option<T> {
    fn into_set_node(self) -> ExprNode {
        ExprNode::Value(self.to_value())
    }
}

impl<M, T: FieldType> SetValue<M, Deferred<Option<T>>, AsField> for Option<T> {
    fn into_set_node(self) -> ExprNode {
        ExprNode::Value(self.to_value())
    }
}

/// A field type that admits NULL: `Option<T>` (also deferred).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not nullable: `set_null()` needs a column declared `Option<..>`",
    label = "not an `Option<..>` column",
    note = "declare the field as `Option<T>` to store NULL in it"
)]
pub trait NullableField: FieldType {}

impl<T: FieldType> NullableField for Option<T> {}

impl<T: FieldType> NullableField for Deferred<Option<T>> {}

/// One assignment or a tuple or `Vec` of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of assignments to `{M}`",
    label = "expected `Column::set(..)` of `{M}`, or a tuple or Vec of them"
)]
pub trait Assignments<M> {
    /// The assignments, in order.
    fn into_assignments(self) -> Vec<(&'static str, ExprNode)>;
}

impl<M> Assignments<M> for Assign<M> {
    fn into_assignments(self) -> Vec<(&'static str, ExprNode)> {
        vec![self.into_parts()]
    }
}

impl<M> Assignments<M> for Vec<Assign<M>> {
    fn into_assignments(self) -> Vec<(&'static str, ExprNode)> {
        self.into_iter().map(Assign::into_parts).collect()
    }
}

macro_rules! tuples {
    ($( ($($n:tt)+) )*) => {$(
        impl<M> Assignments<M> for ($(tuples!(@ty $n),)+) {
            fn into_assignments(self) -> Vec<(&'static str, ExprNode)> {
                vec![$(self.$n.into_parts()),+]
            }
        }
    )*};
    (@ty $n:tt) => { Assign<M> };
}

tuples! {
    (0 1)
    (0 1 2)
    (0 1 2 3)
    (0 1 2 3 4)
    (0 1 2 3 4 5)
}
