//! Field types: how each Rust type maps to a column kind, a bound value and a
//! decoded value; plus the relation field types `ForeignKey` and `ManyToMany`.
//!
//! `chrono::NaiveTime` is a time of day and `chrono::TimeDelta` a duration,
//! both to the microsecond; a duration is stored as a BIGINT count of
//! microseconds on every backend (as Django stores a `DurationField` on
//! SQLite and MySQL), so it sums, averages and compares as an integer.

use crate::model::Model;
use crate::nullability::{MaybeNull, NotNull, Nullability};
use crate::row::RowReader;
use crate::value::{ColumnType, Kind, Value};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The allowed values of an enum column, enforced with a CHECK constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choices {
    /// Any value of the kind.
    Any,
    /// One of these integers.
    Int(&'static [i64]),
    /// One of these strings.
    Text(&'static [&'static str]),
}

/// A `#[derive(DbEnum)]` enum: each variant's display label, and the list
/// of all variants with their labels (Django's `get_FOO_display()` and
/// `.choices`).
///
/// A label is the variant name in words, title-cased as Django derives a
/// label from a member name (`InProgress` is "In Progress", `HTTPError`
/// "HTTP Error"), or the one
/// given with `#[orm(label = "..")]` on the variant. Labels are for people;
/// what is stored is the discriminant or the text (`rename`).
///
/// ```
/// use orm_runtime::prelude::*; // the derive and this trait
///
/// #[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
/// pub enum Status {
///     NotStarted = 0,
///     InProgress = 1,
///     #[orm(label = "Finished")]
///     Done = 2,
/// }
///
/// assert_eq!(Status::InProgress.label(), "In Progress");
/// assert_eq!(Status::Done.label(), "Finished");
/// assert_eq!(
///     Status::choices(),
///     &[
///         (Status::NotStarted, "Not Started"),
///         (Status::InProgress, "In Progress"),
///         (Status::Done, "Finished"),
///     ]
/// );
/// // A nullable column: the label of a value, if there is one.
/// let maybe: Option<Status> = None;
/// assert_eq!(maybe.map(|s| s.label()), None);
/// ```
pub trait DbEnum: FieldType {
    /// The variant's label.
    fn label(&self) -> &'static str;
    /// Every variant with its label, in declaration order.
    fn choices() -> &'static [(Self, &'static str)];
}

/// A Rust type that can be stored in one column.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a column",
    label = "not a supported field type",
    note = "supported: integers, floats, bool, String, Vec<u8>, Decimal, chrono dates and times, chrono::TimeDelta, Uuid, serde_json::Value, ForeignKey<T>, #[derive(DbEnum)] enums, and Option of any of these; mark computed fields #[orm(annotation)]"
)]
pub trait FieldType: Sized + Send + Sync + 'static {
    /// The type values are compared with: the type itself, the inner type of
    /// an `Option`, and for a `ForeignKey<T>` (and `T`'s primary key column)
    /// the model-tagged [`Key<T>`], so only keys of `T` compare with it.
    type Compare: 'static;
    /// The type of this field seen through a nullable join: `Option<Self>`,
    /// or `Self` when it is already an `Option`.
    type Nullable: FieldType<Compare = Self::Compare>;
    /// The type a `values()` row holds for this column: the field type
    /// itself, except that a foreign key gives the referenced key.
    type Selected: FieldType;
    /// Whether values can be NULL, as a type: `MaybeNull` for `Option<T>`,
    /// `NotNull` otherwise. Arithmetic and functions combine it into their
    /// result types.
    type Nullability: Nullability;
    /// The declared column type.
    const COLUMN_TYPE: ColumnType;
    /// Whether the column admits NULL.
    const NULLABLE: bool = false;
    /// The allowed values, for enums.
    const CHOICES: Choices = Choices::Any;
    /// Whether `defer()`/`only()` may leave the column out (`Deferred<T>`).
    const DEFERRABLE: bool = false;
    /// Whether the value was loaded (false for a deferred field left out).
    fn is_loaded(&self) -> bool {
        true
    }
    /// Records the model field this value was decoded into, so that
    /// reading it unloaded (a `Deferred` left out, a `ForeignKey` whose
    /// row was not selected) names the field. Called by generated decoders;
    /// values that are always loaded ignore it.
    fn set_field_name(&mut self, field: &'static FieldName) {
        let _ = field;
    }
    /// The value to bind for this field.
    fn to_value(&self) -> Value;
    /// Decodes the next column, NULL giving `None`.
    fn decode_nullable<R: RowReader + ?Sized>(r: &mut R) -> Result<Option<Self>, String>;
    /// Decodes the next column, NULL being an error.
    fn decode<R: RowReader + ?Sized>(r: &mut R) -> Result<Self, String> {
        Self::decode_nullable(r)?.ok_or_else(|| "unexpected NULL".to_owned())
    }
}

