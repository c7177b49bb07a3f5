//! Stage 1: the syntax of `#[orm(...)]` attributes, parsed with darling.
//! Nothing is checked here beyond the shape of each attribute.

use darling::util::{Flag, PathList, SpannedValue};
use darling::{FromDeriveInput, FromField, FromVariant};
use proc_macro2::Span;
use syn::Token;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;

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
    /// `index(a, -b, lower(c), name = "..")`, repeatable; read by
    /// [`IndexInput::parse`].
    #[darling(multiple)]
    pub index: Vec<syn::Meta>,
    /// `unique_together(..)`, repeatable, in the syntax of `index`.
    #[darling(multiple)]
    pub unique_together: Vec<syn::Meta>,
}

/// One `index(..)` or `unique_together(..)`: key parts, then options.
///
/// ```text
/// index(publisher, -rating)            a descending key part
/// index(lower(title), name = "x")      an expression, an explicit name
/// unique_together(-a, upper(b))        the same syntax, unique
/// ```
pub struct IndexInput {
    pub parts: Vec<IndexPartInput>,
    /// `name = ".."`.
    pub name: Option<SpannedValue<String>>,
    /// The whole attribute.
    pub span: Span,
}

/// One key part: `field`, `-field`, `lower(field)`, `-lower(field)`.
pub struct IndexPartInput {
    /// Written with a leading `-`.
    pub descending: bool,
    pub term: IndexTerm,
    /// The part as written, `-` included.
    pub span: Span,
}

/// A field name or a call such as `lower(title)`, as written; which calls
/// exist is for validation to say.
pub enum IndexTerm {
    Field(syn::Ident),
    Call {
        func: syn::Ident,
        args: Vec<IndexTerm>,
        span: Span,
    },
}

impl IndexTerm {
    pub fn span(&self) -> Span {
        match self {
            IndexTerm::Field(id) => id.span(),
            IndexTerm::Call { span, .. } => *span,
        }
    }
}

enum IndexItem {
    Part(IndexPartInput),
    Name(SpannedValue<String>),
}

impl Parse for IndexTerm {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(syn::Ident::peek_any) {
            return Err(input.error(
                "expected a key part: `field`, `-field` (descending), lower(field) or upper(field)",
            ));
        }
        let ident = input.call(syn::Ident::parse_any)?;
        if !input.peek(syn::token::Paren) {
            return Ok(IndexTerm::Field(ident));
        }
        let content;
        let parens = syn::parenthesized!(content in input);
        let args = Punctuated::<IndexTerm, Token![,]>::parse_terminated(&content)?;
        let span = ident
            .span()
            .join(parens.span.close())
            .unwrap_or(ident.span());
        Ok(IndexTerm::Call {
            func: ident,
            args: args.into_iter().collect(),
            span,
        })
    }
}

impl Parse for IndexItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(syn::Ident) && input.peek2(Token![=]) {
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            if key != "name" {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown index option `{key}`: expected `name = \"..\"`"),
                ));
            }
            let lit: syn::LitStr = input.parse()?;
            return Ok(IndexItem::Name(SpannedValue::new(lit.value(), lit.span())));
        }
        let minus: Option<Token![-]> = input.parse()?;
        let term: IndexTerm = input.parse()?;
        let span = match &minus {
            Some(m) => m.span.join(term.span()).unwrap_or(term.span()),
            None => term.span(),
        };
        Ok(IndexItem::Part(IndexPartInput {
            descending: minus.is_some(),
            term,
            span,
        }))
    }
}

impl IndexInput {
    /// Reads `index(..)` / `unique_together(..)` (`what` names it in errors).
    pub fn parse(meta: &syn::Meta, what: &str) -> darling::Result<IndexInput> {
        let list = match meta {
            syn::Meta::List(list) => list,
            _ => {
                return Err(darling::Error::custom(format!(
                    "expected {what}(field, ..): the fields of the index, `-field` for descending"
                ))
                .with_span(meta));
            }
        };
        let items = list
            .parse_args_with(Punctuated::<IndexItem, Token![,]>::parse_terminated)
            .map_err(darling::Error::from)?;
        let mut errors = darling::Error::accumulator();
        let mut index = IndexInput {
            parts: Vec::new(),
            name: None,
            span: meta.span(),
        };
        for item in items {
            match item {
                IndexItem::Part(p) if index.name.is_some() => errors.push(
                    darling::Error::custom("list the key parts before `name = ..`")
                        .with_span(&p.span),
                ),
                IndexItem::Part(p) => index.parts.push(p),
                IndexItem::Name(n) if index.name.is_some() => errors
                    .push(darling::Error::custom("the index is named twice").with_span(&n.span())),
                IndexItem::Name(n) => index.name = Some(n),
            }
        }
        errors.finish_with(index)
    }
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
    /// The display label (default: the variant name in words).
    pub label: Option<Label>,
}

/// `label = ".."`: a string literal.
pub struct Label {
    pub text: String,
    pub span: Span,
}

impl darling::FromMeta for Label {
    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Ok(Label {
                text: s.value(),
                span: s.span(),
            }),
            _ => Err(
                darling::Error::custom("a label is a string: label = \"In progress\"")
                    .with_span(expr),
            ),
        }
    }
}

/// An attribute value kept as written (`default = "text"` stays a string
/// literal instead of being parsed as an expression).
pub struct RawExpr(pub syn::Expr);

impl darling::FromMeta for RawExpr {
    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        Ok(RawExpr(expr.clone()))
    }
}
