//! Derive macros of the ORM: `#[derive(Model)]` and `#[derive(DbEnum)]`.
//!
//! Each runs in three stages: `attr` parses the `#[orm(...)]` syntax,
//! `validate` checks it and fills in defaults (reporting every error at once,
//! with spans), and `expand` generates code from the validated model only.
//! Use them through `orm_runtime::prelude`.
#![forbid(unsafe_code)]

mod attr;
mod expand;
mod validate;

use darling::{FromDeriveInput, FromField};
use proc_macro::TokenStream;

/// Derives `Model` for a struct with named fields: typed column handles
/// (`Book::title`), relation handles, `Book::objects()`, the `BookQuerySet`
/// type, positional row decoding and schema metadata.
///
/// See the orm-runtime crate documentation for the attributes.
///
/// ```
/// use orm_runtime::prelude::*;
///
/// #[derive(Model, Debug, Clone)]
/// pub struct Publisher {
///     #[orm(primary_key)]
///     pub id: i64,
///     #[orm(max_length = 100, unique)]
///     pub name: String,
/// }
///
/// #[derive(Model, Debug, Clone)]
/// pub struct Book {
///     #[orm(primary_key)]
///     pub id: i64,
///     #[orm(max_length = 200)]
///     pub title: String,
///     #[orm(related_name = "books")]
///     pub publisher: ForeignKey<Publisher>,
///     pub pages: i32,
/// }
///
/// // The generated queryset type is yours to extend.
/// impl BookQuerySet {
///     pub fn long(self) -> Self {
///         self.filter(Book::pages.gt(500))
///     }
/// }
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.create_tables(&[Publisher::META, Book::META]).await?;
/// let verso = Publisher::objects().create(&db, Publisher { id: 0, name: "Verso".into() }).await?;
/// for (title, pages) in [("Capital", 1152), ("Pamphlet", 48)] {
///     let book = Book { id: 0, title: title.into(), publisher: (&verso).into(), pages };
///     Book::objects().create(&db, book).await?;
/// }
///
/// let long: Vec<String> = Book::objects().long().values(Book::title).all(&db).await?;
/// assert_eq!(long, ["Capital"]);
/// // The reverse relation from `related_name`, in an aggregate.
/// let (p, n): (Publisher, i64) = Publisher::objects().annotate(Count(Publisher::books)).get(&db).await?;
/// assert_eq!((p.name.as_str(), n), ("Verso", 2));
/// # Ok(()) }
/// ```
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let result = model(&input).map(|def| expand::model(&def));
    match result {
        Ok(tokens) => tokens.into(),
        Err(e) => e.write_errors().into(),
    }
}

/// Parses the struct's attributes and each field's separately, so every
/// mistake is reported in one pass, then validates.
fn model(input: &syn::DeriveInput) -> darling::Result<validate::ModelDef> {
    let mut errors = darling::Error::accumulator();
    let model = errors.handle(attr::ModelInput::from_derive_input(input));
    let fields = match &input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => named
            .named
            .iter()
            .filter_map(|f| {
                f.ident
                    .clone()
                    .map(|id| (id, attr::FieldInput::from_field(f)))
            })
            .collect(),
        _ => Vec::new(),
    };
    match model {
        Some(model) => {
            let def = errors.handle(validate::model(model, fields));
            errors.finish()?;
            def.ok_or_else(|| darling::Error::custom("invalid model"))
        }
        None => {
            // Report the fields' own errors alongside the struct-level ones.
            for (_, f) in fields {
                errors.handle(f);
            }
            errors.finish()?;
            Err(darling::Error::custom("invalid model"))
        }
    }
}

/// Derives a column type for a fieldless enum, stored as an integer
/// (`#[orm(repr = "int")]`, the default, using the discriminants) or as text
/// (`#[orm(repr = "text")]`, using the variant names or `#[orm(rename = "..")]`),
/// with a display label per variant (`DbEnum::label`, `DbEnum::choices`):
/// the variant name in words, or `#[orm(label = "..")]`.
///
/// ```
/// use orm_runtime::prelude::*;
///
/// #[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
/// pub enum Status { Todo = 0, Doing = 1, Done = 2 } // stored as 0, 1, 2
///
/// #[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
/// #[orm(repr = "text")]
/// pub enum Priority {
///     #[orm(rename = "low")]
///     Low,
///     #[orm(rename = "high")]
///     High,
/// }
///
/// #[derive(Model, Debug, Clone)]
/// pub struct Task {
///     #[orm(primary_key)]
///     pub id: i64,
///     pub status: Status,
///     pub priority: Priority,
/// }
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Error> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.create_tables(&[Task::META]).await?;
/// Task::objects().create(&db, Task { id: 0, status: Status::Doing, priority: Priority::High }).await?;
///
/// let task = Task::objects().filter(Task::status.eq(Status::Doing)).get(&db).await?;
/// assert_eq!(task.priority, Priority::High);
/// assert_eq!((task.status.label(), Priority::choices()[1].1), ("Doing", "High"));
/// let stored: Vec<(i64, String)> = raw("SELECT status, priority FROM task").fetch(&db).await?;
/// assert_eq!(stored, [(1, "high".to_string())]);
/// # Ok(()) }
/// ```
#[proc_macro_derive(DbEnum, attributes(orm))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let result = attr::EnumInput::from_derive_input(&input).and_then(expand::db_enum::expand);
    match result {
        Ok(tokens) => tokens.into(),
        Err(e) => e.write_errors().into(),
    }
}