macro_rules! primitive {
    ($($t:ty => $kind:ident, $read:ident, $v:ident;)*) => {$(
        impl FieldType for $t {
            type Compare = $t;
            type Nullable = Option<$t>;
            type Selected = $t;
            type Nullability = NotNull;
            const COLUMN_TYPE: ColumnType = ColumnType::of(Kind::$kind);
            fn to_value(&self) -> Value {
                Value::$v(self.clone())
            }
            fn decode_nullable<R: RowReader + ?Sized>(r: &mut R) -> Result<Option<Self>, String> {
                r.$read()
            }
        }
    )*};
}

primitive! {
    bool => Bool, read_bool, Bool;
    i16 => I16, read_i16, I16;
    i32 => I32, read_i32, I32;
    i64 => I64, read_i64, I64;
    f32 => F32, read_f32, F32;
    f64 => F64, read_f64, F64;
    String => String, read_string, String;
    Vec<u8> => Bytes, read_bytes, Bytes;
    Decimal => Decimal, read_decimal, Decimal;
    NaiveDate => Date, read_date, Date;
    NaiveDateTime => DateTime, read_datetime, DateTime;
    DateTime<Utc> => DateTimeUtc, read_datetime_utc, DateTimeUtc;
    NaiveTime => Time, read_time, Time;
    Uuid => Uuid, read_uuid, Uuid;
    serde_json::Value => Json, read_json, Json;
}

/// A duration, stored as whole microseconds. A value with a fraction of a
/// microsecond, or beyond `i64` microseconds (about 292,000 years), is
/// refused when it is bound; every stored value fits a `TimeDelta`.
impl FieldType for TimeDelta {
    type Compare = TimeDelta;
    type Nullable = Option<TimeDelta>;
    type Selected = TimeDelta;
    type Nullability = NotNull;
    const COLUMN_TYPE: ColumnType = ColumnType::of(Kind::Duration);
    fn to_value(&self) -> Value {
        Value::Duration(*self)
    }
    /// The stored microseconds, and the results of `Sum`/`Avg` over them,
    /// which the backends return as an integer or an integral decimal.
    fn decode_nullable<R: RowReader + ?Sized>(r: &mut R) -> Result<Option<Self>, String> {
        Ok(r.read_i64()?.map(TimeDelta::microseconds))
    }
}

impl<T: FieldType> FieldType for Option<T> {
    type Compare = T::Compare;
    type Nullable = Option<T>;
    type Selected = Option<T::Selected>;
    type Nullability = MaybeNull;
    const COLUMN_TYPE: ColumnType = T::COLUMN_TYPE;
    const NULLABLE: bool = true;
    const CHOICES: Choices = T::CHOICES;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null(T::COLUMN_TYPE.kind),
        }
    }
    fn set_field_name(&mut self, field: &'static FieldName) {
        if let Some(v) = self {
            v.set_field_name(field);
        }
    }
    fn decode_nullable<R: RowReader + ?Sized>(r: &mut R) -> Result<Option<Self>, String> {
        Ok(Some(T::decode_nullable(r)?))
    }
}

/// A stored field of a model, as messages name it: `Book.publisher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldName {
    /// The model's Rust type name.
    pub model: &'static str,
    /// The Rust field name.
    pub field: &'static str,
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.model, self.field)
    }
}

