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

use darling::FromDeriveInput;
use proc_macro::TokenStream;

/// Derives `Model` for a struct with named fields: typed column handles
/// (`Book::title`), relation handles, `Book::objects()`, the `BookQuerySet`
/// type, positional row decoding and schema metadata.
///
/// See the orm-runtime crate documentation for the attributes.
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let result = attr::ModelInput::from_derive_input(&input)
        .and_then(validate::model)
        .map(|def| expand::model(&def));
    match result {
        Ok(tokens) => tokens.into(),
        Err(e) => e.write_errors().into(),
    }
}

/// Derives a column type for a fieldless enum, stored as an integer
/// (`#[orm(repr = "int")]`, the default, using the discriminants) or as text
/// (`#[orm(repr = "text")]`, using the variant names or `#[orm(rename = "..")]`).
#[proc_macro_derive(DbEnum, attributes(orm))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let result = attr::EnumInput::from_derive_input(&input).and_then(expand::db_enum::expand);
    match result {
        Ok(tokens) => tokens.into(),
        Err(e) => e.write_errors().into(),
    }
}
