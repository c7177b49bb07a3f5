//! Typed handles: one associated constant per field (`Book::title`,
//! `Book::publisher`, `Book::authors`), `Book::objects()`, and hidden
//! name constants other models' metadata refers to.

use super::private;
use crate::validate::{ModelDef, Role, Through};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn expand(def: &ModelDef) -> TokenStream {
    let p = private();
    let model = &def.ident;
    let qs = format_ident!("{}QuerySet", model);
    let table = &def.table;
    let mut items = Vec::new();
    let mut checks = Vec::new();
    let mut m2m_index = 0usize;
    let mut annotation_index = 0u16;
    let mut reverse = Vec::new();
    // The fields of the outer-query handle (`<Model>Outer`).
    let mut outer_fields = Vec::new();
    let mut outer_inits = Vec::new();
    for f in &def.fields {
        let ident = &f.ident;
        let vis = &f.vis;
        let ty = &f.ty;
        match &f.role {
            Role::Column(c) => {
                let column = &c.column;
                let doc = format!("Column `{column}` of table `{table}`.");
                let hidden = format_ident!("__ORM_COL_{}", ident);
                // The primary key column compares as a key of this model,
                // like a foreign key to it, so another model's row or key
                // does not type-check against it.
                let ty = if c.primary_key {
                    quote!(#p::Key<#model>)
                } else {
                    quote!(#ty)
                };
                let outer_doc = format!("Column `{column}` of the outer query's `{table}` row.");
                outer_fields.push(quote! {
                    #[doc = #outer_doc]
                    #vis #ident: #p::OuterRef<#model, #ty>
                });
                outer_inits
                    .push(quote!(#ident: outer.__column(#p::Column::<#model, #ty>::new(#column))));
                let doc = syn::LitStr::new(&doc, ident.span());
                let column_const = quote::quote_spanned! {ident.span()=>
                    #[doc = #doc]
                    #vis const #ident: #p::Column<#model, #ty> = #p::Column::new(#column);
                };
                items.push(quote! {
                    #column_const
                    #[doc(hidden)]
                    pub const #hidden: &'static str = #column;
                });
                if let (Some(fk), Some(name)) = (&c.foreign_key, &c.related_name) {
                    let target = &fk.target;
                    // The name at the `related_name`: a clash with a field of
                    // the target (which this derive cannot see) points there.
                    let span = name.span;
                    let name = quote::format_ident!("{}", name.name, span = span);
                    let doc = format!(
                        "The `{model}` rows whose `{ident}` refers to this row (reverse of `{model}::{ident}`)."
                    );
                    // The whole item at the `related_name` (its doc too), so
                    // a clash reports it there.
                    let doc = syn::LitStr::new(&doc, span);
                    let item = quote::quote_spanned! {span=>
                        #[doc = #doc]
                        #vis const #name: #p::Reverse<#target, #model> = #p::Reverse::new(
                            #model::__ORM_TABLE,
                            #column,
                            #target::__ORM_PK_COLUMN,
                            <<#target as #p::Model>::Pk as #p::FieldType>::COLUMN_TYPE.kind,
                        );
                    };
                    reverse.push(quote! {
                        #[allow(non_upper_case_globals, dead_code)]
                        #[automatically_derived]
                        impl #target {
                            #item
                        }
                    });
                }
            }
            Role::ManyToMany(m) => {
                let target = &m.target;
                let index = m2m_index;
                m2m_index += 1;
                let doc = format!(
                    "Many-to-many relation `{ident}`: `{model}::{ident}.of(&row)` reads and changes it."
                );
                items.push(quote! {
                    #[doc = #doc]
                    #vis const #ident: #p::ManyToManyRel<#model, #target> = #p::ManyToManyRel::new(#index);
                });
                if let Some(name) = &m.related_name {
                    let span = name.span;
                    let name = quote::format_ident!("{}", name.name, span = span);
                    let doc = format!(
                        "The `{model}` rows related to this row through `{model}::{ident}` (its reverse)."
                    );
                    let head = quote::quote_spanned!(span=> #vis const #name);
                    reverse.push(quote! {
                        #[allow(non_upper_case_globals, dead_code)]
                        #[automatically_derived]
                        impl #target {
                            #[doc = #doc]
                            #head: #p::ManyToManyRel<#target, #model> = #p::ManyToManyRel::reverse(#index);
                        }
                    });
                }
                if let Through::Model {
                    path,
                    source,
                    target: tgt,
                } = &m.through
                {
                    checks.push(quote! {
                        let _: #p::Column<#path, #p::ForeignKey<#model>> = #path::#source;
                        let _: #p::Column<#path, #p::ForeignKey<#target>> = #path::#tgt;
                    });
                }
            }
            Role::Annotation => {
                let index = annotation_index;
                annotation_index += 1;
                let doc = format!(
                    "Annotation field `{ident}`: filled by `annotate_into({model}::{ident}, ..)`."
                );
                items.push(quote! {
                    #[doc = #doc]
                    #vis const #ident: #p::Annotation<#model, #ty> = #p::Annotation::new(#index);
                });
                let outer_doc = format!("Annotation field `{ident}` as the outer query fills it.");
                outer_fields.push(quote! {
                    #[doc = #outer_doc]
                    #vis #ident: #p::OuterRef<#model, #ty>
                });
                outer_inits.push(
                    quote!(#ident: outer.__annotation(#p::Annotation::<#model, #ty>::new(#index))),
                );
            }
        }
    }
    let pk_column = match &def.fields[def.pk].role {
        Role::Column(c) => c.column.clone(),
        _ => String::new(),
    };
    let check = (!checks.is_empty()).then(|| {
        quote! {
            const _: fn() = || { #(#checks)* };
        }
    });
    let outer = format_ident!("{}Outer", model);
    let model_vis = &def.vis;
    let outer_doc = format!(
        "The outer query over `{model}` seen from a correlated subquery: `{model}::correlated(|outer| ..)` passes it. Its fields are the outer row's columns (Django's `OuterRef(\"field\")`); `outer.col(path)` reaches further."
    );
    quote! {
        #[doc = #outer_doc]
        #[derive(Clone, Copy)]
        #model_vis struct #outer {
            #(#outer_fields,)*
            __outer: #p::Outer<#model>,
        }

        #[automatically_derived]
        impl ::core::convert::From<#p::Outer<#model>> for #outer {
            fn from(outer: #p::Outer<#model>) -> Self {
                #outer {
                    #(#outer_inits,)*
                    __outer: outer,
                }
            }
        }

        #[automatically_derived]
        impl ::core::ops::Deref for #outer {
            type Target = #p::Outer<#model>;
            fn deref(&self) -> &Self::Target {
                &self.__outer
            }
        }

        #[allow(non_upper_case_globals, dead_code)]
        #[automatically_derived]
        impl #model {
            #(#items)*

            /// All rows of this model, as a lazy queryset.
            pub fn objects() -> #qs {
                <#qs as #p::QuerySetBuilder>::from_queryset(#p::QuerySet::new())
            }

            #[doc(hidden)]
            pub const __ORM_TABLE: &'static str = #table;
            #[doc(hidden)]
            pub const __ORM_PK_COLUMN: &'static str = #pk_column;
        }
        #check
        #(#reverse)*
    }
}