/// A foreign key to model `T`: holds the referenced primary key, and the
/// referenced row itself once it has been loaded.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Publisher {
/// #     #[orm(primary_key)] pub id: i64,
/// #     #[orm(max_length = 100)] pub name: String,
/// # }
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Book {
/// #     #[orm(primary_key)] pub id: i64,
/// #     pub publisher: ForeignKey<Publisher>,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Publisher::META, Book::META]).await?;
/// let penguin = Publisher::objects().create(&db, Publisher { id: 0, name: "Penguin".into() }).await?;
/// Book::objects().create(&db, Book { id: 0, publisher: ForeignKey::new(penguin.id) }).await?;
///
/// let book = Book::objects().get(&db).await?;
/// assert_eq!(*book.publisher.id(), penguin.id); // the key is always there
/// let err = book.publisher.get().unwrap_err(); // the row was not loaded
/// assert_eq!(
///     err.to_string(),
///     "Publisher 1 (Book.publisher) was not loaded: use select_related(Book::publisher) \
///      on the query, or fetch(&db) (one more query)"
/// );
///
/// let book = Book::objects().select_related(Book::publisher).get(&db).await?;
/// assert_eq!(book.publisher.get()?.name, "Penguin"); // loaded by the same query
/// # Ok(()) }
/// ```
pub struct ForeignKey<T: Model> {
    id: T::Pk,
    loaded: Option<Box<dyn LoadedRow<T>>>,
    /// The field this key was decoded into, for the `NotLoaded` message.
    field: Option<&'static FieldName>,
}

/// The loaded row behind a foreign key (or the rows of a many-to-many
/// relation), as a trait object. A model's `Send`/`Sync` are proved field
/// by field; through a `Box<T>` or a `Vec<T>` the proof for a model would
/// walk every model its relations reach (about five steps per relation, so
/// a chain of 25 models exhausted the default recursion limit). A trait
/// object is `Send`/`Sync` by its bounds, so the proof stops here; nothing
/// is lost, as every `Model` is `Send + Sync`.
trait LoadedRow<T>: Send + Sync {
    fn row(&self) -> &T;
    fn row_mut(&mut self) -> &mut T;
}

impl<T: Send + Sync> LoadedRow<T> for T {
    fn row(&self) -> &T {
        self
    }
    fn row_mut(&mut self) -> &mut T {
        self
    }
}

impl<T: Model> ForeignKey<T> {
    /// A key referring to the row with primary key `id`.
    pub fn new(id: T::Pk) -> Self {
        ForeignKey {
            id,
            loaded: None,
            field: None,
        }
    }

    /// A key referring to `obj`, keeping a copy of it as the loaded row.
    pub fn to(obj: &T) -> Self
    where
        T: Clone,
    {
        ForeignKey {
            id: obj.pk().clone(),
            loaded: Some(Box::new(obj.clone())),
            field: None,
        }
    }

    /// The referenced primary key.
    pub fn id(&self) -> &T::Pk {
        &self.id
    }

    /// The referenced row, if it was loaded; reading it never queries.
    pub fn loaded(&self) -> Option<&T> {
        self.loaded.as_deref().map(LoadedRow::row)
    }

    /// Stores a loaded row (used by relation loading).
    pub fn set_loaded(&mut self, obj: T) {
        self.loaded = Some(Box::new(obj));
    }

    /// The loaded row, mutably.
    pub fn loaded_mut(&mut self) -> Option<&mut T> {
        self.loaded.as_deref_mut().map(LoadedRow::row_mut)
    }

    /// The referenced row if it was loaded (`select_related`, `fetch`);
    /// otherwise an error saying so. Reading never queries.
    pub fn get(&self) -> Result<&T, NotLoaded> {
        self.loaded().ok_or_else(|| NotLoaded::Relation {
            field: self.field.copied(),
            model: T::META.name,
            key: format!("{:?}", self.id),
        })
    }
}

/// A value that was read without being loaded: a foreign key's row, or a
/// deferred field. The message names the model field when the value came
/// from a query (a value built in code has no field to name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotLoaded {
    /// A `ForeignKey` whose row was not loaded (`select_related`, `fetch`).
    Relation {
        /// The foreign key field (`Book.publisher`), when known.
        field: Option<FieldName>,
        /// The referenced model.
        model: &'static str,
        /// The referenced key.
        key: String,
    },
    /// A `Deferred` field left out of the query by `defer()`/`only()`.
    Deferred {
        /// The field (`Book.summary`), when known.
        field: Option<FieldName>,
    },
}

