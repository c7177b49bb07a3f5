//! The `Model` trait implemented by `#[derive(Model)]`, and the static schema
//! metadata (tables, columns, keys, indexes, join tables) it exposes.

use crate::field::{Choices, FieldType};
use crate::queryset::QuerySetBuilder;
use crate::row::{DecodeError, RowReader};
use crate::value::{ColumnType, Value};

/// What happens to referencing rows when a referenced row is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// Delete the referencing rows too.
    Cascade,
    /// Set the referencing column to NULL (the field must be `Option`).
    SetNull,
    /// Refuse the delete while referencing rows exist.
    Restrict,
}

/// A column default, written into DDL as a literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A boolean literal.
    Bool(bool),
    /// A text literal.
    Text(&'static str),
}

/// A foreign key constraint of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKeyMeta {
    /// The referenced table.
    pub table: &'static str,
    /// The referenced column (the target's primary key).
    pub column: &'static str,
    /// The delete rule.
    pub on_delete: OnDelete,
}

/// One stored column of a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldMeta {
    /// The Rust field name.
    pub name: &'static str,
    /// The column name.
    pub column: &'static str,
    /// The declared type.
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Whether this is the primary key.
    pub primary_key: bool,
    /// Whether the database assigns the value on insert.
    pub auto_increment: bool,
    /// Whether values must be unique.
    pub unique: bool,
    /// Whether the column has its own index.
    pub index: bool,
    /// The DDL default.
    pub default: Option<DefaultValue>,
    /// The foreign key constraint, for `ForeignKey` fields.
    pub foreign_key: Option<ForeignKeyMeta>,
    /// Allowed values (enums).
    pub choices: Choices,
    /// Whether `defer()`/`only()` may leave it out (`Deferred<T>`).
    pub deferrable: bool,
    /// Inclusive lower bound enforced by a CHECK constraint.
    pub min_value: Option<i64>,
    /// Inclusive upper bound enforced by a CHECK constraint.
    pub max_value: Option<i64>,
}

/// An index or unique constraint declared on the model
/// (`#[orm(index(..))]`, `#[orm(unique_together(..))]`): its key parts in
/// order, each a column or an expression over one, ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMeta {
    /// The declared name (`name = ".."`); `None` derives one from the
    /// table and the key parts.
    pub name: Option<&'static str>,
    /// The key parts, in order.
    pub parts: &'static [IndexPart],
    /// Whether the combination must be unique.
    pub unique: bool,
}

impl IndexMeta {
    /// Whether every key part is a plain column in ascending order (what a
    /// table's `UNIQUE (..)` constraint can hold).
    pub fn is_plain(&self) -> bool {
        self.parts
            .iter()
            .all(|p| !p.descending && matches!(p.expr, IndexExpr::Column(_)))
    }
}

/// One key part of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexPart {
    /// What is indexed.
    pub expr: IndexExpr,
    /// Descending order (`-field` in the attribute).
    pub descending: bool,
}

/// What one key part of an index holds: a column, or a function of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexExpr {
    /// The column itself.
    Column(&'static str),
    /// `LOWER(column)` of a text column (`lower(field)` in the attribute).
    Lower(&'static str),
    /// `UPPER(column)` of a text column (`upper(field)` in the attribute).
    Upper(&'static str),
}

impl IndexExpr {
    /// The column the key part reads.
    pub fn column(&self) -> &'static str {
        match *self {
            IndexExpr::Column(c) | IndexExpr::Lower(c) | IndexExpr::Upper(c) => c,
        }
    }
}

/// A many-to-many relation and its join table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManyToManyMeta {
    /// The Rust field name.
    pub name: &'static str,
    /// The join table.
    pub through: &'static str,
    /// Whether the join table is created with the model (not a model of its own).
    pub auto_created: bool,
    /// The join table's column referring to this model.
    pub source_column: &'static str,
    /// The join table's column referring to the target model.
    pub target_column: &'static str,
    /// This model's table.
    pub source_table: &'static str,
    /// This model's primary key column.
    pub source_pk: &'static str,
    /// The target model's table.
    pub target_table: &'static str,
    /// The target model's primary key column.
    pub target_pk: &'static str,
    /// The column type of this model's primary key.
    pub source_pk_type: ColumnType,
    /// The column type of the target's primary key.
    pub target_pk_type: ColumnType,
    /// For a relation of a model to itself: adding (a, b) also adds (b, a).
    pub symmetrical: bool,
}

