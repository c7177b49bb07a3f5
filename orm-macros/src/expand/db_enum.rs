//! `#[derive(DbEnum)]`: a fieldless enum stored as an integer or as text,
//! with its values enforced by a CHECK constraint, and a display label per
//! variant (`DbEnum::label`, `DbEnum::choices`).

use super::private;
use crate::attr::EnumInput;
use darling::{Error, Result};
use proc_macro2::TokenStream;
use quote::quote;

enum Repr {
    Int,
    Text,
}

pub fn expand(input: EnumInput) -> Result<TokenStream> {
    let p = private();
    let mut errors = Error::accumulator();
    if !input.generics.params.is_empty() {
        errors.push(
            Error::custom("#[derive(DbEnum)] does not support generic enums")
                .with_span(&input.generics),
        );
    }
    let repr = match &input.repr {
        None => Repr::Int,
        Some(r) if r.as_str() == "int" => Repr::Int,
        Some(r) if r.as_str() == "text" => Repr::Text,
        Some(r) => {
            errors.push(Error::custom("repr must be \"int\" or \"text\"").with_span(&r.span()));
            Repr::Int
        }
    };
    let variants = match input.data {
        darling::ast::Data::Enum(v) => v,
        darling::ast::Data::Struct(_) => Vec::new(),
    };
    if variants.is_empty() {
        errors.push(Error::custom("a DbEnum needs at least one variant").with_span(&input.ident));
    }
    let ident = &input.ident;
    let name = ident.to_string();

    let mut idents = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let mut ints: Vec<i64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut next = 0i64;
    for v in &variants {
        if !v.fields.is_empty() {
            errors.push(
                Error::custom(format!(
                    "DbEnum variants cannot hold data: `{}` has fields (a DbEnum column stores which variant it is)",
                    v.ident
                ))
                .with_span(&v.ident),
            );
        }
        idents.push(v.ident.clone());
        let label = match &v.label {
            Some(l) if l.text.trim().is_empty() => {
                errors.push(Error::custom("label must not be empty").with_span(&l.span));
                String::new()
            }
            Some(l) => l.text.clone(),
            None => default_label(&v.ident),
        };
        if !label.is_empty() && labels.contains(&label) {
            let span = v.label.as_ref().map_or(v.ident.span(), |l| l.span);
            errors.push(
                Error::custom(format!(
                    "label `{label}` is used twice: each choice needs its own label"
                ))
                .with_span(&span),
            );
        }
        labels.push(label);
        match repr {
            Repr::Int => {
                if v.rename.is_some() {
                    errors.push(
                        Error::custom(
                            "`rename` applies to text enums; this one is stored as an integer",
                        )
                        .with_span(&v.ident),
                    );
                }
                let value = match &v.discriminant {
                    None => next,
                    Some(e) => match int_literal(e) {
                        Some(i) => i,
                        None => {
                            errors.push(
                                Error::custom("use an integer literal discriminant").with_span(e),
                            );
                            next
                        }
                    },
                };
                if value < i64::from(i32::MIN) || value > i64::from(i32::MAX) {
                    errors.push(
                        Error::custom("discriminant does not fit in i32").with_span(&v.ident),
                    );
                }
                // A repeated value is rustc's own error (E0081): the values are the discriminants.
                ints.push(value);
                next = value.wrapping_add(1);
            }
            Repr::Text => {
                let text = v.rename.clone().unwrap_or_else(|| v.ident.to_string());
                if texts.contains(&text) {
                    errors.push(
                        Error::custom(format!("text `{text}` is used twice")).with_span(&v.ident),
                    );
                }
                texts.push(text);
            }
        }
    }
    errors.finish()?;

    let (column_type, choices, to_value, decode) = match repr {
        Repr::Int => {
            let ints32: Vec<i32> = ints.iter().map(|v| *v as i32).collect();
            (
                quote!(#p::ColumnType::of(#p::Kind::I32)),
                quote!(#p::Choices::Int(&[#(#ints),*])),
                quote!(#p::Value::I32(match self { #(Self::#idents => #ints32),* })),
                quote! {
                    match r.read_i32()? {
                        ::core::option::Option::None => ::core::result::Result::Ok(::core::option::Option::None),
                        #(::core::option::Option::Some(#ints32) => ::core::result::Result::Ok(::core::option::Option::Some(Self::#idents)),)*
                        ::core::option::Option::Some(other) => ::core::result::Result::Err(::std::format!("{} is not a value of {}", other, #name)),
                    }
                },
            )
        }
        Repr::Text => {
            let max = texts
                .iter()
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(1)
                .max(1) as u32;
            (
                quote!(#p::ColumnType { max_length: ::core::option::Option::Some(#max), ..#p::ColumnType::of(#p::Kind::String) }),
                quote!(#p::Choices::Text(&[#(#texts),*])),
                quote!(#p::Value::String(::std::string::String::from(match self { #(Self::#idents => #texts),* }))),
                quote! {
                    match r.read_string()?.as_deref() {
                        ::core::option::Option::None => ::core::result::Result::Ok(::core::option::Option::None),
                        #(::core::option::Option::Some(#texts) => ::core::result::Result::Ok(::core::option::Option::Some(Self::#idents)),)*
                        ::core::option::Option::Some(other) => ::core::result::Result::Err(::std::format!("{:?} is not a value of {}", other, #name)),
                    }
                },
            )
        }
    };

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #p::FieldType for #ident {
                type Compare = #ident;
                type Nullable = ::core::option::Option<#ident>;
                type Selected = #ident;
                type Nullability = #p::NotNull;
                const COLUMN_TYPE: #p::ColumnType = #column_type;
                const CHOICES: #p::Choices = #choices;
                fn to_value(&self) -> #p::Value {
                    #to_value
                }
                fn decode_nullable<R: #p::RowReader + ?Sized>(
                    r: &mut R,
                ) -> ::core::result::Result<::core::option::Option<Self>, ::std::string::String> {
                    #decode
                }
            }
            #[automatically_derived]
            impl #p::DbEnum for #ident {
                fn label(&self) -> &'static str {
                    match self { #(Self::#idents => #labels),* }
                }
                fn choices() -> &'static [(Self, &'static str)] {
                    const CHOICES: &[(#ident, &str)] = &[#((#ident::#idents, #labels)),*];
                    CHOICES
                }
            }
            #[automatically_derived]
            impl<M> #p::IntoExpr<M, #ident> for #ident {
                type Nullability = #p::NotNull;
                fn into_node(self) -> #p::ExprNode {
                    #p::ExprNode::Value(#p::FieldType::to_value(&self))
                }
            }
            #[automatically_derived]
            impl<M> #p::IntoExpr<M, #ident> for &#ident {
                type Nullability = #p::NotNull;
                fn into_node(self) -> #p::ExprNode {
                    #p::ExprNode::Value(#p::FieldType::to_value(self))
                }
            }
        };
    })
}