impl NotLoaded {
    /// The model field that was read, when known.
    pub fn field(&self) -> Option<FieldName> {
        match self {
            NotLoaded::Relation { field, .. } | NotLoaded::Deferred { field } => *field,
        }
    }
}

impl std::fmt::Display for NotLoaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotLoaded::Relation {
                field: Some(field),
                model,
                key,
            } => write!(
                f,
                "{model} {key} ({field}) was not loaded: use select_related({}::{}) on the query, \
                 or fetch(&db) (one more query)",
                field.model, field.field
            ),
            NotLoaded::Relation {
                field: None,
                model,
                key,
            } => write!(
                f,
                "{model} {key} was not loaded: use select_related() on the query, or fetch(&db) \
                 (one more query)"
            ),
            NotLoaded::Deferred { field: Some(field) } => write!(
                f,
                "{field} was not loaded: the query left it out (defer()/only()); select it, or \
                 refresh(&db) the row"
            ),
            NotLoaded::Deferred { field: None } => f.write_str(
                "a Deferred field was not loaded: it holds Deferred::NotLoaded, built in code \
                 rather than read from a query",
            ),
        }
    }
}

impl std::error::Error for NotLoaded {}

impl<T: Model> Clone for ForeignKey<T>
where
    T: Clone,
{
    fn clone(&self) -> Self {
        ForeignKey {
            id: self.id.clone(),
            field: self.field,
            loaded: self
                .loaded()
                .map(|row| Box::new(row.clone()) as Box<dyn LoadedRow<T>>),
        }
    }
}

impl<T: Model> std::fmt::Debug for ForeignKey<T>
where
    T: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForeignKey")
            .field("id", &self.id)
            .field("loaded", &self.loaded())
            .finish()
    }
}

impl<T: Model> PartialEq for ForeignKey<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<T: Model> From<&T> for ForeignKey<T> {
    fn from(obj: &T) -> Self {
        ForeignKey::new(obj.pk().clone())
    }
}

impl<T: Model> FieldType for ForeignKey<T> {
    type Compare = Key<T>;
    type Nullable = Option<ForeignKey<T>>;
    type Selected = T::Pk;
    type Nullability = NotNull;
    const COLUMN_TYPE: ColumnType = <T::Pk as FieldType>::COLUMN_TYPE;
    fn to_value(&self) -> Value {
        self.id.to_value()
    }
    fn decode_nullable<R: RowReader + ?Sized>(r: &mut R) -> Result<Option<Self>, String> {
        Ok(<T::Pk as FieldType>::decode_nullable(r)?.map(ForeignKey::new))
    }
    fn set_field_name(&mut self, field: &'static FieldName) {
        self.field = Some(field);
    }
}

