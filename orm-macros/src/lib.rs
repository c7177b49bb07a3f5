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
#[proc_macro_derive(DbEnum, attributes(orm))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let result = attr::EnumInput::from_derive_input(&input).and_then(expand::db_enum::expand);
    match result {
        Ok(tokens) => tokens.into(),
        Err(e) => e.write_errors().into(),
    }
}