/// Everything the runtime knows about a model's table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelMeta {
    /// The Rust type name.
    pub name: &'static str,
    /// The table name.
    pub table: &'static str,
    /// The stored columns, in declaration order.
    pub fields: &'static [FieldMeta],
    /// Index of the primary key in `fields`.
    pub pk_index: usize,
    /// Composite indexes and unique constraints.
    pub indexes: &'static [IndexMeta],
    /// Many-to-many relations declared on this model.
    pub many_to_many: &'static [ManyToManyMeta],
}

impl ModelMeta {
    /// The primary key field.
    pub fn pk(&self) -> &'static FieldMeta {
        &self.fields[self.pk_index]
    }
}

/// A database model. Implemented by `#[derive(Model)]`; not meant to be
/// implemented by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "add #[derive(Model)] to this type"
)]
pub trait Model: Related + Sized + Send + Sync + 'static {
    /// The primary key type.
    type Pk: FieldType + Clone + PartialEq + std::fmt::Debug;
    /// The generated queryset type (`<Model>QuerySet`).
    type QuerySet: QuerySetBuilder<Model = Self, Row = Self>;
    /// The generated handle of an outer query over this model
    /// (`<Model>Outer`), which `correlated` passes its closure.
    type Outer: From<crate::subquery::Outer<Self>> + Copy;
    /// Static schema metadata.
    const META: &'static ModelMeta;

    /// The rows related to this one through a relation handle, as a
    /// queryset (Django's `playlist.song_set.all()`, `book.authors.all()`):
    /// `playlist.related(Playlist::songs)`, `book.related(Book::authors)`.
    fn related<H: crate::relation::RelatedQuery<Self>>(&self, handle: H) -> H::QuerySet {
        handle.rows_of(self)
    }

    /// A subquery of queries over this model (Django's `Subquery` with
    /// `OuterRef`): the closure gets the outer query's handle, whose fields
    /// are its columns and annotation fields (`p.id`, `u.total`;
    /// `p.col(path)` for a path), and returns the inner queryset. Use the
    /// result in `Exists`, `subquery_count`, `subquery_aggregate`, or as
    /// `.subquery()` of a one-column `values()`; only in a query over this
    /// model. Nest closures to refer two levels up.
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct User {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(max_length = 50)] pub name: String,
    /// # }
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Task {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     pub user: ForeignKey<User>,
    /// #     pub done: bool,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[User::META, Task::META]).await?;
    /// # let ann = User::objects().create(&db, User { id: 0, name: "ann".into() }).await?;
    /// # let bob = User::objects().create(&db, User { id: 0, name: "bob".into() }).await?;
    /// # for (u, done) in [(&ann, true), (&ann, false), (&bob, true)] {
    /// #     Task::objects().create(&db, Task { id: 0, user: u.into(), done }).await?;
    /// # }
    /// // Each user with the number of their open tasks.
    /// let open = User::correlated(|u| {
    ///     Task::objects().filter(Task::user.eq(u.id)).filter(Task::done.eq(false))
    /// });
    /// let counts: Vec<(String, i64)> = User::objects()
    ///     .values((User::name, subquery_count(open)))
    ///     .order_by(User::name.asc())
    ///     .all(&db)
    ///     .await?;
    /// assert_eq!(counts, [("ann".to_string(), 1), ("bob".to_string(), 0)]);
    /// # Ok(()) }
    /// ```
    fn correlated<S>(build: impl FnOnce(Self::Outer) -> S) -> crate::subquery::Correlated<Self, S> {
        crate::subquery::Correlated::build(build)
    }

    /// The primary key value.
    fn pk(&self) -> &Self::Pk;
    /// Replaces the primary key value (after an insert assigned it).
    fn set_pk(&mut self, pk: Self::Pk);
    /// The values of all stored columns, in `META.fields` order.
    fn values(&self) -> Vec<Value>;
    /// Whether each stored column's value was loaded (a deferred field left
    /// out is not), in `META.fields` order.
    fn loaded(&self) -> Vec<bool> {
        vec![true; Self::META.fields.len()]
    }
    /// Decodes a row whose next columns are this model's stored columns in
    /// `META.fields` order.
    fn decode_row<R: RowReader + ?Sized>(r: &mut R) -> Result<Self, DecodeError>;

    /// The names of the `#[orm(annotation)]` fields, in declaration order:
    /// name `i` is annotation field number `i` of `decode_annotation`.
    const ANNOTATIONS: &'static [&'static str] = &[];

    /// Decodes the next column into the `#[orm(annotation)]` field number
    /// `index` (in declaration order).
    fn decode_annotation<R: RowReader + ?Sized>(
        &mut self,
        index: u16,
        r: &mut R,
    ) -> Result<(), DecodeError> {
        let _ = r;
        Err(DecodeError {
            model: Self::META.name,
            column: "annotation",
            expected: "an #[orm(annotation)] field",
            message: format!("{} has no annotation field number {index}", Self::META.name),
        })
    }
}