/// A primary key value of model `T`: what a foreign key to `T` and `T`'s
/// own primary key column compare with. The model in the type is what makes
/// `Book::publisher.eq(&author)` a compile error: a `ForeignKey<Publisher>`
/// column takes `&Publisher`, a `ForeignKey<Publisher>`, `Publisher::id`,
/// an outer publisher's key (`p.id` in `Publisher::correlated(|p| ..)`), another `ForeignKey<Publisher>` column, a
/// subquery of publisher keys, `Key::<Publisher>::new(3)`, or a plain key
/// value (`3`, as Django's `publisher=3`), and nothing of another model.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Publisher {
/// #     #[orm(primary_key)] pub id: i64,
/// # }
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Book {
/// #     #[orm(primary_key)] pub id: i64,
/// #     pub publisher: ForeignKey<Publisher>,
/// # }
/// let penguin = Publisher { id: 3 };
/// let by_row = Book::objects().filter(Book::publisher.eq(&penguin));
/// let by_key = Book::objects().filter(Book::publisher.eq(Key::<Publisher>::new(3)));
/// let by_value = Book::objects().filter(Book::publisher.eq(3));
/// assert_eq!(by_row.to_sql(Dialect::Sqlite)?, by_key.to_sql(Dialect::Sqlite)?);
/// assert_eq!(by_key.to_sql(Dialect::Sqlite)?, by_value.to_sql(Dialect::Sqlite)?);
/// # Ok::<(), Error>(())
/// ```
pub struct Key<T: Model> {
    pk: T::Pk,
}

impl<T: Model> Key<T> {
    /// The key of the `T` row whose primary key is `pk`.
    pub fn new(pk: T::Pk) -> Self {
        Key { pk }
    }

    /// The primary key value.
    pub fn get(&self) -> &T::Pk {
        &self.pk
    }

    /// The primary key value, by value.
    pub fn into_inner(self) -> T::Pk {
        self.pk
    }
}

impl<T: Model> Clone for Key<T> {
    fn clone(&self) -> Self {
        Key {
            pk: self.pk.clone(),
        }
    }
}

impl<T: Model> std::fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key<{}>({:?})", T::META.name, self.pk)
    }
}

impl<T: Model> PartialEq for Key<T> {
    fn eq(&self, other: &Self) -> bool {
        self.pk == other.pk
    }
}

impl<T: Model> From<&T> for Key<T> {
    fn from(obj: &T) -> Self {
        Key::new(obj.pk().clone())
    }
}

impl<T: Model> From<&ForeignKey<T>> for Key<T> {
    fn from(fk: &ForeignKey<T>) -> Self {
        Key::new(fk.id().clone())
    }
}

/// Stored, bound and decoded as `T`'s primary key; `values()` gives the
/// plain key value (`Selected` is `T::Pk`).
impl<T: Model> FieldType for Key<T> {
    type Compare = Key<T>;
    type Nullable = Option<Key<T>>;
    type Selected = T::Pk;
    type Nullability = NotNull;
    const COLUMN_TYPE: ColumnType = <T::Pk as FieldType>::COLUMN_TYPE;
    fn to_value(&self) -> Value {
        self.pk.to_value()
    }
    fn decode_nullable<R: RowReader + ?Sized>(r: &mut R) -> Result<Option<Self>, String> {
        Ok(<T::Pk as FieldType>::decode_nullable(r)?.map(Key::new))
    }
}

/// A many-to-many relation to model `T` through a join table. It is not a
/// column; its rows are read and changed through the relation handle
/// (`Book::authors.of(&book)`).
pub struct ManyToMany<T> {
    loaded: Option<Box<dyn LoadedRow<Vec<T>>>>,
}

impl<T> ManyToMany<T> {
    /// The related rows, if they were loaded.
    pub fn loaded(&self) -> Option<&[T]> {
        self.loaded.as_deref().map(|rows| rows.row().as_slice())
    }

    /// Stores loaded rows (used by relation loading).
    pub fn set_loaded(&mut self, rows: Vec<T>)
    where
        T: Send + Sync + 'static,
    {
        self.loaded = Some(Box::new(rows));
    }
}

impl<T> Default for ManyToMany<T> {
    fn default() -> Self {
        ManyToMany { loaded: None }
    }
}

impl<T: Clone + Send + Sync + 'static> Clone for ManyToMany<T> {
    fn clone(&self) -> Self {
        ManyToMany {
            loaded: self
                .loaded()
                .map(|rows| Box::new(rows.to_vec()) as Box<dyn LoadedRow<Vec<T>>>),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for ManyToMany<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.loaded() {
            Some(rows) => f.debug_list().entries(rows).finish(),
            None => f.write_str("ManyToMany(<not loaded>)"),
        }
    }
}

