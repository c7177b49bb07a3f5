//! Stage 1: the syntax of `#[orm(...)]` attributes, parsed with darling.
//! Nothing is checked here beyond the shape of each attribute.

use darling::util::{Flag, PathList, SpannedValue};
use darling::{FromDeriveInput, FromField, FromVariant};

/// `#[derive(Model)]` input: the struct's own attributes. Fields are parsed
/// one by one (`FieldInput::from_field`), so a mistake in one field does
/// not hide the errors of the others.
#[derive(FromDeriveInput)]
#[darling(attributes(orm), supports(struct_named))]
pub struct ModelInput {
    pub ident: syn::Ident,
    pub vis: syn::Visibility,
    pub generics: syn::Generics,
    /// `table = "..."`
    pub table: Option<SpannedValue<String>>,
    /// `index(a, b)`, repeatable.
    #[darling(multiple)]
    pub index: Vec<PathList>,
    /// `unique_together(a, b)`, repeatable.
    #[darling(multiple)]
    pub unique_together: Vec<PathList>,
}

/// One field's `#[orm(...)]`.
#[derive(FromField)]
#[darling(attributes(orm))]
pub struct FieldInput {
    pub ident: Option<syn::Ident>,
    pub vis: syn::Visibility,
    pub ty: syn::Type,
    pub column: Option<SpannedValue<String>>,
    pub primary_key: Flag,
    pub auto_increment: Option<SpannedValue<bool>>,
    pub max_length: Option<SpannedValue<u32>>,
    pub unique: Flag,
    pub index: Flag,
    pub default: Option<RawExpr>,
    pub related_name: Option<SpannedValue<String>>,
    pub on_delete: Option<SpannedValue<String>>,
    pub max_digits: Option<SpannedValue<u32>>,
    pub decimal_places: Option<SpannedValue<u32>>,
    pub min_value: Option<SpannedValue<i64>>,
    pub max_value: Option<SpannedValue<i64>>,
    pub through: Option<syn::Path>,
    pub through_fields: Option<SpannedValue<PathList>>,
    pub symmetrical: Option<SpannedValue<bool>>,
    pub annotation: Flag,
}

/// `#[derive(DbEnum)]` input.
#[derive(FromDeriveInput)]
#[darling(attributes(orm), supports(enum_any))]
pub struct EnumInput {
    pub ident: syn::Ident,
    pub generics: syn::Generics,
    pub data: darling::ast::Data<VariantInput, ()>,
    /// `repr = "int"` (default) or `repr = "text"`.
    pub repr: Option<SpannedValue<String>>,
}

/// One enum variant.
#[derive(FromVariant)]
#[darling(attributes(orm))]
pub struct VariantInput {
    pub ident: syn::Ident,
    /// Must be empty: a DbEnum stores only which variant it is.
    pub fields: darling::ast::Fields<darling::util::Ignored>,
    pub discriminant: Option<syn::Expr>,
    /// The stored text of a text enum.
    pub rename: Option<String>,
}

/// An attribute value kept as written (`default = "text"` stays a string
/// literal instead of being parsed as an expression).
pub struct RawExpr(pub syn::Expr);

impl darling::FromMeta for RawExpr {
    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        Ok(RawExpr(expr.clone()))
    }
}