/// A declared `#[orm(annotation)]` field of model `M` holding `T`; filled by
/// `annotate_into`. Generated as an associated constant.
pub struct Annotation<M, T> {
    index: u16,
    _t: std::marker::PhantomData<fn() -> (M, T)>,
}

impl<M, T> Annotation<M, T> {
    /// The annotation field number `index`. Used by generated code.
    pub const fn new(index: u16) -> Self {
        Annotation {
            index,
            _t: std::marker::PhantomData,
        }
    }

    /// Its number among the model's annotation fields.
    pub fn index(&self) -> u16 {
        self.index
    }
}

impl<M, T: crate::field::FieldType> Annotation<M, T> {
    /// The filled value as an expression, for later `filter`, `order_by`,
    /// `annotate`, `values` and `aggregate` calls (Django's
    /// `F('annotation')`): it stands for the expression `annotate_into`
    /// gave the field, without repeating it.
    ///
    /// ```
    /// # use orm_runtime::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct User {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(max_length = 50)] pub name: String,
    /// #     #[orm(annotation)] pub total: Option<i64>,
    /// # }
    /// # #[derive(Model, Debug, Clone)]
    /// # pub struct Playlist {
    /// #     #[orm(primary_key)] pub id: i64,
    /// #     #[orm(related_name = "playlists")] pub user: ForeignKey<User>,
    /// #     pub length: i32,
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.create_tables(&[User::META, Playlist::META]).await?;
    /// # for (name, lengths) in [("ann", &[400, 300][..]), ("bob", &[200][..])] {
    /// #     let user = User::objects().create(&db, User { id: 0, name: name.into(), total: None }).await?;
    /// #     for &length in lengths {
    /// #         Playlist::objects().create(&db, Playlist { id: 0, user: (&user).into(), length }).await?;
    /// #     }
    /// # }
    /// let with_total = || {
    ///     User::objects().annotate_into(User::total, Sum(User::playlists.then(Playlist::length)))
    /// };
    /// // The field stands for the SUM in a filter (HAVING) and an ordering.
    /// let users = with_total().filter(User::total.gt(600)).order_by(User::total.desc()).all(&db).await?;
    /// assert_eq!((users.len(), users[0].name.as_str(), users[0].total), (1, "ann", Some(700)));
    ///
    /// // `expr()` puts it in arithmetic: the totals in whole minutes.
    /// let minutes: Vec<(String, Option<i64>)> = with_total()
    ///     .values((User::name, User::total.expr() / 60))
    ///     .order_by(User::name.asc())
    ///     .all(&db)
    ///     .await?;
    /// assert_eq!(minutes, [("ann".to_string(), Some(11)), ("bob".to_string(), Some(3))]);
    /// # Ok(()) }
    /// ```
    pub fn expr(self) -> crate::expr::Expr<M, T> {
        crate::expr::Expr::from_node(self.node())
    }