fn int_literal(e: &syn::Expr) -> Option<i64> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            int_literal(&u.expr).map(|v| -v)
        }
        _ => None,
    }
}

/// Django's default label (the member name with underscores as spaces,
/// title-cased): the variant name in words, each capitalized, acronyms
/// kept (`InProgress` -> "In Progress", `HTTPError` -> "HTTP Error",
/// `not_started` -> "Not Started").
fn default_label(ident: &syn::Ident) -> String {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let starts_word = c.is_uppercase()
            && !word.is_empty()
            && (prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                // `HTTPError`: the last capital of a run starts a word of
                // two or more lower-case letters (but `IPv4` stays whole).
                || (prev.is_some_and(char::is_uppercase)
                    && next.is_some_and(char::is_lowercase)
                    && chars.get(i + 2).is_some_and(|c| c.is_lowercase())));
        if starts_word {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Two or more capitals (`HTTP`, `IPv4`): kept as written.
        let acronym = w.chars().filter(|c| c.is_uppercase()).count() > 1;
        if acronym {
            out.push_str(w);
        } else {
            let mut cs = w.chars();
            if let Some(first) = cs.next() {
                out.extend(first.to_uppercase());
                out.push_str(&cs.as_str().to_lowercase());
            }
        }
    }
    out
}