impl<T> PartialEq for ManyToMany<T> {
    /// Relation handles carry no column data, so they never make two rows differ.
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

/// A field that `defer()`/`only()` may leave out of a query. Reading it when
/// it was left out is an error (`NotLoaded`) naming the model field, never a
/// silent default; `save()` leaves such a column unchanged.
///
/// ```
/// # use orm_runtime::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # pub struct Memo {
/// #     #[orm(primary_key)] pub id: i64,
/// #     pub summary: Deferred<String>,
/// # }
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.create_tables(&[Memo::META]).await?;
/// # Memo::objects().create(&db, Memo { id: 0, summary: "short".to_string().into() }).await?;
/// let memo = Memo::objects().defer(Memo::summary).get(&db).await?;
/// assert!(matches!(memo.summary, Deferred::NotLoaded(_)));
/// assert_eq!(
///     memo.summary.get().unwrap_err().to_string(),
///     "Memo.summary was not loaded: the query left it out (defer()/only()); \
///      select it, or refresh(&db) the row"
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Deferred<T> {
    /// The value.
    Loaded(T),
    /// Left out of the query that loaded the row; [`LeftOut`] names the
    /// field when the row was read from a query.
    NotLoaded(LeftOut),
}

/// Which model field a [`Deferred::NotLoaded`] is, for its error message:
/// set when a row is decoded, absent in a value built in code. Two of them
/// are always equal (the name says where a value came from, not what it is).
#[derive(Clone, Copy, Default)]
pub struct LeftOut {
    field: Option<&'static FieldName>,
}

impl LeftOut {
    /// No field named: a value built in code.
    pub const UNNAMED: LeftOut = LeftOut { field: None };

    /// The field left out, when known.
    pub fn field(&self) -> Option<&'static FieldName> {
        self.field
    }
}

impl PartialEq for LeftOut {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field}"),
            None => f.write_str("unnamed"),
        }
    }
}

impl<T> Deferred<T> {
    /// A value that was not loaded (what `Deferred::default()` gives).
    pub const fn not_loaded() -> Self {
        Deferred::NotLoaded(LeftOut::UNNAMED)
    }

    /// The value, or an error naming the field if it was left out.
    pub fn get(&self) -> Result<&T, NotLoaded> {
        match self {
            Deferred::Loaded(v) => Ok(v),
            Deferred::NotLoaded(left_out) => Err(NotLoaded::Deferred {
                field: left_out.field.copied(),
            }),
        }
    }
}

impl<T> From<T> for Deferred<T> {
    fn from(v: T) -> Self {
        Deferred::Loaded(v)
    }
}

/// `NotLoaded`, as `ManyToMany::default()` is: nothing was read. Reading it
/// is still an error, and `insert()` refuses it.
impl<T> Default for Deferred<T> {
    fn default() -> Self {
        Deferred::not_loaded()
    }
}

impl<T: FieldType> FieldType for Deferred<T> {
    type Compare = T::Compare;
    type Nullable = T::Nullable;
    type Selected = T::Selected;
    type Nullability = T::Nullability;
    const COLUMN_TYPE: ColumnType = T::COLUMN_TYPE;
    const NULLABLE: bool = T::NULLABLE;
    const CHOICES: Choices = T::CHOICES;
    const DEFERRABLE: bool = true;
    fn to_value(&self) -> Value {
        match self {
            Deferred::Loaded(v) => v.to_value(),
            Deferred::NotLoaded(_) => Value::Null(T::COLUMN_TYPE.kind),
        }
    }
    fn is_loaded(&self) -> bool {
        matches!(self, Deferred::Loaded(_))
    }
    fn set_field_name(&mut self, field: &'static FieldName) {
        match self {
            Deferred::Loaded(v) => v.set_field_name(field),
            Deferred::NotLoaded(left_out) => left_out.field = Some(field),
        }
    }
    /// A deferred column is selected as NULL; the reader says whether it
    /// was left out (which a NULL cannot say when `T` is nullable). For a
    /// non-nullable `T`, a NULL also means "left out".
    fn decode_nullable<R: RowReader + ?Sized>(r: &mut R) -> Result<Option<Self>, String> {
        if r.left_out() {
            r.skip();
            return Ok(Some(Deferred::not_loaded()));
        }
        Ok(Some(match T::decode_nullable(r)? {
            Some(v) => Deferred::Loaded(v),
            None => Deferred::not_loaded(),
        }))
    }
}