    fn node(&self) -> crate::ast::ExprNode {
        crate::ast::ExprNode::AnnotationRef {
            index: self.index,
            nullable: T::NULLABLE,
            kind: T::COLUMN_TYPE.kind,
        }
    }
}

impl<M, T> Clone for Annotation<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Annotation<M, T> {}

impl<M, T: crate::field::FieldType> crate::lookup::Lookups<M, T> for Annotation<M, T> {
    fn lhs(self) -> crate::ast::ExprNode {
        self.node()
    }
}

impl<M, T: crate::field::FieldType> crate::order::Sortable<M> for Annotation<M, T> {
    fn order_expr(self) -> crate::ast::ExprNode {
        self.node()
    }
}

impl<M, T: crate::field::FieldType> crate::expr::IntoExpr<M, T::Compare> for Annotation<M, T> {
    type Nullability = T::Nullability;
    fn into_node(self) -> crate::ast::ExprNode {
        self.node()
    }
}

impl<M, T: crate::field::FieldType> crate::expr::Typed<M> for Annotation<M, T> {
    type Type = T;
    fn into_typed_node(self) -> crate::ast::ExprNode {
        self.node()
    }
}

/// Decodes one field, naming the model, column and type on failure. Used by
/// generated decoders.
pub fn decode_field<T: FieldType, R: RowReader + ?Sized>(
    r: &mut R,
    model: &'static str,
    column: &'static str,
) -> Result<T, DecodeError> {
    T::decode(r).map_err(|message| DecodeError {
        model,
        column,
        expected: std::any::type_name::<T>(),
        message,
    })
}

/// Decodes one stored field and records which model field it is, so an
/// unloaded value (a deferred field left out, a foreign key's row) names it
/// when read. Used by generated decoders.
pub fn decode_stored<T: FieldType, R: RowReader + ?Sized>(
    r: &mut R,
    field: &'static crate::field::FieldName,
    column: &'static str,
) -> Result<T, DecodeError> {
    let mut value = decode_field::<T, R>(r, field.model, column)?;
    value.set_field_name(field);
    Ok(value)
}

/// Loading rows referenced by foreign keys into a model (`select_related`),
/// through any chain of models. Implemented by `#[derive(Model)]`;
/// object-safe so a chain can be walked without knowing its types.
pub trait Related {
    /// Decodes the row referenced by the foreign key column `fk_column` from
    /// the reader's next columns, stores it as loaded and returns it. A NULL
    /// key skips the columns and gives `None`.
    fn load_fk(
        &mut self,
        fk_column: &str,
        r: &mut dyn RowReader,
    ) -> Result<Option<&mut dyn Related>, DecodeError>;

    /// The already loaded row behind `fk_column`.
    fn loaded_fk(&mut self, fk_column: &str) -> Option<&mut dyn Related>;
}

/// Decodes the referenced model into a foreign key, or skips its columns
/// when the key is NULL. Used by generated `Related` impls.
pub fn load_into<'a, T: Model>(
    fk: Option<&'a mut crate::field::ForeignKey<T>>,
    r: &mut dyn RowReader,
) -> Result<Option<&'a mut dyn Related>, DecodeError> {
    match fk {
        Some(fk) => {
            let row = T::decode_row(r)?;
            fk.set_loaded(row);
            Ok(fk.loaded_mut().map(|t| t as &mut dyn Related))
        }
        None => {
            for _ in 0..T::META.fields.len() {
                r.skip();
            }
            Ok(None)
        }
    }
}
